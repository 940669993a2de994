"""Classifying many items: JSON Lines in and out, and stored changes after a model update."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterator, TextIO

from driftwatch.models import SEVERITY_ORDER
from driftwatch.store import Store

from .model import Classifier

CHUNK = 2000
ENTRY_KINDS = ("new_entry", "edited_entry")


def _parse(number: int, line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        item = json.loads(line)
    except ValueError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(item, dict):
        return None, "expected a JSON object with id, title and body"
    missing = [key for key in ("id", "title") if key not in item]
    if missing:
        return None, f"missing {', '.join(missing)}"
    if not isinstance(item["title"], str) or not isinstance(item.get("body", ""), (str, type(None))):
        return None, "title and body must be strings"
    return item, None


def classify_lines(classifier: Classifier, stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, result, error) for every non-blank input line, in input order."""
    numbered = ((n, line) for n, line in enumerate(stream, start=1) if line.strip())
    while True:
        chunk = list(islice(numbered, CHUNK))
        if not chunk:
            return
        parsed = [(n, *_parse(n, line)) for n, line in chunk]
        good = [(item["title"], item.get("body") or "") for _n, item, error in parsed if item is not None]
        results = iter(classifier.classify_many(good))
        for number, item, error in parsed:
            if item is None:
                yield number, None, error
                continue
            result = next(results)
            yield number, {"id": item["id"], **result.as_dict()}, None


@dataclass(frozen=True)
class Moved:
    """A stored change whose severity a new model changed."""

    id: str  # the DW-n reference
    change_id: int
    title: str
    old: str | None
    new: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "old": self.old, "new": self.new}


@dataclass
class Reclassified:
    reclassified: int = 0
    moved: list[Moved] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)

    def newly_at_or_above(self, floor: str) -> list[Moved]:
        """Moved changes that now reach ``floor`` and did not before: the ones to alert."""
        return newly_at_or_above(self.moved, floor)

    def as_dict(self) -> dict[str, Any]:
        return {"reclassified": self.reclassified, "severity_changed": len(self.moved),
                "moved": [m.as_dict() for m in self.moved], "alerted": list(self.alerted)}


def newly_at_or_above(moved: list[Moved], floor: str) -> list[Moved]:
    limit = SEVERITY_ORDER[floor]
    return [m for m in moved
            if SEVERITY_ORDER.get(m.new, 0) >= limit and SEVERITY_ORDER.get(m.old or "info", 0) < limit]


def _version_text(store: Store, row: dict[str, Any]) -> tuple[str, str]:
    """The text this change was about: its own entry version (an edit is judged on its new text)."""
    if row.get("entry_id"):
        version = row.get("entry_version")
        if version:
            found = list(store.db["entry_versions"].rows_where(
                "entry_id = ? and version = ?", [row["entry_id"], version], limit=1))
            if found:
                return found[0]["title"] or row["title"], found[0]["body"] or ""
        entry = store.db["entries"].get(row["entry_id"])
        return row["title"], entry["body"] or ""
    return row["title"], row.get("summary") or ""


def reclassify_store(store: Store, classifier: Classifier, *, everything: bool = False) -> Reclassified:
    """Re-classify stored entry changes from their text, in one transaction; report what moved.

    When the store has alerts enabled (``Store.enable_alerts``), a change newly at
    or above the alert severity is queued for Slack once, exactly like a new one
    (the outbox's dedupe key ``alert:<id>`` keeps it to one alert per change).
    """
    where = f"kind in ({','.join('?' for _ in ENTRY_KINDS)})"
    params: list[Any] = list(ENTRY_KINDS)
    if not everything:
        where += " and (classifier_version is null or classifier_version != ?)"
        params.append(classifier.version)
    rows = list(store.db["changes"].rows_where(where, params, order_by="id"))
    texts = [_version_text(store, row) for row in rows]
    report = Reclassified(reclassified=len(rows))
    with store.transaction():
        for row, result in zip(rows, classifier.classify_many(texts)):
            if row.get("severity") != result.severity:
                report.moved.append(Moved(row["ref"], row["id"], row["title"], row.get("severity"), result.severity))
            store.set_classification(row["id"], result)
        if store.alert_channel is not None and store.alert_floor is not None:
            floor = next(name for name, rank in SEVERITY_ORDER.items() if rank == store.alert_floor)
            for moved in newly_at_or_above(report.moved, floor):
                if store.enqueue("alert", f"alert:{moved.change_id}", channel=store.alert_channel,
                                 change_id=moved.change_id):
                    report.alerted.append(moved.id)
    return report
