"""Operator experience: exit codes a scheduler can act on, one-line errors, nothing dropped silently."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.store import Store

from .conftest import fixture_bytes, fixture_text
from .fakeweb import Reply

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def write_config(tmp_path: Path, web, extra: str = "", *, pages: bool = True) -> Path:
    if pages:
        web.page("/notes", fixture_bytes("release-notes-current.html"))
    cfg = tmp_path / "driftwatch.toml"
    cfg.write_text(
        f'[storage]\npath = "dw.db"\n[fetch]\nretries = 0\ntimeout = 3\n'
        f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n' + extra)
    return cfg


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DRIFTWATCH_"))}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


# --- exit codes -----------------------------------------------------------------------------


def test_check_with_every_source_in_error_exits_1_and_records_the_run_failed(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, pages=False)
    web.route("/notes", Reply(500, b"down"))
    result = run("check")
    assert result.exit_code == 1 and "notes" in result.stderr
    as_json = run("check", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["failed"] == ["notes"]
    with Store.open(tmp_path / "dw.db") as store:
        assert {r["kind"]: r["status"] for r in store.last_runs()}["check"] == "failed"


def test_check_with_some_sources_in_error_is_partial(tmp_path: Path, web) -> None:
    web.page("/feed.xml", fixture_text("feed-rss.xml"), "application/rss+xml")
    write_config(tmp_path, web, pages=False,
                 extra=f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{web.url("/feed.xml")}"\n')
    web.route("/notes", Reply(500, b"down"))
    assert run("check").exit_code == 1
    with Store.open(tmp_path / "dw.db") as store:
        assert {r["kind"]: r["status"] for r in store.last_runs()}["check"] == "partial"


def test_snapshot_and_doctor_fail_on_a_missing_or_invalid_attested_file(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, extra='[[workspaces]]\nname = "acme"\nattested = "attested.toml"\n')
    missing = run("snapshot")
    assert missing.exit_code == 1 and "attested" in missing.stderr
    doctor = run("doctor", "--offline", "--json")
    assert doctor.exit_code == 1
    check = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}["attested acme"]
    assert not check["ok"] and "not found" in check["detail"]

    (tmp_path / "attested.toml").write_text('[settings]\n"apps.box.write_actions" = "yes"\n')
    wrong = run("snapshot", "--json")
    assert wrong.exit_code == 1
    error = json.loads(wrong.stdout)["snapshots"][0]["errors"]["attested"]
    assert "apps.box.write_actions" in error and "attested.toml" in error and "true or false" in error
    assert "\n" not in error
    assert run("doctor", "--offline").exit_code == 1

    (tmp_path / "attested.toml").write_text('[settings]\n"apps.box.write_actions" = false\n')
    assert run("snapshot").exit_code == 0
    assert run("doctor", "--offline").exit_code == 0


def test_enum_values_outside_the_catalogue_are_errors_naming_the_choices(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, extra='[[workspaces]]\nname = "acme"\nattested = "attested.toml"\n')
    (tmp_path / "attested.toml").write_text('[settings]\n"apps.new_actions_policy" = "sometimes"\n')
    result = run("snapshot")
    assert result.exit_code == 1
    assert '"apps.new_actions_policy"' in result.stdout + result.stderr
    assert 'one of "disabled", "read_only", "all"' in result.stdout + result.stderr


def test_ctrl_c_exits_130_and_the_run_is_interrupted(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, pages=False)
    web.route("/notes", Reply(200, b"<html></html>", {"Content-Type": "text/html"}, delay=30))
    proc = subprocess.Popen([sys.executable, "-m", "driftwatch", "check"], cwd=tmp_path, env=subprocess_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not web.hits("/notes") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert web.hits("/notes"), "the check never reached the source"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    with Store.open(tmp_path / "dw.db") as store:
        assert {r["kind"]: r["status"] for r in store.last_runs()}["check"] == "interrupted"


def test_usage_errors_exit_2() -> None:
    assert run("changes", "--since", "2025-13-45").exit_code == 2
    assert run("digest", "--force").exit_code == 2
    assert run("check", "--source", "nosuch").exit_code == 2
    result = run("changes", "--source", "nosuch")
    assert result.exit_code == 2 and "unknown source" in result.stderr


# --- one-line errors for a broken install or a typo ---------------------------------------------


def test_missing_or_incomplete_data_directory_is_one_line(tmp_path: Path) -> None:
    for args in (["baseline"], ["check"], ["doctor", "--offline"], ["demo", "--db", str(tmp_path / "d.db")],
                 ["settings", "list"]):
        # a process of its own each: the data files, once read, are cached for the life of a process
        proc = subprocess.run([sys.executable, "-m", "driftwatch", *args], cwd=tmp_path, capture_output=True,
                              text=True, env=subprocess_env(DRIFTWATCH_DATA_DIR="/nonexistent/data"), timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "/nonexistent/data" in proc.stderr
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "sources.toml").write_text("sources = []\n")
    proc = subprocess.run([sys.executable, "-m", "driftwatch", "baseline"], cwd=tmp_path, capture_output=True,
                          text=True, env=subprocess_env(DRIFTWATCH_DATA_DIR=str(partial)), timeout=60)
    assert proc.returncode == 2 and "baseline.toml" in proc.stderr and "Traceback" not in proc.stderr


def test_a_database_folder_that_does_not_exist_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.db"
    env = {"DRIFTWATCH_DB": str(target)}
    for args in (["changes"], ["status"], ["sources"], ["outbox"]):
        result = run(*args, env=env)
        assert result.exit_code == 2 and str(target) in result.stderr, (args, result.stderr)
    assert not (tmp_path / "nonexistent").exists()
    assert run("init", env=env).exit_code == 0 and target.exists()  # only init creates folders
    assert run("changes", env=env).exit_code == 0


def test_relative_database_paths_resolve_against_the_config_file_else_the_working_directory(tmp_path: Path) -> None:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "driftwatch.toml").write_text('[storage]\npath = "in-conf.db"\n')
    init = json.loads(run("--config", str(conf_dir / "driftwatch.toml"), "init", "--json").stdout)
    assert Path(init["database"]).resolve() == (conf_dir / "in-conf.db").resolve()
    from_env = json.loads(run("init", "--json", env={"DRIFTWATCH_DB": "env.db"}).stdout)
    assert Path(from_env["database"]).resolve() == (tmp_path / "env.db").resolve()
    assert (tmp_path / "env.db").exists() and (conf_dir / "in-conf.db").exists()


def test_log_level_from_the_config_is_applied(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, extra='[log]\nlevel = "info"\n')
    loud = run("check")
    assert "source notes" in loud.stderr
    write_config(tmp_path, web, extra='[log]\nlevel = "error"\n')
    quiet = run("check")
    assert "source notes" not in quiet.stderr


# --- nothing dropped silently, delivery bounded in time ---------------------------------------


def slack_config(tmp_path: Path, web, entries: int = 2) -> Path:
    from .test_operations import hot_page

    web.page("/notes", hot_page(entries))
    return write_config(tmp_path, web, pages=False, extra='[slack]\nchannel = "C1"\n')


def refused_url() -> str:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


def test_without_a_token_check_and_status_say_how_many_alerts_wait(tmp_path: Path, web) -> None:
    slack_config(tmp_path, web)
    check = run("check")
    assert check.exit_code == 0  # waiting alone is not a failure
    assert "2 Slack alerts waiting" in check.stdout and "SLACK_BOT_TOKEN" in check.stdout
    as_json = run("check", "--json")
    assert json.loads(as_json.stdout)["waiting"] == 2 and "2 Slack alerts waiting" in as_json.stderr
    status = run("status")
    assert status.exit_code == 0 and "2 Slack alerts waiting" in status.stdout
    assert "{'" not in status.stdout and "Slack outbox" in status.stdout
    data = json.loads(run("status", "--json").stdout)
    assert data["outbox"] == {"pending": 2, "sending": 0, "sent": 0, "failed": 0} and data["waiting"] == 2


def test_digest_wait_is_a_hard_bound_with_slack_refusing_or_stalling(tmp_path: Path, web) -> None:
    from .fake_slack import BOT_TOKEN, FakeSlack

    slack_config(tmp_path, web)
    assert run("check").exit_code == 0
    refused = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": refused_url()}
    started = time.monotonic()
    result = run("digest", "--post", "--wait", "0", env=refused)
    assert time.monotonic() - started < 2.0
    assert result.exit_code == 1 and "queued" in result.stdout  # pending past --wait

    fake = FakeSlack(web)
    fake.delay = 20  # Slack accepts the connection and never answers in time
    stalled = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url}
    started = time.monotonic()
    result = run("digest", "--post", "--wait", "2", "--json", env=stalled)
    elapsed = time.monotonic() - started
    assert 1.9 <= elapsed < 3.5, elapsed
    assert result.exit_code == 1 and json.loads(result.stdout)["status"] == "posting"


def test_forced_digests_during_an_outage_are_delivered_once(tmp_path: Path, web) -> None:
    from .fake_slack import BOT_TOKEN, FakeSlack

    slack_config(tmp_path, web)
    assert run("check").exit_code == 0
    fake = FakeSlack(web)
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url}
    fake.fail_next("chat.postMessage", 503, times=1000)  # Slack is down
    for _ in range(3):
        forced = run("digest", "--post", "--force", "--wait", "0", env=env)
        assert forced.exit_code == 1, forced.stdout + forced.stderr
    with Store.open(tmp_path / "dw.db") as store:
        assert len(store.db.execute("select id from digests").fetchall()) == 1
    with fake.lock:
        fake.failures.clear()  # Slack is back
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        report = json.loads(run("deliver", "--json", env=env).stdout)
        if not report["waiting"] and not json.loads(run("outbox", "--json").stdout)["counts"]["pending"]:
            break
        time.sleep(0.5)
    parents = [m for m in fake.messages.values() if "thread_ts" not in m and "digest" in (m.get("text") or "").lower()]
    assert len(parents) == 1, [m.get("text") for m in fake.messages.values()]
    status = json.loads(run("status", "--json", env=env).stdout)
    jobs = {j["job"]: j for j in status["jobs"]}
    assert jobs["digest"]["last_run"] and jobs["deliver"]["last_run"] and jobs["digest"]["next_run"]


# --- readable at 80 columns ------------------------------------------------------------------


def rendered(renderable, width: int = 80) -> list[str]:
    import io

    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue().splitlines()


def test_tables_stay_one_line_per_row_at_80_columns() -> None:
    from driftwatch._terminal import changes_table, outbox_table, posture_table, sources_table

    long_title = "A very long release note title that goes on and on about connectors and write actions " * 2
    changes = [{"id": f"DW-{i}", "severity": "high", "kind": "entry_new", "source": "chatgpt-enterprise-release-notes",
                "date": "2025-11-25", "title": long_title, "categories": ["connectors", "data_handling"],
                "acked_by": "U999", "acked_by_name": "Alice Admin"} for i in range(4)]
    lines = rendered(changes_table(changes, title="4 changes"))
    body = [line for line in lines if line.startswith("│")]
    assert len(body) == 4 and all(len(line) <= 80 for line in lines)
    assert all("…" in line and "DW-" in line and "2025-11-25" in line for line in body)
    header = next(line for line in lines if line.startswith("┃"))
    assert "severity" in header and "title" in header  # low-value columns go first

    sources = [{"name": f"source-{i}", "kind": "release_notes", "status": "error", "entries": 12,
                "last_success_at": "2025-11-20T10:00:00Z", "reason": "HTTP 503 from the server " * 5} for i in range(3)]
    lines = rendered(sources_table(sources))
    assert len([line for line in lines if line.startswith("│")]) == 3 and all(len(line) <= 80 for line in lines)

    report = {"workspace": "acme", "taken_at": "2025-11-25T00:00:00Z", "complete": True, "controls": [
        {"id": f"DW-CTRL-APP-00{i}", "status": "fail", "severity": "high", "observed": "all",
         "expected": {"one_of": ["restricted", "off"]}, "title": long_title, "settings": ["apps.x"],
         "evidence": [{"collector": "attested", "observed_at": "2025-11-20", "actor": "bob@acme.example"}]}
        for i in range(3)]}
    lines = rendered(posture_table(report))
    assert len([line for line in lines if line.startswith("│")]) == 3 and all(len(line) <= 80 for line in lines)
    assert "restricted or off" in "\n".join(lines) and "one_of" not in "\n".join(lines)

    pending = [{"id": i, "kind": "digest_item", "dedupe_key": f"digest:12:item:{i}" * 3, "attempts": 4,
                "next_attempt_at": "2025-11-25T10:00:00Z", "last_error": "network error: " * 10} for i in range(5)]
    lines = rendered(outbox_table(pending))
    assert len([line for line in lines if line.startswith("│")]) == 5 and all(len(line) <= 80 for line in lines)


def test_changes_piped_without_json_is_one_line_per_change(tmp_path: Path, web) -> None:
    write_config(tmp_path, web)
    assert run("check").exit_code == 0
    count = len(json.loads(run("changes", "--json").stdout)["changes"])
    proc = subprocess.run([sys.executable, "-m", "driftwatch", "changes"], cwd=tmp_path, capture_output=True,
                          text=True, env=subprocess_env(), timeout=60)
    rows = [line for line in proc.stdout.splitlines() if line.startswith("│")]
    assert proc.returncode == 0 and len(rows) == count and all(len(line) <= 80 for line in proc.stdout.splitlines())


def test_expected_values_in_words() -> None:
    from driftwatch.posture.wording import expected_words, value_words

    assert expected_words({"one_of": ["restricted", "off"]}) == "restricted or off"
    assert expected_words(["restricted", "off"], "in") == "restricted or off"
    assert expected_words({"not": "infinite"}) == "not infinite"
    assert expected_words(90, "at_least", "api.retention_days") == "at least 90 days"
    assert expected_words({"at_least": 90}, key="workspace.retention_days") == "at least 90 days"
    assert expected_words(False, "equals") == "off" and value_words(True) == "on"
    assert expected_words({"list_without": "danger-full-access"}) == "without danger-full-access"


def test_posture_json_keeps_the_structured_rule_while_the_terminal_uses_words(tmp_path: Path) -> None:
    demo = json.loads(run("demo", "--json", "--db", str(tmp_path / "demo.db")).stdout)
    assert any(isinstance(c["expected"], dict) and "one_of" in c["expected"] for c in demo["posture"]["controls"])
    shown = run("demo", "--db", str(tmp_path / "demo2.db")).stdout
    assert "one_of" not in shown


# --- names, not user ids ---------------------------------------------------------------------


def test_acks_show_the_display_name_and_json_keeps_the_user_id(tmp_path: Path, web) -> None:
    from driftwatch.bot.commands import parse_command as parse
    from driftwatch.bot.service import SlackService, make_client
    from driftwatch.config import load_settings

    from .fake_slack import BOT_TOKEN, FakeSlack

    slack_config(tmp_path, web)
    assert run("check").exit_code == 0
    fake = FakeSlack(web)
    fake.users["U999"] = {"id": "U999", "name": "alice", "profile": {"display_name": "Alice Admin"}}
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url}
    settings = load_settings(env=env)
    service = SlackService(make_client(settings), settings)
    ref = json.loads(run("changes", "--json").stdout)["changes"][0]["id"]
    service.act(parse(f"ack {ref} looked at it"), user="U999", via="slash")
    service.act(parse(f"ack {ref}"), user="U999", via="slash")
    assert len(fake.of("users.info")) == 1  # cached
    change = next(c for c in json.loads(run("changes", "--json").stdout)["changes"] if c["id"] == ref)
    assert change["acked_by"] == "U999" and change["acked_by_name"] == "Alice Admin"
    assert "Alice" in run("changes").stdout
    item = run("item", ref)
    assert "ack by Alice Admin via slash" in item.stdout
    assert json.loads(run("item", ref, "--json").stdout)["acks"][0]["actor"] == "U999"
    card = fake.of("chat.update") or fake.of("chat.postMessage")
    assert any("Alice Admin" in json.dumps(c.params.get("blocks")) for c in card)


# --- browsing in Datasette -------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_browse_serves_canned_queries_read_only(tmp_path: Path) -> None:
    import httpx
    import pytest

    pytest.importorskip("datasette", reason="Datasette comes with the test and browse extras")
    db = tmp_path / "demo.db"
    assert run("demo", "--json", "--db", str(db)).exit_code == 0
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "driftwatch", "browse", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=tmp_path, env=subprocess_env(DRIFTWATCH_DB=str(db)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"{base}/driftwatch/open_changes.json?_shape=objects", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert answer.status_code == 200
        rows = answer.json()["rows"]
        assert rows and {r["severity"] for r in rows} <= {"high", "medium"}
        for name in ("failing_controls", "acks_by_person", "source_health"):
            assert httpx.get(f"{base}/driftwatch/{name}.json", timeout=5).json()["ok"] is True
        failing = httpx.get(f"{base}/driftwatch/failing_controls.json?_shape=objects", timeout=5).json()["rows"]
        assert any(r["workspace"] == "acme" for r in failing)
        tables = {t["name"]: t for t in httpx.get(f"{base}/driftwatch.json", timeout=5).json()["tables"]}
        assert tables["changes_fts"]["hidden"] and not tables["changes"]["hidden"]
        meta = httpx.get(f"{base}/-/metadata.json", timeout=5).json()["databases"]["driftwatch"]["tables"]
        assert "severity" in meta["changes"]["facets"] and meta["outbox"]["description"]
        write = httpx.post(f"{base}/driftwatch/-/query", data={"sql": "delete from changes"}, timeout=5)
        assert write.status_code >= 400
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    with Store.open(db) as store:
        assert store.changes()  # nothing was deleted


# --- the dead-man's switch -------------------------------------------------------------------


def test_health_rule_names_each_condition() -> None:
    import datetime as dt

    from driftwatch.health import alerts_to_send, open_alerts, problems

    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.timezone.utc)
    healthy = problems(now, check_interval=3600, last_check=now - dt.timedelta(hours=2), watching_since=None,
                       collectors_failing={"acme/compliance": now - dt.timedelta(hours=3)},
                       cursors_moved={"acme/compliance": now - dt.timedelta(hours=30)})
    assert healthy == []
    sick = problems(now, check_interval=3600, last_check=now - dt.timedelta(hours=4), watching_since=None,
                    collectors_failing={"acme/compliance": now - dt.timedelta(hours=25)},
                    cursors_moved={"acme/platform_admin": now - dt.timedelta(days=3)})
    assert [p.code for p in sick] == ["checks_stale", "collector_failing:acme/compliance",
                                      "cursor_stuck:acme/platform_admin"]
    assert "worker" in sick[0].reason and "1 days" not in sick[1].reason
    opened = open_alerts([{"dedupe_key": "health:checks_stale@2026-03-10T00:00:00Z"},
                          {"dedupe_key": "health:cursor_stuck:acme/x@2026-03-09T00:00:00Z"},
                          {"dedupe_key": "health-clear:cursor_stuck:acme/x@2026-03-09T00:00:00Z"}])
    assert opened == {"checks_stale": "2026-03-10T00:00:00Z"}
    start, clear = alerts_to_send(sick, opened)
    assert [p.code for p in start] == ["collector_failing:acme/compliance", "cursor_stuck:acme/platform_admin"]
    assert clear == []
    assert alerts_to_send([], opened) == ([], ["checks_stale"])


def test_healthz_answers_503_and_the_worker_alerts_once_per_condition(tmp_path: Path, web) -> None:
    import datetime as dt

    import httpx

    from driftwatch.bot.app import create_app, http_server
    from driftwatch.config import load_settings
    from driftwatch.timeutil import utcnow
    from driftwatch.worker import Jobs

    from .fake_slack import BOT_TOKEN, FakeSlack

    fake = FakeSlack(web)
    write_config(tmp_path, web, extra='[slack]\nchannel = "C1"\n[[workspaces]]\nname = "acme"\n')
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s3cret-for-tests", "SLACK_API_URL": fake.base_url}
    settings = load_settings(env=env)
    now = utcnow()
    days_ago = lambda n: (lambda: now - dt.timedelta(days=n))  # noqa: E731
    with Store.open(settings.db_path, clock=days_ago(3)) as old:
        old.finish_run(old.start_run("check"), "ok")
        old.set_cursor("acme", "compliance", "cursor-1")
    for n in (2, 1, 0):
        with Store.open(settings.db_path, clock=days_ago(n)) as store:
            store.add_snapshot("acme", values={}, provenance={}, complete=False,
                               errors={"compliance": "HTTP 401"}, run_id=None)
    settings = load_settings(env={**env})
    settings = settings.__class__(**{**settings.__dict__, "config": settings.config.model_copy(update={
        "workspaces": [settings.config.workspaces[0].model_copy(update={"compliance_workspace_id": "ws-1"})]})})

    app, _service = create_app(settings)
    server = http_server(app, settings, "127.0.0.1", 0)
    import threading

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        answer = httpx.get(f"http://127.0.0.1:{server.server_port}/healthz", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unhealthy" and "worker" in body["reason"]
    assert {p["code"] for p in body["problems"]} == {"checks_stale", "collector_failing:acme/compliance",
                                                     "cursor_stuck:acme/compliance"}

    jobs = Jobs(settings)
    jobs.health()
    jobs.health()  # still broken: nothing new
    with Store.open(settings.db_path) as store:
        raised = [r["dedupe_key"] for r in store.health_alerts()]
        assert len(raised) == 3 and all(k.startswith("health:") for k in raised)
        store.finish_run(store.start_run("check"), "ok")
        store.add_snapshot("acme", values={}, provenance={}, complete=True, errors={}, run_id=None)
        store.set_cursor("acme", "compliance", "cursor-2")
    jobs.health()
    jobs.health()
    with Store.open(settings.db_path) as store:
        keys = [r["dedupe_key"] for r in store.health_alerts()]
    assert len(keys) == 6 and sum(k.startswith("health-clear:") for k in keys) == 3
    texts = [m.get("text") or "" for m in fake.messages.values()]
    assert sum("driftwatch health" in t for t in texts) == 6


# --- smaller things --------------------------------------------------------------------------


def test_serve_socket_without_app_token_fails_before_announcing(tmp_path: Path) -> None:
    result = run("serve", "--socket", env={"SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 2 and "SLACK_APP_TOKEN" in result.stderr and "running" not in result.stderr


def test_serve_start_has_no_library_warning_about_token_and_client(tmp_path: Path, web, caplog) -> None:
    import logging

    from driftwatch.bot.app import create_app
    from driftwatch.config import load_settings

    from .fake_slack import BOT_TOKEN, FakeSlack

    fake = FakeSlack(web)
    settings = load_settings(env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "s",
                                  "SLACK_API_URL": fake.base_url, "DRIFTWATCH_DB": str(tmp_path / "x.db")})
    os.environ["SLACK_BOT_TOKEN"] = BOT_TOKEN  # Bolt reads it from the environment itself
    try:
        with caplog.at_level(logging.WARNING):
            create_app(settings)
    finally:
        del os.environ["SLACK_BOT_TOKEN"]
    assert not [r for r in caplog.records if "token" in r.getMessage().lower()]


def test_the_first_digest_does_not_claim_to_start_in_1970(tmp_path: Path, web) -> None:
    from .fake_slack import BOT_TOKEN, FakeSlack

    slack_config(tmp_path, web)
    assert run("check").exit_code == 0
    fake = FakeSlack(web)
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url}
    assert run("digest", "--post", env=env).exit_code == 0
    assert run("digest", "--post", "--force", env=env).exit_code == 0
    shown = json.dumps([m.get("blocks") for m in fake.messages.values()])
    assert "1970" not in shown and "the beginning" in shown


def test_gave_up_after_one_attempt_reads_right(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, pages=False)
    web.route("/notes", Reply(503, b"down"))
    error = json.loads(run("check", "--json").stdout)["sources"][0]["error"]
    assert "after 1 attempt)" in error, error


# --- the README tells the truth ----------------------------------------------------------------


def test_readme_lists_every_config_key_the_exit_codes_and_the_scopes() -> None:
    import re

    import yaml

    from driftwatch import config

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| Section / key |"):readme.index("**Paths.**")]
    sections = {"storage": config.StorageConfig, "fetch": config.FetchConfig, "sources": config.SourceConfig,
                "slack": config.SlackConfig, "workspaces": config.WorkspaceConfig, "waivers": config.WaiverConfig,
                "controls.<id>": config.ControlOverride, "log": config.LogConfig, "posture": config.PostureConfig}
    assert set(config.Config.model_fields) == {s.split(".")[0] for s in sections}
    for section, model in sections.items():
        rows = [line for line in table.splitlines() if f"[{section}]" in line or f"[[{section}]]" in line]
        for key in model.model_fields:
            assert any(f"`{key}`" in row or f"] {key}`" in row for row in rows), f"{section}.{key} missing"
    codes = readme[readme.index("| Code | Meaning |"):]
    assert all(re.search(rf"^\| `{code}` \|", codes, re.M) for code in (0, 1, 2, 130))
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    scopes_text = readme[readme.index("### Set up the Slack app"):readme.index("2. **HTTP mode**")]
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in scopes_text, scope
    assert "`outbox`" in readme[readme.index("## The database"):readme.index("## Operations")]
    assert "driftwatch[browse]" in readme
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("datasette") for d in extras["browse"]) and any(d.startswith("datasette") for d in extras["test"])
