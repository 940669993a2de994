"""Watchers end to end over real HTTP: conditional GET, edits, removals, breakage, faults."""

from __future__ import annotations

import gzip
import json

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


# --- never stuck -------------------------------------------------------------------------------

KEYBOARD = "<h2>New keyboard shortcuts</h2>\n  <p>Press ? to see them.</p>"


def test_removed_entry_that_comes_back_is_restored_not_new(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT, etag=False))
    check(store, source)
    web.page("/notes", CURRENT.replace(KEYBOARD, ""), etag=False)
    check(store, source)
    assert check(store, source).sources[0].removed == 1
    gone = next(e for e in store.entries("notes", status=None) if e["title"] == "New keyboard shortcuts")
    assert gone["status"] == "removed"

    web.page("/notes", CURRENT, etag=False)
    back = check(store, source)  # used to fail: UNIQUE constraint failed: entries.source, entries.entry_key
    outcome = back.sources[0]
    assert (outcome.status, outcome.new, outcome.restored, outcome.entries) == ("ok", 0, 1, 5)
    assert outcome.as_dict()["restored"] == 1
    assert [c["kind"] for c in back.changes] == ["restored_entry"]
    row = store.db["entries"].get(gone["id"])
    assert (row["status"], row["missing_count"], row["removed_at"]) == ("live", 0, None)
    assert store.db["entries"].count == 5

    # Still the same entry afterwards: an edit continues its versions, nothing is stuck.
    web.page("/notes", CURRENT.replace("Press ? to see them.", "Press ? to list them."), etag=False)
    edited = check(store, source)
    assert edited.sources[0].status == "ok" and [c["kind"] for c in edited.changes] == ["edited_entry"]
    assert [v["version"] for v in store.entry_versions(gone["id"])] == [1, 2]


def test_entry_restored_with_new_text_is_one_change_and_a_new_version(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT, etag=False))
    check(store, source)
    web.page("/notes", CURRENT.replace(KEYBOARD, ""), etag=False)
    check(store, source)
    check(store, source)
    web.page("/notes", CURRENT.replace("Press ? to see them.", "Press ? or / to see them."), etag=False)
    back = check(store, source)
    assert [c["kind"] for c in back.changes] == ["restored_entry"]
    assert (back.sources[0].restored, back.sources[0].edited, back.sources[0].new) == (1, 0, 0)
    entry = next(e for e in store.entries("notes") if e["title"] == "New keyboard shortcuts")
    versions = store.entry_versions(entry["id"])
    assert [v["version"] for v in versions] == [1, 2]
    assert "+Press ? or / to see them." in versions[1]["diff"]


def test_feed_item_that_comes_back_is_restored(store: Store, web) -> None:
    feed = fixture_text("feed-rss.xml")
    source = notes(web.page("/feed.xml", feed, "application/rss+xml", etag=False), "feed", "feed")
    first = check(store, source).sources[0]
    start = feed.index("<item>")
    first_item = feed[start:feed.index("</item>", start) + len("</item>")]
    web.page("/feed.xml", feed.replace(first_item, ""), "application/rss+xml", etag=False)
    check(store, source)
    assert check(store, source).sources[0].removed == 1
    web.page("/feed.xml", feed, "application/rss+xml", etag=False)
    back = check(store, source).sources[0]
    assert (back.status, back.restored, back.new, back.entries) == ("ok", 1, 0, first.entries)


class FailsOn:
    """A classifier that breaks on one title, as a bug would half way through a source."""

    def __init__(self, title: str) -> None:
        self.title = title

    def __call__(self, title: str, body: str):
        if title == self.title:
            raise RuntimeError("model exploded\nsecond line of detail")
        return classify(title, body)


