"""The audit-log ledger: every log file applied once, on its own, and nothing lost.

Each Compliance Logs file is applied in its own transaction: its events (each
stored once, keyed on ``event_id``, mapped or not), the setting events they
carry, the inventory changes they explain, and the file's row in
``audit_files``. A file that fails its download or its ``file_sha256`` check
goes into the retry list instead and never has an event applied unverified;
after ``max_attempts`` failed attempts it is reported once as a change naming
the file. A restart part way through a run re-lists files after the cursor,
skips those already applied and finds every event already stored, so nothing
is applied twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from driftwatch.models import Classification, NewChange
from driftwatch.store import Store
from driftwatch.timeutil import parse_iso

from .evidence import Observation

RETENTION_DAYS = 30  # the Logs Platform keeps files this long; retrying past it is pointless


@dataclass(frozen=True)
class LogFile:
    file_id: str
    end_time: str | None
    sha256: str | None


@dataclass
class InventoryItem:
    """Something an audit event says happened that is not a setting value (a GPT published...)."""

    title: str
    severity: str
    categories: list[str]
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class AuditEvent:
    event_id: str
    event_type: str | None
    action: str | None
    occurred_at: str | None
    actor: str | None = None
    actor_type: str | None = None
    actor_ip: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    inventory: list[InventoryItem] = field(default_factory=list)
    unmapped: str | None = None  # the action (or event type) no mapping knows

    def actor_fields(self) -> dict[str, Any]:
        return {"actor": self.actor, "actor_type": self.actor_type, "changed_at": self.occurred_at,
                "actor_ip": self.actor_ip, "event_id": self.event_id, "action": self.action}


@dataclass
class FileOutcome:
    file_id: str
    status: str  # applied, already_applied, retrying, reported
    new_events: int = 0
    bad_lines: int = 0
    attempts: int = 0
    reason: str | None = None
    change_refs: list[str] = field(default_factory=list)


def _trail(event: AuditEvent) -> str:
    parts = [f"{event.action or event.event_type} at {event.occurred_at}"]
    if event.actor:
        parts.append(f"by {event.actor}" + (f" ({event.actor_type})" if event.actor_type else ""))
    parts.append(f"(event {event.event_id})")
    return " ".join(parts)


class AuditLedger:
    """The store-facing side of audit-log ingestion for one workspace and collector."""

    def __init__(self, store: Store, workspace: str, collector: str, *, max_attempts: int = 3,
                 label: str = "Compliance log file") -> None:
        self.store = store
        self.workspace = workspace
        self.collector = collector
        self.max_attempts = max_attempts
        self.label = label

    # --- reading --------------------------------------------------------------------------

    @property
    def cursor(self) -> str | None:
        return self.store.cursor(self.workspace, self.collector)

    def applied(self, file_id: str) -> bool:
        row = self.store.audit_file(self.workspace, self.collector, file_id)
        return bool(row and row["status"] == "applied")

    def retries(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Files to try again this run; files past the platform's retention are marked expired."""
        due = []
        for row in self.store.audit_files(self.workspace, ("retrying", "reported")):
            if row["collector"] != self.collector:
                continue
            end = row.get("end_time")
            if end and parse_iso(end) < now - dt.timedelta(days=RETENTION_DAYS):
                with self.store.transaction():
                    self.store.save_audit_file(self.workspace, self.collector, row["file_id"], status="expired")
                continue
            due.append(row)
        return due

    # --- writing --------------------------------------------------------------------------

    def advance(self, cursor: str | None) -> None:
        if cursor:
            with self.store.transaction():
                self.store.set_cursor(self.workspace, self.collector, cursor)

    def apply_file(self, log: LogFile, events: list[AuditEvent], *, bad_lines: int = 0,
                   bad_detail: str = "") -> FileOutcome:
        """Apply one verified file: its new events, their setting events and changes, its ledger row."""
        with self.store.transaction():
            if self.applied(log.file_id):
                return FileOutcome(log.file_id, "already_applied")
            previous = self.store.audit_file(self.workspace, self.collector, log.file_id)
            outcome = FileOutcome(log.file_id, "applied", bad_lines=bad_lines,
                                  attempts=(previous or {}).get("attempts") or 0)
            outcome.new_events, refs = self.store_events(events, log.file_id)
            outcome.change_refs += refs
            if bad_lines:
                ref = self.store.add_change(self._skipped_lines_change(log, bad_lines, bad_detail))
                if ref:
                    outcome.change_refs.append(ref)
            self.store.save_audit_file(
                self.workspace, self.collector, log.file_id, end_time=log.end_time, sha256=log.sha256,
                status="applied", applied_at=self.store.now(), events=outcome.new_events, bad_lines=bad_lines,
                reason=(previous or {}).get("reason"), attempts=outcome.attempts,
                first_failed_at=(previous or {}).get("first_failed_at"),
                last_attempt_at=self.store.now(), change_ref=(previous or {}).get("change_ref"))
        return outcome

    def fail_file(self, log: LogFile, reason: str) -> FileOutcome:
        """Put a file that could not be verified into the retry list; report it once at the limit."""
        with self.store.transaction():
            row = self.store.audit_file(self.workspace, self.collector, log.file_id) or {}
            if row.get("status") == "applied":
                return FileOutcome(log.file_id, "already_applied")
            attempts = int(row.get("attempts") or 0) + 1
            status = row.get("status") or "retrying"
            change_ref = row.get("change_ref")
            outcome = FileOutcome(log.file_id, status, attempts=attempts, reason=reason)
            if attempts >= self.max_attempts and not change_ref:
                change_ref = self.store.add_change(self._failed_file_change(log, reason, attempts))
                status = "reported"
                if change_ref:
                    outcome.change_refs.append(change_ref)
            outcome.status = status
            now = self.store.now()
            self.store.save_audit_file(
                self.workspace, self.collector, log.file_id, end_time=log.end_time or row.get("end_time"),
                sha256=log.sha256 or row.get("sha256"), status=status, reason=reason, attempts=attempts,
                first_failed_at=row.get("first_failed_at") or now, last_attempt_at=now, change_ref=change_ref)
        return outcome

    def store_events(self, events: list[AuditEvent], file_id: str | None = None) -> tuple[int, list[str]]:
        """Store each event once; apply only the new ones. Call inside the caller's transaction."""
        new = 0
        refs: list[str] = []
        unmapped: set[str] = set()
        setting_events: list[Observation] = []
        for event in events:
            stored = self.store.add_audit_event(self.workspace, self.collector, {
                "event_id": event.event_id, "file_id": file_id, "event_type": event.event_type,
                "action": event.unmapped or event.action, "occurred_at": event.occurred_at, "actor": event.actor,
                "actor_type": event.actor_type, "actor_ip": event.actor_ip, "mapped": event.unmapped is None,
                "record": event.record})
            if not stored:
                continue  # delivered again (another file, a retry, a restarted run): already applied
            new += 1
            setting_events += event.observations
            for index, item in enumerate(event.inventory):
                ref = self.store.add_change(self._inventory_change(event, item, index))
                if ref:
                    refs.append(ref)
            if event.unmapped:
                unmapped.add(event.unmapped)
        if setting_events:
            self.store.add_setting_events(self.workspace, setting_events)
        for action in sorted(unmapped):
            ref = self.store.add_change(self._unmapped_change(action))
            if ref:
                refs.append(ref)
        return new, refs

    # --- the changes this raises ------------------------------------------------------------

    def _inventory_change(self, event: AuditEvent, item: InventoryItem, index: int) -> NewChange:
        title = item.title + (f": {item.subject}" if item.subject else "") + f" in {self.workspace}"
        reasons = [_trail(event)]
        return NewChange(
            kind="audit_event", title=title, dedupe_key=f"audit:{self.workspace}:{self.collector}:{event.event_id}:{index}",
            workspace=self.workspace, summary=f"{event.action} recorded in the audit log",
            date=(event.occurred_at or "")[:10] or None,
            classification=Classification(item.severity != "info", item.severity, item.categories, reasons, "audit_map"),
            details={"action": event.action, "subject": item.subject, **item.details, **event.actor_fields()},
        )

    def _unmapped_change(self, action: str) -> NewChange:
        summary = next((a for a in self.store.unmapped_actions(self.workspace)
                        if a["collector"] == self.collector and a["action"] == action), None) or {}
        count, since = summary.get("events", 1), summary.get("since") or "?"
        return NewChange(
            kind="audit_unmapped",
            title=f"unmapped audit action {action}, {count} events since {since} in {self.workspace}",
            dedupe_key=f"unmapped:{self.workspace}:{self.collector}:{action}",
            workspace=self.workspace,
            summary=("No mapping in data/audit_map.toml knows this action; its events are stored as received "
                     "(audit_events) and not applied to any setting. Add a mapping if it changes one."),
            date=(since or "")[:10] or None,
            classification=Classification(True, "low", ["audit_logging"],
                                          [f"{self.collector}: {count} events of {action} since {since}"], "audit_map"),
            details={"action": action, "collector": self.collector, "events": count, "since": since},
        )

    def _failed_file_change(self, log: LogFile, reason: str, attempts: int) -> NewChange:
        return NewChange(
            kind="audit_file_failed",
            title=f"{self.label} {log.file_id} not applied after {attempts} attempts in {self.workspace}",
            dedupe_key=f"auditfile:{self.workspace}:{self.collector}:{log.file_id}",
            workspace=self.workspace,
            summary=("Its events were not applied (never unverified). driftwatch keeps retrying it on every "
                     f"snapshot until it is {RETENTION_DAYS} days old; settings it changed may be stale meanwhile."),
            date=(log.end_time or "")[:10] or None,
            classification=Classification(True, "medium", ["audit_logging"], [f"{log.file_id}: {reason}"], "audit_log"),
            details={"file_id": log.file_id, "end_time": log.end_time, "reason": reason, "attempts": attempts},
        )

    def _skipped_lines_change(self, log: LogFile, bad_lines: int, detail: str) -> NewChange:
        return NewChange(
            kind="audit_lines_skipped",
            title=f"{self.label} {log.file_id}: {bad_lines} unreadable lines skipped in {self.workspace}",
            dedupe_key=f"auditlines:{self.workspace}:{self.collector}:{log.file_id}",
            workspace=self.workspace,
            summary="The rest of the file was applied; the skipped lines are counted in `driftwatch status`.",
            date=(log.end_time or "")[:10] or None,
            classification=Classification(True, "low", ["audit_logging"], [detail or f"{bad_lines} lines"], "audit_log"),
            details={"file_id": log.file_id, "bad_lines": bad_lines, "detail": detail},
        )

