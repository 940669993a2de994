"""Parsers: every layout, the date spellings, chrome never becomes an entry, hostile feeds."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from driftwatch.watchers.dates import (infer_year, parse_date_heading, parse_full_date, parse_labelled_date,
                                       parse_month_day, parse_release_sentence, split_heading_date, split_title_date)
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
        ("11-24-2026", dt.date(2026, 11, 24)),  # US order
        ("24/11/2026", dt.date(2026, 11, 24)),  # the first number cannot be a month
        ("2026.10.2", None),  # a calendar version: dotted dates come zero-padded
        ("2026.9.15", None),
        ("2025/11/02", dt.date(2025, 11, 2)),
        ("2025-11/20", None),
        ("Thursday, November 20, 2025", dt.date(2025, 11, 20)),
        ("February 30, 2025", None),
        ("The November 20, 2025 update", None),
        ("Version 2025.11", None),
        ("2026-11-17.clover", dt.date(2026, 11, 17)),  # a Stripe API version names its release day
        ("2026-11-17.clover extra", None),
        ("2026-02-30.acacia", None),
    ],
)
def test_full_dates(text: str, expected: dt.date | None) -> None:
    assert parse_full_date(text) == expected


def _run_json(*args: str) -> dict:
    """A command's --json answer, run in-process; it must succeed."""
    from click.testing import CliRunner

    from driftwatch.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


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


def test_feed_items_keep_the_publishers_day_and_their_categories() -> None:
    """An item posted at 22:15 -0800 was posted that day, not the next (UTC) one; categories are labels."""
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title><link>https://n.test/</link>
    <description>d</description>
    <item><title>Late post</title><link>https://n.test/1</link><guid>n-1</guid>
    <pubDate>Sat, 21 Nov 2026 22:15:00 -0800</pubDate><category>Security</category><category>Admin</category>
    <description>Text</description></item>
    <item><title>Early post</title><link>https://n.test/2</link><guid>n-2</guid>
    <pubDate>Fri, 20 Nov 2026 00:30:00 +0900</pubDate><description>Text</description></item></channel></rss>"""
    rss = parse_feed(feed, "https://n.test/feed")
    assert [(e.date, e.labels) for e in rss.entries] == [("2026-11-21", ["Security", "Admin"]), ("2026-11-20", [])]
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <id>urn:a</id><updated>2026-11-21T23:50:00-05:00</updated>
    <entry><title>Evening note</title><id>urn:a:1</id><updated>2026-11-21T23:50:00-05:00</updated>
    <category term="api"/><content type="html">Body</content></entry></feed>"""
    entry = parse_feed(atom, "https://a.test/atom").entries[0]
    assert (entry.date, entry.labels) == ("2026-11-21", ["api"])


def test_feed_dates_without_a_stamp_and_a_digest_day_with_one_note() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title><link>https://n.test/</link>
    <description>d</description>
    <item><title>App 46.10</title><link>https://n.test/1</link><guid>n-1</guid>
    <pubDate>Thursday, November 26, 2026</pubDate><description>Text</description></item>
    <item><title>App 46.9</title><link>https://n.test/2</link><guid>n-2</guid>
    <pubDate>11/12/2026</pubDate><description>Text</description></item>
    <item><title>Release notes: November 18, 2026</title><link>https://n.test/3</link><guid>n-3</guid>
    <pubDate>Wed, 18 Nov 2026 17:00:00 +0000</pubDate><description><![CDATA[<p>Today's notes cover 1 change.</p>
    <h3>Hunting: natural-language queries</h3><p>Analysts can ask questions in plain words.</p>
    <p><a href="https://n.test/all">View all release notes</a></p>]]></description></item></channel></rss>"""
    entries = parse_feed(feed, "https://n.test/feed", split_items=True).entries
    assert [(e.date, e.title) for e in entries] == [
        ("2026-11-26", "App 46.10"), ("2026-11-12", "App 46.9"), ("2026-11-18", "Hunting: natural-language queries")]
    assert entries[-1].body == "Analysts can ask questions in plain words."


def test_link_lines_and_mail_footers_stay_out_of_bodies() -> None:
    from driftwatch.watchers.widgets import clean_lines

    assert clean_lines(["Adds X.", "Read the docs", "Documentation",
                        "You are receiving this because you subscribed to product updates.",
                        "Manage your subscription", "Read the documentation on SSO to learn how."]) == [
        "Adds X.", "Read the documentation on SSO to learn how."]
    assert clean_lines(["3f2a9e1", "What's Changed", "- Fix cache eviction (#815)", "23 | 4.8k",
                        "\u00b7 6 min \u00b7 Ana Pereira", "Deploy 3f2a9e1 to staging first."]) == [
        "What's Changed", "- Fix cache eviction (#815)", "Deploy 3f2a9e1 to staging first."]


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

    report = _run_json("check", "--json")
    assert {s["name"]: (s["status"], s["new"]) for s in report["sources"]} == {
        "monthly": ("ok", 4), "platform": ("ok", 4), "daily": ("ok", 6), "whole": ("ok", 3)}
    assert all(c["kind"] == "new_entry" for c in report["changes"])
    monthly = [c for c in report["changes"] if c["source"] == "monthly"]
    assert {c["date_precision"] for c in monthly} == {"month"} and monthly[0]["labels"] == ["Admin console"]

    changes = _run_json("changes", "--json")["changes"]
    by_title = {c["title"]: c for c in changes}
    assert by_title["Passkeys are available as a second factor for every plan."]["date_precision"] == "month"
    assert by_title["Passkeys are available as a second factor for every plan."]["date"] == "2025-12-01"
    assert by_title["Webhook signatures use SHA-256"]["labels"] == ["Breaking change"]
    assert by_title["Webhook signatures use SHA-256"]["date_precision"] == "day"
    assert "Sandbox network egress" in by_title and "December 9, 2025" in by_title

    web.page("/daily.xml", digest.replace(b"task counts per member", b"task counts per member and team"),
             "application/rss+xml")
    again = _run_json("check", "--json", "--source", "daily")
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


# --- real changelog layouts, as a reader counts their entries ------------------------------
# Each fixture reproduces the structure of one kind of vendor page (docs sites, help centers,
# API and app changelogs, listing pages) in the project's own words. The expected lists are
# what a person reading the page would count as separate changes.

LAYOUTS: dict[str, list[tuple[str, str]]] = {
    # a docs site (sidebar, header, table of contents, permalink icons in headings, feedback bar):
    # each date heading over a list of unrelated changes, one entry per top-level bullet
    "docs-release-notes-bullets.html": [
        ("2026-09-24", "The audit activity feed no longer returns attachment names."),
        ("2026-09-24", "We've added the fixture-project-id response header to every API response, so you can see "
                       "which project a key resolved…"),
        ("2026-09-22", "Prompt cache reports are out of beta and no longer need the cache-report-2026-05-01 beta "
                       "header."),
        ("2026-09-22", "Tools can now be declared in the middle of a conversation, in beta."),
        ("2026-09-22", "The batch endpoint keeps results for 30 days instead of 29."),
        ("2026-09-10", "Hosted agents gain an ask_first permission mode: the server checks each tool call and runs "
                       "it, blocks it, or pauses for…"),
        ("2026-09-01", "We've launched the Quartz 2 model family, our new models for long-running coding work."),
        ("2026-09-01", "Like the first Quartz models, Quartz 2 requires 30-day data retention and is not available "
                       "under zero data retention."),
        ("2026-09-01", "Text generated by Quartz 2 carries a watermark, and images it produces carry signed content "
                       "credentials."),
        ("2026-08-19", "The session viewer in the console has been redesigned with a timeline and a panel for cost "
                       "and raw events."),
        ("2026-08-19", "The workbench is now called the playground, and it supports every parameter of the messages "
                       "endpoint."),
    ],
    # a static-site docs page: ISO date headings with "#" permalinks, a paragraph per change led by
    # a bold phrase, and a titled release whose short bullets stay one entry
    "docs-changelog-lead-ins.html": [
        ("2026-11-18", "Scoped deploy keys"),
        ("2026-11-18", "Build log retention"),
        ("2026-11-18", "Region picker"),
        ("2026-11-04", "Single sign-on for every plan"),
        ("2026-11-04", "Webhook retries"),
        ("2026-10-21", "CLI 3.2.0"),
        ("2026-10-21", "Dashboard dark mode"),
    ],
    # a help-center article: an h1 per date ("November 20th, 2026"), an h2 per feature
    "helpcenter-release-notes.html": [
        ("2026-11-20", "Group managers"),
        ("2026-11-20", "Audit events for agent policies"),
        ("2026-11-13", "Desktop app 2.8"),
        ("2026-11-13", "Projects for Edu"),
        ("2026-11-06", "Admins can now require single sign-on for guests invited to shared projects."),
        ("2026-10-30", "Connector write actions (Beta)"),
        ("2026-10-30", "Data residency in two more regions"),
    ],
    # the older help-center article: "Title (Mar 14)" headings without a year, in block wrappers
    "helpcenter-release-notes-older.html": [
        ("2026-01-09", "Voice mode for free users"),
        ("2025-12-18", "Shared links expire"),
        ("2025-12-02", "Memory improvements"),
        ("2025-11-20", "Updates to the desktop app"),
        ("2025-11-04", "Search for everyone"),
    ],
    # an API changelog: month sections, a row per change with a day badge and tag pills
    "api-changelog-month-badges.html": [
        ("2026-11-18", "Released quill-4 to the answers and chat endpoints."),
        ("2026-11-12", "Released workload identity federation: trusted workloads can trade tokens from their own "
                       "identity provider for…"),
        ("2026-11-03", "The legacy completions endpoint will be shut down on March 3, 2027."),
        ("2026-10-27", "Added an IP allowlist to projects."),
        ("2026-10-09", "Batch jobs can now be cancelled while they are queued."),
    ],
    # an app changelog: a list item per release with its time, badges and sections of its own
    "codex-changelog.html": [
        ("2026-11-19", "Coder app 26.1119"),
        ("2026-11-14", "Coder CLI 0.61.0"),
        ("2026-11-06", "Thread automations"),
        ("2026-10-30", "Coder CLI 0.60.2"),
    ],
    # a changelog listing: an article card per post (time, type label, title link, topics)
    "changelog-listing-cards.html": [
        ("2025-12-19", "Closing scanner alerts can require a review"),
        ("2025-12-16", "Alert assignees are generally available"),
        ("2025-12-09", "Legacy runner images are retired"),
        ("2025-11-13", "The coding assistant can be a bypass actor for rulesets"),
    ],
    # month headings, a titled entry each, some with their own date line, sub-headings inside
    "changelog-month-titles.html": [
        ("2025-12-09", "Bot token rotation is required for new apps"),
        ("2025-12-03", "The old file upload method is retired"),
        ("2025-11-01", "Canvases can be edited through the API"),
        ("2025-11-18", "Audit logs include app installs on shared channels"),
        ("2025-10-01", "Lower rate limits for unlisted apps"),
    ],
    # app release notes in a help-center article: a version title, its date line below, then
    # "What's new" / "Bug fixes" sections that belong to that one release
    "release-notes-app-versions.html": [
        ("2025-12-04", "Fixture Chat 4.48.2"),
        ("2025-11-20", "Fixture Chat 4.48.0"),
        ("2025-11-06", "Fixture Chat 4.47.59"),
    ],
}


def _precision_recall(got: list[tuple[str, str]], expected: list[tuple[str, str]]) -> tuple[float, float]:
    matched = len(set(got) & set(expected))
    return (matched / len(got) if got else 0.0), (matched / len(expected) if expected else 1.0)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_real_layouts_give_the_entries_a_reader_counts(name: str) -> None:
    result = parse_release_notes(fixture_bytes(name), URL, today=dt.date(2026, 12, 1))
    got = [(e.date, e.title) for e in result.entries]
    assert got == LAYOUTS[name]
    assert _precision_recall(got, LAYOUTS[name]) == (1.0, 1.0)
    everything = "\n".join(e.title + "\n" + e.body for e in result.entries)
    for chrome in ("helpful", "Copy", "On this page", "Related Articles", "Edit this page", "Subscribe",
                   "Skip to", "answer your question", "Release notes\n", "Filter by", "Older"):
        assert chrome not in everything, chrome
    assert "\u200b" not in everything and not any(e.title.endswith(("#", "\u00b6")) for e in result.entries)
    keys = [e.key for e in result.entries]
    assert len(set(keys)) == len(keys)


def test_page_heading_right_above_the_first_date_is_no_entry_title() -> None:
    """The page's h1 directly followed by a date heading used to title the first date's changes."""
    html = b"""<main><h1>Release notes</h1><h3 id="d1">September 24, 2026</h3>
    <ul><li>The activity feed no longer returns file names to any caller.</li>
        <li>We've added a workspace header to every response, also on errors.</li></ul>
    <h3>September 23, 2026</h3><ul><li>Cache diagnostics is out of beta and needs no header.</li></ul></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.link) for e in result.entries] == [
        ("2026-09-24", "The activity feed no longer returns file names to any caller.", URL + "#d1"),
        ("2026-09-24", "We've added a workspace header to every response, also on errors.", URL + "#d1"),
        ("2026-09-23", "Cache diagnostics is out of beta and needs no header.", URL),
    ]
    assert all("Release notes" not in e.title + e.body for e in result.entries)
    assert result.entries[2].body == "Cache diagnostics is out of beta and needs no header."  # no list marker


