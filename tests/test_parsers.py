"""Parsers: every layout, the date spellings, chrome never becomes an entry, hostile feeds."""

from __future__ import annotations

import datetime as dt

import pytest

from driftwatch.watchers.dates import infer_year, parse_full_date, parse_month_day, split_title_date
from driftwatch.watchers.feeds import parse_feed
from driftwatch.watchers.release_notes import parse_release_notes
from driftwatch.watchers.text import html_to_text

from .conftest import fixture_bytes

URL = "https://help.fixture.test/articles/1-notes"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("November 20, 2025", dt.date(2025, 11, 20)),
        ("November 20th, 2025", dt.date(2025, 11, 20)),
        ("Nov 20, 2025", dt.date(2025, 11, 20)),
        ("Nov. 3 2025", dt.date(2025, 11, 3)),
        ("Sept 1st, 2025", dt.date(2025, 9, 1)),
        ("20 November 2025", dt.date(2025, 11, 20)),
        ("2025-11-20", dt.date(2025, 11, 20)),
        ("2025.11.20", dt.date(2025, 11, 20)),
        ("2025/11/02", dt.date(2025, 11, 2)),
        ("2025-11/20", None),
        ("Thursday, November 20, 2025", dt.date(2025, 11, 20)),
        ("February 30, 2025", None),
        ("The November 20, 2025 update", None),
        ("Version 2025.11", None),
    ],
)
def test_full_dates(text: str, expected: dt.date | None) -> None:
    assert parse_full_date(text) == expected


def test_partial_dates_and_year_inference() -> None:
    assert parse_month_day("Mar 14") == (3, 14)
    assert split_title_date("Title here (Mar 14)") == ("Title here", (3, 14))
    assert split_title_date("Plain title") is None
    assert split_title_date("November 20, 2025: Box write actions") == ("Box write actions", dt.date(2025, 11, 20))
    assert split_title_date("Box write actions – Nov 20, 2025") == ("Box write actions", dt.date(2025, 11, 20))
    assert split_title_date("Release 2.0 - the big one") is None
    assert infer_year(12, 18, dt.date(2026, 1, 8)) == dt.date(2025, 12, 18)
    assert infer_year(1, 8, dt.date(2025, 12, 2)) == dt.date(2026, 1, 8)


def test_current_layout_one_entry_per_h2() -> None:
    result = parse_release_notes(fixture_bytes("release-notes-current.html"), URL)
    titles = [(e.date, e.title) for e in result.entries]
    assert titles == [
        ("2026-02-26", "Drive app gains write actions"),
        ("2026-02-26", "Scheduled tasks for agents"),
        ("2026-02-19", "Audit log export"),
        ("2026-02-12", "Faster image generation"),
        ("2026-02-12", "New keyboard shortcuts"),
    ]
    drive = result.entries[0]
    assert drive.link == URL + "#drive-write"
    assert "- New actions are off by default." in drive.body.splitlines()
    assert "Limits" in result.entries[1].body  # an h3 inside a change stays in that change
    joined = " ".join(e.body + e.title for e in result.entries)
    assert "Cookies" not in joined and "Copyright" not in joined and "analytics" not in joined


def test_older_layout_infers_years_from_neighbours() -> None:
    result = parse_release_notes(fixture_bytes("release-notes-older.html"), URL)
    assert [(e.date, e.title) for e in result.entries] == [
        ("2026-01-08", "Retiring the legacy reasoning model"),
        ("2025-12-18", "SSO enforcement for all members"),
        ("2025-12-02", "Memory for projects"),
        ("2025-11-20", "Voice improvements"),
    ]
    assert result.entries[1].link == URL + "#sso"
    assert all("Related" not in e.title for e in result.entries)


def test_bold_paragraph_and_heading_dates() -> None:
    result = parse_release_notes(fixture_bytes("release-notes-bold.html"), URL)
    assert [(e.date, e.title) for e in result.entries] == [
        ("2026-03-04", "IP allowlist for the API"),
        ("2026-03-04", "Retention window"),
        ("2026-02-27", "Search results now show file previews."),
        ("2026-02-20", "SCIM group sync"),
    ]