def test_unexpected_error_in_one_source_is_its_error_and_the_others_go_on(store: Store, web, caplog) -> None:
    bad = notes(web.page("/notes", CURRENT), "bad")
    good = notes(web.page("/feed.xml", fixture_text("feed-rss.xml"), "application/rss+xml"), "good", "feed")
    with Fetcher(retries=0) as fetcher:
        report = run_check(store, [bad, good], fetcher, FailsOn("Audit log export"))
    by_name = {s.name: s for s in report.sources}
    assert by_name["good"].status == "ok" and by_name["good"].new > 0
    failed = by_name["bad"]
    assert failed.status == "error" and failed.error.startswith("unexpected error: RuntimeError: model exploded")
    assert "\n" not in failed.error and failed.as_dict()["error"] == failed.error
    # Nothing of the failed source is half-written: no entries, no body, no change; one error fetch.
    assert store.count_entries("bad") == 0 and store.db["bodies"].count_where("source = 'bad'") == 0
    assert store.db["changes"].count_where("source = 'bad'") == 0
    fetches = list(store.db["fetches"].rows_where("source = 'bad'"))
    assert [(f["outcome"], f["error"]) for f in fetches] == [("error", failed.error)]
    assert store.source("bad")["status"] == "error" and store.source("bad")["etag"] is None
    assert any("bad" in r.getMessage() and "model exploded" in r.getMessage() for r in caplog.records)
    assert list(store.db["runs"].rows)[-1]["status"] == "partial"  # one source failed, the other did not

    retried = check(store, bad)  # the next check retries from scratch (no validators were kept)
    assert retried.sources[0].status == "ok" and retried.sources[0].new == 5
    assert web.hits("/notes")[-1].headers.get("if-none-match") is None


def test_check_json_reports_restored(tmp_path, web) -> None:
    import json

    from click.testing import CliRunner

    from driftwatch.cli import cli

    url = web.page("/notes", CURRENT, etag=False)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{url}"\n')
    runner = CliRunner()

    def run() -> dict:
        result = runner.invoke(cli, ["--config", str(config), "check", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    run()
    web.page("/notes", CURRENT.replace(KEYBOARD, ""), etag=False)
    run()
    run()
    web.page("/notes", CURRENT, etag=False)
    data = run()
    assert data["sources"][0]["restored"] == 1 and data["sources"][0]["new"] == 0
    assert [c["kind"] for c in data["changes"]] == ["restored_entry"]


# --- blocked -----------------------------------------------------------------------------------

CHALLENGE = (b"<!DOCTYPE html><html><head><title>Just a moment...</title>"
             b"<script>window._cf_chl_opt={cType: 'managed'};</script></head><body>"
             b"<p>Enable JavaScript and cookies to continue</p></body></html>")


def test_403_blocks_the_source_then_one_change_when_it_ends(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT, etag=False))
    check(store, source)
    web.route("/notes", Reply(403, b"Forbidden", {"Content-Type": "text/plain"}))
    blocked = check(store, source)
    outcome = blocked.sources[0]
    assert outcome.status == "blocked" and outcome.entries == 5
    assert outcome.error.startswith("HTTP 403 from 127.0.0.1") and 'remedy: set fetch = "browser"' in outcome.error
    assert [c["kind"] for c in blocked.changes] == ["source_blocked"]
    assert any("remedy" in r for r in blocked.changes[0]["reasons"])
    row = store.source("notes")
    assert row["status"] == "blocked" and "remedy" in row["status_reason"]
    assert len(web.hits("/notes")) == 2  # a refusal is not retried

    for _ in range(3):  # still blocked: no more changes, no removals, never broken, never "failing"
        again = check(store, source)
        assert again.sources[0].status == "blocked" and again.changes == []
    assert store.count_entries("notes") == 5
    assert all(e["missing_count"] == 0 for e in store.entries("notes"))
    assert store.db["fetches"].count_where("outcome = 'blocked'") == 4

    web.page("/notes", CURRENT, etag=False)
    back = check(store, source)
    assert back.sources[0].status == "ok"
    assert [c["kind"] for c in back.changes] == ["source_recovered"]
    assert "no longer blocked" in back.changes[0]["title"]
    assert store.source("notes")["status"] == "ok" and store.source("notes")["consecutive_failures"] == 0


def test_challenge_page_blocks_with_any_status_and_is_not_retried(store: Store, web) -> None:
    ok_challenge = web.route("/a", Reply(200, CHALLENGE, {"Content-Type": "text/html"}))
    unavailable = web.route("/b", Reply(503, CHALLENGE, {"Content-Type": "text/html"}))
    feed = web.route("/c.xml", Reply(200, CHALLENGE, {"Content-Type": "text/html"}))
    sleeps: list[float] = []
    report = check(store, notes(ok_challenge, "a"), notes(unavailable, "b"), notes(feed, "c", "feed"),
                   sleeps=sleeps)
    assert [s.status for s in report.sources] == ["blocked", "blocked", "blocked"]
    assert "bot-challenge page" in report.sources[0].error and "HTTP 503" in report.sources[1].error
    assert len(web.hits("/b")) == 1 and sleeps == []
    assert sorted(c["kind"] for c in report.changes) == ["source_blocked"] * 3
    fetches = {f["source"]: f for f in store.db["fetches"].rows}
    assert {name: f["outcome"] for name, f in fetches.items()} == {"a": "blocked", "b": "blocked", "c": "blocked"}
    assert store.db["bodies"].count == 0  # a wall is not the source's page: replay never sees it
    assert store.count_entries("a") == 0 and store.source("a")["etag"] is None


def test_empty_app_shell_is_blocked_not_broken(store: Store, web) -> None:
    shell = (b'<!doctype html><html><head><title>Notes</title><script src="/app.js"></script></head>'
             b'<body><div id="root"></div></body></html>')
    url = web.page("/notes", shell)
    outcome = check(store, notes(url)).sources[0]
    assert outcome.status == "blocked" and "empty app shell" in outcome.error and 'fetch = "browser"' in outcome.error


def test_blocked_then_broken_then_ok(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT, etag=False))
    check(store, source)
    web.route("/notes", Reply(401))
    assert [c["kind"] for c in check(store, source).changes] == ["source_blocked"]
    web.page("/notes", "<html><body><main><h1>Sign in to continue</h1><p>Use SSO.</p></main></body></html>")
    broken = check(store, source)
    assert broken.sources[0].status == "broken" and [c["kind"] for c in broken.changes] == ["source_broken"]
    web.page("/notes", CURRENT)
    assert [c["kind"] for c in check(store, source).changes] == ["source_recovered"]


