"""Use case: re-rate stored changes after a model update, alerting what now deserves it."""

from __future__ import annotations

from typing import Any

from driftwatch.models import severity_rank

from .context import Driftwatch


def reclassify(dw: Driftwatch, *, everything: bool = False, classifier: Any = None) -> dict[str, Any]:
    """Re-classify stored entry changes; list what moved, alert each newly at or above the floor once.

    Each change is judged on the text of its own entry version, so an edit is judged on its new text.
    """
    classifier = classifier or dw.classifier
    with dw.store() as store:
        candidates = store.changes_to_reclassify(classifier.version, everything=everything)
        results = classifier.classify_many([(title, text) for _row, title, text in candidates])
        moved: list[dict[str, Any]] = []
        alerted: list[str] = []
        with store.transaction():
            for (row, _title, _text), result in zip(candidates, results):
                store.set_classification(row["id"], result)
                old = row.get("severity") or "info"
                if old != result.severity:
                    moved.append({"id": row["ref"], "title": row["title"], "old": old, "new": result.severity})
                if severity_rank(result.severity) > severity_rank(old) and \
                        dw.notifier.severity_raised(store, store.change(row["ref"]) or row):
                    alerted.append(row["ref"])
    delivery = dw.notifier.deliver(30.0)
    return {"reclassified": len(candidates), "severity_changed": len(moved), "moved": moved,
            "alerted": alerted, "alerts": delivery}
