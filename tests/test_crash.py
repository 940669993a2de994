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
