"""Exactly once under concurrency: leased outbox rows, acks during a check, one check at a time."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from driftwatch.bot.commands import Request
from driftwatch.bot.outbox import Deliverer
from driftwatch.bot.service import SlackService, make_client
from driftwatch.config import load_settings
from driftwatch.runlock import exclusive
from driftwatch.store import Store

from .fake_slack import BOT_TOKEN, FakeSlack
from .inprocess import run_driftwatch
from .test_operations import hot_page

ROOT = Path(__file__).resolve().parent.parent


def configure(tmp_path: Path, web, entries: int = 5):
    fake = FakeSlack(web)
    web.page("/notes", hot_page(entries))
    config = tmp_path / "driftwatch.toml"
    config.write_text(
        f'[storage]\npath = "c.db"\n[fetch]\nretries = 0\ntimeout = 10\n'
        f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n'
        f'[slack]\nchannel = "C1"\n')
    env = {**os.environ, "DRIFTWATCH_CONFIG": str(config), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": "s" * 20, "SLACK_API_URL": fake.base_url, "PYTHONPATH": str(ROOT)}
    env.pop("DRIFTWATCH_DB", None)
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url})
    return settings, env, fake


def cli(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "driftwatch", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_concurrent_delivery_passes_post_each_row_once(tmp_path: Path, web) -> None:
    settings, env, fake = configure(tmp_path, web)
    fake.delay = 0.002
    with Store.open(settings.db_path) as store, store.transaction():
        for i in range(240):
            store.enqueue("confirmation", f"c:{i}", channel="C1", payload={"text": f"message {i}"})
    # four passes in threads of this process and two `deliver` processes, all at once
    procs = [cli(["deliver", "--json"], env) for _ in range(2)]
    passes = [Deliverer(make_client(settings), settings, lambda: Store.open(settings.db_path, migrate=False))
              for _ in range(4)]
    threads = [threading.Thread(target=p.deliver) for p in passes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert "database is locked" not in err and "Traceback" not in err
    SlackService(make_client(settings), settings).flush(max_wait=5)
    posted = fake.outbox_ids()
    assert len(posted) == len(set(posted)) == 240, f"{len(posted) - len(set(posted))} duplicate posts"
    with Store.open(settings.db_path) as store:
        assert store.outbox_counts() == {"sent": 240}
        assert store.db["outbox"].count_where("lease_owner is not null") == 0


def test_a_live_lease_is_respected_and_an_expired_one_is_retried(tmp_path: Path, web) -> None:
    settings, env, fake = configure(tmp_path, web)
    now = [dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc)]
    with Store.open(settings.db_path, clock=lambda: now[0]) as store:
        with store.transaction():
            store.enqueue("confirmation", "held", channel="C1", payload={"text": "held elsewhere"})
        row = store.outbox_row("held")
        # a pass on another machine claimed it and then vanished
        assert store.claim_outbox(row["id"], "elsewhere:1:abcd", "2026-05-01T12:02:00Z") is not None
        assert store.claim_outbox(row["id"], "me:2:efgh", "2026-05-01T12:02:00Z") is None  # claimed once
    factory = lambda: Store.open(settings.db_path, clock=lambda: now[0], migrate=False)  # noqa: E731
    deliverer = Deliverer(make_client(settings), settings, factory, clock=lambda: now[0])
    deliverer.deliver()
    assert fake.of("chat.postMessage") == []  # the lease is live: not ours to send
    now[0] += dt.timedelta(minutes=3)
    report = Deliverer(make_client(settings), settings, factory, clock=lambda: now[0]).deliver()
    assert len(fake.of("conversations.history")) == 1  # looked up first (metadata is the safety net)
    assert len(fake.of("chat.postMessage")) == 1 and report.sent == 1
    now[0] += dt.timedelta(minutes=3)
    Deliverer(make_client(settings), settings, factory, clock=lambda: now[0]).deliver()
    assert len(fake.of("chat.postMessage")) == 1
    with factory() as store:
        assert store.outbox_row("held")["status"] == "sent"


def test_a_pass_that_dies_after_posting_is_found_by_metadata(tmp_path: Path, web) -> None:
    settings, env, fake = configure(tmp_path, web)
    with Store.open(settings.db_path) as store:
        with store.transaction():
            store.enqueue("confirmation", "posted", channel="C1", payload={"text": "posted, then crash"})
        row = store.outbox_row("posted")
        store.claim_outbox(row["id"], "elsewhere:1:abcd", "2000-01-01T00:00:00Z")  # lease long expired
    make_client(settings).chat_postMessage(channel="C1", text="posted, then crash", metadata={
        "event_type": "driftwatch_outbox", "event_payload": {"outbox_id": row["id"]}})
    report = SlackService(make_client(settings), settings).deliver()
    assert report.recovered == 1 and len(fake.of("chat.postMessage")) == 1


def test_acks_during_a_check_are_all_recorded_and_confirmed(tmp_path: Path, web) -> None:
    settings, env, fake = configure(tmp_path, web, entries=30)
    first = run_driftwatch(["check"], env=env, cwd=ROOT)  # setup; the check under test below is a process
    assert first.returncode == 0, first.stderr
    web.page("/notes", hot_page(150))  # the next check stores 120 more changes (and alerts)
    check = cli(["check", "--json"], env)
    service = SlackService(make_client(settings), settings)
    answers: dict[str, list[str]] = {}
    failures: list[BaseException] = []

    def ack(ref: str) -> None:
        try:
            answers[ref] = service.act(Request("ack", [ref]), user="UADMIN", via="slash", channel="C1")
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            failures.append(exc)

    refs = [f"DW-{i}" for i in range(1, 31)]
    workers = []
    for ref in refs:
        workers.append(threading.Thread(target=ack, args=(ref,)))
        workers[-1].start()
        time.sleep(0.05)
    for w in workers:
        w.join(120)
    out, err = check.communicate(timeout=120)
    assert check.returncode == 0, err
    assert not failures, failures
    assert all(answers[r] == [f"{r} acknowledged"] for r in refs), answers
    with Store.open(settings.db_path) as store:
        for ref in refs:
            assert store.change(ref)["acked_by"] == "UADMIN"
        assert store.db["acks"].count_where("action = 'ack'") == 30
    posted = fake.outbox_ids()
    assert len(posted) == len(set(posted))
    confirmations = [c for c in fake.of("chat.postMessage") if "acknowledged" in (c.params.get("text") or "")]
    assert len(confirmations) == 30


def test_a_second_check_refuses_with_one_line(tmp_path: Path, web) -> None:
    settings, env, fake = configure(tmp_path, web)
    with exclusive(settings.db_path, "check"):
        second = subprocess.run([sys.executable, "-m", "driftwatch", "check"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another check is running" in lines[0]
    after = run_driftwatch(["check"], env=env, cwd=ROOT)
    assert after.returncode == 0, after.stderr  # the lock is gone with its holder
