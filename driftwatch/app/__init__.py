"""The application layer: the use cases every face (CLI, worker, Slack, demo) calls.

A face builds one :class:`Driftwatch` from its settings and calls these functions; none
builds its own fetcher, store or digest window, so the rules (what is alerted, what a
snooze hides, where a digest starts) hold the same whichever face asked.

The use cases are imported on first use (``driftwatch.app.check_sources`` imports
``app.watch`` only): a command imports what it runs, not the digest's scheduler, the
triage side or the posture side.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .classify import reclassify
    from .context import Driftwatch, default_notifier
    from .digest import build_digest, digest_window, next_digest, post_digest
    from .notify import Notifier, NullNotifier, alert_kind
    from .posture import attest, posture_report, take_snapshots
    from .triage import acknowledge, open_changes, search, snooze, undo
    from .watch import CheckResult, check_sources, replay

# name -> the module of this package that defines it
_WHERE = {
    "reclassify": "classify",
    "Driftwatch": "context", "default_notifier": "context",
    "build_digest": "digest", "digest_window": "digest", "next_digest": "digest", "post_digest": "digest",
    "Notifier": "notify", "NullNotifier": "notify", "alert_kind": "notify",
    "attest": "posture", "posture_report": "posture", "take_snapshots": "posture",
    "acknowledge": "triage", "open_changes": "triage", "search": "triage", "snooze": "triage", "undo": "triage",
    "CheckResult": "watch", "check_sources": "watch", "replay": "watch",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{where}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
