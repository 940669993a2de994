"""What goes into a digest: selection, carry-over, snoozes and ordering (pure).

The store hands over candidate changes; everything that decides what the team
is shown happens here, without Slack or SQL, so it is tested as plain code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import SEVERITIES_DESC, is_open, public_change, severity_rank


@dataclass
class Digest:
    period_start: str | None
    period_end: str
    items: list[dict[str, Any]]
    informational: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def carried_over(self) -> int:
        return sum(1 for item in self.items if item.get("carried_over"))

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        """The digest as data; with ``limit``, only the first (most severe) items are listed."""
        listed = self.items if limit is None else self.items[:limit]
        return {
            "period_start": self.period_start,
            "period_end": self.period_end,
            "counts": self.counts,
            "carried_over": self.carried_over,
            "informational": self.informational,
            "items": [public_change(item) for item in listed],
            "not_listed": len(self.items) - len(listed),
        }


def build_digest(
    candidates: list[dict[str, Any]], *, period_start: str | None, now: str, informational: int | None = None
) -> Digest:
    """Changes detected in the period, plus earlier ones still open (carried over).

    ``informational`` is the number of non-relevant changes in the period when the caller
    counted them separately (candidates then hold relevant changes only).
    """
    items: list[dict[str, Any]] = []
    counted = informational
    latest_for_entry: dict[int, int] = {}
    for change in candidates:
        if change.get("entry_id") is not None:
            latest_for_entry[change["entry_id"]] = max(latest_for_entry.get(change["entry_id"], 0), change["id"])
    for change in candidates:
        entry_id = change.get("entry_id")
        if entry_id is not None and latest_for_entry[entry_id] != change["id"]:
            continue  # superseded by a later version of the same entry
        fresh = period_start is None or change["detected_at"] > period_start
        severity = change.get("severity") or "info"
        if severity == "info" or not change.get("security_relevant", severity != "info"):
            if informational is None:
                counted = (counted or 0) + int(fresh)
            continue
        if not is_open(change, now):
            continue
        items.append({**change, "carried_over": not fresh})
    items.sort(
        key=lambda c: (-severity_rank(c.get("severity")), c["carried_over"], c["id"])
    )
    counts = {sev: sum(1 for c in items if (c.get("severity") or "info") == sev) for sev in SEVERITIES_DESC[:3]}
    return Digest(period_start, now, items, counted or 0, counts)


def digest_since(store: Any, since: str | None, now: str) -> Digest:
    """The digest of a store's changes since ``since`` (the previous digest's end)."""
    return build_digest(store.digest_candidates(since), period_start=since, now=now,
                        informational=store.informational_count(since))