def test_non_utf8_page_with_header_charset() -> None:
    result = parse_release_notes(fixture_bytes("release-notes-cp1252.html"), URL, encoding="windows-1252")
    entry = result.entries[0]
    assert entry.title == "Café connector: write actions – “send messages”"
    assert "Naïve" in entry.body


def test_page_without_dates_yields_nothing() -> None:
    html = b"<html><body><main><h1>Sign in</h1><p>Please log in to continue.</p></main></body></html>"
    result = parse_release_notes(html, URL)
    assert result.entries == [] and result.dates_found == 0


def test_intercom_next_data_layout() -> None:
    html = b"""<html><body><script id="__NEXT_DATA__" type="application/json">
    {"props": {"pageProps": {"articleContent": {"title": "Notes", "blocks": [
      {"type": "subheading", "text": "Outlook write actions (Mar 14)", "idAttribute": "h_1"},
      {"type": "paragraph", "text": "Outlook can now <b>send email</b>."},
      {"type": "subheading", "text": "Canvas tweaks (March 2, 2025)", "idAttribute": "h_2"},
      {"type": "paragraph", "text": "Nicer canvas."}]}}}}</script></body></html>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.link) for e in result.entries] == [
        ("2025-03-14", "Outlook write actions", URL + "#h_1"),
        ("2025-03-02", "Canvas tweaks", URL + "#h_2"),
    ]


def test_rss_and_atom_feeds() -> None:
    rss = parse_feed(fixture_bytes("feed-rss.xml"), "https://fixture.test/feed.xml")
    assert [(e.date, e.title, e.guid) for e in rss.entries] == [
        ("2026-02-23", "Connector for ticket trackers", "fx-101"),
        ("2026-02-20", "Dark mode polish", "fx-100"),
    ]
    assert rss.entries[0].body.splitlines() == [
        "The new tickets connector can read issues and create comments.",
        "- Requires admin approval.",
    ]
    atom = parse_feed(fixture_bytes("feed-atom.xml"), "https://status.fixture.test/history.atom")
    assert atom.entries[0].title == "Elevated errors for connectors"
    assert atom.entries[0].date == "2026-02-25"
    assert "Connectors (Degraded performance)" in atom.entries[0].body


def test_hostile_feed_item_becomes_inert_text() -> None:
    result = parse_feed(fixture_bytes("feed-hostile.xml"), "https://evil.test/feed")
    entry = result.entries[0]
    text = entry.title + "\n" + entry.body
    for forbidden in ("<script", "alert(2)", "document.cookie", "javascript:", "onerror", "display:none", "<iframe"):
        assert forbidden not in text
    assert "Totally normal update" in entry.title
    assert "Hello" in entry.body


def test_html_to_text_keeps_lists_readable() -> None:
    text = html_to_text("<p>Intro</p><ol><li>One</li><li>Two <b>bold</b></li></ol><p>End<br>line</p>")
    assert text.splitlines() == ["Intro", "1. One", "2. Two bold", "End", "line"]


def test_month_sections_with_day_badges() -> None:
    html = b"""<main><h3>September, 2025</h3>
    <div class="grid"><div><span data-variant="outline">Sep 22</span></div>
      <div class="_MarkdownContent"><p>Released the Responses API <b>MCP tool</b> to all projects.</p></div></div>
    <div class="grid"><div><span>Sep 3</span></div>
      <div class="_MarkdownContent"><p>Deprecated the legacy completions model.</p></div></div>
    <h3>August, 2025</h3>
    <div class="grid"><div><span>Aug 28</span></div><div><p>Added admin audit log filters.</p></div></div></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title) for e in result.entries] == [
        ("2025-09-22", "Released the Responses API MCP tool to all projects."),
        ("2025-09-03", "Deprecated the legacy completions model."),
        ("2025-08-28", "Added admin audit log filters."),
    ]


# --- layouts that repeat an entry container, month pages, badges, widgets ------------------


def _parse(name: str):
    return parse_release_notes(fixture_bytes(name), URL, today=dt.date(2026, 1, 10))


