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