def test_sources_command_shows_blocked(tmp_path, web) -> None:
    import json

    from click.testing import CliRunner

    from driftwatch.cli import cli

    url = web.route("/notes", Reply(403, CHALLENGE, {"Content-Type": "text/html"}))
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{url}"\n')
    runner = CliRunner()
    checked = json.loads(runner.invoke(cli, ["--config", str(config), "check", "--json"]).stdout)
    assert checked["sources"][0]["status"] == "blocked" and "remedy" in checked["sources"][0]["error"]
    listed = json.loads(runner.invoke(cli, ["--config", str(config), "sources", "--json"]).stdout)
    assert listed["sources"][0]["status"] == "blocked" and "bot-challenge" in listed["sources"][0]["reason"]
    assert listed["sources"][0]["last_success_at"] is None


# --- redirects and validators ------------------------------------------------------------------


def test_permanent_redirect_moves_the_source_once(store: Store, web) -> None:
    web.route("/old", Reply(308, b"", {"Location": "/new"}))
    web.page("/new", CURRENT)
    source = notes(web.url("/old"))
    first = check(store, source)
    assert first.sources[0].status == "ok" and first.sources[0].new == 5
    moved = [c for c in first.changes if c["kind"] == "source_moved"]
    assert len(moved) == 1 and moved[0]["link"] == web.url("/new")
    assert store.source("notes")["url"] == web.url("/new")
    assert store.source("notes")["moved_from"] == web.url("/old")  # the configured URL is kept

    second = check(store, source)
    assert second.sources[0].status == "unchanged" and second.changes == []
    assert len(web.hits("/old")) == 1  # fetched at its new address, with its validators
    assert web.hits("/new")[-1].headers.get("if-none-match")

    # The operator points the config somewhere else: the move no longer applies.
    web.page("/other", CURRENT)
    check(store, notes(web.url("/other")))
    assert store.source("notes")["url"] == web.url("/other") and store.source("notes")["moved_from"] is None


