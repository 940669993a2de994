"""Operations: the worker survives kills, delivery loses nothing and sends nothing twice, health, export."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path


from driftwatch.bot.service import SlackService, make_client
from driftwatch.config import load_settings
from driftwatch.store import Store
from driftwatch.timeutil import iso
from driftwatch.worker import digest_trigger

from .fake_slack import BOT_TOKEN, FakeSlack
from .fakeweb import Reply
from .inprocess import run_driftwatch

ROOT = Path(__file__).resolve().parent.parent
SECRET = "ops-signing-secret-123456"
ADMIN_KEY = "sk-admin-ops-key-abcdef123456"


def hot_page(count: int) -> str:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(count)]
    items = "".join(f"<h1>{d:%B} {d.day}, {d.year}</h1><h2>Connector {i} write actions on by default</h2>"
                    f"<p>The connector {i} app can now create and delete files. Write actions are enabled by "
                    f"default for all members.</p>" for i, d in enumerate(reversed(days)))
    return f"<html><body><div class='article-content'>{items}</div></body></html>"


def setup(tmp_path: Path, web, *, entries: int = 6, extra: str = "") -> tuple[Path, dict[str, str], FakeSlack]:
    fake = FakeSlack(web)
    web.page("/notes", hot_page(entries))
    config = tmp_path / "driftwatch.toml"
    config.write_text(
        f'[storage]\npath = "ops.db"\n[fetch]\nretries = 0\ntimeout = 5\n'
        f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n'
        f'[slack]\nchannel = "C1"\n{extra}')
    env = {**os.environ, "DRIFTWATCH_CONFIG": str(config), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.base_url, "PYTHONPATH": str(ROOT)}
    env.pop("DRIFTWATCH_DB", None)
    return config, env, fake


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """A command whose exit code and output are checked: run in this process (see tests/inprocess.py)."""
    return run_driftwatch(args, env=env, cwd=ROOT)


def run_process(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """A command in a process of its own, where the test is about processes (locks held by another one)."""
    return subprocess.run([sys.executable, "-m", "driftwatch", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_sigkill_at_random_points_loses_nothing_and_sends_nothing_twice(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=30)
    fake.delay = 0.03
    db = tmp_path / "ops.db"
    rng = random.Random(4)
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-m", "driftwatch", "worker", "--once"], env=env, cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 3.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        with Store.open(db) as store:
            assert store.integrity() == "ok"
    final = run(["worker", "--once"], env)
    assert final.returncode == 0, final.stderr
    with Store.open(db) as store:
        assert store.integrity() == "ok"
        changes = store.changes()
        assert len([c for c in changes if c["kind"] == "new_entry"]) == 30  # none lost, none twice
        assert len({c["dedupe_key"] for c in changes}) == len(changes)
        counts = store.outbox_counts()
        assert counts.get("pending", 0) == 0 and counts.get("sending", 0) == 0 and counts.get("failed", 0) == 0
        sent_ids = {r["id"] for r in store.outbox(("sent",), 10000) if r["kind"] != "update"}
        alerts = store.db["outbox"].count_where("kind = 'alert'")
    posted = fake.outbox_ids()
    assert sorted(posted) == sorted(set(posted)), "a message was posted twice"
    assert set(posted) == sent_ids  # every message the database calls sent is in Slack, and only those
    assert alerts == 30  # every high change was alerted once


def test_slack_down_then_rate_limited_then_back_delivers_once_in_order(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=5)
    assert run(["check"], {**env, "SLACK_BOT_TOKEN": ""}).returncode == 0  # stored while Slack unknown
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url})
    clock = [dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc)]
    service = SlackService(make_client(settings), settings, clock=lambda: clock[0],
                           store_factory=lambda: Store.open(settings.db_path, clock=lambda: clock[0], migrate=False),
                           sleep=lambda s: clock.__setitem__(0, clock[0] + dt.timedelta(seconds=s)))
    fake.fail_next("chat.postMessage", 503, times=3)
    fake.fail_next("chat.postMessage", 429, {"Retry-After": "30"})
    first = service.post_digest(max_wait=0)
    assert first["status"] == "posting" and fake.messages == {}  # nothing yet, nothing lost
    for _ in range(10):  # the worker's delivery job, over the next minutes
        clock[0] += dt.timedelta(minutes=2)
        service.deliver()
    with Store.open(settings.db_path) as store:
        digest = store.digest(first["digest_id"])
        assert digest["status"] == "posted"
        rows = store.outbox(("sent",), 1000)
    parent_ts = digest["ts"]
    assert len(fake.messages) == len(rows) == 1 + len(digest["summary"]["items"])
    assert fake.order[0] == ("C1", parent_ts)  # the parent first
    items = [fake.messages[key] for key in fake.order[1:]]
    assert all(m["thread_ts"] == parent_ts for m in items)
    ids = [m["metadata"]["event_payload"]["outbox_id"] for m in items]
    assert ids == sorted(ids)  # replies in order
    assert service.post_digest()["status"] == "already_posted"


def test_digest_period_spanning_a_restart_is_posted_once(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=3)
    assert run(["check"], {**env, "SLACK_BOT_TOKEN": ""}).returncode == 0
    fake.fail_next("chat.postMessage", 503, times=50)
    down = run(["digest", "--post", "--wait", "0", "--json"], env)
    assert down.returncode == 1, down.stderr  # messages left pending past --wait: exit 1
    assert json.loads(down.stdout)["status"] == "posting"
    fake.failures.clear()  # Slack is back; the postponed messages fall due
    time.sleep(2.5)
    after_restart = run(["worker", "--once"], env)  # the restarted worker finishes the same period
    assert after_restart.returncode == 0, after_restart.stderr
    again = run(["digest", "--post", "--json"], env)
    assert json.loads(again.stdout)["status"] == "already_posted"
    assert "already posted" in run(["digest", "--post"], env).stdout
    parents = [m for m in fake.messages.values() if "thread_ts" not in m and "digest" in (m.get("text") or "")]
    assert len(parents) == 1


def test_second_worker_refuses_and_sigterm_stops_cleanly(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=3)
    first = subprocess.Popen([sys.executable, "-m", "driftwatch", "worker"], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = tmp_path / "ops.db.worker.lock.pid"  # written once the lock is held
    deadline = time.monotonic() + 30
    while not (holder.exists() and holder.read_text().strip() == str(first.pid)):
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    second = run_process(["worker", "--once"], env)
    assert second.returncode == 1
    assert "another driftwatch worker is already running" in second.stderr and str(first.pid) in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    with Store.open(tmp_path / "ops.db") as store:
        assert store.integrity() == "ok"
    assert run_process(["worker", "--once"], env).returncode == 0  # the lock went with the process


def test_logs_are_json_and_never_contain_secrets(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=4)
    env = {**env, "OPENAI_ADMIN_KEY": ADMIN_KEY, "DRIFTWATCH_LOG_FORMAT": "json"}
    proc = run(["-vv", "check"], env)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)
    for secret in (BOT_TOKEN, SECRET, ADMIN_KEY):
        assert secret not in proc.stderr and secret not in proc.stdout
    assert fake.of("chat.postMessage")  # Slack really was called with the token


def test_failing_source_raises_one_alert_and_one_recovery(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=2)
    assert run(["check"], env).returncode == 0
    web.route("/notes", Reply(500, b"down"))
    for _ in range(4):  # a source in error is an operational failure: exit 1, so cron notices
        assert run(["check"], env).returncode == 1
    web.page("/notes", hot_page(2))
    assert run(["check"], env).returncode == 0
    with Store.open(tmp_path / "ops.db") as store:
        kinds = [c["kind"] for c in store.changes(ascending=True)]
        alerts = [r for r in store.outbox(("sent",), 1000) if r["kind"] == "source_alert"]
    assert kinds.count("source_failing") == 1 and kinds.count("source_recovered") == 1
    assert len(alerts) == 2
    texts = [m["text"] for m in fake.messages.values()]
    assert any("failed 3 times in a row" in t for t in texts) and any("answers again" in t for t in texts)


def test_status_outbox_doctor_and_export(tmp_path: Path, web) -> None:
    config, env, fake = setup(tmp_path, web, entries=3)
    assert run(["check"], {**env, "SLACK_BOT_TOKEN": ""}).returncode == 0
    status = json.loads(run(["status", "--json"], env).stdout)
    assert status["last_runs"]["check"]["status"] == "ok" and "digest" in status["next_runs"]
    assert status["sources"][0]["name"] == "notes"
    # no token at check time: the alerts wait in the outbox (nothing dropped) until one is set
    waiting = json.loads(run(["outbox", "--json"], env).stdout)["counts"]["pending"]
    assert waiting >= 1
    deliver = json.loads(run(["deliver", "--json"], env).stdout)
    assert deliver["sent"] == waiting
    assert json.loads(run(["outbox", "--json"], env).stdout)["counts"].get("pending", 0) == 0

    doctor = run(["doctor", "--json"], env)
    report = json.loads(doctor.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["database"]["ok"] and checks["slack auth.test"]["ok"] and checks["slack channel"]["ok"]
    assert checks["source notes"]["ok"] and doctor.returncode == 0, [c for c in report["checks"] if not c["ok"]]
    broken = run(["doctor", "--json"], {**env, "SLACK_BOT_TOKEN": "xoxb-wrong"})
    assert broken.returncode == 1
    bad = {c["name"]: c for c in json.loads(broken.stdout)["checks"]}["slack auth.test"]
    assert not bad["ok"] and "SLACK_BOT_TOKEN" in bad["fix"] and "xoxb-wrong" not in broken.stdout

    jsonl = run(["export", "--since", "2000-01-01", "--format", "jsonl"], env)
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert {r["type"] for r in records} == {"change", "fetch"}
    assert all(r["schema"] == "driftwatch.export.v1" and r["id"] and r["at"].endswith("Z") for r in records)
    csv_out = run(["export", "--since", "30d", "--format", "csv", "--what", "changes"], env).stdout.splitlines()
    assert csv_out[0].startswith("schema,type,id,at") and len(csv_out) == 1 + 3
    assert run(["export", "--since", "30d", "--what", "nope"], env).returncode == 2

    follow = subprocess.Popen([sys.executable, "-m", "driftwatch", "export", "--since", "2000-01-01", "--what",
                               "acks", "--follow", "--interval", "0.2"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)
        from driftwatch.acks import acknowledge

        with Store.open(tmp_path / "ops.db") as store:
            acknowledge(store, "DW-1", actor="U1", via="cli", note="seen")
        line = follow.stdout.readline()
        assert json.loads(line)["type"] == "ack" and json.loads(line)["change"] == "DW-1"
    finally:
        follow.send_signal(signal.SIGINT)
        follow.wait(timeout=10)


def test_digest_schedule_is_every_second_week_across_year_end_and_dst(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[slack]\ntimezone = "Europe/Paris"\ndigest_anchor = 2025-12-15\n')
    settings = load_settings(str(config), env={})
    trigger = digest_trigger(settings, now=dt.datetime(2025, 12, 14, tzinfo=dt.timezone.utc))
    fire = trigger.get_next_fire_time(None, dt.datetime(2025, 12, 15, tzinfo=dt.timezone.utc))
    fires = []
    for _ in range(10):
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    assert all(f.weekday() == 0 and (f.hour, f.minute) == (9, 0) for f in fires)  # local time, DST included
    assert all((b.date() - a.date()).days == 14 for a, b in zip(fires, fires[1:]))
    dates = [f.date() for f in fires]
    assert dt.date(2025, 12, 29) in dates and dt.date(2026, 1, 12) in dates  # no shift at the year boundary
    assert dt.date(2026, 4, 6) in dates  # after the switch to summer time, still 09:00
    from driftwatch.schedule import current_period

    start, end = current_period(settings.config.slack, dt.datetime(2026, 1, 14, 12, tzinfo=dt.timezone.utc))
    assert start.date() == dt.date(2026, 1, 12) and end.date() == dt.date(2026, 1, 26)


def test_maintenance_keeps_the_newest_body_per_source(tmp_path: Path) -> None:
    clock = [dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)]
    with Store.open(tmp_path / "m.db", clock=lambda: clock[0]) as store:
        store.sync_source("a", "feed", "https://e.test/a")
        store.store_body("a", "u", "text/html", b"old", "1")
        store.store_body("a", "u", "text/html", b"newer", "2")
        clock[0] += dt.timedelta(days=400)
        assert store.prune_bodies(iso(clock[0] - dt.timedelta(days=180))) == 1
        assert [b["body"] for b in store.bodies("a")] == [b"newer"]


def test_readme_documents_operations() -> None:
    readme = (ROOT / "README.md").read_text()
    for text in ("driftwatch worker", "driftwatch deliver", "driftwatch outbox", "driftwatch doctor",
                 "driftwatch status", "driftwatch export", "deploy/", ".backup", "systemd"):
        assert text in readme, text
    assert (ROOT / "deploy" / "driftwatch-worker.service").exists()
    assert (ROOT / "deploy" / "driftwatch-web.service").exists()