def test_entry_containers_keep_their_inner_headings() -> None:
    """Each container is one entry: its h2/h3 sub-headings stay in its body, no entry swallows the next."""
    result = _parse("changelog-containers.html")
    assert [(e.date, e.title, list(e.labels)) for e in result.entries] == [
        ("2025-12-09", "Legacy session tokens stop working", ["Deprecation"]),
        ("2025-12-04", "Per-project retention rules", ["New"]),
        ("2025-11-27", "Connector permissions review", ["Announcement", "Beta"]),
        ("2025-11-20", "Webhook signatures use SHA-256", ["Breaking change"]),
    ]
    first = result.entries[0]
    assert first.link == URL + "#entry-3031"
    lines = first.body.splitlines()
    assert "What to do" in lines and "More context" in lines
    assert lines[-1] == "The rotation closes a gap where a leaked token stayed valid for its whole life."
    assert "curl -X POST /v1/tokens/rotate" in lines
    assert result.entries[2].body.splitlines()[-2:] == ["GET /v1/connectors", "GET /v1/connectors/scopes"]
    assert result.entries[3].body == "Webhook payloads are now signed with HMAC SHA-256 only."
    everything = "\n".join(e.title + "\n" + e.body for e in result.entries)
    for chrome in ("helpful", "Copy", "Share on", "cookies", "Yes", "1 2 3", "Docs"):
        assert chrome not in everything
    assert not any(line.strip() in ("1", "2", "3") for line in everything.splitlines())
    assert all(e.date_precision == "day" for e in result.entries)


def test_month_headings_with_untitled_blocks_give_month_entries() -> None:
    result = _parse("changelog-month-blocks.html")
    assert [(e.date, e.date_precision, list(e.labels)) for e in result.entries] == [
        ("2025-12-01", "month", ["Admin console"]),
        ("2025-12-01", "month", ["Security"]),
        ("2025-11-01", "month", ["Integrations"]),
        ("2025-11-01", "month", ["Billing"]),
    ]
    first, _security, long_one, _billing = result.entries
    assert first.title == "Owners can now export the member list with each member's last sign-in time."
    assert first.body.splitlines()[-1] == "Exports are kept for seven days."
    assert "Admin console" not in first.body
    assert long_one.title.endswith("…") and len(long_one.title) <= 121
    assert long_one.body.startswith("The calendar integration can now create events")
    assert result.dates_found >= 2


def test_month_headings_with_block_containers() -> None:
    result = _parse("changelog-month-containers.html")
    assert [(e.date, e.date_precision, e.title, list(e.labels)) for e in result.entries] == [
        ("2025-12-01", "month", "The fast model now accepts images up to 20 MB.", ["Models"]),
        ("2025-12-01", "month", "Audit events include the device name.", ["Admin"]),
        ("2025-11-01", "month", "Batch jobs can be cancelled while queued.", ["API"]),
    ]
    assert result.entries[1].body.splitlines() == ["Audit events include the device name. Older events are not changed.",
                                                   "- Visible in the export."]
    assert "help you" not in " ".join(e.body for e in result.entries)


def test_article_per_entry_with_time_and_label_links() -> None:
    result = _parse("changelog-articles.html")
    assert [(e.date, e.title, list(e.labels)) for e in result.entries] == [
        ("2025-12-08", "Fine-grained tokens required for new integrations", ["Release"]),
        ("2025-12-02", "Faster code search", ["Improvement"]),
        ("2025-11-25", "Legacy runner images retired", ["Retired"]),
    ]
    assert result.entries[0].link == "https://help.fixture.test/changelog/2025-12-08-fine-grained-tokens"
    assert result.entries[1].body == ""
    assert result.entries[2].body.splitlines() == [
        "Jobs that still ask for the old images fail with a clear message.", "Migration",
        "Pick the current image in your workflow file."]


