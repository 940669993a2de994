"""Watchers end to end over real HTTP: conditional GET, edits, removals, breakage, faults."""

from __future__ import annotations

import gzip

import pytest

from driftwatch.classify import classify
from driftwatch.config import SourceConfig
from driftwatch.store import Store
from driftwatch.watchers.check import replay_source, run_check
from driftwatch.watchers.fetch import Fetcher

from .conftest import fixture_bytes, fixture_text
from .fakeweb import Reply

CURRENT = fixture_text("release-notes-current.html")


def notes(url: str, name: str = "notes", kind: str = "release_notes") -> SourceConfig:
    return SourceConfig(name=name, kind=kind, url=url)


def check(store: Store, *sources: SourceConfig, sleeps: list[float] | None = None, **fetch_kw):
    kw = {"retries": 2, "backoff": 0.0, "timeout": 5.0, **fetch_kw}
    with Fetcher(sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **kw) as fetcher:
        return run_check(store, list(sources), fetcher, classify)


def test_first_check_then_304(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    first = check(store, source)
    assert first.sources[0].status == "ok" and first.sources[0].new == 5
    assert len(first.changes) == 5 and {c["kind"] for c in first.changes} == {"new_entry"}
    bodies = store.db["bodies"].count

    second = check(store, source)
    outcome = second.sources[0]
    assert (outcome.status, outcome.entries, outcome.new) == ("unchanged", 5, 0)
    assert second.changes == []
    assert web.hits("/notes")[-1].headers.get("if-none-match")
    assert store.db["bodies"].count == bodies  # a 304 stores no body and parses nothing
    outcomes = [f["outcome"] for f in store.db["fetches"].rows_where(order_by="id")]
    assert outcomes == ["changed", "unchanged"]
    assert "driftwatch/" in web.hits("/notes")[0].headers["user-agent"]


def test_new_and_edited_entries(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    edited = CURRENT.replace(
        '<h1 id="feb-26-2026">',
        '<h1>March 5, 2026</h1><h2>Atlas browser for Enterprise</h2><p>Atlas is available in beta.</p>'
        '<h1 id="feb-26-2026">',
    ).replace("Admins can export the audit log as JSON lines.",
              "Admins can export the audit log as JSON lines or CSV.")
    web.page("/notes", edited)
    report = check(store, source)
    outcome = report.sources[0]
    assert (outcome.new, outcome.edited, outcome.removed, outcome.entries) == (1, 1, 0, 6)
    kinds = sorted(c["kind"] for c in report.changes)
    assert kinds == ["edited_entry", "new_entry"]
    audit = next(e for e in store.entries("notes") if e["title"] == "Audit log export")
    versions = store.entry_versions(audit["id"])
    assert [v["version"] for v in versions] == [1, 2]
    assert "+Admins can export the audit log as JSON lines or CSV." in versions[1]["diff"]
    assert store.db["entries"].count == 6  # the edit did not create a second entry


def test_retitled_entry_is_an_edit_not_new_plus_removed(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    web.page("/notes", CURRENT.replace("<h2>Audit log export</h2>", "<h2>Audit log export (JSON)</h2>"))
    outcome = check(store, source).sources[0]
    assert (outcome.new, outcome.edited) == (0, 1)


def test_entry_removed_only_after_two_parses(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT, etag=False))
    check(store, source)
    without = CURRENT.replace("<h2>New keyboard shortcuts</h2>\n  <p>Press ? to see them.</p>", "")
    web.page("/notes", without, etag=False)
    once = check(store, source)
    assert once.sources[0].removed == 0 and once.changes == []
    twice = check(store, source)
    assert twice.sources[0].removed == 1 and twice.sources[0].entries == 4
    assert [c["kind"] for c in twice.changes] == ["removed_entry"]


def test_layout_break_marks_broken_without_removals_then_recovers(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    web.page("/notes", "<html><body><main><h1>Sign in to continue</h1><p>Use SSO.</p></main></body></html>")
    broken = check(store, source)
    assert broken.sources[0].status == "broken" and broken.sources[0].entries == 5
    assert [c["kind"] for c in broken.changes] == ["source_broken"]
    assert store.source("notes")["status"] == "broken"
    assert all(e["missing_count"] == 0 for e in store.entries("notes"))

    web.page("/notes", "<html><body><main><h1>Oops</h1><p>Still down.</p></main></body></html>")
    assert check(store, source).changes == []  # told once, not on every run

    web.page("/notes", CURRENT.replace("Press ? to see them.", "Press ? to list them."))
    recovered = check(store, source)
    assert recovered.sources[0].status == "ok"
    assert sorted(c["kind"] for c in recovered.changes) == ["edited_entry", "source_recovered"]


def test_losing_more_than_half_is_broken(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    web.page("/notes", "<div class='article-content'><h1>March 1, 2026</h1><h2>Only one</h2><p>x</p></div>")
    outcome = check(store, source).sources[0]
    assert outcome.status == "broken" and "missing" in outcome.error
    assert store.count_entries("notes") == 5


def test_server_error_retries_then_gives_up(store: Store, web) -> None:
    url = web.route("/notes", Reply(500, b"boom"))
    sleeps: list[float] = []
    outcome = check(store, notes(url), sleeps=sleeps).sources[0]
    assert outcome.status == "error" and "HTTP 500" in outcome.error
    assert len(web.hits("/notes")) == 3 and sleeps == [0.0, 0.0]
    fetch = next(store.db["fetches"].rows)
    assert fetch["outcome"] == "error" and fetch["status_code"] == 500 and "500" in fetch["error"]
    assert store.source("notes")["consecutive_failures"] == 1


def test_backoff_grows_exponentially(store: Store, web) -> None:
    url = web.route("/notes", Reply(503), Reply(502), Reply(200, CURRENT.encode()))
    sleeps: list[float] = []
    outcome = check(store, notes(url), sleeps=sleeps, backoff=0.5).sources[0]
    assert outcome.status == "ok" and sleeps == [0.5, 1.0]


def test_429_honours_retry_after(store: Store, web) -> None:
    url = web.route("/notes", Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, CURRENT.encode()))
    sleeps: list[float] = []
    outcome = check(store, notes(url), sleeps=sleeps).sources[0]
    assert outcome.status == "ok" and sleeps == [7.0]


def test_timeout_is_an_error_not_a_hang(store: Store, web) -> None:
    url = web.route("/notes", Reply(200, CURRENT.encode(), delay=1.5))
    outcome = check(store, notes(url), timeout=0.3, retries=1).sources[0]
    assert outcome.status == "error" and "timed out" in outcome.error


def test_oversized_body_and_decompression_bomb_are_refused(store: Store, web) -> None:
    big = web.route("/big", Reply(200, b"x" * 300_000, {"Content-Type": "text/html"}))
    bomb_body = gzip.compress(b"<p>" + b"A" * 5_000_000 + b"</p>")
    bomb = web.route("/bomb", Reply(200, bomb_body, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    report = check(store, notes(big, "big"), notes(bomb, "bomb"), max_bytes=200_000)
    by_name = {s.name: s for s in report.sources}
    assert "too large" in by_name["big"].error
    assert "too large" in by_name["bomb"].error and len(bomb_body) < 200_000
    assert store.db["bodies"].count == 0


def test_redirects_only_http_and_at_most_five(store: Store, web) -> None:
    web.route("/loop", Reply(302, b"", {"Location": "/loop"}))
    web.route("/ftp", Reply(302, b"", {"Location": "ftp://files.test/notes"}))
    for step in range(3):
        web.route(f"/r{step}", Reply(302, b"", {"Location": f"/r{step + 1}"}))
    web.page("/r3", CURRENT)
    report = check(store, notes(web.url("/loop"), "loop"), notes(web.url("/ftp"), "ftp"),
                   notes(web.url("/r0"), "hops"))
    by_name = {s.name: s for s in report.sources}
    assert "too many redirects" in by_name["loop"].error
    assert "non-http" in by_name["ftp"].error
    assert by_name["hops"].status == "ok" and by_name["hops"].new == 5


def test_non_utf8_page_through_check(store: Store, web) -> None:
    url = web.page("/fr", fixture_bytes("release-notes-cp1252.html"), "text/html; charset=windows-1252")
    check(store, notes(url))
    assert store.entries("notes")[0]["title"] == "Café connector: write actions – “send messages”"


def test_hostile_feed_item_is_stored_as_text(store: Store, web) -> None:
    url = web.page("/evil.xml", fixture_text("feed-hostile.xml"), "application/rss+xml")
    report = check(store, notes(url, "evil", "feed"))
    stored = store.entries("evil")[0]
    assert "<script" not in stored["body"] and "document.cookie" not in stored["body"]
    assert report.changes[0]["title"].startswith("Totally normal update")


def test_one_failing_source_does_not_stop_the_others(store: Store, web) -> None:
    bad = web.route("/bad", Reply(404))
    good = web.page("/feed.xml", fixture_text("feed-rss.xml"), "application/rss+xml")
    report = check(store, notes(bad, "bad"), notes(good, "feed", "feed"))
    assert [s.status for s in report.sources] == ["error", "ok"]


def test_replay_reparses_stored_bodies_offline(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    web.stop()  # no network from here on
    outcome = replay_source(store, source, classify)
    assert outcome.status == "ok" and outcome.entries == 5 and outcome.new == 0
    with pytest.raises(LookupError):
        replay_source(store, notes("http://127.0.0.1:9/x", "never-fetched"), classify)
