"""Storage: migrations (create, reopen, upgrade), WAL, JSON columns, ack folding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlite_utils import Database

from driftwatch import migrations as schema
from driftwatch.models import Classification, NewChange, ParsedEntry
from driftwatch.store import Store, StoreError, fold_acks

EXPECTED_TABLES = {"runs", "sources", "fetches", "bodies", "entries", "entry_versions", "snapshots",
                   "changes", "acks", "digests"}


def test_create_then_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dw.db"
    with Store.open(path) as store:
        assert store.schema_version == schema.latest_version()
        assert EXPECTED_TABLES <= set(store.db.table_names())
        assert store.db.journal_mode == "wal"
        store.sync_source("s", "feed", "https://e.test/f")
    with Store.open(path) as again:  # re-open applies nothing new and keeps data
        assert again.schema_version == schema.latest_version()
        assert again.source("s")["url"] == "https://e.test/f"
        assert len(schema.migrations.applied(again.db)) == schema.latest_version()


def test_upgrade_from_older_schema_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(path)
    last = schema.registered()[-1]
    schema.migrations.apply(db, stop_before=last)  # the database as an older driftwatch left it
    assert schema.schema_version(db) == schema.latest_version() - 1
    db["sources"].insert({"name": "old", "kind": "feed", "url": "https://e.test/", "status": "ok"})
    db["entries"].insert({"source": "old", "entry_key": "k", "title": "Write actions for Box",
                          "body": "Box can now upload files", "content_hash": "h", "version": 1,
                          "status": "live"})
    db.close()

    with Store.open(path) as store:
        assert store.schema_version == schema.latest_version()
        assert store.source("old")["status"] == "ok"
        # the full-text index added by the upgrade covers rows written before it
        hits = list(store.db.query("select rowid from entries_fts where entries_fts match 'upload'"))
        assert len(hits) == 1


def test_database_from_a_newer_driftwatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    db = Database(path)
    db["_sqlite_migrations"].insert({"migration_set": "driftwatch", "name": "m999_future", "applied_at": "x"})
    db.close()
    with pytest.raises(StoreError, match="newer than this driftwatch"):
        Store.open(path)


def test_not_a_database_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot"):
        Store.open(path)


def test_changes_get_typeable_ids_and_json_columns(store: Store) -> None:
    store.sync_source("s", "feed", "https://e.test/f")
    result = Classification(True, "high", ["write_action", "connector"], ['write_action: "x"'], "t")
    ref = store.add_change(NewChange(kind="new_entry", title="T", dedupe_key="k1", source="s",
                                     classification=result))
    assert ref is not None and ref.startswith("DW-")
    assert store.add_change(NewChange(kind="new_entry", title="T", dedupe_key="k1")) is None
    raw = store.db.execute("select categories, detected_at from changes").fetchone()
    assert json.loads(raw[0]) == ["write_action", "connector"]
    assert raw[1].endswith("Z") and "T" in raw[1]
    assert store.change(ref.lower())["categories"] == ["write_action", "connector"]
    assert store.change(ref.split("-")[1])["ref"] == ref


def test_transaction_rolls_back_everything(store: Store) -> None:
    store.sync_source("s", "feed", "https://e.test/f")
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.insert_entry("s", ParsedEntry("2025-11-20", "A", "a", "https://e.test/a"))
            store.add_change(NewChange(kind="new_entry", title="A", dedupe_key="a"))
            raise RuntimeError("crash in the middle")
    assert store.db["entries"].count == 0
    assert store.db["entry_versions"].count == 0
    assert store.db["changes"].count == 0


def test_ack_history_folds_to_current_state() -> None:
    history = [
        {"action": "ack", "actor": "U1", "at": "t1", "via": "button", "note": "ok", "snooze_until": None},
        {"action": "undo", "actor": "U1", "at": "t2", "via": "button", "note": None, "snooze_until": None},
        {"action": "snooze", "actor": "U2", "at": "t3", "via": "slash", "note": None, "snooze_until": "t9"},
        {"action": "ack", "actor": "U2", "at": "t4", "via": "thread", "note": "checked", "snooze_until": None},
    ]
    state = fold_acks(history)
    assert state["acked_by"] == "U2" and state["ack_via"] == "thread" and state["ack_note"] == "checked"
    assert state["snoozed_until"] == "t9"
    assert fold_acks(history[:2])["acked_by"] is None


def test_idempotent_ack(store: Store) -> None:
    ref = store.add_change(NewChange(kind="new_entry", title="T", dedupe_key="k"))
    change = store.change(ref)
    assert store.record_ack(change["id"], action="ack", actor="U1", via="cli", idempotency_key="x")
    assert not store.record_ack(change["id"], action="ack", actor="U1", via="cli", idempotency_key="x")
    assert len(store.acks(change["id"])) == 1
    assert store.change(ref)["acked_by"] == "U1"


def test_search_finds_changes_by_entry_text(store: Store) -> None:
    store.sync_source("s", "feed", "https://e.test/f")
    entry_id = store.insert_entry("s", ParsedEntry("2025-11-20", "Box update", "Box can now delete folders", "l"))
    store.add_change(NewChange(kind="new_entry", title="Box update", dedupe_key="e", entry_id=entry_id))
    assert [c["title"] for c in store.search_changes("delete folders")] == ["Box update"]
    assert store.search_changes('"; drop table changes; --') == []
    assert store.db["changes"].count == 1