def test_date_sections_holding_several_entries() -> None:
    result = _parse("changelog-date-sections.html")
    assert [(e.date, e.title) for e in result.entries] == [
        ("2025-12-10", "Huddle transcripts for admins"),
        ("2025-12-10", "Channel export API"),
        ("2025-12-03", "Emoji reactions in threads"),
    ]
    assert "Limits" in result.entries[0].body.splitlines()


def test_update_containers_with_date_labels() -> None:
    result = _parse("changelog-update-blocks.html")
    assert [(e.date, e.title, e.link) for e in result.entries] == [
        ("2025-12-05", "Workspace-wide allowlist", URL + "#2025-12-05"),
        ("2025-11-28", "Model picker shows context length", URL + "#2025-11-28"),
    ]
    assert result.entries[0].body.splitlines()[1:] == [
        "Why it matters", "A stolen session cannot be used from outside the office network."]


def test_category_blocks_under_date_headings() -> None:
    result = _parse("changelog-category-divs.html")
    assert [(e.date, e.title, list(e.labels)) for e in result.entries] == [
        ("2025-12-08", "Buckets can require customer-managed keys.", ["Feature"]),
        ("2025-12-08", "The default retention for soft-deleted objects is now 14 days.", ["Changed"]),
        ("2025-12-01", "Signed URLs no longer expire early in regions east of UTC.", ["Fixed"]),
    ]
    assert result.entries[0].body == "Buckets can require customer-managed keys. New objects are rejected without one."


def test_badges_inside_flat_headings_become_labels() -> None:
    html = b"""<article><h1>March 2, 2026</h1>
    <h2 id="a"><span class="tag">Beta</span> Shared projects</h2><p>Projects can be shared with groups.</p>
    <h2 id="b">New keyboard shortcuts</h2><p>Press ? to see them.</p></article>"""
    result = parse_release_notes(html, URL)
    assert [(e.title, e.labels) for e in result.entries] == [
        ("Shared projects", ["Beta"]), ("New keyboard shortcuts", [])]


def test_widgets_never_reach_a_body_without_main_or_article() -> None:
    html = b"""<html><body><div class="wrap"><h2>February 3, 2026</h2><h3>Folder sharing</h3>
    <p>Folders can be shared with a link.</p>
    <div class="code"><pre><span class="line-number">1</span>share --folder docs</pre></div>
    <div><span>Was this article helpful?</span><span>\xf0\x9f\x91\x8d</span><span>\xf0\x9f\x91\x8e</span></div>
    <div class="social-share"><a href="#">Post</a></div>
    <div class="consent-manager">Accept all</div></div></body></html>"""
    result = parse_release_notes(html, URL)
    assert [(e.title, e.body) for e in result.entries] == [
        ("Folder sharing", "Folders can be shared with a link.\nshare --folder docs")]


def test_gutter_text_and_feedback_lines_are_dropped_from_bodies() -> None:
    from driftwatch.watchers.widgets import clean_lines, consecutive_numbers

    assert consecutive_numbers("1 2 3 4") and not consecutive_numbers("2 3 4") and not consecutive_numbers("1 3")
    assert clean_lines(["Intro", "1", "2", "3", "code", "1 2 3 4 5", "Was this page helpful?", "Copy", "Keep 1 2 3"]) \
        == ["Intro", "code", "Keep 1 2 3"]


DIGEST_URL = "https://notes.fixture.test/rss.xml"


def test_digest_feed_items_stay_whole_by_default() -> None:
    result = parse_feed(fixture_bytes("feed-digest.xml"), DIGEST_URL)
    assert [e.title for e in result.entries] == ["December 9, 2025", "December 8, 2025", "Release 4.2"]
    assert "Desktop app shortcuts" in result.entries[0].body.splitlines()