@pytest.mark.parametrize(
    "html, expected",
    [
        pytest.param(  # short fragments under a bare date read as one release: kept together
            "<main><h2>November 20, 2025</h2><ul><li>Fixed audio.</li><li>Added dark mode.</li>"
            "<li>Faster start.</li></ul></main>",
            [("2025-11-20", "Fixed audio.")], id="fragments-stay-one"),
        pytest.param(  # a titled release with bullets: one entry per title, as before
            "<main><h2>November 20, 2025</h2><h3>Desktop 4.2</h3><ul><li>Support for many terminals in one window.</li>"
            "<li>Support for older Intel machines from now on.</li></ul></main>",
            [("2025-11-20", "Desktop 4.2")], id="titled-release"),
        pytest.param(  # an introduction and its list are one change
            "<main><h2>November 20, 2025</h2><p>We've released the export API with these parts:</p>"
            "<ul><li>An endpoint that lists every export job of the org.</li><li>An endpoint that downloads one "
            "finished export file.</li></ul></main>",
            [("2025-11-20", "We've released the export API with these parts:")], id="intro-and-list"),
        pytest.param(  # a month heading over sentence bullets: month-precision entries, one per bullet
            "<main><h2>December 2025</h2><ul><li>Owners can export the member list with sign-in times.</li>"
            "<li>Passkeys are available as a second factor on every plan.</li></ul></main>",
            [("2025-12-01", "Owners can export the member list with sign-in times."),
             ("2025-12-01", "Passkeys are available as a second factor on every plan.")], id="month-bullets"),
        pytest.param(  # bold lead-ins in list items title their items
            "<main><h2>November 20, 2025</h2><ul><li><strong>Files API:</strong> uploads can be 2 GB now.</li>"
            "<li><strong>Rate limits.</strong> Tier one gets twice the requests per minute.</li></ul></main>",
            [("2025-11-20", "Files API"), ("2025-11-20", "Rate limits")], id="lead-in-bullets"),
        pytest.param(  # a bold "Note:" adds to the change above it, it is no change of its own
            "<main><h2>November 20, 2025</h2><p><b>Audit stream:</b> events arrive within a minute.</p>"
            "<p><b>Note:</b> older events are not replayed.</p><p><b>Key rotation.</b> Keys rotate every 90 days.</p>"
            "</main>",
            [("2025-11-20", "Audit stream"), ("2025-11-20", "Key rotation")], id="lead-ins-and-a-note"),
        pytest.param(  # a wrapper per date (its heading, then a list or bold-led paragraphs)
            "<main><h1>Release notes</h1><div class='group'><h3>September 24, 2025</h3><ul><li>The activity feed "
            "no longer returns file names to callers.</li><li>We've added a workspace header to every response."
            "</li></ul></div><div class='group'><h3>September 22, 2025</h3><p><b>Audit stream:</b> events arrive "
            "within a minute.</p><p><b>Key rotation.</b> Keys rotate every 90 days.</p></div><div class='group'>"
            "<h3>September 20, 2025</h3><ul><li>Batch results are kept for thirty days from now on.</li></ul></div>"
            "</main>",
            [("2025-09-24", "The activity feed no longer returns file names to callers."),
             ("2025-09-24", "We've added a workspace header to every response."),
             ("2025-09-22", "Audit stream"), ("2025-09-22", "Key rotation"),
             ("2025-09-20", "Batch results are kept for thirty days from now on.")], id="date-wrappers"),
        pytest.param(  # a bullet opening with a number keeps it in its title
            "<main><h2>November 20, 2025</h2><ul><li>300k max tokens on the batch endpoint for the large model.</li>"
            "<li>2FA is required for every owner of an organization from today.</li></ul></main>",
            [("2025-11-20", "300k max tokens on the batch endpoint for the large model."),
             ("2025-11-20", "2FA is required for every owner of an organization from today.")], id="leading-digits"),
        pytest.param(  # dated update cards (a date label, then a list): one entry per bullet, a lone one too
            "<main><h1>Changelog</h1><div class='update-container' id='u1'><div class='update-label'>September 24, "
            "2026</div><div class='prose'><ul><li>The activity feed no longer returns file names to callers.</li>"
            "<li>We've added a workspace header to every response, also on errors.</li></ul></div></div>"
            "<div class='update-container' id='u2'><div class='update-label'>September 20, 2026</div>"
            "<div class='prose'><ul><li>Batch results are kept for thirty days from now on.</li></ul></div></div>"
            "<div class='update-container' id='u3'><div class='update-label'>September 10, 2026</div>"
            "<div class='prose'><p>Released the audit stream for every organization.</p><ul><li>Events arrive "
            "within a minute of the action.</li><li>Streams can be paused by the owner.</li></ul></div></div></main>",
            [("2026-09-24", "The activity feed no longer returns file names to callers."),
             ("2026-09-24", "We've added a workspace header to every response, also on errors."),
             ("2026-09-20", "Batch results are kept for thirty days from now on."),
             ("2026-09-10", "Released the audit stream for every organization.")], id="dated-cards-with-bullets"),
        pytest.param(  # category headings ("API", "Security") under a date: their bullets are the changes
            "<main><h2>November 20, 2025</h2><h3>API</h3><ul><li>The files endpoint accepts uploads of up to 2 GB.</li>"
            "<li>Batch jobs report their progress every minute.</li></ul><h3>Security</h3><ul><li>Owners can require "
            "passkeys for every member of the organization.</li></ul></main>",
            [("2025-11-20", "The files endpoint accepts uploads of up to 2 GB."),
             ("2025-11-20", "Batch jobs report their progress every minute."),
             ("2025-11-20", "Owners can require passkeys for every member of the organization.")], id="category-headings"),
        pytest.param(  # a section heading over date headings dates nothing; a release title over its date does
            "<main><h1>Release notes</h1><h3>September 24, 2025</h3><ul><li>The activity feed no longer returns "
            "file names.</li></ul><h1>Older releases</h1><h3>March 2, 2025</h3><ul><li>Released the first version "
            "of the platform API.</li></ul><h2>Desktop 4.47.65</h2><h4>February 20, 2025</h4><ul><li>Fixed audio."
            "</li></ul></main>",
            [("2025-09-24", "The activity feed no longer returns file names."),
             ("2025-03-02", "Released the first version of the platform API."),
             ("2025-02-20", "Desktop 4.47.65")], id="section-headings-over-dates"),
        pytest.param(  # a title, then "Published on <date>" below it: that is its date
            "<main><h1>Changelog</h1><h2>December 2025</h2><h3>Token rotation is required</h3><p>Published on "
            "December 9, 2025</p><p>New apps must rotate tokens.</p><h3>Canvas edits through the API</h3>"
            "<p>Released: Dec 3</p><p>Apps can edit canvases.</p><h3>Faster search</h3><p>Search is faster.</p></main>",
            [("2025-12-09", "Token rotation is required"), ("2025-12-03", "Canvas edits through the API"),
             ("2025-12-01", "Faster search")], id="prefixed-date-lines"),
        pytest.param(  # "¶" permalinks (Sphinx) and "#" anchors (Hugo) do not hide the date of a heading
            "<div role='main'><h2>2025-11-20<a class='headerlink' href='#id1' title='Link to this heading'>¶</a></h2>"
            "<p>Released the audit stream.</p><h2><a class='anchor' href='#d2' name='d2'>#</a>2025-11-13</h2>"
            "<p>Released the key rotation API.</p></div>",
            [("2025-11-20", "Released the audit stream."), ("2025-11-13", "Released the key rotation API.")],
            id="permalink-marks"),
    ],
)
def test_untitled_date_sections(html: str, expected: list[tuple[str, str]]) -> None:
    result = parse_release_notes(html.encode(), URL, today=dt.date(2026, 3, 10))
    assert [(e.date, e.title) for e in result.entries] == expected
    if "<h3>API</h3>" in html:
        assert [e.labels for e in result.entries] == [["API"], ["API"], ["Security"]]
    if "class='group'" in html:  # a lone bullet's body carries no list marker, as when it has company
        assert result.entries[-1].body == "Batch results are kept for thirty days from now on."


def test_lead_in_paragraph_bodies_and_links() -> None:
    result = parse_release_notes(fixture_bytes("docs-changelog-lead-ins.html"), URL)
    scoped, logs, _region, sso, _retries, cli_release, _dark = result.entries
    assert scoped.body == "Deploy keys can now be limited to one environment. Existing keys keep access to every " \
                          "environment until you edit them."
    assert logs.body.splitlines()[-1] == "fixture logs export --before 2026-12-18"  # its code block, no copy button
    assert sso.body.splitlines()[1:] == ["- Owners turn it on under Settings, Security.", "- Members sign in again once."]
    assert cli_release.body.splitlines() == ["- Added --json to every command.", "- Fixed login on Windows.",
                                             "- Removed the old push alias."]
    assert scoped.link == URL + "#2026-11-18" and cli_release.link == URL + "#cli-3-2-0"


def test_a_new_bullet_on_top_keys_nothing_else_anew() -> None:
    page = fixture_bytes("docs-release-notes-bullets.html")
    before = parse_release_notes(page, URL)
    added = page.replace(b'<ul>\n      <li><p>Prompt cache', b'<ul>\n      <li>Model listings show each model\'s '
                         b'retirement date when one is set.</li>\n      <li><p>Prompt cache', 1)
    after = parse_release_notes(added, URL)
    assert len(after.entries) == len(before.entries) + 1
    assert after.entries[2].title == "Model listings show each model's retirement date when one is set."
    assert [e.key for e in after.entries if e.key != after.entries[2].key] == [e.key for e in before.entries]
    assert [e.content_hash for e in after.entries[:2] + after.entries[3:]] == [e.content_hash for e in before.entries]


def test_real_layouts_reach_changes_one_new_entry_each(tmp_path, web, monkeypatch) -> None:
    """Through the CLI over loopback: every parsed entry is one new_entry; a bullet edit is an edit."""
    names = sorted(LAYOUTS)
    sources = ""
    for index, name in enumerate(names):
        web.page(f"/layout-{index}", fixture_bytes(name))
        sources += f'[[sources]]\nname = "layout-{index}"\nkind = "release_notes"\nurl = "{web.url(f"/layout-{index}")}"\n'
    (tmp_path / "driftwatch.toml").write_text('[storage]\npath = "dw.db"\n[fetch]\nretries = 0\n' + sources)
    monkeypatch.chdir(tmp_path)

    report = _run_json("check", "--json")
    expected = {f"layout-{i}": ("ok", len(LAYOUTS[name])) for i, name in enumerate(names)}
    assert {s["name"]: (s["status"], s["new"]) for s in report["sources"]} == expected
    changes = _run_json("changes", "--json", "--limit", "500")["changes"]
    assert all(c["kind"] == "new_entry" for c in changes)
    for index, name in enumerate(names):
        got = [(c["date"], c["title"]) for c in changes if c["source"] == f"layout-{index}"]
        assert sorted(got) == sorted(LAYOUTS[name]), name

    bullets = names.index("docs-release-notes-bullets.html")
    page = fixture_bytes("docs-release-notes-bullets.html").replace(
        b"instead of 29.", b"instead of 29, for every project.").replace(
        b'<ul>\n      <li><p>Prompt cache', b"<ul>\n      <li>Model listings show each model's retirement date when one "
        b"is set.</li>\n      <li><p>Prompt cache", 1)
    web.page(f"/layout-{bullets}", page)
    again = _run_json("check", "--json", "--source", f"layout-{bullets}")
    assert (again["sources"][0]["new"], again["sources"][0]["edited"]) == (1, 1)
    assert sorted(c["kind"] for c in again["changes"]) == ["edited_entry", "new_entry"]


