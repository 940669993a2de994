"""The application layer: the use cases every face (CLI, worker, Slack, demo) calls.

A face builds one :class:`Driftwatch` from its settings and calls these functions; none
builds its own fetcher, store or digest window, so the rules (what is alerted, what a
snooze hides, where a digest starts) hold the same whichever face asked.
"""

from .classify import reclassify
from .context import Driftwatch, default_notifier
from .digest import build_digest, digest_window, next_digest, post_digest
from .notify import Notifier, NullNotifier, alert_kind
from .posture import attest, posture_report, take_snapshots
from .triage import acknowledge, open_changes, search, snooze, undo
from .watch import CheckResult, check_sources, replay

__all__ = [
    "CheckResult", "Driftwatch", "Notifier", "NullNotifier", "acknowledge", "alert_kind", "attest",
    "build_digest", "check_sources", "default_notifier", "digest_window", "next_digest", "open_changes",
    "post_digest", "posture_report", "reclassify", "replay", "search", "snooze", "take_snapshots", "undo",
]