def test_split_items_gives_one_entry_per_note_with_stable_keys() -> None:
    body = fixture_bytes("feed-digest.xml")
    result = parse_feed(body, DIGEST_URL, split_items=True)
    assert [(e.date, e.title) for e in result.entries] == [
        ("2025-12-09", "Sandbox network egress"),
        ("2025-12-09", "Desktop app shortcuts"),
        ("2025-12-09", "Usage dashboard"),
        ("2025-12-08", "Review mode"),
        ("2025-12-08", "Token scopes"),
        ("2025-12-05", "Release 4.2"),  # one heading only: nothing to split
    ]
    sandbox, _desktop, usage, review, _tokens, release = result.entries
    assert sandbox.labels == ["Beta"]
    assert sandbox.body.splitlines() == ["Cloud tasks can reach an allowlist of hosts.", "- Off unless an admin adds hosts."]
    assert usage.body.splitlines() == ["Workspace owners see task counts per member.", "Export", "The dashboard exports CSV."]
    assert review.body == "The reviewer can now comment on pull requests it did not open."
    assert release.key == "guid:rel-4.2" and "Details" in release.body
    keys = [e.key for e in result.entries]
    assert len(set(keys)) == len(keys)
    assert sandbox.key == "guid:https://notes.fixture.test/changelog#2025-12-09#sandbox-network-egress"
    # the next fetch, with a new day on top and one note edited, keeps every key
    edited = body.replace(b"Workspace owners see task counts", b"Owners see task counts").replace(
        b"<item>", b"<item><title>December 10, 2025</title><guid>d10</guid>"
        b"<pubDate>Wed, 10 Dec 2025 18:00:00 GMT</pubDate><description>&lt;h3&gt;One&lt;/h3&gt;&lt;p&gt;a&lt;/p&gt;"
        b"&lt;h3&gt;Two&lt;/h3&gt;&lt;p&gt;b&lt;/p&gt;</description></item><item>", 1)
    again = parse_feed(edited, DIGEST_URL, split_items=True)
    assert [e.key for e in again.entries][2:] == keys
    assert again.entries[4].body.startswith("Owners see task counts")


def test_check_and_changes_json_carry_precision_labels_and_split_notes(tmp_path, web, monkeypatch) -> None:
    """End to end over loopback: each parsed entry is one new_entry; split notes keep their keys."""
    import json

    from click.testing import CliRunner

    from driftwatch.cli import cli

    digest = fixture_bytes("feed-digest.xml")
    web.page("/whats-new", fixture_bytes("changelog-month-blocks.html"))
    web.page("/changelog", fixture_bytes("changelog-containers.html"))
    web.page("/daily.xml", digest, "application/rss+xml")
    web.page("/daily-whole.xml", digest, "application/rss+xml")
    (tmp_path / "driftwatch.toml").write_text(
        '[storage]\npath = "dw.db"\n[fetch]\nretries = 0\n'
        f'[[sources]]\nname = "monthly"\nkind = "release_notes"\nurl = "{web.url("/whats-new")}"\n'
        f'[[sources]]\nname = "platform"\nkind = "release_notes"\nurl = "{web.url("/changelog")}"\n'
        f'[[sources]]\nname = "daily"\nkind = "feed"\nurl = "{web.url("/daily.xml")}"\nsplit_items = true\n'
        f'[[sources]]\nname = "whole"\nkind = "feed"\nurl = "{web.url("/daily-whole.xml")}"\n'
    )
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> dict:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    report = run("check", "--json")
    assert {s["name"]: (s["status"], s["new"]) for s in report["sources"]} == {
        "monthly": ("ok", 4), "platform": ("ok", 4), "daily": ("ok", 6), "whole": ("ok", 3)}
    assert all(c["kind"] == "new_entry" for c in report["changes"])
    monthly = [c for c in report["changes"] if c["source"] == "monthly"]
    assert {c["date_precision"] for c in monthly} == {"month"} and monthly[0]["labels"] == ["Admin console"]

    changes = run("changes", "--json")["changes"]
    by_title = {c["title"]: c for c in changes}
    assert by_title["Passkeys are available as a second factor for every plan."]["date_precision"] == "month"
    assert by_title["Passkeys are available as a second factor for every plan."]["date"] == "2025-12-01"
    assert by_title["Webhook signatures use SHA-256"]["labels"] == ["Breaking change"]
    assert by_title["Webhook signatures use SHA-256"]["date_precision"] == "day"
    assert "Sandbox network egress" in by_title and "December 9, 2025" in by_title

    web.page("/daily.xml", digest.replace(b"task counts per member", b"task counts per member and team"),
             "application/rss+xml")
    again = run("check", "--json", "--source", "daily")
    assert again["sources"][0]["new"] == 0 and again["sources"][0]["edited"] == 1
    assert [c["title"] for c in again["changes"]] == ["Usage dashboard"]