def test_flat_changelog_with_day_headings_and_tag_rows() -> None:
    """Month headings, a day heading per note, a row of tags above its text: the tags are labels."""
    html = b"""<main><h1>Changelog</h1><h2>November, 2026</h2>
    <h3 id="nov-18">Nov 18</h3><div class="tags"><span class="tag">Feature</span><span class="tag">quill-4</span>
    <span>v1/answers</span></div><p>Released quill-4 to the answers endpoint. It accepts images.</p>
    <h3>Nov 12</h3><div class="flex gap-2"><span>Update</span><span>v1/keys</span></div>
    <p>Released workload identity federation for every organization.</p>
    <ul><li>Tokens last an hour and are scoped to one project.</li><li>Issuers are set up by owners only.</li></ul>
    <h2>October, 2026</h2><h3>Oct 27</h3><p>Added an IP allowlist to projects.</p></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.labels) for e in result.entries] == [
        ("2026-11-18", "Released quill-4 to the answers endpoint.", ["Feature", "quill-4", "v1/answers"]),
        ("2026-11-12", "Released workload identity federation for every organization.", ["Update", "v1/keys"]),
        ("2026-10-27", "Added an IP allowlist to projects.", []),
    ]
    assert result.entries[0].link == URL + "#nov-18"
    assert result.entries[1].body.splitlines()[1:] == [
        "- Tokens last an hour and are scoped to one project.", "- Issuers are set up by owners only."]


# --- vendor layouts: odd-but-valid markup, dates written the ways real pages write them --------


@pytest.mark.parametrize("row", [
    '<div id="ms--additional-resources-mobile"><hr class="hr" hidden /><h2 hidden>Additional resources</h2></div>',
    '<div class="expand-control"><span class="expand-icon">&nbsp;</span><span>Block API tokens</span></div>',
    '<div class="confluence-information-macro"><span class="aui-icon"> </span><div>Admins must act.</div></div>',
])
def test_rows_opening_with_an_empty_child_never_crash_the_page(row: str) -> None:
    """An ``<hr>``, an icon span or ``&nbsp;`` first in a row once raised and cost the whole source."""
    html = f"""<main><h1>What's new</h1><h2 id="february-2026">February 2026</h2>
    <h3>General Availability - Audit logs for cross-tenant access settings</h3>
    <p>Changes to cross-tenant access settings are now recorded.</p>{row}</main>"""
    result = parse_release_notes(html.encode(), URL)
    assert [(e.date, e.title) for e in result.entries][:1] == [
        ("2026-02-01", "General Availability - Audit logs for cross-tenant access settings")]


@pytest.mark.parametrize("text, expected", [
    ("Week of February 16, 2026", ("day", dt.date(2026, 2, 16))),
    ("Week of February 9, 2026 (Service release 2602)", ("day", dt.date(2026, 2, 9))),
    ("February 9, 2026 (Service release 2602)", ("day", dt.date(2026, 2, 9))),
    ("September 2025", ("month", (2025, 9))),
    ("Mar 14", ("day", (3, 14))),
    ("The November 20, 2025 update", None),
    ("Weekly Recap - February 10, 2026", None),
])
def test_date_headings_as_pages_write_them(text: str, expected) -> None:
    assert parse_date_heading(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Slack 4.47.69 February 17, 2026", ("Slack 4.47.69", dt.date(2026, 2, 17))),
    ("Slack 4.47.69 Tuesday, February 17, 2026", ("Slack 4.47.69", dt.date(2026, 2, 17))),
    ("February 16, 2026 version 6.7.6 (30412)", ("version 6.7.6 (30412)", dt.date(2026, 2, 16))),
    ("Security update 2026-02-01", ("Security update", dt.date(2026, 2, 1))),
    ("Legacy tokens are retired on March 1, 2026", None),  # the date the title speaks of
    ("Changes effective February 17, 2026", None),
    ("November 20, 2025 release notes", None),  # a date section, not a titled release
    ("Week of February 16, 2026", None),
])
def test_title_and_date_side_by_side_in_one_heading(text: str, expected) -> None:
    assert split_heading_date(text) == expected


@pytest.mark.parametrize("heading", [
    'Slack 4.47.69 <span class="c-release-notes__date">February 17, 2026</span>',
    "Slack 4.47.69 February 17, 2026",
])
@pytest.mark.parametrize("wrap", [True, False])
def test_release_title_with_its_date_in_the_same_heading(heading: str, wrap: bool) -> None:
    notes = [(heading, "We fixed a handful of bugs."),
             (heading.replace("4.47.69", "4.47.65").replace("February 17", "February 3"), "Admins can clear caches.")]
    blocks = [f"<h2>{h}</h2><p>{p}</p>" for h, p in notes]
    if wrap:
        blocks = [f'<div class="c-release-notes__entry">{b}</div>' for b in blocks]
    html = "<main><h1>Slack for Windows release notes</h1>" + "".join(blocks) + "</main>"
    result = parse_release_notes(html.encode(), URL)
    assert [(e.date, e.title, e.body) for e in result.entries] == [
        ("2026-02-17", "Slack 4.47.69", "We fixed a handful of bugs."),
        ("2026-02-03", "Slack 4.47.65", "Admins can clear caches."),
    ]


def test_week_of_headings_with_categories_over_features() -> None:
    """Intune: "Week of" date headings, an h3 category over h4 features: one entry per feature, labelled."""
    html = b"""<main><h1>What's new in Microsoft Intune</h1>
    <h2 id="week-of-february-16-2026">Week of February 16, 2026</h2>
    <h3>Device security</h3>
    <h4 id="remote-wipe">Remote wipe requires multiple administrator approval</h4><p>New tenants get it by default.</p>
    <h4>New settings for macOS Platform SSO</h4><p>Configure them in the settings catalog.</p>
    <h3>App management</h3><h4>Managed apps can require a PIN</h4><p>On Android and iOS.</p>
    <h2 id="week-of-february-9-2026">Week of February 9, 2026 (Service release 2602)</h2>
    <h3>App management</h3>
    <h4>App protection policies can block copying to AI assistants</h4><p>Applies to Android and iOS.</p>
    </main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.labels, e.body) for e in result.entries] == [
        ("2026-02-16", "Remote wipe requires multiple administrator approval", ["Device security"],
         "New tenants get it by default."),
        ("2026-02-16", "New settings for macOS Platform SSO", ["Device security"], "Configure them in the settings catalog."),
        ("2026-02-16", "Managed apps can require a PIN", ["App management"], "On Android and iOS."),
        ("2026-02-09", "App protection policies can block copying to AI assistants", ["App management"],
         "Applies to Android and iOS."),
    ]
    assert result.entries[0].link == URL + "#remote-wipe"
    assert {e.date_precision for e in result.entries} == {"day"}


def test_a_release_title_keeps_its_sections_under_it() -> None:
    """A version heading over "New and enhanced features" is one release, never a category."""
    html = b"""<article><p><a href="#">Download the latest version</a> of the client.</p>
    <h2><strong>February 16, 2026 version 6.7.6 (30412)</strong></h2>
    <h3>New and enhanced features</h3><ul><li><strong>Passkey sign-in</strong><br>Users can sign in with a passkey.</li></ul>
    <h3>Resolved issues</h3><ul><li>Minor bug fixes</li></ul>
    <h2><strong>February 9, 2026 version 6.7.5 (30102)</strong></h2><h3>Resolved issues</h3><ul><li>Security fixes</li></ul>
    </article>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title) for e in result.entries] == [
        ("2026-02-16", "version 6.7.6 (30412)"), ("2026-02-09", "version 6.7.5 (30102)")]
    assert result.entries[0].body.splitlines() == [
        "New and enhanced features", "- Passkey sign-in", "Users can sign in with a passkey.", "Resolved issues",
        "- Minor bug fixes"]


def test_page_last_updated_date_never_dates_the_entries() -> None:
    """Zoom: "Last Updated" outside the article; the entries' own dates win, the intro is no entry."""
    html = b"""<body><div class="kb-meta">Last Updated: <span>February 17, 2026</span></div>
    <article class="kb-article"><p><a href="#">Download the latest version</a> of the Zoom client.</p>
    <h2>February 16, 2026 version 6.7.6 (30412)</h2><ul><li>Security enhancements</li></ul></article>
    <div><p>Last updated: <b>February 17, 2026</b></p><h2>Older</h2><p>See the archive.</p></div></body>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title) for e in result.entries] == [("2026-02-16", "version 6.7.6 (30412)")]
    undated = b"""<body><div class="kb-meta">Last Updated: <span>February 17, 2026</span></div>
    <article><p>Download the latest version of the client.</p><h2>Passkeys</h2><p>Sign in with one.</p></article></body>"""
    assert parse_release_notes(undated, URL).entries == []


@pytest.mark.parametrize("tag", ["relative-time", "time", "local-time"])
def test_datetime_attribute_dates_a_release(tag: str) -> None:
    """GitHub releases: the only date is a ``datetime`` attribute; its text ("14 Feb 17:22") has no year."""
    html = f"""<main><h1 class="sr-only">Releases: acme/widget</h1>
    <section aria-labelledby="hd-1"><h2 id="hd-1">v3.9.0</h2><div><{tag} datetime="2026-02-14T17:22:10Z">14 Feb
    17:22</{tag}></div><div class="markdown-body"><h2>What's Changed</h2><ul><li>Add OIDC token exchange</li></ul></div>
    </section><section aria-labelledby="hd-2"><h2 id="hd-2">v3.8.2</h2><div><{tag} datetime="2026-02-03T09:05:44Z">03
    Feb 09:05</{tag}></div><div class="markdown-body"><ul><li>Fix race in cache eviction</li></ul></div></section>
    </main>"""
    result = parse_release_notes(html.encode(), URL)
    assert [(e.date, e.title) for e in result.entries] == [("2026-02-14", "v3.9.0"), ("2026-02-03", "v3.8.2")]
    assert "14 Feb" not in result.entries[0].body


def test_post_byline_date_applies_to_every_change_of_the_post() -> None:
    """Atlassian: one "Posted on" date; expand macros under product and lozenge headings are the changes."""
    html = b"""<div id="content" class="page view">
    <div class="page-metadata"><ul><li><a href="#">Jordan Doe</a></li><li>Posted on
    <a class="page-metadata-date" href="#">Feb 16, 2026</a></li></ul></div>
    <div id="main-content" class="wiki-content"><p>Here are the changes from the past week.</p>
    <h2>Atlassian Administration</h2><h3><span class="status-macro aui-lozenge">NEW THIS WEEK</span></h3>
    <div class="expand-container"><div class="expand-control"><span class="expand-icon">&nbsp;</span>
    <span class="expand-control-text">Require approval before users install third-party apps</span></div>
    <div class="expand-content"><p>Organization admins can turn this on.</p></div></div>
    <h3><span class="status-macro aui-lozenge">COMING SOON</span></h3>
    <div class="expand-container"><div class="expand-control"><span class="expand-icon">&nbsp;</span>
    <span class="expand-control-text">Block API tokens without expiry dates</span></div>
    <div class="expand-content"><p>Admins can require an expiry date.</p></div></div>
    <h2>Confluence</h2><div class="expand-container"><div class="expand-control"><span class="expand-icon"> </span>
    <span class="expand-control-text">Share pages with guests using one-time passcodes</span></div>
    <div class="expand-content"><p>Guests get a passcode by email.</p></div></div></div></div>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.labels, e.body) for e in result.entries] == [
        ("2026-02-16", "Require approval before users install third-party apps",
         ["Atlassian Administration", "NEW THIS WEEK"], "Organization admins can turn this on."),
        ("2026-02-16", "Block API tokens without expiry dates", ["Atlassian Administration", "COMING SOON"],
         "Admins can require an expiry date."),
        ("2026-02-16", "Share pages with guests using one-time passcodes", ["Confluence"],
         "Guests get a passcode by email."),
    ]
    assert result.dates_found == 1
    listing = html.replace(b"</div></div>", b'</div><p class="post-date">Posted on Feb 9, 2026</p></div>', 1)
    assert parse_release_notes(listing, URL).entries == []  # two bylines: a listing, no date is the page's


