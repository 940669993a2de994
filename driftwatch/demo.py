"""The offline demo: the real pipeline on bundled samples, over a loopback server.

A simulated fortnight: the first check sees the vendor's page and feed as they
were, a digest is cut, a week later the page has new and edited entries (the
feed answers 304), and the second digest shows what changed plus what is
still open. Times are simulated through the store's clock; everything else
(HTTP, parsing, classification, SQLite) is the code a real check runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from driftwatch.watchers.check import CheckReport, run_check
from driftwatch.watchers.fetch import Fetcher
from driftwatch.watchers.snapshot import SnapshotOutcome, take_snapshot

from .classify import classify
from .config import SourceConfig, load_settings
from .digest import digest_since
from .loopback import LoopbackServer
from .paths import data_file
from .store import Store
from .timeutil import utcnow

DEFAULT_DEMO_DB = "data/demo.db"


class SimulatedClock:
    def __init__(self, start: dt.datetime) -> None:
        self.moment = start

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@dataclass
class DemoResult:
    database: Path
    checks: list[CheckReport]
    snapshots: list[SnapshotOutcome]
    first_digest: dict[str, Any]
    digest: dict[str, Any]
    posture: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": str(self.database),
            "checks": [c.as_dict() for c in self.checks],
            "snapshots": [s.as_dict() for s in self.snapshots],
            "first_digest": self.first_digest,
            "digest": self.digest,
            "posture": self.posture,
        }


def _fresh(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            candidate.unlink()


def _demo_settings(folder: Path):
    """A config with one workspace, "acme", whose attested file the demo rewrites."""
    config = folder / "driftwatch.toml"
    config.write_text('[[workspaces]]\nname = "acme"\nattested = "acme-attested.toml"\n')
    return load_settings(str(config), env={}), folder / "acme-attested.toml"


def run_demo(db_path: str | Path = DEFAULT_DEMO_DB, *, step: Callable[[str], None] = lambda _m: None) -> DemoResult:
    import tempfile

    db_path = Path(db_path)
    _fresh(db_path)
    samples = data_file("samples")
    scratch = tempfile.TemporaryDirectory(prefix="driftwatch-demo-")
    settings, attested = _demo_settings(Path(scratch.name))
    snapshots: list[SnapshotOutcome] = []
    clock = SimulatedClock(utcnow().replace(microsecond=0) - dt.timedelta(days=14))
    store = Store.open(db_path, clock=clock)
    checks: list[CheckReport] = []
    try:
        with LoopbackServer() as server, Fetcher(retries=0, timeout=10) as fetcher:
            page_url = server.serve(
                "/en/articles/enterprise-release-notes",
                (samples / "release-notes-v1.html").read_bytes(),
                "text/html; charset=utf-8",
            )
            feed_url = server.serve(
                "/codex/changelog/rss.xml",
                (samples / "codex-changelog.xml").read_bytes(),
                "application/rss+xml",
            )
            sources = [
                SourceConfig(name="demo-enterprise-release-notes", kind="release_notes", url=page_url,
                             vendor="OpenAI", product="ChatGPT Enterprise"),
                SourceConfig(name="demo-codex-changelog", kind="feed", url=feed_url,
                             vendor="OpenAI", product="Codex"),
            ]
            step(f"First check of {len(sources)} sources served from {server.base_url}")
            checks.append(run_check(store, sources, fetcher, classify))
            step("Snapshot of workspace acme from the admin's attested settings")
            attested.write_bytes((samples / "workspace-settings-v1.toml").read_bytes())
            snapshots.append(take_snapshot(store, settings, settings.workspace("acme")))

            clock.advance(days=1)
            first = digest_since(store, None, store.now())
            store.record_digest(period_start=None, period_end=first.period_end, status="built",
                                summary=first.as_dict())

            clock.advance(days=6)
            step("A week later the vendor adds and edits entries; the feed is unchanged (304)")
            server.serve(
                "/en/articles/enterprise-release-notes",
                (samples / "release-notes-v2.html").read_bytes(),
                "text/html; charset=utf-8",
            )
            checks.append(run_check(store, sources, fetcher, classify))
            step("A new attestation: two settings drifted")
            attested.write_bytes((samples / "workspace-settings-v2.toml").read_bytes())
            snapshots.append(take_snapshot(store, settings, settings.workspace("acme")))

            clock.advance(days=7)
            last = store.last_digest()
            since = last["period_end"] if last else None
            digest = digest_since(store, since, store.now())
            posture = _posture(store, settings)
    finally:
        store.close()
        scratch.cleanup()
    return DemoResult(db_path, checks, snapshots, first.as_dict(), digest.as_dict(), posture)


def _posture(store: Store, settings) -> dict[str, Any]:
    from .posture.report import posture_report

    return posture_report(settings, store.snapshots("acme", 1)[0], "acme", store.clock().date())