@pytest.mark.parametrize(
    "html, expected",
    [
        pytest.param(  # one table row per change
            "<main><h1>Log</h1><table><tr><th>Date</th><th>Change</th></tr>"
            "<tr><td>2025-11-20</td><td>Added group sync. It runs hourly.</td></tr>"
            "<tr><td>2025-11-02</td><td>Removed legacy tokens.</td></tr></table></main>",
            [("2025-11-20", "Added group sync."), ("2025-11-02", "Removed legacy tokens.")], id="table-rows"),
        pytest.param(  # one list item per change, each with a heading and a date line
            "<main><ul class='updates'><li><h3>SSO enforcement</h3><span>Nov 20, 2025</span><p>Owners can require SSO.</p>"
            "</li><li><h3>Data residency</h3><span>Nov 2, 2025</span><p>Store data in one region.</p></li></ul></main>",
            [("2025-11-20", "SSO enforcement"), ("2025-11-02", "Data residency")], id="li-per-entry"),
        pytest.param(  # a release title, then its date on the line below
            "<main><h2>Desktop 4.47.65</h2><p class='date'>November 20, 2025</p><ul><li>Fixed audio.</li></ul>"
            "<h2>Desktop 4.47.59</h2><p class='date'>November 6, 2025</p><p>Lists in canvases.</p></main>",
            [("2025-11-20", "Desktop 4.47.65"), ("2025-11-06", "Desktop 4.47.59")], id="title-then-date"),
        pytest.param(  # month headings, titles, one title with its own day
            "<body><h2>November 2025</h2><h3>Title one</h3><p><em>November 20, 2025</em></p><p>Body one.</p>"
            "<h3>Title two</h3><p>Body two.</p><h2>October 2025</h2><h3>Title three</h3><p>Body three.</p></body>",
            [("2025-11-20", "Title one"), ("2025-11-01", "Title two"), ("2025-10-01", "Title three")], id="month-titles"),
        pytest.param(  # bold paragraphs standing in for titles under a date heading
            "<article><h2>December 1, 2025</h2><p><strong>Projects can be archived now</strong></p><p>Archive them.</p>"
            "<p><strong>Connectors show their scopes</strong></p><p>See the scopes.</p></article>",
            [("2025-12-01", "Projects can be archived now"), ("2025-12-01", "Connectors show their scopes")],
            id="bold-titles"),
        pytest.param(  # sections with numbered ids, date heading above an h4 title, h2 sub-headings inside
            "<body><section id='entry-12'><h5>December 1, 2025</h5><h4>Retention controls</h4><p>Set it.</p>"
            "<h2>What to do</h2><p>Review it.</p><h2>More context</h2><p>Because.</p></section>"
            "<section id='entry-11'><h5>November 25, 2025</h5><h4>Export API</h4><p>Export it.</p></section></body>",
            [("2025-12-01", "Retention controls"), ("2025-11-25", "Export API")], id="numbered-sections"),
        pytest.param(  # furniture headings after the last change
            "<div class='article-content'><h1>March 2, 2026</h1><h2>Group chats</h2><p>Chats for groups.</p>"
            "<h2>Related articles</h2><p>Another article</p><h3>Still need help?</h3><p>Contact us</p></div>",
            [("2026-03-02", "Group chats")], id="furniture-headings"),
    ],
)
def test_more_layout_shapes(html: str, expected: list[tuple[str, str]]) -> None:
    result = parse_release_notes(html.encode(), URL, today=dt.date(2026, 3, 10))
    assert [(e.date, e.title) for e in result.entries] == expected
    assert all(e.body for e in result.entries)


