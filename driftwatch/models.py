"""Plain records passed between the watchers, the core and the faces (CLI, Slack)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

SEVERITY_ORDER = {"high": 3, "medium": 2, "low": 1, "info": 0}

CHANGE_KINDS = (
    "new_entry",
    "edited_entry",
    "removed_entry",
    "source_broken",
    "source_recovered",
    "control_failing",
    "control_fixed",
    "setting_changed",
    "source_failing",
)
SOURCE_HEALTH_KINDS = ("source_broken", "source_failing", "source_recovered")


def normalise_title(title: str) -> str:
    """The part of a title that survives cosmetic edits (case, punctuation, spacing)."""
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


@dataclass(frozen=True)
class ParsedEntry:
    """One dated change as a parser read it from a page or feed."""

    date: str | None  # YYYY-MM-DD
    title: str
    body: str
    link: str
    guid: str | None = None
    key_suffix: str = ""  # tells apart two same-titled changes on one day
    date_precision: str = "day"  # "month" when the page dates the entry by its month only (date is the 1st)
    labels: list[str] = field(default_factory=list, hash=False)  # badges shown with the title ("New", "Beta")

    @property
    def key(self) -> str:
        """Identity that survives edits to the text: the feed's guid, else date + title."""
        if self.guid:
            return "guid:" + self.guid
        return f"{self.date or 'undated'}:{normalise_title(self.title)}{self.key_suffix}"

    @property
    def content_hash(self) -> str:
        text = "\x1f".join([self.date or "", self.title.strip(), self.body.strip(), self.link])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Classification:
    security_relevant: bool
    severity: str
    categories: list[str]
    reasons: list[str]
    version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "security_relevant": self.security_relevant,
            "severity": self.severity,
            "categories": list(self.categories),
            "reasons": list(self.reasons),
        }


@dataclass
class NewChange:
    """A change about to be stored; the store gives it its ``DW-n`` reference."""

    kind: str
    title: str
    dedupe_key: str
    source: str | None = None
    workspace: str | None = None
    entry_id: int | None = None
    entry_version: int | None = None
    control_id: str | None = None
    summary: str = ""
    date: str | None = None
    link: str | None = None
    classification: Classification | None = None
    details: dict[str, Any] = field(default_factory=dict)


def entry_details(entry: ParsedEntry) -> dict[str, Any]:
    """What a change keeps of its parsed entry beyond the text: how exact its date is, its badges."""
    return {"date_precision": entry.date_precision, "labels": list(entry.labels)}


def entry_fields(change: dict[str, Any]) -> dict[str, Any]:
    """``date_precision`` ("day" or "month"; None without a date) and ``labels`` of a stored change."""
    details = change.get("details") if isinstance(change.get("details"), dict) else {}
    precision = details.get("date_precision") or ("day" if change.get("date") else None)
    return {"date_precision": precision, "labels": list(details.get("labels") or [])}