def test_temporary_redirect_is_not_a_move(store: Store, web) -> None:
    web.route("/old", Reply(301, b"", {"Location": "/tmp"}))
    web.route("/tmp", Reply(302, b"", {"Location": "/now"}))
    web.route("/t", Reply(307, b"", {"Location": "/now"}))
    web.page("/now", CURRENT)
    report = check(store, notes(web.url("/old"), "perm-then-temp"), notes(web.url("/t"), "temp"))
    moved = {c["source"]: c for c in report.changes if c["kind"] == "source_moved"}
    assert list(moved) == ["perm-then-temp"] and moved["perm-then-temp"]["link"] == web.url("/tmp")
    assert store.source("temp")["url"] == web.url("/t") and store.source("temp")["moved_from"] is None


def test_304_without_etag_keeps_the_previous_etag(store: Store, web) -> None:
    feed = fixture_text("feed-rss.xml").encode()
    seen: list[str | None] = []

    def answer(request) -> Reply:
        seen.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", etag=False)  # like the vendor: a 304 with no ETag header
        return Reply(200, feed, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, etag=False)

    web.handle("/feed.xml", answer)
    source = notes(web.url("/feed.xml"), "feed", "feed")
    assert check(store, source).sources[0].status == "ok"
    for _ in range(2):
        assert check(store, source).sources[0].status == "unchanged"
        assert store.source("feed")["etag"] == '"v1"'
    assert seen == [None, '"v1"', '"v1"']


