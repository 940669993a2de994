"""What `driftwatch browse` shows in Datasette: descriptions, canned queries, facets, hidden tables.

The canned queries are storage (SQL over driftwatch's own schema), so they live here beside
the store rather than in the command that serves them.
"""

from __future__ import annotations

from typing import Any

DATABASE_NAME = "driftwatch"

_OPEN = ("not exists (select 1 from acks a where a.change_id = c.id and a.id = "
         "(select max(b.id) from acks b where b.change_id = c.id and b.action in ('ack', 'undo')) "
         "and a.action = 'ack')")

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "open_changes": {
        "title": "Open high and medium changes",
        "description": "Security-relevant changes nobody has acknowledged yet, most severe and newest first.",
        "sql": (
            "select c.ref, c.severity, c.kind, coalesce(c.source, c.workspace) as origin, c.date, c.title, "
            "c.categories, c.link, c.detected_at from changes c "
            f"where c.severity in ('high', 'medium') and {_OPEN} "
            "order by case c.severity when 'high' then 0 else 1 end, c.detected_at desc"
        ),
    },
    "failing_controls": {
        "title": "Failing controls by workspace",
        "description": "Controls whose latest drift change says failing (not since fixed), per workspace.",
        "sql": (
            "select c.workspace, c.control_id, c.severity, c.title, c.detected_at as failing_since, c.ref "
            "from changes c where c.kind = 'control_failing' and c.id = ("
            "select max(d.id) from changes d where d.workspace = c.workspace and d.control_id = c.control_id "
            "and d.kind in ('control_failing', 'control_fixed')) "
            "order by c.workspace, case c.severity when 'high' then 0 when 'medium' then 1 else 2 end, c.control_id"
        ),
    },
    "acks_by_person": {
        "title": "Acknowledgements by person",
        "description": "Who acknowledged, un-acknowledged and snoozed how much, with display names where known.",
        "sql": (
            "select a.actor, (select p.name from people p where p.user_id = a.actor) as name, "
            "sum(a.action = 'ack') as acks, sum(a.action = 'undo') as undos, sum(a.action = 'snooze') as snoozes, "
            "min(a.at) as first, max(a.at) as last from acks a group by a.actor order by acks desc"
        ),
    },
    "source_health": {
        "title": "Source health",
        "description": "Every watched source: status, why, last success, failures in a row and recent fetches.",
        "sql": (
            "select s.name, s.kind, s.status, s.status_reason, s.status_since, s.last_success_at, "
            "s.consecutive_failures, s.entry_count, "
            "(select count(*) from fetches f where f.source = s.name and f.error is not null "
            "and f.started_at >= datetime('now', '-7 days')) as errors_7d, s.url "
            "from sources s order by case s.status when 'broken' then 0 when 'error' then 1 else 2 end, s.name"
        ),
    },
}

TABLES: dict[str, dict[str, Any]] = {
    "changes": {
        "description": "Every change driftwatch found: release-note entries (new, edited), control drift, source health.",
        "facets": ["severity", "kind", "source", "workspace"],
        "sort_desc": "detected_at",
        "columns": {
            "ref": "The id people use (DW-42)", "kind": "new_entry, edited_entry, control_failing, control_fixed, source_*",
            "severity": "high, medium, low or info (classifier or control)",
            "categories": "Security categories (JSON list)", "reasons": "Why it was classified so (JSON list)",
            "security_relevant": "1 if the classifier found it security relevant",
            "detected_at": "When driftwatch stored it (UTC)", "control_id": "The baseline control, for drift",
        },
    },
    "acks": {
        "description": "The acknowledgement audit trail: ack, undo, snooze, unsnooze; nothing is ever deleted.",
        "facets": ["action", "via", "actor"],
        "columns": {"actor": "Slack user id (or the CLI user)", "via": "slash, button, thread, cli",
                    "snooze_until": "For snoozes: hidden until then"},
    },
    "sources": {
        "description": "The watched pages and feeds and their health.",
        "facets": ["status", "kind"],
        "columns": {"status": "ok, error (failing) or broken (parses to nothing)",
                    "consecutive_failures": "Failed fetches in a row"},
    },
    "entries": {"description": "Release-note entries as parsed, current version.", "facets": ["source", "status"]},
    "entry_versions": {"description": "Every version of every entry, with a diff to the previous one."},
    "fetches": {"description": "Every HTTP fetch: status, duration, size, error.", "facets": ["source", "outcome"]},
    "bodies": {"description": "Raw page bodies (compressed) kept for replay; pruned after [storage] keep_bodies_days."},
    "snapshots": {"description": "Workspace settings snapshots: values, provenance, collector errors.",
                  "facets": ["workspace", "complete"]},
    "setting_events": {"description": "Settings changes seen in audit logs (Compliance API, Admin API).",
                       "facets": ["workspace", "collector", "key"]},
    "attestations": {"description": "Settings attested in Slack (/driftwatch attest).", "facets": ["workspace"]},
    "digests": {"description": "Digests claimed per period and their delivery state.", "facets": ["status", "forced"]},
    "slack_messages": {"description": "Every message driftwatch posted (channel, ts), for updates in place.",
                       "facets": ["kind", "channel"]},
    "outbox": {"description": "Slack messages queued for delivery: pending, sending, sent or failed, with the last error.",
               "facets": ["status", "kind"],
               "columns": {"status": "pending, sending, sent or failed", "next_attempt_at": "Not before (rate limits)",
                           "dedupe_key": "One message per key, ever"}},
    "runs": {"description": "Every job run (check, snapshot, digest, deliver, maintenance) and how it ended.",
             "facets": ["kind", "status"], "sort_desc": "id"},
    "collector_cursors": {"description": "Where each audit-log collector resumes."},
    "people": {"description": "Slack display names (users.info, cached)."},
}

HIDDEN_PREFIXES = ("entries_fts", "changes_fts", "_sqlite_migrations")


def browse_metadata(table_names: list[str]) -> dict[str, Any]:
    """Datasette metadata for the database as it is (tables that exist, FTS internals hidden)."""
    tables: dict[str, Any] = {}
    for name in table_names:
        if name.startswith(HIDDEN_PREFIXES):
            tables[name] = {"hidden": True}
        elif name in TABLES:
            tables[name] = TABLES[name]
    return {
        "title": "driftwatch",
        "description": "Vendor changes, workspace posture and Slack delivery, read-only.",
        "databases": {DATABASE_NAME: {"tables": tables, "queries": CANNED_QUERIES}},
    }
