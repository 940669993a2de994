"""Run a real snapshot in a child process, for kill tests.

Usage: python -m tests.crashing_snapshot CONFIG
The config names the database and a compliance workspace served by the parent's
loopback fake, which stalls one log file's download so the parent can SIGKILL
this process in the middle of the run (after other files were applied).
"""

from __future__ import annotations

import os
import sys

from driftwatch.config import load_settings
from driftwatch.store import Store
from driftwatch.watchers.collect import take_snapshot


def main() -> None:
    settings = load_settings(sys.argv[1], env=os.environ)
    with Store.open(settings.db_path) as store:
        take_snapshot(store, settings, settings.config.workspaces[0], sleep=lambda _s: None)


if __name__ == "__main__":
    main()
