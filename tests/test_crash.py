"""A check killed in the middle of its write transaction leaves nothing half-written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from driftwatch.classify import classify
from driftwatch.config import SourceConfig
from driftwatch.store import Store
from driftwatch.watchers.check import run_check
from driftwatch.watchers.fetch import Fetcher

from .conftest import fixture_bytes

ROOT = Path(__file__).resolve().parent.parent


def test_sigkill_mid_transaction_then_next_check_completes(tmp_path: Path, web) -> None:
    url = web.page("/notes", fixture_bytes("release-notes-current.html"))
    db = tmp_path / "crash.db"
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.crashing_check", str(db), url, str(marker), "3"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "child never reached the transaction"
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    with Store.open(db) as store:
        assert store.integrity() == "ok"
        # the killed source left nothing: no entries, no versions, no changes, no fetch, no body
        for table in ("entries", "entry_versions", "changes", "fetches", "bodies"):
            assert store.db[table].count == 0, table
        assert store.source("notes") is None or store.source("notes")["etag"] is None

        source = SourceConfig(name="notes", kind="release_notes", url=url)
        with Fetcher(retries=0) as fetcher:
            report = run_check(store, [source], fetcher, classify)
        outcome = report.sources[0]
        assert outcome.status == "ok" and outcome.new == outcome.entries > 3
        assert store.db["changes"].count == outcome.new
        runs = {r["status"] for r in store.db["runs"].rows}
        assert runs == {"interrupted", "ok"}


def test_sigkill_mid_snapshot_applies_no_log_file_twice(tmp_path: Path, web) -> None:
    import datetime as dt

    from driftwatch.config import load_settings
    from driftwatch.timeutil import iso
    from driftwatch.watchers.snapshot import take_snapshot

    from .fake_openai import FakeCompliance, audit_event

    fake = FakeCompliance(web, page_size=3)
    now = dt.datetime.now(dt.timezone.utc)
    at = lambda hours: iso(now - dt.timedelta(hours=hours))  # noqa: E731
    box_on = audit_event("ev-1", "APP_SET_ENABLED_ACTIONS", {"app_name": "Box", "enabled_actions": None},
                         at=at(50), email="mallory@acme.example")
    fake.add_file("f-1", at(49), [box_on, audit_event("ev-g", "GPT_PUBLISH", {"gpt_name": "Deals", "visibility": "public"},
                                                      at=at(49.5))])
    fake.add_file("f-bad", at(30), [audit_event("ev-x", "WORKSPACE_TOGGLE_FEATURE",
                                                {"feature": "agent_mode", "value": True}, at=at(31))], corrupt=True)
    fake.add_file("f-3", at(10), [box_on, audit_event("ev-2", "WORKSPACE_TOGGLE_FEATURE",
                                                      {"feature": "codex_device_code_auth", "value": True}, at=at(11))])
    fake.stall["f-3"] = 20.0
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "crash.db"\n[[workspaces]]\nname = "acme"\n'
                      f'compliance_workspace_id = "{fake.workspace_id}"\ncompliance_base_url = "{fake.base_url}"\n')
    env = {**os.environ, "CHATGPT_COMPLIANCE_API_KEY": fake.key}
    child = subprocess.Popen([sys.executable, "-m", "tests.crashing_snapshot", str(config)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not fake.stalled.wait(0.05):
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "child never reached the stalled download"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    with Store.open(tmp_path / "crash.db") as store:
        assert store.integrity() == "ok"
        # what the killed run finished is there: f-1 applied, f-bad in the retry list; no snapshot yet
        assert store.audit_file("acme", "compliance", "f-1")["status"] == "applied"
        assert store.audit_file("acme", "compliance", "f-bad")["attempts"] == 1
        assert store.audit_file("acme", "compliance", "f-3") is None and store.db["snapshots"].count == 0

        fake.stall.clear()
        settings = load_settings(str(config), env={"CHATGPT_COMPLIANCE_API_KEY": fake.key})
        outcome = take_snapshot(store, settings, settings.workspace("acme"))
        assert store.cursor("acme", "compliance") == at(10)
        assert [r.path for r in web.requests if r.path.startswith("/signed/f-1")].__len__() == 1  # not fetched again
        assert store.db["audit_events"].count_where("event_id = 'ev-1'") == 1
        assert store.db["setting_events"].count_where("event_id = 'ev-1'") == 1
        assert store.db["changes"].count_where("kind = 'audit_event'") == 1  # the GPT published once
        failing = [store.change(r)["control_id"] for r in outcome.change_refs
                   if store.change(r)["kind"] == "control_failing"]
        assert sorted(failing) == ["DW-CTRL-APPS-011", "DW-CTRL-CDX-001"]
        assert store.audit_file("acme", "compliance", "f-bad")["attempts"] == 2
        assert store.db["setting_events"].count_where("event_id = 'ev-x'") == 0  # never applied unverified
        take_snapshot(store, settings, settings.workspace("acme"))
        take_snapshot(store, settings, settings.workspace("acme"))
        assert store.db["changes"].count_where("kind = 'audit_file_failed'") == 1
        assert store.db["changes"].count_where("kind = 'control_failing'") == 2
        assert {r["status"] for r in store.db["runs"].rows} == {"ok"}  # the killed run had not started recording