VENDOR_LAYOUTS = {
    "vendor-mslearn-entra-whats-new.html": [
        ("2026-02-01", "General Availability - Conditional Access policies for workload identities in agent scenarios"),
        ("2026-02-01", "Public Preview - Just-in-time elevation for Global Secure Access administrators"),
        ("2026-02-01", "Deprecation - Legacy MFA and SSPR policy settings in the per-user portal"),
        ("2026-02-01", "General Availability - Audit logs for changes to cross-tenant access settings"),
        ("2026-01-01", "Public Preview - Passkey profiles for targeted user groups"),
        ("2026-01-01", "Plan for change - Enforcement of multifactor authentication for Azure resource management"),
        ("2026-01-01", "General Availability - SCIM 2.0 provisioning for on-premises applications with group writeback"),
    ],
    "vendor-mslearn-intune-whats-new.html": [
        ("2026-02-16", "Endpoint privilege management supports approval of elevation requests by delegated groups"),
        ("2026-02-16", "Remote wipe now requires multiple administrator approval by default for new tenants"),
        ("2026-02-16", "New settings catalog settings for macOS Platform SSO"),
        ("2026-02-09", "App protection policies can block copying to third-party AI assistants"),
        ("2026-02-09", "Audit logs now record who exported device inventory reports"),
        ("2026-02-09", "Device query supports additional properties for Linux"),
        ("2026-02-09", "Notices"),  # undated notices after the last week: they take its date
    ],
    "vendor-slack-windows-release-notes.html": [
        ("2026-02-17", "Slack 4.47.69"), ("2026-02-03", "Slack 4.47.65"),
        ("2026-01-20", "Slack 4.46.104"), ("2026-01-06", "Slack 4.46.101"),
    ],
    "vendor-atlassian-cloud-changes.html": [
        ("2026-02-16", "Require approval before users install third-party apps"),
        ("2026-02-16", "Export user access reports as CSV from Atlassian Administration"),
        ("2026-02-16", "Block API tokens without expiry dates"),
        ("2026-02-16", "Share pages with guests using one-time passcodes"),
        ("2026-02-16", "Improved table sorting on mobile"),
        ("2026-02-16", "Automation rules can now call Rovo agents"),
        ("2026-02-16", "Work item history shows field-level audit details"),
    ],
    "vendor-zoom-release-notes.html": [
        ("2026-02-16", "version 6.7.6 (30412)"), ("2026-02-09", "version 6.7.5 (30102)"),
        ("2026-02-02", "version 6.7.3 (29870)"),
    ],
    "vendor-github-repo-releases.html": [("2026-02-14", "v3.9.0"), ("2026-02-03", "v3.8.2"), ("2026-01-22", "v3.8.1")],
    "vendor-docusaurus-blog-changelog.html": [
        ("2026-02-11", "v4.2.0"), ("2026-01-27", "v4.1.3"), ("2026-01-14", "Introducing scoped API keys")],
    "vendor-notion-releases.html": [
        ("2026-02-12", "Notion 3.3: Agents that work while you sleep"),
        ("2026-02-05", "Workspace analytics for Enterprise admins"), ("2026-01-29", "Offline mode for pages and databases"),
    ],
    "vendor-openai-helpcenter-intercom.html": [
        ("2026-02-13", "Workspace connectors can now write to Google Drive (Enterprise)"),
        ("2026-02-13", "Improved file previews"), ("2026-02-06", "Scheduled tasks for all Business workspaces"),
        ("2026-01-30", "Custom data retention for projects"), ("2026-01-30", "New admin roles for billing"),
    ],
    "vendor-github-changelog-listing.html": [
        ("2026-02-13", "Copilot coding agent can be limited to selected repositories"),
        ("2026-02-13", "Secret scanning push protection now enabled by default for new public repositories"),
        ("2026-02-12", "Upcoming removal of the legacy ubuntu-20.04 runner image"),
        ("2026-02-11", "Enterprise audit log streaming adds OAuth app token events"),
        ("2026-02-10", "GitHub Models supports bring-your-own-key for Azure OpenAI"),
    ],
    "vendor-google-workspace-updates.html": [
        ("2026-02-16", "Admins can now require passkeys for external sharing in Google Drive"),
        ("2026-02-12", "New data export controls for Gemini conversations in the Admin console"),
        ("2026-02-12", "Gmail client-side encryption now available on iOS"),
        ("2026-02-10", "Weekly Recap"),
        ("2026-02-09", "Third-party app access reports now include OAuth scope history"),
    ],
    # entry boxes dated by "Posted On: Nov 19, 2026" (What's New listings)
    "vendor-aws-whats-new.html": [
        ("2026-11-19", "Amazon S3 Express One Zone now supports object tagging"),
        ("2026-11-19", "AWS IAM Identity Center adds attribute-based session policies"),
        ("2026-11-18", "Amazon Bedrock Guardrails now supports image content filters in additional Regions"),
        ("2026-11-17", "Amazon RDS for PostgreSQL supports minor versions 17.7 and 16.11"),
        ("2026-11-14", "AWS Lambda increases maximum payload size for asynchronous invocations"),
        ("2026-11-13", "Amazon CloudWatch Logs introduces field-level data protection policies"),
    ],
    # update cards dated by "Published date: November 19, 2026", with status badges
    "vendor-azure-updates.html": [
        ("2026-11-19", "Generally Available: Azure Container Apps serverless GPUs in more regions"),
        ("2026-11-18", "Public Preview: Microsoft Defender for Cloud agentless secrets scanning for containers"),
        ("2026-11-18", "Retirement: Azure Classic Cloud Services on 31 March 2027"),
        ("2026-11-14", "Generally Available: Azure SQL Database hyperscale elastic pools zone redundancy"),
        ("2026-11-12", "In development: Azure Firewall draft policies"),
    ],
    # a side-nav skin's wrapper ("sidenav-layout") holding the topic; "<version>: ... deployment on November 10"
    "vendor-okta-release-notes.html": [
        ("2026-11-10", "Session binding for admin console"),
        ("2026-11-10", "Passkey autofill on the sign-in widget"),
        ("2026-11-10", "Entitlement bundles for groups"),
        ("2026-11-19", "Custom domain certificate renewal alerts"),
        ("2026-11-19", "General fixes"),
        ("2026-10-13", "Device assurance for ChromeOS"),
        ("2026-10-13", "Identity threat signals in System Log"),
    ],
    # grouped by API version ("2026-11-17.clover"), a title block with a "Breaking" badge and product pills
    "vendor-stripe-changelog.html": [
        ("2026-11-17", "Adds support for installment plans on Checkout Sessions"),
        ("2026-11-17", "Removes the deprecated sources parameter from Customers"),
        ("2026-11-17", "Adds the risk_details field to Charge outcomes"),
        ("2026-10-28", "Adds Terminal reader display customization"),
        ("2026-10-28", "Changes the default capture method for PaymentIntents to automatic_async"),
        ("2026-09-30", "Adds metered billing thresholds to Subscription items"),
    ],
    "vendor-readme-changelog.html": [
        ("2026-11-20", "Webhooks v2 signing secrets"),
        ("2026-11-13", "Rate limits for the Reports endpoint"),
        ("2026-10-30", "Sunset of the v1 Events API"),
        ("2026-10-02", "Cursor pagination for list endpoints"),
    ],
    "vendor-gitbook-changelog.html": [
        ("2026-11-18", "v3.8.0"),
        ("2026-11-04", "v3.7.2"),
        ("2026-10-21", "v3.7.0"),
    ],
    "vendor-github-changelog-md.html": [
        ("2026-11-16", "[4.2.0]"),
        ("2026-10-30", "[4.1.1]"),
        ("2026-10-09", "[4.1.0]"),
    ],
    # Shapes written for this project after layouts seen on real changelogs.
    "shape-slug-ids.html": [  # each entry's id is its title's slug, and slugs hold words chrome also uses
        ("2026-11-20", "Delta sharing for external recipients"),
        ("2026-11-18", "Consent settings API"),
        ("2026-11-15", "Copy protection for exports"),
        ("2026-11-12", "Feedback forms in apps"),
        ("2026-11-10", "Comments on dashboards"),
        ("2026-11-08", "Modal dialogs for confirmations"),
        ("2026-11-05", "Social login providers"),
    ],
    "shape-slug-sections.html": [
        ("2026-11-20", "Share links for projects"),
        ("2026-11-18", "Social sign-in"),
        ("2026-11-15", "Rating scales in surveys"),
    ],
    "shape-bold-date-lines.html": [  # "<b>2026-11-21</b> — Version 3.9.2 released" between rules
        ("2026-11-21", "Version 3.9.2 released"),
        ("2026-11-14", "Version 3.9.1 released"),
        ("2026-11-02", "Version 3.9.0 released"),
        ("2026-10-20", "We shipped a small fix for exports."),
    ],
    "shape-definition-list.html": [  # <dt>19 November 2026 — 4.8.0</dt><dd>...</dd>
        ("2026-11-19", "4.8.0"),
        ("2026-11-05", "4.7.3"),
        ("2026-10-28", "4.7.2"),
    ],
    "shape-release-date-label.html": [  # a metadata list under the title: "Release date: 2026-11-20"
        ("2026-11-20", "Version 5.2 adds managed devices"),
        ("2026-11-06", "Version 5.1 adds audit streaming"),
    ],
    "shape-release-date-label-month.html": [  # the same under a month heading: the label's day wins
        ("2026-11-20", "Version 5.2 adds managed devices"),
        ("2026-11-06", "Version 5.1 adds audit streaming"),
    ],
    "shape-release-info-aside.html": [  # the date in an <aside>; notes in repeated wrappers under badge headings
        ("2026-11-25", "Version 88.0, first offered to the stable channel on November 25, 2026"),
        ("2026-11-25", "Reading lists sync between devices."),
        ("2026-11-25", "The password store can now export to an encrypted file."),
        ("2026-11-25", "Strict tracking protection is now on by default in private windows."),
        ("2026-11-25", "Various security fixes."),
        ("2026-11-25", "Fixed a hang when closing many tabs at once."),
        ("2026-11-25", "A new policy lets administrators turn off the assistant sidebar."),
        ("2026-11-25", "Policies can now pin the default search engine."),
    ],
    "shape-topic-table.html": [  # Date | Topic | Description rows: the topic titles the row
        ("2026-11-24", "Require session pinning for connected clients"),
        ("2026-11-19", "Block report exports for guest users"),
        ("2026-11-12", "Permission groups can expire"),
        ("2026-11-05", "Old API versions are retired"),
    ],
    "shape-version-history-modal.html": [  # an app store page: the history sits in a hidden pop-up
        ("2026-11-27", "6.2.1"),
        ("2026-11-18", "6.2"),
        ("2026-11-04", "6.1.3"),
        ("2026-10-21", "6.1"),
    ],
    "shape-forum-topic-list.html": [  # the topic's own day only in a "First post: ..." tooltip
        ("2026-11-26", "Harbor 7.3 released"),
        ("2026-11-19", "SSO enforcement now covers guest accounts"),
        ("2026-10-28", "Plugin API v1 will be removed in 8.0"),
        ("2026-10-07", "Harbor 7.2 released"),
    ],
    "shape-post-footer-dates.html": [  # each post's date only in its own <footer>
        ("2026-11-25", "Dockyard 2.8: registry mirroring and signed pulls"),
        ("2026-11-12", "Security release 2.7.4"),
        ("2026-10-30", "Dockyard 2.7: project quotas"),
    ],
    "shape-title-link-cards.html": [  # the title is a link named "entryTitle"; h3s inside are sub-headings
        ("2026-11-25", "Audit log API"),
        ("2026-11-20", "Automatic deletion of old responses"),
        ("2026-11-12", "SAML sign-in for every plan"),
    ],
    "shape-calendar-versions.html": [  # "2026.10.2" is a version; its "Release date:" line dates it
        ("2026-11-18", "2026.11.0"),
        ("2026-10-30", "2026.10.2"),
        ("2026-10-14", "2026.10.0"),
    ],
    "shape-plugin-changelog-tab.html": [  # a plugin page: dated version headings in a "Changelog" tab
        ("2026-11-24", "6.2.2"),
        ("2026-11-12", "6.2.1"),
        ("2026-11-03", "6.2.0"),
    ],
    "shape-release-post-sections.html": [  # a release post dated by its byline: sections over features
        ("2026-11-19", "Protected container image tags"),
        ("2026-11-19", "Fine-grained permissions for job tokens"),
        ("2026-11-19", "Expiry dates for SSH certificates"),
        ("2026-11-19", "Turning off the job token allowlist is deprecated"),
    ],
    "shape-weekly-bold-groups.html": [  # product headings, bold "Features" lines, bold-led bullets
        ("2026-11-27", "Redaction of card numbers in attachments"),
        ("2026-11-27", "Side conversations respect channel privacy"),
        ("2026-11-27", "Fixed a problem where ticket views sorted by requester showed suspended users first."),
        ("2026-11-27", "Session timeout per role"),
        ("2026-11-27", "API token last-used date"),
    ],
    "shape-version-page-byline.html": [  # one version's page dated by a "Release date:" line; resolved issues
        ("2026-11-18", "Minimum OS enforcement"),
        ("2026-11-18", "Single sign-on during enrollment"),
        ("2026-11-18", "Basic authentication for the classic API"),
        ("2026-11-18", "[FD-1502] Fixed an issue where smart groups returned stale members after a maintenance task."),
        ("2026-11-18", "[FD-1877] Fixed an issue where the branding image failed to upload when it was larger than 1 MB."),
    ],
    "shape-hero-section-release.html": [  # the title and date in a hero <section>; updates say their own day
        ("2026-11-25", "Multi-file edits in the assistant"),
        ("2026-11-25", "Local models for completion"),
        ("2026-11-25", "New language level support"),
        ("2026-10-29", "Codepad 2026.2.4"),
        ("2026-10-08", "Codepad 2026.2.3"),
    ],
    "shape-release-category-features.html": [  # "Browser 143 (Stable release: ...)" > category > features
        ("2026-11-18", "PDF annotations saved to cloud storage"),
        ("2026-11-18", "Post-quantum key exchange on by default"),
        ("2026-10-21", "Local network access prompts"),
        ("2026-10-21", "Extension allowlist by publisher"),
    ],
    "shape-forum-numeric-dates.html": [  # 11-24-2026 and 11/19/2026, a clock time beside each
        ("2026-11-24", "Stable Build 213.4.5518"),
        ("2026-11-19", "Beta Build 214.3.1020"),
        ("2026-11-05", "Stable Build 212.4.6101"),
    ],
    "shape-date-release-sections.html": [  # "26 November 2026 Release" headings, one section each
        ("2026-11-26", "Adds support for engine version 8.3 on dedicated clusters."),
        ("2026-11-26", "Improves the query insights page with a latency breakdown."),
        ("2026-11-18", "Adds vector quantization options to the index editor."),
        ("2026-11-09", "Private endpoints can now be shared across projects in one organization."),
    ],
    "shape-year-timeline.html": [  # one section per year, items dated "Nov 26"
        ("2026-11-26", "Field scripts can call external APIs"),
        ("2026-11-17", "Record review layout"),
        ("2025-10-16", "Keyboard shortcuts for grid view"),
    ],
    "shape-year-day-month.html": [  # a year heading over "30 November" headings
        ("2026-11-30", "GPU machines are now available in the second New York region."),
        ("2026-11-30", "Managed database clusters now support version 8.4."),
        ("2026-11-23", "The app platform now detects projects built with a new runtime."),
        ("2025-12-15", "Spaces buckets can require signed requests for every object."),
    ],
    "shape-details-releases.html": [  # one <details> per release, the version and date in its <summary>
        ("2026-11-25", "Taskpad 4.12"),
        ("2026-11-18", "Taskpad 4.11"),
        ("2026-11-04", "Taskpad 4.10"),
    ],
    "shape-dated-terms-categories.html": [  # category headings over dated terms with bold-led definitions
        ("2026-11-23", "Bulk send with per-recipient languages"),
        ("2026-11-16", "Envelope custom fields in webhooks"),
        ("2026-11-16", "Date fields showed the sender's time zone"),
        ("2026-11-09", "Large templates failed to open"),
    ],
    "shape-accordion-dated-summaries.html": [  # "<summary>Title — November 21, 2026</summary>", spans or not
        ("2026-11-21", "Absence: partial-day leave requests"),
        ("2026-11-14", "Security: step-up sign-in for bank changes"),
        ("2026-11-07", "Reporting: scheduled report retention"),
    ],
    "shape-table-area-column.html": [  # Date | Area | What changed: the area is a label, the change untitled
        ("2026-11-25", "Selective sync honours folder exclusions."),
        ("2026-11-18", "File previews open in a side panel."),
        ("2026-11-11", "Bulk move shows progress for each file."),
    ],
    "shape-month-name-timeline.html": [  # "November" alone over cards, on a page of one year
        ("2026-11-01", "Masking rules for form fields"),
        ("2026-11-01", "Two-person approval for flag changes"),
        ("2026-10-01", "Warehouse hosting in the EU"),
    ],
    "shape-release-bold-versions.html": [  # "Release 7.4" over bold "v7.4.2, released 2026-11-24" items
        ("2026-11-24", "v7.4.2"),
        ("2026-11-12", "v7.4.0"),
        ("2026-10-28", "v7.3.5"),
    ],
    "shape-tracker-ids-and-notes.html": [  # fixes led by tracker ids; "Coming soon" over an introduction
        ("2026-11-18", "Users who enrolled a security key were asked for a second factor again."),
        ("2026-11-18", "The event log left out the actor when an admin ended a user's sessions."),
        ("2026-11-09", "Device-bound sessions"),
        ("2026-11-09", "Guest sign-in needs two factors"),
    ],
    "shape-table-rows.html": [  # a date heading over a "Feature | Description" table: one entry a row
        ("2026-11-20", "Admin API keys"),
        ("2026-11-20", "Export to CSV"),
        ("2026-11-12", "Guest access"),
        ("2026-11-12", "Dark mode"),
    ],
}


