"""Drift of each control as a state machine (pure).

A control's state is its last *known* status: pass, fail, waived or
not_applicable. ``unknown`` (a collector failed, a file went missing) is not a
state change: fail → unknown → fail is still failing, pass → unknown → fail is
newly failing once. A failing control is one open episode until it is fixed;
fixing it and failing again opens a new episode (a new change).

Every control lands in exactly one bucket, so a digest can say "2 newly
failing, 1 fixed, 5 still failing" and the numbers always add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .evaluate import ControlResult

BUCKETS = ("newly_failing", "fixed", "still_failing", "newly_unknown", "waived", "waiver_expired", "passing",
           "unknown", "not_applicable")
KNOWN_STATES = ("pass", "fail", "waived", "not_applicable")
OPENS_EPISODE = ("newly_failing", "waiver_expired")


@dataclass
class Drift:
    buckets: dict[str, list[str]] = field(default_factory=lambda: {b: [] for b in BUCKETS})
    setting_changes: list[dict[str, Any]] = field(default_factory=list)

    def bucket_of(self, control_id: str) -> str:
        for name, ids in self.buckets.items():
            if control_id in ids:
                return name
        raise KeyError(control_id)

    def counts(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in self.buckets.items()}


@dataclass(frozen=True)
class ControlState:
    """What the store keeps per control between snapshots."""

    status: str
    since: str
    episode: int = 0
    change_ref: str | None = None


def _bucket(before: str | None, known: str | None, cur: ControlResult) -> str:
    """``before``: the status in the previous snapshot; ``known``: the last known state."""
    if cur.status == "waived":
        return "waived"
    if cur.status == "not_applicable":
        return "not_applicable"
    if cur.status == "fail":
        if cur.waiver_expired and known == "waived":
            return "waiver_expired"
        return "still_failing" if known == "fail" else "newly_failing"
    if cur.status == "unknown":
        return "newly_unknown" if before in KNOWN_STATES else "unknown"
    return "fixed" if known == "fail" else "passing"


def compare(
    previous: list[ControlResult] | None,
    current: list[ControlResult],
    prev_values: Mapping[str, Any] | None,
    values: Mapping[str, Any],
    known: Mapping[str, str] | None = None,
) -> Drift:
    """Bucket each control; ``known`` is each control's last known state (default: the previous snapshot's).

    ``prev_values`` should be the last known value of every setting, so a setting that was
    unknown for a while and came back unchanged is not a change.
    """
    drift = Drift()
    before = {r.id: r.status for r in previous or []}
    if known is None:
        known = {cid: status for cid, status in before.items() if status in KNOWN_STATES}
    for result in current:
        drift.buckets[_bucket(before.get(result.id), known.get(result.id), result)].append(result.id)
    if prev_values is not None:
        for key in sorted(set(prev_values) | set(values)):
            if key in prev_values and key in values and prev_values[key] != values[key]:
                drift.setting_changes.append({"key": key, "before": prev_values[key], "after": values[key]})
    return drift


def advance(states: Mapping[str, ControlState], drift: Drift, current: list[ControlResult],
            now: str) -> dict[str, ControlState]:
    """The states after this snapshot, for the controls whose state changed (unknown keeps the old one)."""
    out: dict[str, ControlState] = {}
    for result in current:
        if result.status not in KNOWN_STATES:
            continue
        old = states.get(result.id)
        bucket = drift.bucket_of(result.id)
        if bucket in OPENS_EPISODE:
            out[result.id] = ControlState(result.status, now, (old.episode if old else 0) + 1, None)
        elif old is None or old.status != result.status:
            out[result.id] = ControlState(result.status, now, old.episode if old else 0,
                                          old.change_ref if old and result.status == "fail" else None)
    return out


def carry_known(previous_known: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """Last known value of every setting: this snapshot's values, else what was known before."""
    return {**(previous_known or {}), **values}
