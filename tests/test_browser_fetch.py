"""fetch = "browser": pages whose entries exist only after their JavaScript runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftwatch.classify import classify
from driftwatch.cli import cli
from driftwatch.config import ConfigError, SourceConfig, validate_config
from driftwatch.store import Store
from driftwatch.watchers.check import run_check
from driftwatch.watchers.fetch import Fetcher

from .conftest import fixture_text
from .fakeweb import Reply

# The page holds no entry at all: its script asks /data.json for them and builds the
# help-center layout (a date heading, then one h2 title and a paragraph per entry).
APP = b"""<!doctype html><html><head><meta charset="utf-8"><title>Release notes</title>
<script>
fetch('/data.json').then(r => r.json()).then(days => {
  const root = document.getElementById('root');
  const box = document.createElement('div');
  box.className = 'article-content';
  for (const day of days) {
    const h1 = document.createElement('h1'); h1.textContent = day.date; box.appendChild(h1);
    for (const e of day.entries) {
      const h2 = document.createElement('h2'); h2.textContent = e.title; box.appendChild(h2);
      const p = document.createElement('p'); p.textContent = e.body; box.appendChild(p);
    }
  }
  root.appendChild(box);
});
</script></head><body><main><div id="root"></div></main></body></html>"""

DAYS = [
    {"date": "February 26, 2026", "entries": [
        {"title": "Drive app gains write actions", "body": "Members can ask the Drive app to create documents."},
        {"title": "Scheduled tasks for agents", "body": "Agents can run tasks every day without a person."}]},
    {"date": "February 19, 2026", "entries": [
        {"title": "Audit log export", "body": "Admins can export the audit log as JSON lines."}]},
]


def serve_app(web, days=DAYS) -> str:
    web.route("/data.json", Reply(200, json.dumps(days).encode(), {"Content-Type": "application/json"}))
    return web.route("/notes", Reply(200, APP, {"Content-Type": "text/html; charset=utf-8"}, etag=False))


def test_browser_fetch_parses_entries_built_by_javascript(store: Store, web, chromium: Path) -> None:
    url = serve_app(web)
    plain = SourceConfig(name="plain", kind="release_notes", url=url)
    rendered = SourceConfig(name="rendered", kind="release_notes", url=url, fetch="browser")
    with Fetcher(retries=0, timeout=20, user_agent="driftwatch-test/1 (browser)") as fetcher:
        report = run_check(store, [plain, rendered], fetcher, classify)
        by_name = {s.name: s for s in report.sources}
        # Over plain HTTP the page is an empty shell; rendered, it has its three entries.
        assert by_name["plain"].status == "blocked" and "empty app shell" in by_name["plain"].error
        assert by_name["rendered"].status == "ok" and by_name["rendered"].new == 3
        titles = sorted(e["title"] for e in store.entries("rendered"))
        assert titles == ["Audit log export", "Drive app gains write actions", "Scheduled tasks for agents"]
        assert {e["date"] for e in store.entries("rendered")} == {"2026-02-26", "2026-02-19"}
        # Same User-Agent as every fetch, for the page and for its own requests.
        assert web.hits("/notes")[-1].headers["user-agent"] == "driftwatch-test/1 (browser)"
        assert web.hits("/data.json")[-1].headers["user-agent"] == "driftwatch-test/1 (browser)"
        # The stored body is the rendered page, so replay sees what the check saw.
        body = list(store.bodies("rendered"))[-1]
        assert b"Audit log export" in body["body"] and body["content_type"].startswith("text/html")

        # No conditional GET in a browser: the same rendered page is recognised by its hash.
        again = run_check(store, [rendered], fetcher, classify)
        assert again.sources[0].status == "unchanged" and again.changes == []
        assert store.db["bodies"].count_where("source = 'rendered'") == 1
        assert [v["version"] for e in store.entries("rendered") for v in store.entry_versions(e["id"])] == [1, 1, 1]

        # A real change is seen through the browser too.
        days = [{"date": "March 5, 2026", "entries": [{"title": "Atlas for Enterprise", "body": "In beta."}]}, *DAYS]
        serve_app(web, days)
        changed = run_check(store, [rendered], fetcher, classify)
        assert changed.sources[0].status == "ok" and changed.sources[0].new == 1


def test_browser_fetch_blocked_size_cap_refused_and_feed(store: Store, web, chromium: Path) -> None:
    challenge = web.route("/wall", Reply(403, b"<html><head><title>Just a moment...</title></head><body>"
                                              b"<p>Enable JavaScript and cookies to continue</p></body></html>",
                                         {"Content-Type": "text/html"}))
    big = web.route("/big", Reply(200, b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>",
                                  {"Content-Type": "text/html"}))
    import socket

    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{free.getsockname()[1]}/notes"
    sources = [SourceConfig(name="wall", kind="release_notes", url=challenge, fetch="browser"),
               SourceConfig(name="big", kind="release_notes", url=big, fetch="browser"),
               SourceConfig(name="down", kind="release_notes", url=refused, fetch="browser"),
               SourceConfig(name="feed", kind="feed", fetch="browser",
                            url=web.page("/feed.xml", fixture_text("feed-rss.xml"), "application/rss+xml"))]
    with Fetcher(retries=0, timeout=20, max_bytes=200_000) as fetcher:
        report = run_check(store, sources, fetcher, classify)
    by_name = {s.name: s for s in report.sources}
    assert by_name["wall"].status == "blocked" and "browser was refused too" in by_name["wall"].error
    assert by_name["big"].status == "error" and "too large" in by_name["big"].error
    assert by_name["down"].status == "error" and "network error (browser)" in by_name["down"].error
    # A feed is read as served (scripts do not run on it), not as the browser's XML viewer.
    assert by_name["feed"].status == "ok" and by_name["feed"].new == 2
    assert sorted(e["guid"] for e in store.entries("feed")) == ["fx-100", "fx-101"]


def test_missing_browser_is_the_source_error_with_the_fix(store: Store, web, tmp_path: Path) -> None:
    url = serve_app(web)
    source = SourceConfig(name="rendered", kind="release_notes", url=url, fetch="browser")
    with Fetcher(retries=0, browser_path=str(tmp_path / "no-such-chromium")) as fetcher:
        outcome = run_check(store, [source], fetcher, classify).sources[0]
    assert outcome.status == "error" and outcome.error.startswith("browser fetch unavailable")
    assert "no-such-chromium" in outcome.error


def test_fetch_value_is_validated() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config({"sources": [{"name": "x", "kind": "feed", "url": "https://x.test/", "fetch": "chrome"}]},
                        "driftwatch.toml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("driftwatch.toml: sources[0].fetch:")
    assert "'http'" in message and "'browser'" in message
    with pytest.raises(ConfigError, match="fetch.browser_path"):
        validate_config({"fetch": {"browser_path": 42}}, "driftwatch.toml")
    ok = validate_config({"fetch": {"browser_path": "/usr/bin/chromium"},
                          "sources": [{"name": "x", "kind": "feed", "url": "https://x.test/", "fetch": "browser"}]},
                         "driftwatch.toml")
    assert ok.sources[0].fetch == "browser" and ok.fetch.browser_path == "/usr/bin/chromium"


def test_doctor_says_when_the_browser_is_missing(tmp_path: Path) -> None:
    config = tmp_path / "driftwatch.toml"
    config.write_text(
        '[storage]\npath = "dw.db"\n[fetch]\nbrowser_path = "/nowhere/chromium"\n'
        '[[sources]]\nname = "js-notes"\nkind = "release_notes"\nurl = "https://example.test/notes"\nfetch = "browser"\n'
        '[[sources]]\nname = "feed"\nkind = "feed"\nurl = "https://example.test/feed.xml"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor", "--offline", "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["browser"]["ok"] is False
    assert "js-notes" in checks["browser"]["detail"] and "/nowhere/chromium" in checks["browser"]["detail"]
    assert "browser_path" in checks["browser"]["fix"]

    config.write_text('[storage]\npath = "dw.db"\n[[sources]]\nname = "feed"\nkind = "feed"\n'
                      'url = "https://example.test/feed.xml"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor", "--offline", "--json"])
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["browser"]["ok"] is True and "not needed" in checks["browser"]["detail"]


def test_proxy_credentials_come_from_the_environment_only(tmp_path: Path) -> None:
    from driftwatch.config import load_settings

    with pytest.raises(ConfigError) as info:
        validate_config({"fetch": {"proxy": "http://user:hunter2@proxy.test:3128"}}, "driftwatch.toml")
    assert "DRIFTWATCH_PROXY" in str(info.value) and "hunter2" not in str(info.value)
    settings = load_settings(None, env={"DRIFTWATCH_PROXY": "http://user:hunter2@proxy.test:3128"})
    assert settings.config.fetch.proxy == "http://user:hunter2@proxy.test:3128"
    assert "hunter2" not in repr(settings.secrets)
    with pytest.raises(ConfigError) as bad:
        load_settings(None, env={"DRIFTWATCH_PROXY": "socks9://user:hunter2@x"})
    assert "hunter2" not in str(bad.value)


def test_check_command_renders_browser_sources_with_the_configured_chromium(tmp_path: Path, web,
                                                                            chromium: Path) -> None:
    url = serve_app(web)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[fetch]\nretries = 0\nbrowser_path = "{chromium}"\n'
                      f'user_agent = "dw-cli-test"\n'
                      f'[[sources]]\nname = "js"\nkind = "release_notes"\nurl = "{url}"\nfetch = "browser"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sources"][0]["status"] == "ok" and report["sources"][0]["new"] == 3
    assert [c["kind"] for c in report["changes"]] == ["new_entry"] * 3
    assert web.hits("/data.json")[-1].headers["user-agent"] == "dw-cli-test"
    doctor = CliRunner().invoke(cli, ["--config", str(config), "doctor", "--offline", "--json"])
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["browser"]["ok"] is True and str(chromium) in checks["browser"]["detail"]


def test_the_browser_never_loads_metadata_addresses() -> None:
    from driftwatch.watchers.browser_fetch import BrowserSession

    session = BrowserSession(timeout=5, max_bytes=1000, user_agent="t")
    names = {"rebind.test": ["169.254.169.254"], "mirror.test": ["127.0.0.1"]}
    session.resolver = lambda host, port: names.get(host, [host])
    assert not session.allow_request("http://169.254.169.254/latest/meta-data/")
    assert not session.allow_request("http://[fd00:ec2::254]/")
    assert not session.allow_request("http://rebind.test/steal")  # a name that resolves there
    assert not session.allow_request("javascript:alert(1)")
    assert session.allow_request("http://mirror.test/notes") and session.allow_request("http://127.0.0.1:8/x")
