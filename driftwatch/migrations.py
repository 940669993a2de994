"""The database schema, as an ordered list of sqlite-utils migrations.

Never edit a migration that has shipped: add a new one. Each runs in a
transaction with its record in ``_sqlite_migrations``, so an upgrade that
fails half way leaves the previous schema intact.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("driftwatch")


@migrations()
def m001_initial(db: Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "kind": str,  # check, snapshot, digest, demo ...
            "started_at": str,
            "finished_at": str,
            "status": str,  # running, ok, failed
            "detail": str,  # JSON
        },
        pk="id",
        not_null={"kind", "started_at", "status"},
    )
    db["sources"].create(
        {
            "name": str,
            "kind": str,
            "url": str,
            "status": str,  # new, ok, broken, error
            "status_reason": str,
            "status_since": str,
            "etag": str,
            "last_modified": str,
            "entry_count": int,
            "consecutive_failures": int,
            "last_checked_at": str,
            "last_success_at": str,
            "last_changed_at": str,
        },
        pk="name",
        not_null={"kind", "url", "status"},
        defaults={"status": "new", "entry_count": 0, "consecutive_failures": 0},
    )
    db["bodies"].create(
        {
            "id": int,
            "source": str,
            "fetched_at": str,
            "url": str,
            "content_type": str,
            "sha256": str,
            "size": int,
            "body_zlib": bytes,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name")],
        not_null={"source", "fetched_at", "sha256", "body_zlib"},
    )
    db["fetches"].create(
        {
            "id": int,
            "source": str,
            "run_id": int,
            "started_at": str,
            "duration_ms": int,
            "status_code": int,
            "bytes": int,
            "outcome": str,  # changed, unchanged, error
            "error": str,
            "body_id": int,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name"), ("run_id", "runs", "id"), ("body_id", "bodies", "id")],
        not_null={"source", "started_at", "outcome"},
    )
    db["fetches"].create_index(["source", "started_at"])
    db["entries"].create(
        {
            "id": int,
            "source": str,
            "entry_key": str,
            "guid": str,
            "date": str,
            "title": str,
            "body": str,
            "link": str,
            "content_hash": str,
            "version": int,
            "status": str,  # live, removed
            "missing_count": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "removed_at": str,
        },
        pk="id",
        foreign_keys=[("source", "sources", "name")],
        not_null={"source", "entry_key", "title", "content_hash", "version", "status"},
        defaults={"status": "live", "missing_count": 0, "version": 1},
    )
    db["entries"].create_index(["source", "entry_key"], unique=True)
    db["entry_versions"].create(
        {
            "id": int,
            "entry_id": int,
            "version": int,
            "date": str,
            "title": str,
            "body": str,
            "link": str,
            "content_hash": str,
            "seen_at": str,
            "diff": str,
        },
        pk="id",
        foreign_keys=[("entry_id", "entries", "id")],
        not_null={"entry_id", "version", "content_hash", "seen_at"},
    )
    db["entry_versions"].create_index(["entry_id", "version"], unique=True)
    db["snapshots"].create(
        {
            "id": int,
            "workspace": str,
            "taken_at": str,
            "complete": int,
            "settings": str,  # JSON: key -> value
            "provenance": str,  # JSON: key -> {collector, observed_at, actor...}
            "errors": str,  # JSON: collector -> message
        },
        pk="id",
        not_null={"workspace", "taken_at", "complete", "settings"},
    )
    db["snapshots"].create_index(["workspace", "taken_at"])
    db["changes"].create(
        {
            "id": int,
            "ref": str,  # DW-<id>, what people type
            "kind": str,
            "source": str,
            "workspace": str,
            "entry_id": int,
            "entry_version": int,
            "control_id": str,
            "title": str,
            "summary": str,
            "date": str,
            "link": str,
            "detected_at": str,
            "run_id": int,
            "security_relevant": int,
            "severity": str,
            "categories": str,  # JSON list
            "reasons": str,  # JSON list
            "classifier_version": str,
            "classified_at": str,
            "details": str,  # JSON
            "dedupe_key": str,
        },
        pk="id",
        foreign_keys=[("entry_id", "entries", "id"), ("run_id", "runs", "id")],
        not_null={"kind", "title", "detected_at", "dedupe_key"},
    )
    db["changes"].create_index(["ref"], unique=True)
    db["changes"].create_index(["dedupe_key"], unique=True)
    db["changes"].create_index(["detected_at"])
    db["acks"].create(
        {
            "id": int,
            "change_id": int,
            "action": str,  # ack, undo, snooze
            "actor": str,
            "at": str,
            "via": str,  # button, thread, slash, cli
            "note": str,
            "snooze_until": str,
            "idempotency_key": str,
        },
        pk="id",
        foreign_keys=[("change_id", "changes", "id")],
        not_null={"change_id", "action", "actor", "at", "via"},
    )
    db["acks"].create_index(["change_id"])
    db["acks"].create_index(["idempotency_key"], unique=True)
    db["digests"].create(
        {
            "id": int,
            "period_start": str,
            "period_end": str,
            "created_at": str,
            "status": str,  # built, posting, posted
            "channel": str,
            "ts": str,
            "item_count": int,
            "summary": str,  # JSON
        },
        pk="id",
        not_null={"period_start", "created_at", "status"},
    )
    db["digests"].create_index(["period_start"], unique=True)


@migrations()
def m002_search(db: Database) -> None:
    """Full-text search over entries and changes, kept current by triggers."""
    db["entries"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter")
    db["changes"].enable_fts(["ref", "title", "summary"], create_triggers=True, tokenize="porter")


@migrations()
def m003_posture(db: Database) -> None:
    """Audit-log setting events (deduplicated) and collector cursors for snapshots."""
    db["setting_events"].create(
        {
            "id": int,
            "workspace": str,
            "collector": str,
            "event_id": str,
            "key": str,
            "value": str,  # JSON
            "observed_at": str,
            "actor": str,
            "ip": str,
            "detail": str,
            "stored_at": str,
        },
        pk="id",
        not_null={"workspace", "collector", "event_id", "key", "observed_at"},
    )
    db["setting_events"].create_index(["workspace", "collector", "event_id", "key"], unique=True)
    db["setting_events"].create_index(["workspace", "key", "observed_at"])
    db["collector_cursors"].create(
        {"workspace": str, "collector": str, "cursor": str, "updated_at": str},
        pk=("workspace", "collector"),
    )
    db["snapshots"].add_column("run_id", int)


@migrations()
def m004_slack(db: Database) -> None:
    """Where every Slack message went, digest periods, attestations made in Slack."""
    db.execute("DROP INDEX IF EXISTS idx_digests_period_start")  # a forced re-post shares its start
    db["digests"].create_index(["period_start"])
    db["digests"].add_column("period_key", str)
    db["digests"].add_column("posted_at", str)
    db["digests"].add_column("forced", int)
    db["digests"].create_index(["period_key"], unique=True)
    db["slack_messages"].create(
        {
            "id": int,
            "kind": str,  # digest_parent, digest_item, alert, confirmation
            "digest_id": int,
            "change_id": int,
            "channel": str,
            "ts": str,
            "thread_ts": str,
            "posted_at": str,
            "dedupe_key": str,
        },
        pk="id",
        foreign_keys=[("digest_id", "digests", "id"), ("change_id", "changes", "id")],
        not_null={"kind", "channel", "posted_at", "dedupe_key"},
    )
    db["slack_messages"].create_index(["dedupe_key"], unique=True)
    db["slack_messages"].create_index(["change_id"])
    db["slack_messages"].create_index(["channel", "ts"])
    db["attestations"].create(
        {"id": int, "workspace": str, "settings": str, "attested_by": str, "attested_at": str, "via": str},
        pk="id",
        not_null={"workspace", "settings", "attested_by", "attested_at"},
    )


@migrations()
def m005_outbox(db: Database) -> None:
    """Every Slack message waits here until Slack has it; written with the change that caused it."""
    db["outbox"].create(
        {
            "id": int,
            "kind": str,  # alert, source_alert, digest_parent, digest_item, update, confirmation
            "dedupe_key": str,
            "channel": str,
            "thread_of": str,  # dedupe_key of the outbox message whose ts is our thread_ts
            "thread_ts": str,  # or a known thread ts (replies to people's threads)
            "change_id": int,
            "digest_id": int,
            "payload": str,  # JSON: what to render at send time
            "status": str,  # pending, sending, sent, failed
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
            "ts": str,
        },
        pk="id",
        not_null={"kind", "dedupe_key", "status", "created_at"},
        defaults={"status": "pending", "attempts": 0},
    )
    db["outbox"].create_index(["dedupe_key"], unique=True)
    db["outbox"].create_index(["status", "next_attempt_at"])
    db["sources"].add_column("alerted_failures", int)


@migrations()
def m006_cheaper_writes(db: Database) -> None:
    """Refs assigned in the engine; full-text indexes touched only when indexed text changes.

    The generic update triggers re-indexed an entry every time a check saw it again and a
    change every time it was classified; these fire only for edits of the indexed columns.
    """
    db["changes"].disable_fts()
    db["changes"].enable_fts(["title", "summary"], create_triggers=False, tokenize="porter")
    db.execute("INSERT INTO changes_fts (changes_fts) VALUES ('rebuild')")
    for table, columns in (("entries", ("title", "body")), ("changes", ("title", "summary"))):
        db.execute(f"DROP TRIGGER IF EXISTS {table}_ai")
        db.execute(f"DROP TRIGGER IF EXISTS {table}_ad")
        db.execute(f"DROP TRIGGER IF EXISTS {table}_au")
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        db.execute(f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN "
                   f"INSERT INTO {table}_fts (rowid, {cols}) VALUES (new.rowid, {new}); END")
        db.execute(f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN "
                   f"INSERT INTO {table}_fts ({table}_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END")
        db.execute(f"CREATE TRIGGER {table}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
                   f"INSERT INTO {table}_fts ({table}_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
                   f"INSERT INTO {table}_fts (rowid, {cols}) VALUES (new.rowid, {new}); END")
    db.execute("CREATE TRIGGER changes_ref AFTER INSERT ON changes WHEN new.ref IS NULL BEGIN "
               "UPDATE changes SET ref = 'DW-' || new.id WHERE id = new.id; END")


@migrations()
def m007_lookup_indexes(db: Database) -> None:
    """Indexes for lookups that grow with the database (search joins, per-change acks, snapshots)."""
    db["changes"].create_index(["entry_id"], if_not_exists=True)
    db["changes"].create_index(["source", "id"], if_not_exists=True)
    db["snapshots"].create_index(["workspace", "id"], if_not_exists=True)


@migrations()
def m008_index_entry_text_once(db: Database) -> None:
    """An entry's text is indexed once, in entries_fts; changes_fts keeps the other changes.

    Search reaches entry changes through entries_fts (joined on entry_id), so indexing their
    summary (a copy of the entry body) again only doubled the cost of every first check.
    """
    for name in ("changes_ai", "changes_ad", "changes_au"):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
    db.execute("CREATE TRIGGER changes_ai AFTER INSERT ON changes WHEN new.entry_id IS NULL BEGIN "
               "INSERT INTO changes_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary); END")
    db.execute("CREATE TRIGGER changes_ad AFTER DELETE ON changes WHEN old.entry_id IS NULL BEGIN "
               "INSERT INTO changes_fts (changes_fts, rowid, title, summary) "
               "VALUES ('delete', old.rowid, old.title, old.summary); END")
    db.execute("CREATE TRIGGER changes_au AFTER UPDATE OF title, summary ON changes WHEN old.entry_id IS NULL BEGIN "
               "INSERT INTO changes_fts (changes_fts, rowid, title, summary) "
               "VALUES ('delete', old.rowid, old.title, old.summary); "
               "INSERT INTO changes_fts (rowid, title, summary) VALUES (new.rowid, new.title, new.summary); END")


@migrations()
def m009_watchers_moved_from(db: Database) -> None:
    """The configured URL of a source that moved permanently (301/308); ``url`` is the new one."""
    db["sources"].add_column("moved_from", str)


@migrations()
def m010_posture_trust(db: Database) -> None:
    """Posture that survives outages and never stalls on one bad audit-log file.

    control_states keeps each control's last known state (unknown is not a state) and the
    episode of its open failing change; audit_files is the ledger of every Compliance log
    file (applied, or waiting in the retry list); audit_events holds every audit event once
    (deduplicated on event_id), mapped or not; rule_state remembers the waivers, overrides
    and baseline versions last seen, so a change to them becomes evidence.
    """
    db["control_states"].create(
        {"workspace": str, "control_id": str, "status": str, "since": str, "episode": int,
         "change_ref": str, "updated_at": str},
        pk=("workspace", "control_id"),
        not_null={"status", "updated_at"},
        defaults={"episode": 0},
    )
    db["audit_files"].create(
        {
            "workspace": str,
            "collector": str,
            "file_id": str,
            "end_time": str,
            "sha256": str,
            "status": str,  # applied, retrying, reported
            "reason": str,
            "attempts": int,
            "first_failed_at": str,
            "last_attempt_at": str,
            "applied_at": str,
            "events": int,
            "bad_lines": int,
            "change_ref": str,
        },
        pk=("workspace", "collector", "file_id"),
        not_null={"status"},
        defaults={"attempts": 0, "events": 0, "bad_lines": 0},
    )
    db["audit_files"].create_index(["workspace", "status"])
    db["audit_events"].create(
        {
            "id": int,
            "workspace": str,
            "collector": str,
            "event_id": str,
            "file_id": str,
            "event_type": str,
            "action": str,
            "occurred_at": str,
            "actor": str,
            "actor_type": str,
            "actor_ip": str,
            "mapped": int,
            "record": str,  # JSON, as received
            "stored_at": str,
        },
        pk="id",
        not_null={"workspace", "collector", "event_id", "stored_at"},
    )
    db["audit_events"].create_index(["workspace", "collector", "event_id"], unique=True)
    db["audit_events"].create_index(["workspace", "mapped", "action"])
    db["rule_state"].create({"key": str, "value": str, "recorded_at": str}, pk="key", not_null={"recorded_at"})
    for column in ("drift", "gaps", "stale", "known"):
        db["snapshots"].add_column(column, str)  # JSON
    db["setting_events"].add_column("actor_type", str)


@migrations()
def m011_hardening_outbox_lease(db: Database) -> None:
    """A delivery pass leases the rows it sends (owner and expiry), so concurrent passes never share one."""
    db["outbox"].add_column("lease_owner", str)
    db["outbox"].add_column("lease_expires_at", str)


@migrations()
def m012_hardening_slack_requests(db: Database) -> None:
    """Slack requests already applied (event id or signature), so a replay or retry is applied once."""
    db["slack_requests"].create({"key": str, "seen_at": str}, pk="key")
    db["slack_requests"].create_index(["seen_at"])


@migrations()
def m013_operator_people(db: Database) -> None:
    """Display names of the people who act in Slack (users.info, cached), so acks read as names."""
    db["people"].create({"user_id": str, "name": str, "fetched_at": str}, pk="user_id", if_not_exists=True)


@migrations()
def m014_speed_indexed_per_batch(db: Database) -> None:
    """New entries and changes reach the full-text indexes in one statement per batch.

    :meth:`driftwatch.store.Store.insert_entries` and :meth:`~driftwatch.store.Store.add_changes`
    (the only ways an entry or a change is inserted) index their rows with one
    ``INSERT ... SELECT``: FTS5 takes that five times faster than the same rows through a
    per-row trigger, and a trigger that does not apply (entry changes are not in
    changes_fts) still cost a fifth of storing a change. Edits and deletes keep their triggers.
    """
    db.execute("DROP TRIGGER IF EXISTS entries_ai")
    db.execute("DROP TRIGGER IF EXISTS changes_ai")


def schema_version(db: Database) -> int:
    return len(migrations.applied(db))


def registered() -> list[str]:
    """Every migration this driftwatch knows, in order (all are pending on an empty database)."""
    return [m.name for m in migrations.pending(Database(memory=True))]


def latest_version() -> int:
    return len(registered())
