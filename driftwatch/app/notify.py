"""The notification port: what the use cases tell the outside world, and the one alert rule.

Use cases hand every stored change to a :class:`Notifier` inside the transaction that
stored it, so a queued alert lands with its change or not at all. The Slack outbox
(:mod:`driftwatch.bot.notifier`) is one implementation; :class:`NullNotifier` is another
(no channel configured), and tests pass their own.
"""

from __future__ import annotations

from typing import Any, Protocol

from driftwatch.models import SOURCE_HEALTH_KINDS, NewChange, at_least
from driftwatch.store import Store


def alert_kind(kind: str, security_relevant: bool, severity: str | None, floor: str) -> str | None:
    """Which alert, if any, a change deserves: the one rule for every path that creates one."""
    if kind in SOURCE_HEALTH_KINDS:
        return "source_alert"
    if security_relevant and at_least(severity, floor):
        return "alert"
    return None


class Notifier(Protocol):
    def change_recorded(self, store: Store, change_id: int, change: NewChange) -> None:
        """A change was stored (inside its transaction)."""

    def severity_raised(self, store: Store, change: dict[str, Any]) -> bool:
        """A stored change was re-rated (reclassify); alert it if it now deserves one (True: queued)."""

    def change_updated(self, store: Store, change: dict[str, Any]) -> None:
        """A change's acknowledgement or snooze state moved (inside that transaction)."""

    def queue_digest(self, store: Store, digest_id: int, summary: dict[str, Any]) -> None:
        """A digest was claimed for a period (inside that transaction)."""

    def confirm(self, store: Store, *, channel: str, thread_ts: str | None, user: str, lines: list[str],
                via: str) -> None:
        """Tell the person who acted what happened, where they acted."""

    def deliver(self, budget: float) -> dict[str, Any] | None:
        """Send what is queued, within ``budget`` seconds; None when delivery is not set up."""

    def waiting(self, store: Store) -> int:
        """Messages queued and not yet delivered."""


class NullNotifier:
    """No channel configured: nothing is queued, nothing is sent."""

    def change_recorded(self, store: Store, change_id: int, change: NewChange) -> None:
        return None

    def severity_raised(self, store: Store, change: dict[str, Any]) -> bool:
        return False

    def change_updated(self, store: Store, change: dict[str, Any]) -> None:
        return None

    def queue_digest(self, store: Store, digest_id: int, summary: dict[str, Any]) -> None:
        return None

    def confirm(self, store: Store, *, channel: str, thread_ts: str | None, user: str, lines: list[str],
                via: str) -> None:
        return None

    def deliver(self, budget: float) -> dict[str, Any] | None:
        return None

    def waiting(self, store: Store) -> int:
        return 0
