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

from .models import entry_fields
from .store import Store, _decode

SCHEMA = "driftwatch.export.v1"
KINDS = ("changes", "acks", "snapshots", "fetches")
CSV_COLUMNS = ("schema", "type", "id", "at", "source", "workspace", "severity", "title", "actor", "data")


def public_change(row: dict[str, Any]) -> dict[str, Any]:
    """A stored change in the shape the CLI and the export promise."""
    return {
        "id": row["ref"],
        "kind": row["kind"],
        "source": row.get("source"),
        "workspace": row.get("workspace"),
        "control_id": row.get("control_id"),
        "title": row["title"],
        "summary": row.get("summary"),
        "date": row.get("date"),
        "link": row.get("link"),
        "detected_at": row["detected_at"],
        "security_relevant": bool(row.get("security_relevant")),
        "severity": row.get("severity"),
        "categories": row.get("categories") or [],
        "reasons": row.get("reasons") or [],
        "acked_by": row.get("acked_by"),
        "acked_at": row.get("acked_at"),
        "ack_note": row.get("ack_note"),
        "ack_via": row.get("ack_via"),
        "snoozed_until": row.get("snoozed_until"),
        **entry_fields(row),
    }


def records(store: Store, *, since: str, what: Iterable[str], after: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Records at or after ``since`` (or, when following, with a row id past ``after``)."""
    after = after or {}
    out: list[dict[str, Any]] = []
    wanted = set(what)
    if "changes" in wanted:
        rows = store.db.query("select * from changes where detected_at >= ? and id > ? order by id",
                              [since, after.get("changes", 0)])
        for row in store._with_ack_state([_decode(r) for r in rows]):
            out.append({"schema": SCHEMA, "type": "change", "seq": row["id"], "at": row["detected_at"],
                        **public_change(row)})
    if "acks" in wanted:
        sql = ("select acks.*, changes.ref from acks join changes on changes.id = acks.change_id "
               "where acks.at >= ? and acks.id > ? order by acks.id")
        for row in store.db.query(sql, [since, after.get("acks", 0)]):
            out.append({"schema": SCHEMA, "type": "ack", "seq": row["id"], "id": f"ack-{row['id']}", "at": row["at"],
                        "change": row["ref"], "action": row["action"], "actor": row["actor"], "via": row["via"],
                        "note": row["note"], "snooze_until": row["snooze_until"]})
    if "snapshots" in wanted:
        rows = store.db.query("select * from snapshots where taken_at >= ? and id > ? order by id",
                              [since, after.get("snapshots", 0)])
        for row in map(_decode, rows):
            out.append({"schema": SCHEMA, "type": "snapshot", "seq": row["id"], "id": f"snapshot-{row['id']}",
                        "at": row["taken_at"], "workspace": row["workspace"], "complete": bool(row["complete"]),
                        "errors": row.get("errors") or {}, "settings": row.get("settings") or {},
                        "provenance": row.get("provenance") or {}})
    if "fetches" in wanted:
        rows = store.db.query("select * from fetches where started_at >= ? and id > ? order by id",
                              [since, after.get("fetches", 0)])
        for row in rows:
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
           data.get("workspace"), data.get("severity"), data.get("title"), data.get("actor") or data.get("acked_by"),
           json.dumps(data, ensure_ascii=False, sort_keys=True)]
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue()
