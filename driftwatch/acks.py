"""Acknowledge, undo and snooze: the state changes every face (Slack, CLI) goes through.

Each is idempotent on state: acknowledging an acknowledged change, or undoing
one that is not acknowledged, records nothing, so double clicks and Slack's
retries leave one audit record.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .store import Store
from .timeutil import iso, parse_span

# ASCII digits only: "DW-０１" is not DW-1. Twelve digits keep any id inside SQLite's integers.
REF = re.compile(r"^(?:DW-)?([0-9]{1,12})$", re.I | re.ASCII)
MAX_SNOOZE = dt.timedelta(days=90)


class AckError(Exception):
    """The request cannot be applied; the message is shown to the person who asked."""


@dataclass
class AckResult:
    change: dict[str, Any]
    changed: bool  # False when the request changed nothing (already in that state)
    action: str


def normalise_ref(text: str) -> str | None:
    match = REF.match(text.strip())
    return f"DW-{int(match.group(1))}" if match else None


def snooze_until(text: str, now: dt.datetime, next_digest: dt.datetime | None) -> dt.datetime:
    """'1d', '7d', '1w', '12h' or 'next' (until the next digest)."""
    text = text.strip().lower().replace(" ", "")
    if text in ("next", "nextdigest", "untilnextdigest"):
        if next_digest is None:
            raise AckError("no digest is scheduled; snooze for a duration such as 1d or 1w instead")
        return next_digest
    try:
        delta = parse_span(text, units="hdw", maximum=MAX_SNOOZE)
    except ValueError as exc:
        if "too long" in str(exc):
            raise AckError("snoozes are limited to 90 days; acknowledge the change instead") from None
        raise AckError(f"cannot read snooze duration {text[:40]!r}; use 1d, 7d, 1w or next") from None
    return now + delta


def _load(store: Store, ref: str) -> dict[str, Any]:
    canonical = normalise_ref(ref)
    change = store.change(canonical) if canonical else None
    if change is None:
        raise AckError(f"no change {ref!r}")
    return change


def acknowledge(store: Store, ref: str, *, actor: str, via: str, note: str | None = None) -> AckResult:
    with store.transaction():
        change = _load(store, ref)
        if change["acked_by"]:
            return AckResult(change, False, "ack")
        store.record_ack(change["id"], action="ack", actor=actor, via=via, note=note or None)
        return AckResult(store.change(change["ref"]) or change, True, "ack")


def undo(store: Store, ref: str, *, actor: str, via: str) -> AckResult:
    with store.transaction():
        change = _load(store, ref)
        if not change["acked_by"]:
            return AckResult(change, False, "undo")
        store.record_ack(change["id"], action="undo", actor=actor, via=via)
        return AckResult(store.change(change["ref"]) or change, True, "undo")


def snooze(store: Store, ref: str, until: dt.datetime, *, actor: str, via: str) -> AckResult:
    with store.transaction():
        change = _load(store, ref)
        stamp = iso(until)
        current = change.get("snoozed_until")
        if current and current == stamp:
            return AckResult(change, False, "snooze")
        store.record_ack(change["id"], action="snooze", actor=actor, via=via, snooze_until=stamp)
        return AckResult(store.change(change["ref"]) or change, True, "snooze")