def test_untitled_note_tags_become_labels() -> None:
    html = b"""<main><h3>November, 2025</h3><div class="row"><div><span>Nov 20</span></div><div>
    <div class="tags"><span>Feature</span><span>gpt-9</span><span>v1/answers</span></div>
    <p>Released the answers endpoint to all projects. More below.</p></div></div>
    <div class="row"><div><span>Nov 13</span></div><div><p>Added a cache retention parameter.</p></div></div></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, list(e.labels)) for e in result.entries] == [
        ("2025-11-20", "Released the answers endpoint to all projects.", ["Feature", "gpt-9", "v1/answers"]),
        ("2025-11-13", "Added a cache retention parameter.", []),
    ]
    assert result.entries[0].body == "Released the answers endpoint to all projects. More below."


def test_month_sections_holding_dated_rows() -> None:
    """A container per month holding a row per note: the rows are the entries, dated within the month."""
    html = b"""<main><h1>Changelog</h1>
    <section class="month"><h2>November, 2025</h2>
      <div class="row"><div><span>Nov 20</span></div><div><div class="pills"><span>Feature</span><span>gpt-9</span></div>
        <p>Released the answers endpoint.</p></div></div>
      <div class="row"><div><span>Nov 13</span></div><div><p>Added cache retention.</p></div></div></section>
    <section class="month"><h2>October, 2025</h2>
      <div class="row"><div><span>Oct 6</span></div><div><p>Launched the kit.</p></div></div></section></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.date_precision, e.title, list(e.labels), e.body) for e in result.entries] == [
        ("2025-11-20", "day", "Released the answers endpoint.", ["Feature", "gpt-9"], "Released the answers endpoint."),
        ("2025-11-13", "day", "Added cache retention.", [], "Added cache retention."),
        ("2025-10-06", "day", "Launched the kit.", [], "Launched the kit."),
    ]


def test_block_wrappers_of_a_flat_article_are_not_entry_containers() -> None:
    """Help centers wrap every heading and paragraph in its own classed div: the headings still decide."""
    def block(kind: str, inner: str) -> str:
        return f'<div class="hc-block-{kind} hc-align-left">{inner}</div>'

    html = "<article>" + "".join([
        block("paragraph", "<p>Latest updates.</p>"),
        block("heading", '<h1 id="d1">November 20th, 2025</h1>'),
        block("subheading", '<h2 id="t1">Group chats in more regions</h2>'),
        block("paragraph", "<p>Group chats roll out to all plans.</p>"),
        block("list", "<ul><li><p>Up to 20 people.</p></li></ul>"),
        block("subheading", '<h2 id="t2">Shopping research</h2>'),
        block("paragraph", "<p>A research mode for buying guides.</p>"),
        block("heading", '<h1 id="d2">November 13th, 2025</h1>'),
        block("subheading", '<h2 id="t3">Faster model</h2>'),
        block("paragraph", "<p>Responses are faster.</p>"),
    ]) + '<section class="related_articles"><h2>Related Articles</h2><a>Other</a></section>' \
        '<div class="reaction-picker"><p>Did this answer your question?</p></div></article>'
    result = parse_release_notes(html.encode(), URL)
    assert [(e.date, e.title, e.link) for e in result.entries] == [
        ("2025-11-20", "Group chats in more regions", URL + "#t1"),
        ("2025-11-20", "Shopping research", URL + "#t2"),
        ("2025-11-13", "Faster model", URL + "#t3"),
    ]
    assert result.entries[0].body.splitlines() == ["Group chats roll out to all plans.", "- Up to 20 people."]
    assert result.entries[2].body == "Responses are faster."


def test_dates_in_a_side_column_are_kept_and_sidebars_dropped() -> None:
    html = b"""<body><div class="e"><aside>Nov 20, 2025</aside><h3>Alpha release</h3><p>Text a.</p></div>
    <div class="e"><aside>Nov 3, 2025</aside><h3>Beta thing</h3><p>Text b.</p></div>
    <aside class="x"><h2>Other pages</h2><p>Sidebar text</p></aside></body>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.body) for e in result.entries] == [
        ("2025-11-20", "Alpha release", "Text a."), ("2025-11-03", "Beta thing", "Text b.")]
