"""Slack side: Block Kit rendering, Bolt listeners, delivery. Uses the core, never the watchers.

This folder installs as ``driftwatch.bot``; it is never a top-level package.
"""

if __name__ != "driftwatch.bot":  # run from a checkout with the repository root on sys.path
    raise ImportError(f"{__name__!r} is not a package: import driftwatch.bot")