@pytest.mark.parametrize("name", sorted(VENDOR_LAYOUTS))
def test_vendor_layouts_give_the_entries_a_reader_counts(name: str) -> None:
    """Pages written for this project after real vendors' structure (chrome, classes, where the date sits)."""
    result = parse_release_notes(fixture_bytes(name), URL, today=dt.date(2026, 2, 20))
    assert [(e.date, e.title) for e in result.entries] == VENDOR_LAYOUTS[name]
    assert result.dates_found >= 1
    keys = [e.key for e in result.entries]
    assert len(set(keys)) == len(keys)
    everything = "\n".join(e.title + "\n" + e.body for e in result.entries)
    for chrome in ("Was this page helpful", "Additional resources", "Cookie", "Last Updated", "Skip to main"):
        assert chrome not in everything, chrome


def test_post_body_kept_only_in_noscript_or_a_template_script_is_read_as_text() -> None:
    """Blogger: the visible body is empty; the post is in ``<script type="text/template">`` and ``<noscript>``."""
    post = """<div class="post"><h2 class="title"><a href="/2026/02/{slug}.html">{title}</a></h2>
    <div class="post-header"><span class="publishdate" itemprop="datePublished">{date}</span></div>
    <div class="post-body"><div class="post-content" itemprop="articleBody">{inner}</div></div>
    <div class="post-footer"><a href="https://plus.google.com/1" rel="author" style="display:none;">Google</a>
    <div class="label-footer"><span class="labels-caption">Labels:</span><span class="labels">{labels}</span></div>
    </div></div>"""
    body = "<h3>What's changing</h3><p>Admins can require a passkey. It is OFF by default.</p>"
    html = "<html><body><noscript><img src='https://pixel.test/1'></noscript><div class='blog'>" + "".join([
        post.format(slug="a", title="Admins can require passkeys for external sharing", date="Monday, February 16, 2026",
                    inner=f'<script type="text/template">{body}</script><noscript>{body}</noscript>',
                    labels='<a class="label" rel="tag">Google Drive</a><a class="label" rel="tag">Admin console</a>'),
        post.format(slug="b", title="Gmail client-side encryption on iOS", date="Thursday, February 12, 2026",
                    inner='<noscript><p>Users can read <script>alert(1)</script>encrypted mail on iOS.</p></noscript>',
                    labels='<a class="label" rel="tag">Gmail</a>'),
    ]) + "</div></body></html>"
    result = parse_release_notes(html.encode(), URL)
    assert [(e.date, e.title, e.labels) for e in result.entries] == [
        ("2026-02-16", "Admins can require passkeys for external sharing", ["Google Drive", "Admin console"]),
        ("2026-02-12", "Gmail client-side encryption on iOS", ["Gmail"]),
    ]
    assert result.entries[0].body == "What's changing\nAdmins can require a passkey. It is OFF by default."
    assert result.entries[1].body == "Users can read encrypted mail on iOS."
    assert "Google\n" not in result.entries[0].body + "\n"
    template_only = html.replace("<noscript>" + body + "</noscript>", "")
    assert parse_release_notes(template_only.encode(), URL).entries[0].body == result.entries[0].body


def test_author_bylines_and_hidden_headings_stay_out_of_bodies() -> None:
    """Docusaurus bylines (``itemprop="author"``) and Learn's hidden "Additional resources" heading."""
    html = b"""<main><article><header><h2><a href="/changelog/v4.2.0">v4.2.0</a></h2>
    <div><time datetime="2026-02-11T00:00:00.000Z">February 11, 2026</time></div>
    <div class="row"><div class="avatar"><div class="avatar__intro" itemprop="author"><div class="avatar__name">
    <span itemprop="name">Acme Release Bot</span></div><small>Maintainers</small></div></div></div></header>
    <div class="markdown"><p>This release focuses on access control.</p></div></article>
    <article><header><h2>v4.1.3</h2><time datetime="2026-01-27">January 27, 2026</time></header>
    <p>A patch release.</p></article>
    <div id="ms--additional-resources-mobile"><hr hidden><h2 hidden>Additional resources</h2></div></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.body) for e in result.entries] == [
        ("2026-02-11", "v4.2.0", "This release focuses on access control."),
        ("2026-01-27", "v4.1.3", "A patch release."),
    ]


GCP_DAY = """<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<id>tag:google.com,2016:gcp-release-notes</id><title>Google Cloud - Release notes</title>
<updated>2026-02-13T00:00:00-08:00</updated><entry><title>February 13, 2026</title>
<id>tag:google.com,2016:gcp-release-notes#February_13_2026</id><updated>2026-02-13T00:00:00-08:00</updated>
<link rel="alternate" href="https://cloud.google.com/release-notes#February_13_2026"/>
<content type="html"><![CDATA[<h2 class="release-note-product-title">Cloud Run</h2>
<h3>Feature</h3><p>Cloud Run services can now require Identity-Aware Proxy for all ingress.</p><p>Use --iap.</p>
<h3>Changed</h3><p>{changed}</p>
<h2 class="release-note-product-title">BigQuery</h2>
<h3>Deprecated</h3><p>The legacy Data Transfer Service v1 API will be shut down on August 1, 2026.</p>]]></content>
</entry></feed>"""


def test_split_items_cuts_a_daily_digest_at_its_note_type_headings() -> None:
    """Google Cloud: product h2s over note-type h3s; two notes of one product on one day stay two."""
    body = GCP_DAY.format(changed="The default maximum number of instances for new services is now 20.").encode()
    result = parse_feed(body, "https://cloud.google.com/feeds/gcp.xml", split_items=True)
    assert [(e.date, e.title, e.labels) for e in result.entries] == [
        ("2026-02-13", "Cloud Run services can now require Identity-Aware Proxy for all ingress.", ["Cloud Run", "Feature"]),
        ("2026-02-13", "The default maximum number of instances for new services is now 20.", ["Cloud Run", "Changed"]),
        ("2026-02-13", "The legacy Data Transfer Service v1 API will be shut down on August 1, 2026.",
         ["BigQuery", "Deprecated"]),
    ]
    assert result.entries[0].body.splitlines() == [
        "Cloud Run services can now require Identity-Aware Proxy for all ingress.", "Use --iap."]
    edited = GCP_DAY.format(changed="The default maximum number of instances is now 25.").encode()
    again = parse_feed(edited, "https://cloud.google.com/feeds/gcp.xml", split_items=True)
    assert [e.key for e in again.entries] == [e.key for e in result.entries]  # an edited note is the same note
    assert len({e.key for e in result.entries}) == 3
    whole = parse_feed(body, "https://cloud.google.com/feeds/gcp.xml")
    assert [e.title for e in whole.entries] == ["February 13, 2026"]


def test_wordpress_feed_footer_is_no_part_of_the_post() -> None:
    feed = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>The GitHub Blog</title>
    <item><title>Copilot coding agent can be limited to selected repositories</title>
    <link>https://github.blog/changelog/2026-02-13-x/</link><pubDate>Fri, 13 Feb 2026 18:00:00 +0000</pubDate>
    <description><![CDATA[<p>Owners can configure this from settings.</p><p>The post <a href="https://github.blog/changelog/2026-02-13-x/">Copilot coding agent can be limited to selected repositories</a> appeared first on <a href="https://github.blog">The GitHub Blog</a>.</p>]]></description>
    </item></channel></rss>"""
    result = parse_feed(feed, "https://github.blog/changelog/feed/")
    assert [(e.date, e.body) for e in result.entries] == [("2026-02-13", "Owners can configure this from settings.")]


