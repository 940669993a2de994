"""Plain records passed between the watchers, the core and the faces (CLI, Slack)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

# The one severity order: every comparison, sort and threshold goes through it.
SEVERITIES = ("info", "low", "medium", "high")
SEVERITY_ORDER = {name: rank for rank, name in enumerate(SEVERITIES)}
SEVERITIES_DESC = tuple(reversed(SEVERITIES))


def severity_rank(severity: str | None) -> int:
    return SEVERITY_ORDER.get(severity or "info", 0)


def at_least(severity: str | None, floor: str) -> bool:
    return severity_rank(severity) >= SEVERITY_ORDER[floor]

CHANGE_KINDS = (
    "new_entry",
    "edited_entry",
    "removed_entry",
    "restored_entry",
    "source_broken",
    "source_blocked",
    "source_moved",
    "source_recovered",
    "control_failing",
    "control_fixed",
    "setting_changed",
    "source_failing",
    "audit_event",  # an audit event that is an inventory change (GPT published, domain added ...)
    "audit_unmapped",  # an audit action no mapping knows (once per action)
    "audit_file_failed",  # a Compliance log file not applied after its attempts (once per file)
    "audit_lines_skipped",  # lines of a log file that were not JSON events (once per file)
    "setting_new",  # a setting name the vendor reports and the catalogue does not know
    "rule_changed",  # a waiver, an override or a baseline version changed
)
SOURCE_HEALTH_KINDS = ("source_broken", "source_blocked", "source_failing", "source_recovered", "source_moved")

# Fields of a change every face shows: `check --json`, `changes --json`, `item`, the digest,
# the export and the slash commands all use this projection (fields may be added, never renamed).
PUBLIC_CHANGE_FIELDS = (
    "id", "kind", "source", "workspace", "control_id", "title", "summary", "date", "link",
    "detected_at", "security_relevant", "severity", "categories", "reasons",
    "acked_by", "acked_at", "ack_note", "ack_via", "snoozed_until",
    "actor", "actor_type", "changed_at", "actor_ip", "date_precision", "labels", "acked_by_name",
)


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_title(title: str) -> str:
    """The part of a title that survives cosmetic edits (case, punctuation, spacing)."""
    return _NOT_ALNUM.sub(" ", title.lower()).strip()


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

    # Both derived values are cached on the (frozen) instance: a check asks for them several
    # times per entry (dedupe, comebacks, reconcile, store), each a regex or a SHA-256.
    @cached_property
    def key(self) -> str:
        """Identity that survives edits to the text: the feed's guid, else date + title."""
        if self.guid:
            return "guid:" + self.guid
        return f"{self.date or 'undated'}:{normalise_title(self.title)}{self.key_suffix}"

    @cached_property
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


def public_change(row: dict[str, Any]) -> dict[str, Any]:
    """A stored change (a decoded ``changes`` row) in the one shape every face promises.

    ``actor``, ``actor_type``, ``changed_at`` and ``actor_ip`` say who changed a setting when an
    audit event explains the change (null otherwise).
    """
    details = row.get("details") if isinstance(row.get("details"), dict) else {}
    out: dict[str, Any] = {
        "id": row["ref"],
        "kind": row["kind"],
        "source": row.get("source"),
        "workspace": row.get("workspace"),
        "control_id": row.get("control_id"),
        "title": row["title"],
        "summary": row.get("summary"),
        "date": row.get("date"),
        "link": row.get("link"),
        "detected_at": row.get("detected_at"),
        "security_relevant": bool(row.get("security_relevant")),
        "severity": row.get("severity") or "info",
        "categories": list(row.get("categories") or []),
        "reasons": list(row.get("reasons") or []),
        "acked_by": row.get("acked_by"),  # the Slack user id (or CLI user), stable for machines
        "acked_by_name": row.get("acked_by_name"),  # the person's Slack display name, when known
        "acked_at": row.get("acked_at"),
        "ack_note": row.get("ack_note"),
        "ack_via": row.get("ack_via"),
        "snoozed_until": row.get("snoozed_until"),
        "actor": details.get("actor"),
        "actor_type": details.get("actor_type"),
        "changed_at": details.get("changed_at"),
        "actor_ip": details.get("actor_ip"),
        **entry_fields(row),
    }
    if "carried_over" in row:
        out["carried_over"] = bool(row["carried_over"])
    return out


def is_open(change: dict[str, Any], now: str) -> bool:
    """Unacknowledged and not snoozed past ``now``: the one rule for the digest and App Home.

    A snooze hides a change only until it ends; then the change is open again.
    """
    if change.get("acked_by"):
        return False
    until = change.get("snoozed_until")
    return not (until and until > now)


def entry_details(entry: ParsedEntry) -> dict[str, Any]:
    """What a change keeps of its parsed entry beyond the text: how exact its date is, its badges."""
    return {"date_precision": entry.date_precision, "labels": list(entry.labels)}


def entry_fields(change: dict[str, Any]) -> dict[str, Any]:
    """``date_precision`` ("day" or "month"; None without a date) and ``labels`` of a stored change."""
    details = change.get("details") if isinstance(change.get("details"), dict) else {}
    precision = details.get("date_precision") or ("day" if change.get("date") else None)
    return {"date_precision": precision, "labels": list(details.get("labels") or [])}
