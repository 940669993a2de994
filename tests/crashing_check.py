"""Run a real check in a child process that stalls mid-transaction, for kill tests.

Usage: python -m tests.crashing_check DB URL MARKER STALL_AT
The classifier is the real one; it only pauses (after writing MARKER) when the
STALL_AT-th change is being classified, so the parent can SIGKILL the process
while the source's transaction is open.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from driftwatch.classify import classify
from driftwatch.config import SourceConfig
from driftwatch.store import Store
from driftwatch.watchers.check import run_check
from driftwatch.watchers.fetch import Fetcher


def main() -> None:
    db, url, marker, stall_at = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    calls = 0

    def stalling(title: str, body: str):
        nonlocal calls
        calls += 1
        if calls == stall_at:
            marker.write_text("in transaction")
            time.sleep(60)
        return classify(title, body)

    store = Store.open(db)
    source = SourceConfig(name="notes", kind="release_notes", url=url)
    with Fetcher(retries=0) as fetcher:
        run_check(store, [source], fetcher, stalling)


if __name__ == "__main__":
    main()