@pytest.mark.parametrize("name, split, expected", [
    ("vendor-gcp-release-notes.xml", True, 6),
    ("vendor-github-changelog.rss", False, 4),
    ("vendor-workspace-updates-blogger.atom", False, 5),
])
def test_vendor_feeds(name: str, split: bool, expected: int) -> None:
    result = parse_feed(fixture_bytes(name), "https://feeds.fixture.test/x", split_items=split)
    assert len(result.entries) == expected
    assert all(e.date and e.title and e.body for e in result.entries)
    assert not any("appeared first on" in e.body for e in result.entries)
    assert len({e.key for e in result.entries}) == expected


def test_datetime_elements_date_headed_changes_and_posts() -> None:
    """A ``datetime`` line under a title dates it; a "Last updated" stamp never dates a post's changes."""
    html = b"""<main><h1>Changelog</h1><h2>v3.9.0</h2><p><relative-time datetime="2026-02-14T17:22:10Z">14 Feb
    17:22</relative-time></p><p>Adds OIDC token exchange.</p>
    <h2>v3.8.2</h2><div><local-time datetime="2026-02-03">03 Feb</local-time></div><p>Fixes a race.</p></main>"""
    assert [(e.date, e.title, e.body) for e in parse_release_notes(html, URL).entries] == [
        ("2026-02-14", "v3.9.0", "Adds OIDC token exchange."), ("2026-02-03", "v3.8.2", "Fixes a race.")]
    post = b"""<article><p class="meta">Last updated <time datetime="2026-02-17">Feb 17, 2026</time></p>
    <h2>Passkeys for admins</h2><p>Admins sign in with a passkey.</p></article>"""
    assert parse_release_notes(post, URL).entries == []
    posted = post.replace(b"Last updated", b"Published")
    assert [(e.date, e.title) for e in parse_release_notes(posted, URL).entries] == [
        ("2026-02-17", "Passkeys for admins")]


def test_a_change_with_its_own_sub_sections_is_no_category() -> None:
    html = b"""<main><h1>Updates</h1><h2>February 16, 2026</h2>
    <h3>Passkeys for external sharing</h3><h4>What's changing</h4><p>Admins can require a passkey.</p>
    <h4>Availability</h4><p>All editions.</p>
    <h3>Gmail encryption on iOS</h3><h4>Overview</h4><p>Users read encrypted mail.</p>
    <h2>February 9, 2026</h2><p><span hidden>2026-02-09</span></p><h3>Data export controls</h3><p>Export.</p></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title, e.labels) for e in result.entries] == [
        ("2026-02-16", "Passkeys for external sharing", []),
        ("2026-02-16", "Gmail encryption on iOS", []),
        ("2026-02-09", "Data export controls", []),
    ]
    assert result.entries[0].body.splitlines() == [
        "What's changing", "Admins can require a passkey.", "Availability", "All editions."]


def test_a_heading_above_the_date_level_ends_the_dated_sections() -> None:
    html = b"""<main><h2>Week of February 16, 2026</h2><h3>Passkeys for admins</h3><p>Sign in with one.</p>
    <h3>Audit log exports</h3><p>Export them.</p><h1>Older release notes</h1><p>See the archive for older notes.</p>
    </main>"""
    result = parse_release_notes(html, URL)
    assert [(e.date, e.title) for e in result.entries] == [
        ("2026-02-16", "Passkeys for admins"), ("2026-02-16", "Audit log exports")]


def test_a_title_printed_again_inside_its_card_is_no_body_line() -> None:
    html = b"""<main><section class="release"><h2 class="sr-only">v3.9.0</h2><relative-time datetime="2026-02-14T17:22:10Z">
    14 Feb</relative-time><div><a href="/tree/v3.9.0"><span>v3.9.0</span></a></div><div class="markdown-body">
    <ul><li>Add OIDC token exchange (see v3.9.0 notes)</li></ul></div></section>
    <section class="release"><h2>v3.8.2</h2><time datetime="2026-02-03">Feb 3</time><p>v3.8.2</p></section></main>"""
    result = parse_release_notes(html, URL)
    assert [(e.title, e.body) for e in result.entries] == [
        ("v3.9.0", "- Add OIDC token exchange (see v3.9.0 notes)"), ("v3.8.2", "v3.8.2")]


@pytest.mark.parametrize("text, expected", [
    ("Posted On: Nov 19, 2026", dt.date(2026, 11, 19)),
    ("Posted on Nov 19, 2026", dt.date(2026, 11, 19)),
    ("Published date: November 19, 2026", dt.date(2026, 11, 19)),
    ("Released on 2026-11-19", dt.date(2026, 11, 19)),
    ("Date: 19 November 2026", dt.date(2026, 11, 19)),
    ("Retirement date: March 31, 2027", None),  # the day something ends is not the entry's
    ("Available on March 31, 2027", None),
    ("Last updated: November 19, 2026", None),
    ("Ends on Nov 19, 2026", None),
    ("The long label of a sentence here: Nov 19, 2026", None),
    ("Posted On: sometime soon", None),
])
def test_labelled_date_lines(text: str, expected: dt.date | None) -> None:
    assert parse_labelled_date(text) == expected


def test_release_sentence_headings() -> None:
    assert parse_release_sentence("2026.11.0: Monthly Production release began deployment on November 10") == (11, 10)
    assert parse_release_sentence("Weekly release 2026.11.2: began deployment on November 19") == (11, 19)
    assert parse_release_sentence("Release 4.2: rolled out on November 19, 2026") == dt.date(2026, 11, 19)
    assert parse_release_sentence("Release notes: began deployment on November 10") is None  # no version
    assert parse_release_sentence("2026.11.0: Monthly Production release") is None  # no date
    assert parse_release_sentence("2026.11.0: Session binding for admin console") is None


_CARD = """<li class="directory-item"><div class="m-card-title"><a href="/{slug}">{title}</a></div>
<div class="m-card-info">{line}</div><div class="m-card-description"><p>{title}, described in a sentence.</p></div></li>"""


@pytest.mark.parametrize("line_for", [
    lambda day: f"Posted On: {day}", lambda day: f"Posted on {day}", lambda day: f"Published date: {day}",
    lambda day: day,
])
def test_an_entry_box_dated_by_a_labelled_line(line_for) -> None:
    cards = "".join(_CARD.format(slug=f"n{i}", title=title, line=line_for(day)) for i, (title, day) in enumerate(
        [("Object tagging for buckets", "Nov 19, 2026"), ("Larger async payloads", "Nov 14, 2026")]))
    html = f"<html><body><main><h1>What's New</h1><ul>{cards}</ul></main></body></html>"
    result = parse_release_notes(html, URL, today=dt.date(2026, 12, 2))
    assert [(e.date, e.title) for e in result.entries] == [
        ("2026-11-19", "Object tagging for buckets"), ("2026-11-14", "Larger async payloads")]
    assert all("Posted" not in e.body and "Published" not in e.body for e in result.entries)
    assert result.entries[0].link == "https://help.fixture.test/n0"


def test_a_layout_wrapper_named_after_its_side_nav_keeps_the_content() -> None:
    """MadCap's "row outer-row sidenav-layout" holds the side nav and the topic: only the nav goes."""
    html = """<html><body><div class="row outer-row sidenav-layout">
    <nav class="sidenav-wrapper"><ul><li><a href="/a">Release notes 2026</a></li><li><a href="/b">Older</a></li></ul></nav>
    <div class="body-container"><div data-mc-content-body="True"><h1>Release notes</h1>
    <h2>November 18, 2026</h2><h4 id="a">Session binding for admin console</h4><p>Binds admin sessions to a device.</p>
    <h4 id="b">Passkey autofill</h4><p>Passkeys are offered by autofill.</p></div></div></div>
    <div class="sidenav-extra"><h3>Topics</h3><p>Release notes 2026</p></div></body></html>"""
    result = parse_release_notes(html, URL, today=dt.date(2026, 12, 2))
    assert [(e.date, e.title) for e in result.entries] == [
        ("2026-11-18", "Session binding for admin console"), ("2026-11-18", "Passkey autofill")]
    assert not any("Older" in e.body or "Topics" in e.body for e in result.entries)
    # a side nav that does not hold the page's content is still furniture
    small = """<html><body><div class="sidenav-layout"><h3>Topics</h3><p>Release notes 2026</p></div><main>
    <h2>November 18, 2026</h2><h3>Passkey autofill</h3><p>Passkeys are offered by autofill.</p>
    <h3>Session binding</h3><p>Binds admin sessions.</p></main></body></html>"""
    assert [e.title for e in parse_release_notes(small, URL, today=dt.date(2026, 12, 2)).entries] == [
        "Passkey autofill", "Session binding"]


def test_release_sentence_heading_dates_its_features_and_a_summary_table_is_no_entry() -> None:
    html = """<main><h1>Release notes (2026)</h1><h2>November 2026</h2>
    <h3>2026.11.0: Monthly Production release began deployment on November 10</h3>
    <table><thead><tr><th>Feature name</th><th>Feature type</th></tr></thead><tbody>
    <tr><td><a href="#a">Session binding</a></td><td>Early Access</td></tr></tbody></table>
    <h4 id="a">Session binding</h4><p>Binds admin sessions to a device.</p>
    <h4 id="b">Passkey autofill</h4><p>Passkeys are offered by autofill.</p>
    <h3>Weekly release 2026.11.2: began deployment on November 19</h3>
    <h4 id="c">Certificate renewal alerts</h4><p>Alerts before a certificate expires.</p></main>"""
    result = parse_release_notes(html, URL, today=dt.date(2026, 12, 2))
    assert [(e.date, e.title, e.date_precision) for e in result.entries] == [
        ("2026-11-10", "Session binding", "day"), ("2026-11-10", "Passkey autofill", "day"),
        ("2026-11-19", "Certificate renewal alerts", "day")]
    assert not any("Feature name" in e.title + e.body for e in result.entries)


def test_table_cells_are_read_apart() -> None:
    html = """<main><h2>November 18, 2026</h2><h3>New limits</h3><table>
    <tr><th>Plan</th><th>Requests</th></tr><tr><td>Team</td><td>500 a minute</td></tr></table></main>"""
    (entry,) = parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries
    assert entry.body.split("\n") == ["Plan | Requests", "Team | 500 a minute"]


def test_bylines_pagers_edit_stamps_and_link_references_stay_out_of_bodies() -> None:
    """ReadMe's "by <author>", GitBook's Previous/Next and "Last updated", Keep a Changelog's link references."""
    readme = parse_release_notes(fixture_bytes("vendor-readme-changelog.html"), URL, today=dt.date(2026, 12, 2))
    assert readme.entries and not any(e.body.startswith("by ") or "Developer Relations" in e.body
                                      for e in readme.entries)
    gitbook = parse_release_notes(fixture_bytes("vendor-gitbook-changelog.html"), URL, today=dt.date(2026, 12, 2))
    assert gitbook.entries[-1].body.endswith("- Workspace-level API tokens")
    assert not any("Previous" in e.body or "Last updated" in e.body for e in gitbook.entries)
    changelog = parse_release_notes(fixture_bytes("vendor-github-changelog-md.html"), URL, today=dt.date(2026, 12, 2))
    assert not any("compare/" in e.body for e in changelog.entries)
    assert changelog.entries[-1].body.endswith("- Python 3.8 support")
    stripe = parse_release_notes(fixture_bytes("vendor-stripe-changelog.html"), URL, today=dt.date(2026, 12, 2))
    assert stripe.entries[1].labels[:2] == ["Breaking", "Customers"]
    assert "Billing" in stripe.entries[-1].labels and stripe.entries[-1].body == ""  # one change in its version
    assert stripe.entries[0].link.endswith("/changelog/clover/2026-11-17/adds-support-for-installment-plans-on-checkout-s")
    okta = parse_release_notes(fixture_bytes("vendor-okta-release-notes.html"), URL, today=dt.date(2026, 12, 2))
    assert not any("Feature name" in e.title + e.body for e in okta.entries)
    # a "Next" that starts a sentence or a product name is no pager
    kept = parse_release_notes("""<main><h2>November 18, 2026</h2><h3>Framework support</h3>
    <p><a href="/n"><span>Next</span>.js 16 is supported.</a> Also <a href="/g"><b>Next generation</b> runtimes</a>.</p>
    </main>""", URL, today=dt.date(2026, 12, 2))
    assert "Next.js 16 is supported." in kept.entries[0].body and "Next generation" in kept.entries[0].body


