"""Use case: re-rate stored changes after a model update, alerting what now deserves it."""

from __future__ import annotations

from typing import Any

from driftwatch.models import severity_rank

from .context import Driftwatch


def reclassify(dw: Driftwatch, *, everything: bool = False) -> dict[str, Any]:
    """Re-classify stored entry changes; list what moved, alert each newly at or above the floor once."""
    with dw.store() as store:
        candidates = store.changes_to_reclassify(dw.classifier.version, everything=everything)
        results = dw.classifier.classify_many([(row["title"], text) for row, text in candidates])
        moved: list[dict[str, Any]] = []
        with store.transaction():
            for (row, _text), result in zip(candidates, results):
                store.set_classification(row["id"], result)
                old = row.get("severity") or "info"
                if old != result.severity:
                    moved.append({"id": row["ref"], "title": row["title"], "old": old, "new": result.severity})
                if severity_rank(result.severity) > severity_rank(old):
                    dw.notifier.severity_raised(store, store.change(row["ref"]) or row)
    delivery = dw.notifier.deliver(30.0)
    return {"reclassified": len(candidates), "severity_changed": len(moved), "moved": moved,
            "alerts": delivery}