def test_broken_page_is_refetched_in_full(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    web.page("/notes", "<html><body><main><h1>Sign in</h1><p>Use SSO.</p></main></body></html>")
    assert check(store, source).sources[0].status == "broken"
    assert check(store, source).sources[0].status == "broken"
    assert web.hits("/notes")[-1].headers.get("if-none-match") is None


def test_a_broken_source_never_shows_its_fetches_as_successes(store: Store, web) -> None:
    """Fetched but unparsable: `sources` says when it last parsed (never, here), not when it was last fetched."""
    source = notes(web.page("/notes", "<html><body><main><h1>Sign in</h1><p>Use SSO.</p></main></body></html>"))
    assert check(store, source).sources[0].status == "broken"
    row = next(r for r in store.sources() if r["name"] == source.name)
    assert row["status"] == "broken" and row["last_success_at"] is None and row["last_checked_at"]
    web.page("/notes", CURRENT)
    assert check(store, source).sources[0].status == "ok"
    parsed_at = next(r for r in store.sources() if r["name"] == source.name)["last_success_at"]
    web.page("/notes", "<html><body><main><h1>Sign in</h1><p>Use SSO.</p></main></body></html>")
    assert check(store, source).sources[0].status == "broken"
    assert next(r for r in store.sources() if r["name"] == source.name)["last_success_at"] == parsed_at


def test_default_pack_is_todays_openai_sources() -> None:
    from driftwatch.config import default_sources

    pack = [s for s in default_sources() if s.vendor == "OpenAI"]
    assert all(s.vendor and s.product for s in default_sources())
    by_url = {s.url: s for s in pack}
    assert set(by_url) == {
        "https://help.openai.com/en/articles/10128477-chatgpt-enterprise-edu-release-notes",
        "https://help.openai.com/en/articles/6825453-chatgpt-release-notes",
        "https://help.openai.com/en/articles/11391654-chatgpt-business-release-notes",
        "https://learn.chatgpt.com/docs/changelog/rss.xml",
        "https://developers.openai.com/api/docs/changelog",
        "https://status.openai.com/history.atom",
        "https://community.openai.com/c/announcements/6.rss",
        "https://openai.com/news/rss.xml",
    }
    kinds = {s.name: s.kind for s in pack}
    assert kinds["codex-changelog"] == "feed" and kinds["openai-api-changelog"] == "release_notes"
    assert by_url["https://learn.chatgpt.com/docs/changelog/rss.xml"].name == "codex-changelog"  # entries kept
    assert all(s.fetch == "http" for s in pack)  # plain HTTP/1.1 first; the browser is the fallback


def test_blocked_start_and_end_reach_slack_once_each(tmp_path, web) -> None:
    from click.testing import CliRunner

    from driftwatch.cli import cli

    from .fake_slack import BOT_TOKEN, FakeSlack

    fake = FakeSlack(web)
    url = web.page("/notes", CURRENT, etag=False)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[fetch]\nretries = 0\n[slack]\nchannel = "C1"\n'
                      f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{url}"\n')
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": fake.base_url}
    runner = CliRunner()

    def run(exit_code: int = 0) -> None:
        result = runner.invoke(cli, ["--config", str(config), "check", "--json"], env=env)
        assert result.exit_code == exit_code, result.output

    run()
    before = len(fake.messages)
    web.route("/notes", Reply(403, CHALLENGE, {"Content-Type": "text/html"}))
    run(1)  # a blocked source is an operational failure a scheduler should see
    run(1)
    web.page("/notes", CURRENT, etag=False)
    run()
    texts = [m["text"] for m in list(fake.messages.values())[before:]]
    blocked = [t for t in texts if "is blocked" in t]
    assert len(blocked) == 1 and "HTTP 403" in blocked[0]
    assert len([t for t in texts if "no longer blocked" in t]) == 1
    card = json.dumps([m for m in fake.messages.values() if "is blocked" in m["text"]][0].get("blocks"))
    assert "remedy" in card and "fetch = \\\"browser\\\"" in card


def test_proxy_carries_every_fetch(store: Store, web) -> None:
    # The loopback server plays the proxy: it sees the absolute URL of a host that does not exist.
    web.route("http://notes.example.test/notes", Reply(200, CURRENT.encode(), {"Content-Type": "text/html"}))
    outcome = check(store, notes("http://notes.example.test/notes"), proxy=web.base_url).sources[0]
    assert outcome.status == "ok" and outcome.new == 5
    assert web.hits("http://notes.example.test/notes")[0].headers["host"] == "notes.example.test"


def test_sources_command_shows_where_a_moved_source_is_fetched(tmp_path, web) -> None:
    from click.testing import CliRunner

    from driftwatch.cli import cli

    web.route("/old", Reply(301, b"", {"Location": "/new"}))
    web.page("/new", CURRENT)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[[sources]]\nname = "notes"\nkind = "release_notes"\n'
                      f'url = "{web.url("/old")}"\n')
    runner = CliRunner()
    checked = json.loads(runner.invoke(cli, ["--config", str(config), "check", "--json"]).stdout)
    assert [c["kind"] for c in checked["changes"]].count("source_moved") == 1
    listed = json.loads(runner.invoke(cli, ["--config", str(config), "sources", "--json"]).stdout)
    assert listed["sources"][0]["url"] == web.url("/new")
    again = json.loads(runner.invoke(cli, ["--config", str(config), "check", "--json"]).stdout)
    assert again["changes"] == [] and again["sources"][0]["status"] == "unchanged"


def test_feed_repeating_a_guid_does_not_get_stuck(store: Store, web) -> None:
    feed = fixture_text("feed-rss.xml")
    start = feed.index("<item>")
    item = feed[start:feed.index("</item>", start) + len("</item>")]
    twice = feed.replace(item, item + item.replace("Connector for ticket trackers", "Connector for ticket trackers (copy)"))
    source = notes(web.page("/feed.xml", twice, "application/rss+xml", etag=False), "feed", "feed")
    for _ in range(2):
        outcome = check(store, source).sources[0]
        assert outcome.status == "ok" and outcome.entries == 2