NEW_VENDOR_PAGES = ("vendor-aws-whats-new.html", "vendor-azure-updates.html", "vendor-okta-release-notes.html",
                    "vendor-stripe-changelog.html", "shape-slug-ids.html", "shape-slug-sections.html",
                    "shape-bold-date-lines.html", "shape-definition-list.html", "shape-release-date-label.html",
                    "shape-release-date-label-month.html", "shape-table-rows.html", "shape-release-info-aside.html",
                    "shape-topic-table.html", "shape-version-history-modal.html", "shape-forum-topic-list.html",
                    "shape-post-footer-dates.html", "shape-title-link-cards.html", "shape-calendar-versions.html",
                    "shape-plugin-changelog-tab.html", "shape-release-post-sections.html",
                    "shape-weekly-bold-groups.html", "shape-version-page-byline.html",
                    "shape-hero-section-release.html", "shape-release-category-features.html",
                    "shape-forum-numeric-dates.html", "shape-date-release-sections.html", "shape-year-timeline.html",
                    "shape-year-day-month.html", "shape-details-releases.html", "shape-dated-terms-categories.html",
                    "shape-accordion-dated-summaries.html", "shape-table-area-column.html",
                    "shape-month-name-timeline.html", "shape-release-bold-versions.html",
                    "shape-tracker-ids-and-notes.html")


def test_shapes_keep_bodies_apart_and_free_of_furniture() -> None:
    """What each new shape puts in a body: the row's other cells, the term's definition, never the metadata label."""
    def bodies(name: str) -> dict[str, str]:
        result = parse_release_notes(fixture_bytes(name), URL, today=dt.date(2026, 12, 2))
        return {e.title: e.body for e in result.entries}

    table = bodies("shape-table-rows.html")
    assert table["Admin API keys"] == "Admins can create API keys scoped to one project.\nKeys expire after 90 days."
    assert "Feature" not in "".join(table) and "Description" not in "\n".join(table.values())
    terms = bodies("shape-definition-list.html")
    assert terms["4.8.0"].startswith("Adds a connector for shared drives") and "4.7.3" not in terms["4.8.0"]
    labelled = bodies("shape-release-date-label.html")
    assert all("Release date" not in body and "2026-11" not in body for body in labelled.values())
    dated = bodies("shape-bold-date-lines.html")
    assert "2026-11-14" not in dated["Version 3.9.2 released"] and "Memory use is lower." in dated["Version 3.9.2 released"]
    slugs = bodies("shape-slug-ids.html")
    assert not any("Accept" in body or "Share" in body for body in slugs.values())
    sections = bodies("shape-slug-sections.html")
    assert not any("helpful" in body for body in sections.values())


def test_second_shapes_keep_furniture_counts_and_bylines_out_of_bodies() -> None:
    def entries(name: str) -> dict[str, tuple[str, list[str]]]:
        result = parse_release_notes(fixture_bytes(name), URL, today=dt.date(2026, 12, 2))
        return {e.title: (e.body, e.labels) for e in result.entries}

    cards = entries("shape-title-link-cards.html")
    assert cards["Audit log API"][0].splitlines() == [
        "You can now pull your workspace's audit log through the API.", "Available events", "- Member invited",
        "- API key revoked"]
    assert cards["SAML sign-in for every plan"][1] == ["Improved"]
    assert not any(word in body for body, _ in cards.values() for word in ("Comment", "Share", "feel about"))
    posts = entries("shape-post-footer-dates.html")
    assert all(" min" not in body and "Pereira" not in body for body, _ in posts.values())
    topics = entries("shape-forum-topic-list.html")
    assert "About the Announcements category" not in topics and topics["Harbor 7.3 released"] == ("", ["release"])
    notes = entries("shape-release-info-aside.html")
    assert notes["Policies can now pin the default search engine."] == (
        "Policies can now pin the default search engine.", ["Enterprise"])


def test_code_lines_table_cells_term_lists_and_date_rows_render_apart() -> None:
    """Highlighted code keeps its lines, body tables their cells, a term list its pairs; a date row's products are labels."""
    html = b"""<main><h1>Changelog</h1>
    <div class="entry"><div class="entry-date"><span>Nov 25, 2026</span></div><div><h3>Outbound allowlist for workers</h3>
    <p>Declare the hosts a worker may reach.</p><pre><code><div class="ec-line"><span>[outbound]</span></div>
    <div class="ec-line"><span>allow = ["api.example.net"]</span></div></code></pre></div></div>
    <div class="entry"><div class="entry-date"><span>Nov 18, 2026</span></div><div><h3>Managed rules update</h3>
    <table><thead><tr><th>Rule</th><th>Action</th></tr></thead><tbody><tr><td>100812</td><td>Block</td></tr></tbody>
    </table></div></div></main>"""
    bodies = {e.title: e.body for e in parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries}
    assert bodies["Outbound allowlist for workers"].splitlines()[-2:] == ["[outbound]", 'allow = ["api.example.net"]']
    assert bodies["Managed rules update"].splitlines() == ["Rule | Action", "100812 | Block"]
    cards = b"""<main><h1>Updates</h1><div class="grid">
    <div class="card"><h3>Field permissions</h3><p>Mark properties as sensitive.</p><dl><dt>Available in</dt>
    <dd>Enterprise</dd><dt>Rollout date</dt><dd>November 20, 2026</dd><dt>Last updated</dt><dd>November 25, 2026</dd>
    </dl></div>
    <div class="card"><div class="eyebrow"><span class="date">November 18, 2026</span><span aria-hidden="true">\xc2\xb7</span>
    <span class="product">Boards</span><span aria-hidden="true">\xc2\xb7</span><span class="product">Dev Mode</span></div>
    <h3>Summaries of sticky notes</h3><p>Select stickies and ask for a summary.</p></div></div></main>"""
    found = {e.title: e for e in parse_release_notes(cards, URL, today=dt.date(2026, 12, 2)).entries}
    assert (found["Field permissions"].date, found["Field permissions"].body.splitlines()) == (
        "2026-11-20", ["Mark properties as sensitive.", "Available in: Enterprise"])
    sticky = found["Summaries of sticky notes"]
    assert (sticky.labels, sticky.body) == (["Boards", "Dev Mode"], "Select stickies and ask for a summary.")


def test_release_post_sections_and_bold_groups_become_labels() -> None:
    post = parse_release_notes(fixture_bytes("shape-release-post-sections.html"), URL, today=dt.date(2026, 12, 2))
    assert [e.labels for e in post.entries] == [["Key improvements released in Forge 18.6"]] * 3 + [["Deprecations"]]
    assert not any("min read" in e.body or "Maya" in e.body for e in post.entries)
    weekly = parse_release_notes(fixture_bytes("shape-weekly-bold-groups.html"), URL, today=dt.date(2026, 12, 2))
    assert [e.labels for e in weekly.entries] == [["Support", "Features"]] * 2 + [["Support", "Fixes"]] + [
        ["Admin Center", "Features"]] * 2
    assert weekly.entries[0].body == "Card numbers in image attachments are now masked."


def test_card_captions_download_rows_tag_rows_and_link_lines_leave_bodies() -> None:
    html = b"""<main><h1>Releases</h1><section class="list">
    <article class="card"><h3 class="card__title"><a href="#">Vault CLI 2.32.0</a></h3>
    <div class="card__meta"><span class="card__date">Released on <time datetime="2026-11-18T09:00:00Z">Nov 18, 2026</time>
    </span></div><div class="flex gap-1"><span class="rounded px-2">Security</span><span class="rounded px-2">CLI</span>
    </div><div class="card__body"><p>Service tokens can be limited to read-only access.</p>
    <p><a href="#">Learn more in the Help Center</a></p></div><a class="card__link" href="#">View release</a></article>
    <article class="card"><h3 class="card__title"><a href="#">Vault CLI 2.31.0</a></h3>
    <div class="card__meta"><span class="card__date">Released on <time datetime="2026-11-04T09:00:00Z">Nov 4, 2026</time>
    </span></div><div class="download-buttons"><p>Download the CLI</p><a href="#">Windows</a> | <a href="#">Linux</a></div>
    <div class="card__body"><p>Adds an audit subcommand.</p></div></article></section></main>"""
    found = {e.title: e for e in parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries}
    first = found["Vault CLI 2.32.0"]
    assert (first.date, first.labels, first.body) == (
        "2026-11-18", ["Security", "CLI"], "Service tokens can be limited to read-only access.")
    assert found["Vault CLI 2.31.0"].body == "Adds an audit subcommand."


def test_eyebrows_are_labels_counters_are_not_and_calls_to_action_leave_bodies() -> None:
    html = """<main><h1>What's new</h1><div class="grid">
    <div class="tile"><div class="tile-date">November 20, 2026</div><div class="tile-eyebrow">AI Studio</div>
    <h3>Rules can call agents</h3><div class="meta"><span>\U0001f4ac 14 comments</span><span>\U0001f44d 52</span></div>
    <p>Add an agent step to any rule.</p><p><a href="#">Request access</a></p></div>
    <div class="tile"><div class="tile-date">November 12, 2026</div><div class="tile-eyebrow">Goals</div>
    <h3>Goal check-ins on a schedule</h3><p>Goal owners get a weekly reminder.</p><p><a href="#">Get started</a></p>
    </div></div></main>""".encode()
    found = {e.title: e for e in parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries}
    assert (found["Rules can call agents"].labels, found["Rules can call agents"].body) == (
        ["AI Studio"], "Add an agent step to any rule.")
    assert (found["Goal check-ins on a schedule"].labels, found["Goal check-ins on a schedule"].body) == (
        ["Goals"], "Goal owners get a weekly reminder.")


def test_type_words_leading_bullets_are_labels_and_release_availability_dates() -> None:
    bullets = b"""<main><h1>Release notes</h1><h2>November 2026</h2><ul>
    <li><strong>New</strong>: The server now supports the query tool in all regions.</li>
    <li><strong>Fix</strong>: Resolved an issue where the editor lost unsaved changes.</li>
    <li><strong>New</strong>: Canvas supports Python models in preview.</li></ul></main>"""
    found = parse_release_notes(bullets, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.title, e.labels) for e in found] == [
        ("The server now supports the query tool in all regions.", ["New"]),
        ("Resolved an issue where the editor lost unsaved changes.", ["Fix"]),
        ("Canvas supports Python models in preview.", ["New"])]
    months = b"""<main><h1>What's New</h1><h2>November 2026</h2>
    <div class="feature"><h3>Tenant restrictions for uploads</h3><p>Release availability: November 20, 2026</p>
    <p>Uploads can be limited to sanctioned tenants.</p></div>
    <div class="feature"><h3>Browser isolation for AI apps</h3><p>Release availability: November 12, 2026</p>
    <p>AI apps can open in an isolated browser.</p></div></main>"""
    dated = parse_release_notes(months, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.date, e.date_precision, e.body) for e in dated] == [
        ("2026-11-20", "day", "Uploads can be limited to sanctioned tenants."),
        ("2026-11-12", "day", "AI apps can open in an isolated browser.")]


def test_a_summary_table_of_the_changes_below_is_no_entry() -> None:
    """A table whose rows link to (or name) the headings under it lists changes; it is not one per row."""
    html = b"""<main><h1>Notes</h1><h2>November 20, 2026</h2>
    <table><tr><th>Change</th><th>Type</th></tr><tr><td>Guest access for projects</td><td>New feature</td></tr>
    <tr><td>Dark theme for the editor</td><td>Improvement</td></tr></table>
    <h3>Guest access for projects</h3><p>Owners can invite guests from outside the organisation.</p>
    <h3>Dark theme for the editor</h3><p>The editor has a dark theme.</p></main>"""
    result = parse_release_notes(html, URL, today=dt.date(2026, 12, 2))
    assert [e.title for e in result.entries] == ["Guest access for projects", "Dark theme for the editor"]


def test_new_vendor_pages_through_check_and_changes(tmp_path, web, monkeypatch) -> None:
    """Over loopback through the CLI: each page is ok and every entry a reader counts is one new_entry."""
    sources = ""
    for index, name in enumerate(NEW_VENDOR_PAGES):
        web.page(f"/vendor-{index}", fixture_bytes(name))
        sources += f'[[sources]]\nname = "vendor-{index}"\nkind = "release_notes"\nurl = "{web.url(f"/vendor-{index}")}"\n'
    (tmp_path / "driftwatch.toml").write_text('[storage]\npath = "dw.db"\n[fetch]\nretries = 0\n' + sources)
    monkeypatch.chdir(tmp_path)
    report = _run_json("check", "--json")
    assert {s["name"]: (s["status"], s["new"]) for s in report["sources"]} == {
        f"vendor-{i}": ("ok", len(VENDOR_LAYOUTS[name])) for i, name in enumerate(NEW_VENDOR_PAGES)}
    changes = _run_json("changes", "--json")["changes"]
    for index, name in enumerate(NEW_VENDOR_PAGES):
        got = sorted((c["date"], c["title"]) for c in changes if c["source"] == f"vendor-{index}"
                     and c["kind"] == "new_entry")
        assert got == sorted(VENDOR_LAYOUTS[name]), name


