"""The compliance collector: ChatGPT Compliance API inventories and AUDIT_LOG files.

Inventories (GPTs and their sharing, workspace plugins, users) give current
counts. Settings changes arrive only as AUDIT_LOG events in the Logs Platform.
Files are listed after a stored cursor and each is handled on its own: it is
downloaded from its pre-signed URL without our Authorization header, checked
against its ``file_sha256`` and applied in its own transaction (see
:mod:`driftwatch.posture.ledger`). A file that fails goes into the retry list
and the others still apply; a line that is not JSON is skipped and counted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Iterator

from driftwatch.posture.ledger import AuditEvent, AuditLedger, LogFile
from driftwatch.posture.evidence import CollectorResult, Observation
from driftwatch.timeutil import iso

from .audit_mapping import EXTERNAL_VISIBILITY, map_audit_event
from .http import ApiClient, CollectorError

LOOKBACK_DAYS = 30


class FileProblem(Exception):
    """One log file cannot be used (download failed, checksum mismatch); the others still can."""


def _paged(client: ApiClient, path: str, style: str, limit: int = 100) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {"limit": limit}
    for _page in range(1000):
        page = client.get_json(path, params=params)
        items = page.get("data") or []
        yield from items
        if not page.get("has_more") or not items:
            return
        if style == "cursor":
            params["cursor"] = page.get("cursor") or page.get("next_cursor") or page.get("last_id")
        else:
            params["after"] = page.get("last_id") or items[-1].get("id")
    raise CollectorError(f"{client.api_name}: {path} paginated for more than 1000 pages; stopped")


def collect_compliance(client: ApiClient, workspace_id: str, ledger: AuditLedger, now: dt.datetime) -> CollectorResult:
    result = CollectorResult("compliance", cursor=ledger.cursor)
    scope = "organizations" if workspace_id.startswith("org-") else "workspaces"
    base = f"compliance/{scope}/{workspace_id}"
    stamp = iso(now)
    try:
        if scope == "workspaces":
            shared = 0
            gpts = 0
            for gpt in _paged(client, f"{base}/gpts", "after"):
                gpts += 1
                sharing = gpt.get("sharing") or {}
                visibility = str(sharing.get("visibility") or gpt.get("visibility") or "").lower()
                shared += visibility in EXTERNAL_VISIBILITY
            plugins = sum(1 for _ in _paged(client, f"{base}/plugins", "cursor"))
            admins = sum(1 for u in _paged(client, f"{base}/users", "after")
                         if str(u.get("role", "")).lower() in ("owner", "admin", "account-owner", "account-admin"))
            result.observations += [
                Observation("gpts.externally_shared", shared, stamp, "compliance", detail=f"{gpts} GPTs in inventory"),
                Observation("apps.workspace_plugins_count", plugins, stamp, "compliance"),
                Observation("workspace.admins_count", admins, stamp, "compliance"),
            ]
        ingest_logs(client, base, ledger, now, result)
        result.observations.append(Observation("compliance.logs_platform.enabled", True, stamp, "compliance",
                                               detail="AUDIT_LOG files listed"))
    except CollectorError as exc:
        result.error = str(exc)
    result.cursor = ledger.cursor
    return result


def ingest_logs(client: ApiClient, base: str, ledger: AuditLedger, now: dt.datetime, result: CollectorResult) -> None:
    """Retry the files waiting in the retry list, then apply every file listed after the cursor."""
    tried: set[str] = set()
    for row in ledger.retries(now):
        tried.add(row["file_id"])
        _ingest_file(client, base, ledger, LogFile(row["file_id"], row.get("end_time"), row.get("sha256")), result)
    after = ledger.cursor or iso(now - dt.timedelta(days=LOOKBACK_DAYS))
    for _page in range(1000):
        page = client.get_json(f"{base}/logs", params={"event_type": "AUDIT_LOG", "after": after, "limit": 100})
        for entry in page.get("data") or []:
            log = LogFile(str(entry.get("id")), entry.get("end_time"), entry.get("file_sha256"))
            if log.file_id in tried or ledger.applied(log.file_id):
                continue  # already retried this run, or applied before a restart
            tried.add(log.file_id)
            _ingest_file(client, base, ledger, log, result)
        after = page.get("last_end_time") or after
        ledger.advance(after)  # every file of this page is applied or in the retry list
        if not page.get("has_more"):
            break
    else:
        raise CollectorError("compliance logs: more than 1000 pages of files; stopped")
    for row in ledger.retries(now):
        result.gaps.append(f"log file {row['file_id']} not applied yet ({row['reason']}; "
                           f"{row['attempts']} of {ledger.max_attempts} attempts before it is reported)"
                           if row["status"] == "retrying" else
                           f"log file {row['file_id']} not applied after {row['attempts']} attempts ({row['reason']})")


def _ingest_file(client: ApiClient, base: str, ledger: AuditLedger, log: LogFile, result: CollectorResult) -> None:
    try:
        body = download(client, base, log)
    except (FileProblem, CollectorError) as exc:
        outcome = ledger.fail_file(log, str(exc))
        result.change_refs += outcome.change_refs
        result.warnings.append(f"compliance logs: file {log.file_id} not applied (attempt {outcome.attempts}): {exc}")
        return
    events, bad, detail = parse_jsonl(body, log.file_id)
    result.change_refs += ledger.apply_file(log, events, bad_lines=bad, bad_detail=detail).change_refs
    if bad:
        result.warnings.append(f"compliance logs: file {log.file_id}: {detail}; the rest was applied")


def parse_jsonl(body: bytes, file_id: str) -> tuple[list[AuditEvent], int, str]:
    """Events of one file, and how many lines were skipped (not JSON, not an object, no event_id)."""
    events: list[AuditEvent] = []
    bad: list[int] = []
    for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        event = map_audit_event(record, file_id) if isinstance(record, dict) else None
        if event is None:
            bad.append(number)
            continue
        events.append(event)
    detail = ""
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
        detail = f"{len(bad)} lines skipped (not a JSON event with an event_id): line {shown}"
    return events, len(bad), detail


def download(client: ApiClient, base: str, log: LogFile) -> bytes:
    """The file's bytes, verified against the listing's ``file_sha256`` (an unverifiable file is refused)."""
    if not log.sha256:
        raise FileProblem("the listing gave no file_sha256, so the file cannot be verified")
    response = client.get(f"{base}/logs/{log.file_id}")
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location")
        if not location:
            raise FileProblem("download redirect without a Location")
        body = client.download(location)
    else:
        body = response.content
    digest = hashlib.sha256(body).hexdigest()
    if digest != log.sha256.lower():
        raise FileProblem(f"failed its sha256 check (expected {log.sha256[:12]}…, got {digest[:12]}…)")
    return body