def test_block_that_ends_with_a_304_is_one_recovery(store: Store, web) -> None:
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    web.route("/notes", Reply(403, CHALLENGE, {"Content-Type": "text/html"}))
    assert [c["kind"] for c in check(store, source).changes] == ["source_blocked"]
    web.page("/notes", CURRENT)  # the same page as before the block: its ETag still matches
    back = check(store, source)
    assert back.sources[0].status == "unchanged" and [c["kind"] for c in back.changes] == ["source_recovered"]
    assert store.source("notes")["status"] == "ok"


def test_doctor_names_a_blocked_source_with_its_remedy(tmp_path, web) -> None:
    from click.testing import CliRunner

    from driftwatch.cli import cli

    url = web.route("/notes", Reply(403, CHALLENGE, {"Content-Type": "text/html"}))
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{url}"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert result.exit_code == 1 and checks["source notes"]["ok"] is False
    assert checks["source notes"]["detail"].startswith("blocked: HTTP 403")
    assert 'fetch = "browser"' in checks["source notes"]["fix"]


def test_short_page_whose_entry_mentions_a_captcha_is_not_blocked(store: Store, web) -> None:
    page = ("<html><body><div class='article-content'><h1>March 1, 2026</h1><h2>Sign-up check</h2>"
            "<p>We replaced hCaptcha with our own check.</p></div></body></html>")
    outcome = check(store, notes(web.page("/notes", page))).sources[0]
    assert outcome.status == "ok" and outcome.new == 1  # only pages without entries are tested for walls


def test_a_source_that_fails_half_way_is_rolled_back_whole(store: Store, web) -> None:
    import datetime as dt

    from driftwatch.timeutil import iso

    now = [dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)]
    store.clock = lambda: now[0]
    source = notes(web.page("/notes", CURRENT))
    check(store, source)
    before = {e["id"]: dict(e) for e in store.entries("notes")}
    row_before = store.source("notes")
    bodies = store.db["bodies"].count

    now[0] += dt.timedelta(hours=6)
    edited = CURRENT.replace("<h2>Audit log export</h2>", "<h2>Audit log export</h2><p>Now as CSV too.</p>")
    web.page("/notes", edited)
    with Fetcher(retries=0) as fetcher:  # seen entries are touched, the body stored, then the classifier fails
        outcome = run_check(store, [source], fetcher, FailsOn("Audit log export")).sources[0]
    assert outcome.status == "error" and "model exploded" in outcome.error
    assert {e["id"]: dict(e) for e in store.entries("notes")} == before  # last_seen_at untouched too
    assert store.db["bodies"].count == bodies and store.source("notes")["etag"] == row_before["etag"]
    assert store.db["entry_versions"].count == 5
    assert store.source("notes")["last_checked_at"] == iso(now[0])  # the failure itself is recorded

    retried = check(store, source)
    assert retried.sources[0].status == "ok" and retried.sources[0].edited == 1


def test_slack_source_lists_show_blocked_sources() -> None:
    from driftwatch.bot import blocks

    row = {"name": "help", "status": "blocked", "status_reason": "HTTP 403 from h <!channel>; remedy: x",
           "last_success_at": None}
    listed = json.dumps(blocks.sources_blocks([row]))
    assert ":no_entry:" in listed and "blocked" in listed and "&lt;!channel&gt;" in listed
    home = json.dumps(blocks.home_view([], [], [row, {**row, "name": "ok-one", "status": "ok"}]))
    assert "1 healthy, 1 need attention" in home and "remedy" in home


def test_source_that_moves_later_is_one_change_and_keeps_its_entries(store: Store, web) -> None:
    source = notes(web.page("/old", CURRENT))
    check(store, source)
    web.route("/old", Reply(301, b"", {"Location": web.url("/new")}))
    web.page("/new", CURRENT)
    moved = check(store, source)
    assert [c["kind"] for c in moved.changes] == ["source_moved"]
    assert moved.sources[0].status == "unchanged" and moved.sources[0].entries == 5
    assert store.source("notes")["url"] == web.url("/new")
    assert check(store, source).changes == []
    assert store.db["entries"].count == 5