def test_card_footers_captions_comment_links_and_learn_more_stay_out_of_bodies() -> None:
    """Azure's "Product categories:" before its tag links, Canny's "Comment" link, Vercel's "Learn more"."""
    card = """<div class="ocr-card"><div class="card-body"><p class="text-body4">Published date: {day}</p>
    <h3 class="card-title"><a href="/u/{n}">{title}</a></h3><p class="card-text">{title}, described in a sentence.</p>
    <p><a href="/u/{n}/more">Learn more</a></p>
    <div class="update-tags"><span class="text-body4">Product categories:</span><a class="tag" href="?c=1">Compute</a>
    <a class="tag" href="?c=2">Containers</a></div>
    <div class="entryFooter"><a class="comments" href="/u/{n}#comments">Comment</a></div></div></div>"""
    html = "<html><body><main><h1>Updates</h1><div class='list'>" + "".join(
        card.format(n=n, title=title, day=day) for n, (title, day) in enumerate(
            [("Serverless GPUs in more regions", "November 19, 2026"), ("Draft firewall policies", "November 12, 2026")])
    ) + "</div></main></body></html>"
    result = parse_release_notes(html, URL, today=dt.date(2026, 12, 2))
    assert [(e.date, e.title, e.labels) for e in result.entries] == [
        ("2026-11-19", "Serverless GPUs in more regions", ["Compute", "Containers"]),
        ("2026-11-12", "Draft firewall policies", ["Compute", "Containers"])]
    assert [e.body for e in result.entries] == [
        "Serverless GPUs in more regions, described in a sentence.", "Draft firewall policies, described in a sentence."]


def test_a_date_sections_introduction_is_no_entry_but_untitled_notes_stay() -> None:
    """Short untitled text between a month heading and its titled changes introduces them."""
    introduced = b"""<main><h1>Product updates</h1><h2>November 2026</h2>
    <p>Here is what we shipped this month. Thanks for the feedback!</p>
    <h3>Workspace export to object storage</h3><p>Admins can export workspace data on a schedule.</p>
    <h3>Guests on single boards</h3><p>Invite a guest to one board without a seat.</p>
    <h2>October 2026</h2><p>A quieter month.</p>
    <h3>Audit log streaming</h3><p>Stream audit events to a SIEM.</p></main>"""
    found = parse_release_notes(introduced, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.date, e.title) for e in found] == [
        ("2026-11-01", "Workspace export to object storage"), ("2026-11-01", "Guests on single boards"),
        ("2026-10-01", "Audit log streaming")]
    # Untitled notes with nothing titled after them are the changes themselves,
    untitled = b"""<main><h1>Changelog</h1><h2>November 2026</h2>
    <p>Exports can now run on a schedule.</p><p>Guests can join a single board.</p></main>"""
    assert [(e.title, e.body) for e in parse_release_notes(untitled, URL, today=dt.date(2026, 12, 2)).entries] == [
        ("Exports can now run on a schedule.", "Exports can now run on a schedule.\nGuests can join a single board.")]
    # and so is a note over a category heading of the same date ("Fixes"), or a long or listed one.
    categorised = b"""<main><h1>Changelog</h1><h2>November 20, 2026</h2>
    <p>Exports can now run on a schedule.</p><h3>Fixes</h3><ul><li>The editor keeps unsaved text.</li></ul>
    <h2>November 12, 2026</h2><ul><li>Guests can join a single board.</li><li>Boards load faster.</li></ul>
    <h3>Dark theme</h3><p>The editor has a dark theme.</p></main>"""
    titles = [e.title for e in parse_release_notes(categorised, URL, today=dt.date(2026, 12, 2)).entries]
    assert "Exports can now run on a schedule." in titles and "Dark theme" in titles
    assert any("Guests can join a single board" in t for t in titles)


@pytest.mark.parametrize("heading", ["Ready to get started?", "Start your free trial", "Try Acme for free",
                                     "Subscribe to updates", "Talk to sales", "3 comments", "Leave a reply"])
def test_calls_to_action_after_the_last_change_are_no_entry(heading: str) -> None:
    html = f"""<main><h1>Changelog</h1><h2>November 20, 2026</h2><h3>Audit log streaming</h3>
    <p>Stream audit events to a SIEM.</p><h2>{heading}</h2><p>Plans start at $10 per seat. Cancel any time.</p>
    </main>""".encode()
    found = parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.title, e.body) for e in found] == [("Audit log streaming", "Stream audit events to a SIEM.")]


def test_a_feature_called_comments_is_still_an_entry() -> None:
    html = b"""<main><h1>Changelog</h1><h2>November 20, 2026</h2><h3>Comments</h3>
    <p>Reviewers can comment on any paragraph.</p></main>"""
    assert [e.title for e in parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries] == ["Comments"]


def test_a_feed_item_takes_the_day_its_title_names_when_published_after_it() -> None:
    def item(guid: str, title: str) -> str:
        return (f"<item><title>{title}</title><guid>{guid}</guid>"
                "<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate><description>Notes.</description></item>")
    titles = ["November 18, 2026", "Weekly updates \u2014 November 13, 2026", "Version 3.2 (2026-11-16)",
              "Deprecation: November 1, 2026", "Retiring the v1 API on November 1, 2026",
              "Webinar on December 10, 2026", "Changelog for 2026-06-01", "Faster exports"]
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title><link>https://example.com</link>'
            + "".join(item(f"g{i}", t) for i, t in enumerate(titles)) + "</channel></rss>").encode()
    days = [e.date for e in parse_feed(feed, "https://example.com/feed").entries]
    # the release's own day; never a deadline, a day after publication, or one long before it
    assert days == ["2026-11-18", "2026-11-13", "2026-11-16", "2026-11-20", "2026-11-20", "2026-11-20",
                    "2026-11-20", "2026-11-20"]


def test_month_names_tracker_ids_release_lines_and_table_notes() -> None:
    """What the evening's shapes put in labels, precision and bodies."""
    def parsed(name: str) -> dict[str, object]:
        return {e.title: e for e in parse_release_notes(fixture_bytes(name), URL, today=dt.date(2026, 12, 2)).entries}
    months = parsed("shape-month-name-timeline.html")
    assert {e.date_precision for e in months.values()} == {"month"}
    assert months["Masking rules for form fields"].labels == ["Replays", "New feature"]
    # a month of one card: that card's tags are its labels too, not a line of its body
    assert months["Warehouse hosting in the EU"].labels == ["Warehouse", "New feature"]
    assert "New feature" not in months["Warehouse hosting in the EU"].body
    fixes = parsed("shape-tracker-ids-and-notes.html")
    assert fixes["Users who enrolled a security key were asked for a second factor again."].labels == [
        "Fixes", "IDP-204411"]
    releases = parsed("shape-release-bold-versions.html")
    assert releases["v7.4.2"].body.startswith("Contains a security fix of high severity")
    # the sections after a release list go with its last release, not into entries of their own
    assert "Admins can require two-factor sign-in for bot owners." in releases["v7.4.0"].body
    assert "The legacy search index is gone." in releases["v7.3.5"].body
    # a release's note over its table of one change: the change, not the note
    row = '<tr><td><a href="/c/{n}">{title}</a></td><td><span class="pill">{area}</span></td></tr>'
    head = "<thead><tr><th>Change</th><th>Products</th></tr></thead>"
    table = f"""<main><h1>API changelog</h1><section class="rel" id="a"><h2>2026-11-17</h2><table>{head}<tbody>
    {row.format(n=1, title="Adds an expiry date to restricted keys", area="Platform")}
    {row.format(n=2, title="Adds custom templates to invoices", area="Billing")}</tbody></table></section>
    <section class="rel" id="b"><h2>2026-09-30</h2><p>A major release: read the upgrade guide first.</p>
    <table>{head}<tbody>{row.format(n=3, title="Requires sessions for embedded components", area="Connect")}
    </tbody></table></section></main>""".encode()
    found = parse_release_notes(table, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.date, e.title) for e in found] == [
        ("2026-11-17", "Adds an expiry date to restricted keys"), ("2026-11-17", "Adds custom templates to invoices"),
        ("2026-09-30", "Requires sessions for embedded components")]


def test_a_bare_month_takes_the_year_heading_over_it_or_the_nearest_past_one() -> None:
    under_year = b"""<main><h1>Updates</h1><h2>2025</h2><h3>March</h3><h4>Exports on a schedule</h4>
    <p>Exports can run on a schedule.</p></main>"""
    assert [(e.date, e.date_precision) for e in parse_release_notes(
        under_year, URL, today=dt.date(2026, 12, 2)).entries] == [("2025-03-01", "month")]
    alone = b"""<main><h1>Updates</h1><h2>January</h2><h3>Exports on a schedule</h3>
    <p>Exports can run on a schedule.</p></main>"""
    # never a month in the future: January read on 2 December 2026 is January 2026
    assert [e.date for e in parse_release_notes(alone, URL, today=dt.date(2026, 12, 2)).entries] == ["2026-01-01"]


@pytest.mark.parametrize("first, second", [
    ('<ul><li><p><strong>v7.4.2, released 2026-11-24</strong></p><ul><li><p>Security fix.</p></li></ul></li>'
     '<li><p><strong>v7.4.0, released 2026-11-12</strong></p><ul><li><p>First release.</p></li></ul></li></ul>',
     '<ul><li><strong>v7.3.5 - released 2026-10-28</strong> Fixes two issues.</li></ul>'),
    ('<p><strong>v7.4.2, released 2026-11-24</strong></p><ul><li>Security fix.</li></ul>'
     '<p><strong>v7.4.0, released 2026-11-12</strong></p><ul><li>First release.</li></ul>',
     '<p><strong>v7.3.5, released 2026-10-28</strong></p><p>Fixes two issues.</p>'),
])
def test_release_headings_over_bold_dated_release_lines(first: str, second: str) -> None:
    html = (f"<main><h1>Changelog</h1><h2>Release 7.4</h2>{first}<h3>Improvements</h3>"
            f"<ul><li>Admins can require MFA.</li></ul><h2>Release 7.3</h2>{second}"
            "<h3>Removed</h3><p>Legacy search is gone.</p></main>").encode()
    found = parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.date, e.title) for e in found] == [("2026-11-24", "v7.4.2"), ("2026-11-12", "v7.4.0"),
                                                   ("2026-10-28", "v7.3.5")]
    assert "Admins can require MFA." in found[1].body and "Legacy search is gone." in found[2].body


def test_tags_side_by_side_in_a_cell_stay_apart() -> None:
    html = b"""<main><h1>Changelog</h1><section class="rel" id="a"><h2>2026-11-17</h2><table>
    <thead><tr><th>Change</th><th>Products</th></tr></thead><tbody>
    <tr><td><a href="/c/1">Adds fraud signals to payments</a></td><td><span class="pill">Payments</span><span
    class="pill">Radar</span></td></tr><tr><td><a href="/c/2">Adds expiry dates to keys</a></td>
    <td><span class="pill">Platform</span></td></tr></tbody></table></section></main>"""
    found = parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries
    assert found[0].body == "Payments Radar"


def test_a_read_more_link_closing_a_paragraph_leaves_the_body() -> None:
    html = b"""<main><h1>Notes</h1><h2>November 10, 2026</h2><h3>Admin sign-in needs a strong factor</h3>
    <p>Every admin must use a phishing-resistant authenticator. <a href="/docs/a">Read more.</a></p>
    <h3>Links to more</h3><p><a href="/docs/b">Read more</a> about how links work in the editor.</p></main>"""
    found = parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries
    assert [e.body for e in found] == ["Every admin must use a phishing-resistant authenticator.",
                                       "Read more about how links work in the editor."]


def test_a_badge_closing_a_paragraph_is_a_label() -> None:
    html = b"""<main><h1>Notes</h1><h2>November 10, 2026</h2><h3>Threat signals for service apps</h3>
    <p>Risk signals now cover machine-to-machine apps too. <span class="badge ea">Early Access</span></p>
    <h3>Badges in the editor</h3><p>You can add a <span class="badge">badge</span> to any page.</p></main>"""
    found = parse_release_notes(html, URL, today=dt.date(2026, 12, 2)).entries
    assert [(e.labels, e.body) for e in found] == [
        (["Early Access"], "Risk signals now cover machine-to-machine apps too."),
        ([], "You can add a badge to any page.")]
