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

from driftwatch.posture.record import SnapshotOutcome
from driftwatch.watchers.check import CheckReport

from . import app as use_cases
from .app import Driftwatch, NullNotifier
from .config import load_settings
from ._loopback import LoopbackServer
from .paths import data_file
from .timeutil import Clock, utcnow

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


DEMO_CONFIG = """\
[[sources]]
name = "demo-enterprise-release-notes"
kind = "release_notes"
url = "{base}/en/articles/10128477-chatgpt-enterprise-edu-release-notes"
vendor = "OpenAI"
product = "ChatGPT Enterprise"

[[sources]]
name = "demo-codex-changelog"
kind = "feed"
url = "{base}/codex/changelog/rss.xml"
vendor = "OpenAI"
product = "Codex"

[[workspaces]]
name = "acme"
attested = "acme-attested.toml"

[fetch]
retries = 0
timeout = 10
"""


def _demo_app(folder: Path, base_url: str, db_path: Path, clock: Clock) -> tuple[Driftwatch, Path]:
    """The demo's own config (its loopback sources, one workspace "acme") and no Slack."""
    config = folder / "driftwatch.toml"
    config.write_text(DEMO_CONFIG.format(base=base_url.rstrip("/")))
    settings = load_settings(str(config), env={"DRIFTWATCH_DB": str(db_path)})
    return Driftwatch(settings, notifier=NullNotifier(), clock=clock), folder / "acme-attested.toml"


def run_demo(db_path: str | Path = DEFAULT_DEMO_DB, *, step: Callable[[str], None] = lambda _m: None) -> DemoResult:
    import tempfile

    db_path = Path(db_path)
    _fresh(db_path)
    samples = data_file("samples")
    scratch = tempfile.TemporaryDirectory(prefix="driftwatch-demo-")
    snapshots: list[SnapshotOutcome] = []
    clock = SimulatedClock(utcnow().replace(microsecond=0) - dt.timedelta(days=14))
    checks: list[CheckReport] = []
    try:
        with LoopbackServer() as server:
            page = (samples / "release-notes-v1.html").read_bytes()
            server.serve("/en/articles/10128477-chatgpt-enterprise-edu-release-notes", page, "text/html; charset=utf-8")
            server.serve("/codex/changelog/rss.xml", (samples / "codex-changelog.xml").read_bytes(),
                         "application/rss+xml")
            dw, attested = _demo_app(Path(scratch.name), server.base_url, db_path, clock)
            names = [source.name for source in dw.settings.sources]
            step(f"First check of {len(names)} sources served from {server.base_url}")
            checks.append(use_cases.check_sources(dw, names, snapshots=False).report)
            step("Snapshot of workspace acme from the admin's attested settings")
            attested.write_bytes((samples / "workspace-settings-v1.toml").read_bytes())
            snapshots += use_cases.take_snapshots(dw, "acme")

            clock.advance(days=1)
            with dw.store() as store:
                first = use_cases.build_digest(dw, store)
                store.record_digest(period_start=None, period_end=first["period_end"], status="built",
                                    summary=first)

            clock.advance(days=6)
            step("A week later the vendor adds and edits entries; the feed is unchanged (304)")
            server.serve("/en/articles/10128477-chatgpt-enterprise-edu-release-notes", (samples / "release-notes-v2.html").read_bytes(),
                         "text/html; charset=utf-8")
            checks.append(use_cases.check_sources(dw, names, snapshots=False).report)
            step("A new attestation: two settings drifted")
            attested.write_bytes((samples / "workspace-settings-v2.toml").read_bytes())
            snapshots += use_cases.take_snapshots(dw, "acme")

            clock.advance(days=7)
            with dw.store() as store:
                digest = use_cases.build_digest(dw, store)
                posture = use_cases.posture_report(dw, store, "acme")
    finally:
        scratch.cleanup()
    return DemoResult(db_path, checks, snapshots, first, digest, posture)
