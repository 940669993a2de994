"""What changed between the entries we know and the entries a page shows now (pure).

Two promises live here: an edited entry stays the same entry (a new version
with a diff, never a second entry), and a page that breaks is reported as
broken instead of as a storm of removals and additions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from driftwatch.models import ParsedEntry

REMOVE_AFTER_MISSES = 2
SIMILAR_ENOUGH = 0.6


@dataclass
class Reconciliation:
    new: list[ParsedEntry] = field(default_factory=list)
    edited: list[tuple[dict[str, Any], ParsedEntry, str]] = field(default_factory=list)
    seen_ids: list[int] = field(default_factory=list)
    missing: list[tuple[dict[str, Any], int, bool]] = field(default_factory=list)

    @property
    def removed(self) -> list[dict[str, Any]]:
        return [entry for entry, _count, removed in self.missing if removed]


def text_of(title: str, body: str) -> str:
    return f"{title}\n{body}".strip()


def diff_text(old: dict[str, Any], new: ParsedEntry) -> str:
    before = text_of(old.get("title") or "", old.get("body") or "").splitlines()
    after = text_of(new.title, new.body).splitlines()
    return "\n".join(
        difflib.unified_diff(before, after, "before", "after", lineterm="", n=1)
    )


def _similarity(old: dict[str, Any], new: ParsedEntry) -> float:
    return difflib.SequenceMatcher(
        None, text_of(old.get("title") or "", old.get("body") or ""), text_of(new.title, new.body),
        autojunk=False,
    ).ratio()


def reconcile(stored: list[dict[str, Any]], parsed: list[ParsedEntry]) -> Reconciliation:
    """Compare live stored entries with a successful parse."""
    result = Reconciliation()
    by_key = {row["entry_key"]: row for row in stored}
    unmatched_new: list[ParsedEntry] = []
    matched: set[int] = set()
    for entry in parsed:
        row = by_key.get(entry.key)
        if row is None or row["id"] in matched:
            unmatched_new.append(entry)
            continue
        matched.add(row["id"])
        if row["content_hash"] == entry.content_hash:
            result.seen_ids.append(row["id"])
        else:
            result.edited.append((row, entry, diff_text(row, entry)))

    # A retitled entry: same date, most of the text the same -> an edit, not new + removed.
    leftovers = [row for row in stored if row["id"] not in matched]
    for entry in unmatched_new:
        candidates = [
            (row, _similarity(row, entry))
            for row in leftovers
            if row["date"] == entry.date and not row.get("guid") and not entry.guid
        ]
        best = max(candidates, key=lambda pair: pair[1], default=None)
        if best and best[1] >= SIMILAR_ENOUGH:
            leftovers.remove(best[0])
            matched.add(best[0]["id"])
            result.edited.append((best[0], entry, diff_text(best[0], entry)))
        else:
            result.new.append(entry)

    for row in leftovers:
        misses = int(row.get("missing_count") or 0) + 1
        result.missing.append((row, misses, misses >= REMOVE_AFTER_MISSES))
    return result


def health(
    *, kind: str, entries: int, dates_found: int, stored_live: int, missing: int
) -> str | None:
    """Why a parse should not be trusted (the source is then ``broken``), or None."""
    if entries == 0:
        if stored_live:
            return f"the page yields no entries (had {stored_live}); layout change, login wall or error page?"
        return "no entries found on the page"
    if kind == "release_notes" and dates_found == 0:
        return "no recognisable date on the page"
    if stored_live >= 4 and missing * 2 > stored_live:
        return f"{missing} of {stored_live} known entries are missing; layout change?"
    return None
