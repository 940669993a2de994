"""Use cases of triage: acknowledge, undo, snooze, and finding changes."""

from __future__ import annotations

from typing import Any

from driftwatch import acks
from driftwatch.models import public_change

from .context import Driftwatch
from .digest import next_digest


def _apply(dw: Driftwatch, action: Any, *args: Any, **kwargs: Any) -> acks.AckResult:
    with dw.store() as store:
        with store.transaction():
            result = action(store, *args, **kwargs)
            if result.changed:
                dw.notifier.change_updated(store, result.change)
    return result


def acknowledge(dw: Driftwatch, ref: str, *, actor: str, via: str, note: str | None = None) -> acks.AckResult:
    """Acknowledge a change (idempotent: acknowledging twice records one ack)."""
    return _apply(dw, acks.acknowledge, ref, actor=actor, via=via, note=note)


def undo(dw: Driftwatch, ref: str, *, actor: str, via: str) -> acks.AckResult:
    return _apply(dw, acks.undo, ref, actor=actor, via=via)


def snooze(dw: Driftwatch, ref: str, duration: str, *, actor: str, via: str) -> acks.AckResult:
    """Hide a change from the digest and App Home until ``duration`` (1d, 1w, next) has passed."""
    until = acks.snooze_until(duration, dw.clock(), next_digest(dw) if dw.settings.config.slack.channel else None)
    return _apply(dw, acks.snooze, ref, until, actor=actor, via=via)


def search(dw: Driftwatch, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Changes whose title, summary or entry text match (full-text), or the change of that id."""
    with dw.store() as store:
        return [public_change(row) for row in store.search_changes(text, limit=limit)]


def open_changes(dw: Driftwatch, *, severities: tuple[str, ...] = ("high", "medium"),
                 limit: int = 500) -> list[dict[str, Any]]:
    """Changes someone still has to look at: not acknowledged, not snoozed right now."""
    from driftwatch.models import is_open

    with dw.store() as store:
        now = store.now()
        return [row for row in store.changes(limit=limit)
                if row.get("severity") in severities and is_open(row, now)]
