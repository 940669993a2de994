"""Drift between two evaluations of the same workspace (pure).

Every control lands in exactly one bucket, so a digest can say "2 newly
failing, 1 fixed, 5 still failing" and the numbers always add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .evaluate import ControlResult

BUCKETS = ("newly_failing", "fixed", "still_failing", "newly_unknown", "waived", "waiver_expired", "passing", "unknown")


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


def _bucket(prev: ControlResult | None, cur: ControlResult) -> str:
    before = prev.status if prev else None
    if cur.status == "waived":
        return "waived"
    if cur.status == "fail":
        if cur.waiver_expired and before == "waived":
            return "waiver_expired"
        return "still_failing" if before == "fail" else "newly_failing"
    if cur.status == "unknown":
        return "newly_unknown" if before in ("pass", "fail", "waived") else "unknown"
    return "fixed" if before == "fail" else "passing"


def compare(
    previous: list[ControlResult] | None,
    current: list[ControlResult],
    prev_values: Mapping[str, Any] | None,
    values: Mapping[str, Any],
) -> Drift:
    drift = Drift()
    before = {r.id: r for r in previous or []}
    for result in current:
        drift.buckets[_bucket(before.get(result.id), result)].append(result.id)
    if prev_values is not None:
        for key in sorted(set(prev_values) | set(values)):
            if key in prev_values and key in values and prev_values[key] != values[key]:
                drift.setting_changes.append({"key": key, "before": prev_values[key], "after": values[key]})
    return drift
