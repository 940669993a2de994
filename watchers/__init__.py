"""Ingest side: fetch vendor pages and feeds, parse them into entries, reconcile with the store.

This folder installs as ``driftwatch.watchers``; it is never a top-level package.
"""

if __name__ != "driftwatch.watchers":  # run from a checkout with the repository root on sys.path
    raise ImportError(f"{__name__!r} is not a package: import driftwatch.watchers")
