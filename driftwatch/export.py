"""A stable, schema-versioned record stream for SIEMs: changes, acks, snapshots, fetches.

Every record carries ``schema`` (``driftwatch.export.v1``), ``type``, a unique
``id`` and an ISO-8601 UTC ``at``. New fields may be added within v1; none is
removed or renamed without a new schema version.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable

from .models import public_change
from .store import Store

SCHEMA = "driftwatch.export.v1"
KINDS = ("changes", "acks", "snapshots", "fetches")
CSV_COLUMNS = ("schema", "type", "id", "at", "source", "workspace", "severity", "title", "actor", "data")


def records(store: Store, *, since: str, what: Iterable[str], after: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Records at or after ``since`` (or, when following, with a row id past ``after``)."""
    after = after or {}
    out: list[dict[str, Any]] = []
    wanted = set(what)
    if "changes" in wanted:
        for row in store.export_changes(since, after.get("changes", 0)):
            out.append({"schema": SCHEMA, "type": "change", "seq": row["id"], "at": row["detected_at"],
                        **public_change(row)})
    if "acks" in wanted:
        for row in store.export_acks(since, after.get("acks", 0)):
            out.append({"schema": SCHEMA, "type": "ack", "seq": row["id"], "id": f"ack-{row['id']}", "at": row["at"],
                        "change": row["ref"], "action": row["action"], "actor": row["actor"], "via": row["via"],
                        "note": row["note"], "snooze_until": row["snooze_until"]})
    if "snapshots" in wanted:
        for row in store.export_snapshots(since, after.get("snapshots", 0)):
            out.append({"schema": SCHEMA, "type": "snapshot", "seq": row["id"], "id": f"snapshot-{row['id']}",
                        "at": row["taken_at"], "workspace": row["workspace"], "complete": bool(row["complete"]),
                        "errors": row.get("errors") or {}, "settings": row.get("settings") or {},
                        "provenance": row.get("provenance") or {}, "gaps": row.get("gaps") or [],
                        "stale_attestations": row.get("stale") or []})
    if "fetches" in wanted:
        for row in store.export_fetches(since, after.get("fetches", 0)):
            out.append({"schema": SCHEMA, "type": "fetch", "seq": row["id"], "id": f"fetch-{row['id']}",
                        "at": row["started_at"], "source": row["source"], "status_code": row["status_code"],
                        "bytes": row["bytes"], "duration_ms": row["duration_ms"], "outcome": row["outcome"],
                        "error": row["error"]})
    out.sort(key=lambda r: (r["at"], r["type"], r["seq"]))
    return out


def advance(after: dict[str, int], batch: list[dict[str, Any]]) -> dict[str, int]:
    names = {"change": "changes", "ack": "acks", "snapshot": "snapshots", "fetch": "fetches"}
    out = dict(after)
    for record in batch:
        key = names[record["type"]]
        out[key] = max(out.get(key, 0), record["seq"])
    return out


def to_jsonl(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if k != "seq"}, ensure_ascii=False, sort_keys=True)


def csv_header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_COLUMNS)
    return buffer.getvalue()


def to_csv(record: dict[str, Any]) -> str:
    data = {k: v for k, v in record.items() if k != "seq"}
    row = [data.get("schema"), data.get("type"), data.get("id"), data.get("at"), data.get("source"),
           data.get("workspace"), data.get("severity"), data.get("title"),
           data.get("acked_by") if data.get("type") == "change" else data.get("actor"),
           json.dumps(data, ensure_ascii=False, sort_keys=True)]
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue()


def ocsf_lines(store: Store, settings: Any, batch: list[dict[str, Any]], what: Iterable[str] = KINDS) -> list[str]:
    """``--format ocsf``: the batch as OCSF 1.3 findings, one JSON object a line."""
    from .report.ocsf import from_export

    findings = from_export(settings, store, batch, with_snapshots="snapshots" in set(what))
    return [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in findings]
