"""Every read and write of the SQLite database, through sqlite-utils.

Callers group the writes of one unit of work (one source checked, one
snapshot taken, one digest posted) in :meth:`Store.transaction`, so a crash
leaves either all of it or none of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sqlite_utils import Database

from . import migrations as schema
from .busy import BUSY_TIMEOUT_MS, WriterDatabase
from .models import Classification, NewChange, ParsedEntry
from .timeutil import Clock, iso, utcnow

JSON_COLUMNS = {"categories", "reasons", "details", "detail", "settings", "provenance", "errors", "summary",
                "drift", "gaps", "stale", "known", "record"}


from .errors import StoreError  # noqa: E402  (re-exported)
from ._process import pid_alive


try:  # orjson reads JSON about four times as fast; what it refuses (NaN, huge integers) json reads
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover
    _fast_loads = json.loads


def _json_loads(value: str) -> Any:
    try:
        return _fast_loads(value)
    except ValueError:
        return json.loads(value)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in JSON_COLUMNS & out.keys():
        value = out[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                out[key] = _json_loads(value)
            except ValueError:
                pass
    return out


ChangeObserver = Callable[["Store", int, NewChange], None]

# The columns of a stored change, in the order of Store._change_row.
_CHANGE_COLUMNS = ("id", "ref", "kind", "source", "workspace", "entry_id", "entry_version", "control_id", "title",
                   "summary", "date", "link", "detected_at", "run_id", "security_relevant", "severity", "categories",
                   "reasons", "classifier_version", "classified_at", "details", "dedupe_key")
# json.dumps(value, ensure_ascii=False) without building an encoder per call (the same text).
_json = json.JSONEncoder(ensure_ascii=False).encode


class Store:
    def __init__(self, db: Database, path: Path | None, clock: Clock = utcnow) -> None:
        self.db = db
        self.path = path
        self.clock = clock
        self._observers: list[ChangeObserver] = []

    def on_change(self, observer: ChangeObserver) -> None:
        """Call ``observer(store, change_id, change)`` for every change stored from now on.

        It runs inside the transaction that stores the change, so whatever it writes (an
        outbox row, say) lands with the change or not at all. The application layer attaches
        its notifier here on every store it opens; the store itself knows nothing of Slack.
        """
        self._observers.append(observer)

    # --- lifecycle --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, clock: Clock = utcnow, migrate: bool = True) -> "Store":
        """Open (creating if needed) and bring the schema up to date."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = WriterDatabase(path)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys = ON")
            if db.journal_mode != "wal":
                db.enable_wal()
            # In WAL mode NORMAL keeps the database consistent on a crash (a power cut may
            # lose the last commits, never corrupt); FULL would fsync every transaction.
            db.execute("PRAGMA synchronous = NORMAL")
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(f"{path}: cannot open database: {exc}") from None
        store = cls(db, path, clock)
        if migrate:
            store.migrate()
        return store

    @classmethod
    def memory(cls, *, clock: Clock = utcnow) -> "Store":
        store = cls(WriterDatabase(memory=True), None, clock)
        store.db.execute("PRAGMA foreign_keys = ON")
        store.migrate()
        return store

    def migrate(self) -> None:
        known = set(schema.registered())
        try:
            applied = {m.name for m in schema.migrations.applied(self.db)}
            unknown = applied - known
            if unknown:
                raise StoreError(
                    f"{self.path}: database schema is newer than this driftwatch "
                    f"(unknown migrations: {', '.join(sorted(unknown))}); upgrade driftwatch"
                )
            schema.migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot migrate database: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        with self.db.atomic():
            yield self

    def now(self) -> str:
        return iso(self.clock())

    @property
    def schema_version(self) -> int:
        return schema.schema_version(self.db)

    def integrity(self) -> str:
        return str(self.db.execute("PRAGMA integrity_check").fetchone()[0])

    # --- runs -------------------------------------------------------------------------------

    def start_run(self, kind: str) -> int:
        """Record a run before its work starts, so a crash leaves a visible trace."""
        with self.transaction():
            self._close_dead_runs()
            return int(
                self.db["runs"]
                .insert(
                    {
                        "kind": kind,
                        "started_at": self.now(),
                        "status": "running",
                        "detail": {"pid": os.getpid()},
                    }
                )
                .last_pk
            )

    def finish_run(self, run_id: int, status: str, detail: dict[str, Any] | None = None) -> None:
        current = self.db["runs"].get(run_id)
        merged = {**json.loads(current["detail"] or "{}"), **(detail or {})}
        with self.transaction():
            self.db["runs"].update(
                run_id, {"finished_at": self.now(), "status": status, "detail": merged}
            )

    def _close_dead_runs(self) -> None:
        for row in self.db["runs"].rows_where("status = 'running'"):
            pid = json.loads(row["detail"] or "{}").get("pid")
            if pid and pid != os.getpid() and not pid_alive(pid):
                self.db["runs"].update(row["id"], {"status": "interrupted", "finished_at": self.now()})

    def last_runs(self) -> list[dict[str, Any]]:
        sql = (
            "select * from runs where id in (select max(id) from runs group by kind) order by kind"
        )
        return [_decode(r) for r in self.db.query(sql)]

    # --- sources ----------------------------------------------------------------------------

    def sync_source(self, name: str, kind: str, url: str) -> dict[str, Any]:
        """Make sure a configured source has a row; a changed URL resets its validators.

        ``url`` is where the source is fetched: after a permanent redirect the new address,
        with the configured one kept in ``moved_from`` (a new configured URL forgets the move).
        """
        table = self.db["sources"]
        existing = self.source(name)
        if existing is None:
            table.insert({"name": name, "kind": kind, "url": url, "status": "new"})
        elif (existing.get("moved_from") or existing["url"]) != url or existing["kind"] != kind:
            table.update(name, {"kind": kind, "url": url, "etag": None, "last_modified": None, "moved_from": None})
        return self.source(name) or {}

    def source(self, name: str) -> dict[str, Any] | None:
        rows = list(self.db["sources"].rows_where("name = ?", [name]))
        return rows[0] if rows else None

    def sources(self) -> list[dict[str, Any]]:
        """Source rows with last check and last success taken from the fetch record."""
        rows = list(self.db["sources"].rows_where(order_by="name"))
        stats = {
            r["source"]: r
            for r in self.db.query(
                "select source, max(started_at) as last_checked_at, "
                "max(case when outcome not in ('error', 'blocked') then started_at end) as last_success_at "
                "from fetches group by source"
            )
        }
        for row in rows:
            own_success = row.get("last_success_at")
            row.update({k: v for k, v in stats.get(row["name"], {}).items() if k != "source"})
            if row.get("status") == "broken":
                row["last_success_at"] = own_success  # its page was fetched, but did not parse: no success
        return rows

    def update_source(self, name: str, **fields: Any) -> None:
        self.db["sources"].update(name, fields)

    # --- fetches and raw bodies -------------------------------------------------------------

    def store_body(self, source: str, url: str, content_type: str | None, body: bytes, sha256: str) -> int:
        """Keep a page as fetched, for replay. zlib level 1: a quarter of level 6's CPU for
        HTML (1.2 against 4.9 ms for a 117 KB page), the stored copy about 28 % larger."""
        return int(
            self.db["bodies"]
            .insert(
                {
                    "source": source,
                    "fetched_at": self.now(),
                    "url": url,
                    "content_type": content_type,
                    "sha256": sha256,
                    "size": len(body),
                    "body_zlib": zlib.compress(body, 1),
                }
            )
            .last_pk
        )

    def latest_body_id(self, source: str, sha256: str) -> int | None:
        """The newest stored body, if it is byte-for-byte this one (no duplicate copies)."""
        row = self.db.execute(
            "select id, sha256 from bodies where source = ? order by id desc limit 1", [source]
        ).fetchone()
        return int(row[0]) if row and row[1] == sha256 else None

    def bodies(self, source: str) -> Iterator[dict[str, Any]]:
        """Stored raw bodies, oldest first, decompressed (for replay)."""
        for row in self.db["bodies"].rows_where("source = ?", [source], order_by="id"):
            row["body"] = zlib.decompress(row.pop("body_zlib"))
            yield row

    def record_fetch(self, source: str, run_id: int | None, **fields: Any) -> int:
        record = {"source": source, "run_id": run_id, **fields}
        return int(self.db["fetches"].insert(record).last_pk)

    # --- entries ----------------------------------------------------------------------------

    def entries(self, source: str, *, status: str | None = "live") -> list[dict[str, Any]]:
        if status is None:
            return list(self.db["entries"].rows_where("source = ?", [source], order_by="id"))
        return list(
            self.db["entries"].rows_where("source = ? and status = ?", [source, status], order_by="id")
        )

    def count_entries(self, source: str) -> int:
        return self.db["entries"].count_where("source = ? and status = 'live'", [source])

    def insert_entry(self, source: str, parsed: ParsedEntry) -> int:
        return self.insert_entries(source, [parsed])[0]

    def insert_entries(self, source: str, entries: list[ParsedEntry]) -> list[int]:
        """New entries with their first versions, in two statements however many there are.

        A first check stores thousands of entries: one ``executemany`` per table instead of a
        statement (and a Python round trip) per row, and one statement that indexes them all
        for full-text search. The ids are the ones SQLite would give row by row (one more
        than the largest), taken under the write lock the transaction holds. Every insert of
        an entry goes through here: nothing else puts an entry in the full-text index.
        """
        if not entries:
            return []
        now = self.now()
        with self.transaction():
            first = int(self.db.execute("select coalesce(max(id), 0) + 1 from entries").fetchone()[0])
            ids = list(range(first, first + len(entries)))
            rows, versions = [], []
            for entry_id, parsed in zip(ids, entries):
                content_hash = parsed.content_hash
                rows.append((entry_id, source, parsed.key, parsed.guid, parsed.date, parsed.title, parsed.body,
                             parsed.link, content_hash, now, now))
                versions.append((entry_id, 1, parsed.date, parsed.title, parsed.body, parsed.link, content_hash,
                                 now, None))
            self.db.executemany(
                "insert into entries (id, source, entry_key, guid, date, title, body, link, content_hash, version, "
                "status, missing_count, first_seen_at, last_seen_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'live', 0, ?, ?)", rows)
            self.db.executemany(
                "insert into entry_versions (entry_id, version, date, title, body, link, content_hash, seen_at, diff) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?)", versions)
            # The full-text index in one statement (migration m014: no per-row insert trigger).
            self.db.execute("insert into entries_fts (rowid, title, body) "
                            "select id, title, body from entries where id between ? and ?", [ids[0], ids[-1]])
        return ids

    def update_entry_text(
        self, entry_id: int, parsed: ParsedEntry, diff: str, *, new_key: str | None = None
    ) -> int:
        """Store an edit as the next version of the same entry; returns the version."""
        current = self.db["entries"].get(entry_id)
        version = int(current["version"]) + 1
        self.db["entries"].update(
            entry_id,
            {
                "entry_key": new_key or current["entry_key"],
                "date": parsed.date,
                "title": parsed.title,
                "body": parsed.body,
                "link": parsed.link,
                "content_hash": parsed.content_hash,
                "version": version,
                "status": "live",
                "missing_count": 0,
                "removed_at": None,
                "last_seen_at": self.now(),
            },
        )
        self._add_version(entry_id, version, parsed, diff=diff)
        return version

    def _add_version(self, entry_id: int, version: int, parsed: ParsedEntry, diff: str | None) -> None:
        self.db.execute(
            "insert into entry_versions (entry_id, version, date, title, body, link, content_hash, seen_at, diff) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [entry_id, version, parsed.date, parsed.title, parsed.body, parsed.link, parsed.content_hash,
             self.now(), diff],
        )

    def touch_entries(self, entry_ids: list[int]) -> None:
        if entry_ids:
            marks = ",".join("?" for _ in entry_ids)
            self.db.execute(
                f"update entries set last_seen_at = ?, missing_count = 0, status = 'live', "
                f"removed_at = null where id in ({marks})",
                [self.now(), *entry_ids],
            )

    def mark_missing(self, entry_id: int, missing_count: int, removed: bool) -> None:
        fields: dict[str, Any] = {"missing_count": missing_count}
        if removed:
            fields.update(status="removed", removed_at=self.now())
        self.db["entries"].update(entry_id, fields)

    def entry_versions(self, entry_id: int) -> list[dict[str, Any]]:
        return list(self.db["entry_versions"].rows_where("entry_id = ?", [entry_id], order_by="version"))

    # --- changes ----------------------------------------------------------------------------

    def add_change(self, change: NewChange, run_id: int | None = None) -> str | None:
        """Store a change once; returns its ``DW-n`` ref, or None if its dedupe key is already stored."""
        return self.add_changes([change], run_id)[0]

    def add_changes(self, changes: list[NewChange], run_id: int | None = None) -> list[str | None]:
        """Store changes once each, in order, in one statement; their refs (None: already stored).

        The ``DW-n`` ref is written with the row (the insert trigger sets it only for rows
        stored without one), the ids are the ones SQLite would give row by row, taken under
        the write lock, and changes of no entry are indexed for full-text search in one
        statement: every insert of a change goes through here. Observers see each stored change, in order, in the same
        transaction.
        """
        if not changes:
            return []
        now = self.now()
        with self.transaction():
            taken = self._stored_dedupe_keys([c.dedupe_key for c in changes])
            next_id = int(self.db.execute("select coalesce(max(id), 0) + 1 from changes").fetchone()[0])
            ids: list[int | None] = []
            rows = []
            for change in changes:
                if change.dedupe_key in taken:
                    ids.append(None)
                    continue
                taken.add(change.dedupe_key)
                ids.append(next_id)
                rows.append(self._change_row(next_id, change, run_id, now))
                next_id += 1
            if rows:
                self.db.executemany(f"insert into changes ({', '.join(_CHANGE_COLUMNS)}) "
                                    f"values ({', '.join('?' for _ in _CHANGE_COLUMNS)})", rows)
                if any(c.entry_id is None for c, i in zip(changes, ids) if i is not None):
                    # Changes of no entry are indexed here (migration m014: no per-row insert trigger);
                    # an entry change is found through its entry's text.
                    self.db.execute("insert into changes_fts (rowid, title, summary) select id, title, summary "
                                    "from changes where id between ? and ? and entry_id is null",
                                    [rows[0][0], rows[-1][0]])
            for change_id, change in zip(ids, changes):
                if change_id is not None:
                    for observer in self._observers:
                        observer(self, change_id, change)
        return [f"DW-{i}" if i is not None else None for i in ids]

    def _stored_dedupe_keys(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            found.update(r[0] for r in self.db.execute(
                f"select dedupe_key from changes where dedupe_key in ({marks})", chunk))
        return found

    def _change_row(self, change_id: int, change: NewChange, run_id: int | None, now: str) -> tuple[Any, ...]:
        result = change.classification
        details = change.details if isinstance(change.details, str) else _json(change.details)
        classified = (tuple(self._classification_fields(result, now).values()) if result is not None
                      else (None,) * 6)
        return (change_id, f"DW-{change_id}", change.kind, change.source, change.workspace, change.entry_id,
                change.entry_version, change.control_id, change.title, change.summary, change.date, change.link,
                now, run_id, *classified, details, change.dedupe_key)

    def _classification_fields(self, result: Classification, now: str | None = None) -> dict[str, Any]:
        """A verdict's columns, JSON encoded, in the order of _CHANGE_COLUMNS."""
        return {
            "security_relevant": int(result.security_relevant),
            "severity": result.severity,
            "categories": _json(list(result.categories)),
            "reasons": _json(list(result.reasons)),
            "classifier_version": result.version,
            "classified_at": now or self.now(),
        }

    def set_classification(self, change_id: int, result: Classification) -> None:
        fields = self._classification_fields(result)
        assignments = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"update changes set {assignments} where id = ?", [*fields.values(), change_id])

    def changes_by_ref(self, refs: list[str]) -> list[dict[str, Any]]:
        """Several changes at once, in the order asked."""
        if not refs:
            return []
        # one statement for any number of refs (the list goes in as one JSON array)
        found = {row["ref"]: _decode(row) for row in self.db.query(
            "select * from changes where ref in (select value from json_each(?))", [_json(list(refs))])}
        return self._with_ack_state([found[r] for r in refs if r in found])

    def change(self, ref: str) -> dict[str, Any] | None:
        ref = ref.strip().upper()
        if ref.isdigit():
            ref = f"DW-{ref}"
        rows = list(self.db["changes"].rows_where("ref = ?", [ref]))
        if not rows:
            return None
        return self._with_ack_state([_decode(rows[0])])[0]

    def changes(
        self,
        *,
        since: str | None = None,
        source: str | None = None,
        kinds: list[str] | None = None,
        limit: int | None = None,
        ascending: bool = False,
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if since:
            where.append("detected_at >= ?")
            params.append(since)
        if source:
            where.append("source = ?")
            params.append(source)
        if kinds:
            where.append(f"kind in ({','.join('?' for _ in kinds)})")
            params.extend(kinds)
        sql = "select * from changes"
        if where:
            sql += " where " + " and ".join(where)
        sql += " order by id " + ("asc" if ascending else "desc")
        if limit:
            sql += " limit ?"
            params.append(limit)
        return self._with_ack_state([_decode(r) for r in self.db.query(sql, params)])

    def _with_ack_state(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Fold each change's ack/undo/snooze history into its current state."""
        if not rows:
            return rows
        ids = [r["id"] for r in rows]
        history: dict[int, list[dict[str, Any]]] = {}
        for ack in self.db.query(  # one statement for any number of changes
            "select * from acks where change_id in (select value from json_each(?)) order by id", [_json(ids)]
        ):
            history.setdefault(ack["change_id"], []).append(ack)
        unacked = fold_acks([])
        for row in rows:
            found = history.get(row["id"])
            row.update(fold_acks(found) if found else unacked)
        names = self.people_names({r["acked_by"] for r in rows if r.get("acked_by")})
        for row in rows:
            row["acked_by_name"] = names.get(row["acked_by"]) if row.get("acked_by") else None
        return rows

    # --- people (Slack display names) ---------------------------------------------------------

    def people_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        ids = sorted(set(user_ids))
        if not ids or "people" not in self.db.table_names():
            return {}
        marks = ",".join("?" for _ in ids)
        return {r["user_id"]: r["name"] for r in self.db.query(
            f"select user_id, name from people where user_id in ({marks}) and name is not null", ids)}

    def person(self, user_id: str) -> dict[str, Any] | None:
        rows = list(self.db["people"].rows_where("user_id = ?", [user_id]))
        return rows[0] if rows else None

    def remember_person(self, user_id: str, name: str | None) -> None:
        self.db["people"].upsert({"user_id": user_id, "name": name, "fetched_at": self.now()}, pk="user_id")

    # --- acknowledgements -------------------------------------------------------------------

    def record_ack(
        self,
        change_id: int,
        *,
        action: str,
        actor: str,
        via: str,
        note: str | None = None,
        snooze_until: str | None = None,
        idempotency_key: str | None = None,
    ) -> bool:
        """Append to a change's audit trail; False if this exact request was already seen."""
        if idempotency_key and self.db["acks"].count_where("idempotency_key = ?", [idempotency_key]):
            return False
        self.db["acks"].insert(
            {
                "change_id": change_id,
                "action": action,
                "actor": actor,
                "at": self.now(),
                "via": via,
                "note": note,
                "snooze_until": snooze_until,
                "idempotency_key": idempotency_key,
            }
        )
        return True

    def acks(self, change_id: int) -> list[dict[str, Any]]:
        return list(self.db["acks"].rows_where("change_id = ?", [change_id], order_by="id"))

    # --- digests ----------------------------------------------------------------------------

    DIGEST_COLUMNS = ("id", "ref", "kind", "source", "workspace", "entry_id", "title", "date", "link",
                      "severity", "security_relevant", "categories", "reasons", "detected_at")

    def digest_candidates(self, since: str | None) -> list[dict[str, Any]]:
        """Security-relevant changes detected after ``since`` plus earlier ones not currently acked.

        Lean on purpose (it runs over the whole history): only the columns a digest shows.
        """
        columns = ", ".join(f"c.{name}" for name in self.DIGEST_COLUMNS)
        sql = f"""
            with last as (
                select change_id, max(id) as id from acks where action in ('ack', 'undo') group by change_id
            )
            select {columns} from changes c
            left join last on last.change_id = c.id
            left join acks a on a.id = last.id
            where c.security_relevant = 1 and (c.detected_at > :since or a.action is null or a.action != 'ack')
            order by c.id
        """
        rows = [_decode(row) for row in self.db.query(sql, {"since": since or ""})]
        return self._with_ack_state(rows)

    def informational_count(self, since: str | None) -> int:
        """Changes in the period that are not security relevant (a digest counts them, lists none)."""
        row = self.db.execute(
            "select count(*) from changes where detected_at > ? and (security_relevant = 0 or security_relevant is null)",
            [since or ""]).fetchone()
        return int(row[0])

    def record_digest(
        self,
        *,
        period_start: str | None,
        period_end: str,
        status: str,
        summary: dict[str, Any],
        period_key: str | None = None,
        forced: bool = False,
    ) -> int | None:
        """Claim a digest period; returns None if ``period_key`` was already claimed."""
        try:
            with self.transaction():
                return int(
                    self.db["digests"]
                    .insert(
                        {
                            "period_start": period_start or "1970-01-01T00:00:00Z",
                            "period_end": period_end,
                            "created_at": self.now(),
                            "status": status,
                            "item_count": len(summary.get("items", [])),
                            "summary": summary,
                            "period_key": period_key,
                            "forced": int(forced),
                        }
                    )
                    .last_pk
                )
        except sqlite3.IntegrityError:
            return None

    def update_digest(self, digest_id: int, **fields: Any) -> None:
        self.db["digests"].update(digest_id, fields)

    def digest(self, digest_id: int) -> dict[str, Any] | None:
        rows = list(self.db["digests"].rows_where("id = ?", [digest_id]))
        return _decode(rows[0]) if rows else None

    def digest_for_period(self, period_key: str) -> dict[str, Any] | None:
        rows = list(self.db["digests"].rows_where("period_key = ?", [period_key]))
        return _decode(rows[0]) if rows else None

    def digest_in_flight(self) -> dict[str, Any] | None:
        """The newest digest queued and not yet fully delivered (a forced post reuses it)."""
        rows = list(self.db.query("select * from digests where status = 'posting' order by id desc limit 1"))
        return _decode(rows[0]) if rows else None

    def last_digest(self) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from digests where forced = 0 or forced is null order by id desc limit 1"))
        return _decode(rows[0]) if rows else None

    # --- Slack messages ---------------------------------------------------------------------

    def record_message(self, *, kind: str, channel: str, ts: str | None, dedupe_key: str,
                       thread_ts: str | None = None, digest_id: int | None = None,
                       change_id: int | None = None) -> bool:
        if self.db["slack_messages"].count_where("dedupe_key = ?", [dedupe_key]):
            return False
        self.db["slack_messages"].insert({
            "kind": kind, "channel": channel, "ts": ts, "thread_ts": thread_ts, "dedupe_key": dedupe_key,
            "digest_id": digest_id, "change_id": change_id, "posted_at": self.now(),
        })
        return True

    def messages_for_change(self, change_id: int) -> list[dict[str, Any]]:
        return list(self.db["slack_messages"].rows_where(
            "change_id = ? and kind in ('digest_item', 'alert') and ts is not null", [change_id], order_by="id"))

    def message_at(self, channel: str, ts: str) -> dict[str, Any] | None:
        rows = list(self.db["slack_messages"].rows_where("channel = ? and ts = ?", [channel, ts]))
        return rows[0] if rows else None

    # --- outbox -----------------------------------------------------------------------------

    def enqueue(self, kind: str, dedupe_key: str, *, channel: str | None = None, thread_of: str | None = None,
                thread_ts: str | None = None, change_id: int | None = None, digest_id: int | None = None,
                payload: dict[str, Any] | None = None) -> bool:
        """Queue a Slack message once (by dedupe key); call inside the caller's transaction.

        Plain SQL: a first check may queue an alert for each of thousands of changes.
        """
        now = self.now()
        cursor = self.db.execute(
            "insert or ignore into outbox (kind, dedupe_key, channel, thread_of, thread_ts, change_id, digest_id, "
            "payload, status, attempts, next_attempt_at, created_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            [kind, dedupe_key, channel, thread_of, thread_ts, change_id, digest_id,
             json.dumps(payload or {}, default=repr, ensure_ascii=False), now, now])
        return bool(cursor.rowcount)

    def outbox(self, statuses: tuple[str, ...] = ("pending", "sending"), limit: int = 500) -> list[dict[str, Any]]:
        marks = ",".join("?" for _ in statuses)
        rows = self.db.query(f"select * from outbox where status in ({marks}) order by id limit ?", [*statuses, limit])
        return [_decode_outbox(r) for r in rows]

    def outbox_row(self, dedupe_key: str) -> dict[str, Any] | None:
        rows = list(self.db["outbox"].rows_where("dedupe_key = ?", [dedupe_key]))
        return _decode_outbox(rows[0]) if rows else None

    def update_outbox(self, row_id: int, **fields: Any) -> None:
        with self.transaction():
            self.db["outbox"].update(row_id, fields)

    def claim_outbox(self, row_id: int, owner: str, expires_at: str) -> dict[str, Any] | None:
        """Lease a pending row to one delivery pass; None if another pass has it (or it is done)."""
        with self.transaction():
            cursor = self.db.execute(
                "update outbox set status = 'sending', lease_owner = ?, lease_expires_at = ?, "
                "attempts = coalesce(attempts, 0) + 1 where id = ? and status = 'pending' returning *",
                [owner, expires_at, row_id])
            return _returned(cursor)

    def take_over_outbox(self, row_id: int, previous_owner: str | None, owner: str,
                         expires_at: str) -> dict[str, Any] | None:
        """Take a ``sending`` row from a pass whose lease ran out (compare-and-set on the owner)."""
        with self.transaction():
            cursor = self.db.execute(
                "update outbox set lease_owner = ?, lease_expires_at = ? "
                "where id = ? and status = 'sending' and lease_owner is ? returning *",
                [owner, expires_at, row_id, previous_owner])
            return _returned(cursor)

    def release_outbox(self, row_id: int, owner: str, **fields: Any) -> bool:
        """Update a leased row and end the lease, only if ``owner`` still holds it."""
        fields = {**fields, "lease_owner": None, "lease_expires_at": None}
        with self.transaction():
            if not self.holds_outbox(row_id, owner):
                return False
            self.db["outbox"].update(row_id, fields)
            return True

    def holds_outbox(self, row_id: int, owner: str) -> bool:
        return bool(self.db["outbox"].count_where("id = ? and lease_owner = ?", [row_id, owner]))

    def outbox_counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.db.query("select status, count(*) as n from outbox group by status")}

    # --- attestations made in Slack ----------------------------------------------------------

    def add_attestation(self, workspace: str, settings: dict[str, Any], attested_by: str, via: str) -> int:
        return int(self.db["attestations"].insert({
            "workspace": workspace, "settings": settings, "attested_by": attested_by,
            "attested_at": self.now(), "via": via,
        }).last_pk)

    def latest_attestation(self, workspace: str) -> dict[str, Any] | None:
        rows = list(self.db.query(
            "select * from attestations where workspace = ? order by id desc limit 1", [workspace]))
        return _decode(rows[0]) if rows else None

    # --- snapshots --------------------------------------------------------------------------

    def add_setting_events(self, workspace: str, events: list[Any]) -> int:
        """Store audit-log observations once each (delivery is at least once); returns how many were new."""
        rows = [[workspace, obs.collector, obs.event_id, obs.key, json.dumps(obs.value), obs.observed_at, obs.actor,
                 getattr(obs, "actor_type", None), obs.ip, obs.detail, self.now()]
                for obs in events if obs.event_id]
        with self.transaction():  # a no-op savepoint inside the snapshot's own transaction
            before = self.db.execute("select total_changes()").fetchone()[0]
            self.db.conn.executemany(
                "insert or ignore into setting_events (workspace, collector, event_id, key, value, observed_at, "
                "actor, actor_type, ip, detail, stored_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            return int(self.db.execute("select total_changes()").fetchone()[0] - before)

    def latest_setting_events(self, workspace: str, collector: str) -> list[dict[str, Any]]:
        """The newest stored event per key: the state the audit log says each setting is in."""
        sql = """
            select * from setting_events e
            where workspace = :ws and collector = :c and id = (
                select id from setting_events e2
                where e2.workspace = e.workspace and e2.collector = e.collector and e2.key = e.key
                order by observed_at desc, id desc limit 1)
        """
        rows = list(self.db.query(sql, {"ws": workspace, "c": collector}))
        for row in rows:
            row["value"] = json.loads(row["value"]) if row["value"] is not None else None
        return rows

    def cursor(self, workspace: str, collector: str) -> str | None:
        rows = list(self.db["collector_cursors"].rows_where("workspace = ? and collector = ?", [workspace, collector]))
        return rows[0]["cursor"] if rows else None

    def set_cursor(self, workspace: str, collector: str, cursor: str | None) -> None:
        """``updated_at`` is when the cursor last moved (the dead-man's switch watches it)."""
        if cursor is not None and cursor != self.cursor(workspace, collector):
            self.db["collector_cursors"].upsert(
                {"workspace": workspace, "collector": collector, "cursor": cursor, "updated_at": self.now()},
                pk=("workspace", "collector"),
            )

    def add_snapshot(self, workspace: str, *, values: dict[str, Any], provenance: dict[str, Any],
                     complete: bool, errors: dict[str, str], run_id: int | None,
                     gaps: list[str] | None = None, stale: list[dict[str, Any]] | None = None,
                     known: dict[str, Any] | None = None) -> int:
        return int(self.db["snapshots"].insert({
            "workspace": workspace, "taken_at": self.now(), "complete": int(complete), "settings": values,
            "provenance": provenance, "errors": errors, "run_id": run_id, "gaps": gaps or [],
            "stale": stale or [], "known": known if known is not None else values,
        }).last_pk)

    def set_snapshot_drift(self, snapshot_id: int, drift: dict[str, int]) -> None:
        self.db["snapshots"].update(snapshot_id, {"drift": drift})

    def snapshots(self, workspace: str, limit: int = 2) -> list[dict[str, Any]]:
        rows = self.db.query(
            "select * from snapshots where workspace = ? order by id desc limit ?", [workspace, limit]
        )
        return [_decode(r) for r in rows]

    # --- posture: control states, the audit-log ledger, rule evidence ------------------------

    def control_states(self, workspace: str) -> dict[str, dict[str, Any]]:
        """Each control's last known state (unknown never overwrites it) and its failing episode."""
        return {r["control_id"]: r for r in self.db["control_states"].rows_where("workspace = ?", [workspace])}

    def set_control_state(self, workspace: str, control_id: str, *, status: str, since: str, episode: int,
                          change_ref: str | None) -> None:
        self.db["control_states"].upsert(
            {"workspace": workspace, "control_id": control_id, "status": status, "since": since,
             "episode": episode, "change_ref": change_ref, "updated_at": self.now()},
            pk=("workspace", "control_id"))

    def audit_file(self, workspace: str, collector: str, file_id: str) -> dict[str, Any] | None:
        rows = list(self.db["audit_files"].rows_where(
            "workspace = ? and collector = ? and file_id = ?", [workspace, collector, file_id]))
        return rows[0] if rows else None

    def audit_files(self, workspace: str | None = None, statuses: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        where, params = [], []
        if workspace:
            where.append("workspace = ?")
            params.append(workspace)
        if statuses:
            where.append(f"status in ({','.join('?' for _ in statuses)})")
            params.extend(statuses)
        return list(self.db["audit_files"].rows_where(" and ".join(where) or None, params,
                                                      order_by="workspace, end_time, file_id"))

    def save_audit_file(self, workspace: str, collector: str, file_id: str, **fields: Any) -> None:
        self.db["audit_files"].upsert({"workspace": workspace, "collector": collector, "file_id": file_id, **fields},
                                      pk=("workspace", "collector", "file_id"))

    def add_audit_event(self, workspace: str, collector: str, event: dict[str, Any]) -> bool:
        """Store one audit event once (keyed on its event_id); False if it was already stored."""
        cursor = self.db.execute(
            "insert or ignore into audit_events (workspace, collector, event_id, file_id, event_type, action, "
            "occurred_at, actor, actor_type, actor_ip, mapped, record, stored_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [workspace, collector, event["event_id"], event.get("file_id"), event.get("event_type"),
             event.get("action"), event.get("occurred_at"), event.get("actor"), event.get("actor_type"),
             event.get("actor_ip"), int(bool(event.get("mapped"))),
             json.dumps(event.get("record"), ensure_ascii=False, default=str), self.now()])
        return bool(cursor.rowcount)

    def unmapped_actions(self, workspace: str) -> list[dict[str, Any]]:
        """Audit actions no mapping knows, with how many events and since when."""
        sql = ("select collector, action, count(*) as events, min(occurred_at) as since, max(occurred_at) as last "
               "from audit_events where workspace = ? and mapped = 0 group by collector, action order by action")
        return [dict(r) for r in self.db.query(sql, [workspace])]

    def rule_state(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self.db["rule_state"].rows}

    def set_rule_state(self, key: str, value: Any) -> None:
        self.db["rule_state"].upsert({"key": key, "value": json.dumps(value, sort_keys=True, default=str),
                                      "recorded_at": self.now()}, pk="key")

    def delete_rule_state(self, key: str) -> None:
        self.db.execute("delete from rule_state where key = ?", [key])

    # --- search -----------------------------------------------------------------------------

    def search_changes(self, text: str, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search; the user's words are passed as a quoted FTS phrase list."""
        terms = [t for t in text.replace('"', " ").split() if t]
        if not terms:
            return []
        query = " ".join(f'"{t}"' for t in terms)
        sql = """
            with hits as (
                select rowid as id from changes_fts where changes_fts match :q
                union
                select c.id from entries_fts join changes c on c.entry_id = entries_fts.rowid
                where entries_fts match :q
                union
                select id from changes where ref = upper(:raw)
            )
            select changes.* from hits join changes on changes.id = hits.id
            order by changes.id desc limit :limit
        """
        rows = [_decode(r) for r in self.db.query(sql, {"q": query, "limit": limit, "raw": text.strip()})]
        return self._with_ack_state(rows)

    # --- upkeep -----------------------------------------------------------------------------

    # --- health (the dead-man's switch) -------------------------------------------------------

    def last_finished_run(self, kind: str) -> str | None:
        row = self.db.execute("select max(finished_at) from runs where kind = ? and finished_at is not null "
                              "and status != 'running'", [kind]).fetchone()
        return row[0] if row else None

    def first_run_at(self) -> str | None:
        row = self.db.execute("select min(started_at) from runs").fetchone()
        return row[0] if row else None

    def collector_failing_since(self, workspace: str, limit: int = 1000) -> dict[str, str]:
        """Collectors failing in the latest snapshot, each with the start of its failure streak."""
        since: dict[str, str] = {}
        still: set[str] | None = None
        for row in self.db.query("select taken_at, errors from snapshots where workspace = ? order by id desc "
                                 "limit ?", [workspace, limit]):
            errors = set(json.loads(row["errors"] or "{}"))
            still = errors if still is None else still & errors
            if not still:
                break
            for name in still:
                since[name] = row["taken_at"]
        return since

    def cursors(self) -> list[dict[str, Any]]:
        return list(self.db["collector_cursors"].rows)

    def health_alerts(self) -> list[dict[str, Any]]:
        """Health alerts queued so far (raised and cleared), oldest first."""
        return list(self.db.query("select id, dedupe_key, created_at from outbox where dedupe_key like 'health:%' "
                                  "or dedupe_key like 'health-clear:%' order by id"))

    def checkpoint(self) -> None:
        """Fold the WAL into the main file, so a read-only (immutable) reader sees every commit."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def table_names(self) -> list[str]:
        return list(self.db.table_names())

    def ping(self) -> None:
        """A cheap read that fails when the database cannot be read (for /healthz)."""
        self.db.execute("select 1").fetchone()

    def prune_bodies(self, cutoff: str) -> int:
        """Drop raw page bodies fetched before ``cutoff``, keeping each source's newest (replay needs it)."""
        with self.transaction():
            self.db.execute(
                "update fetches set body_id = null where body_id in (select id from bodies where fetched_at < ? "
                "and id not in (select max(id) from bodies group by source))", [cutoff])
            cursor = self.db.execute(
                "delete from bodies where fetched_at < ? and id not in (select max(id) from bodies group by source)",
                [cutoff])
        return cursor.rowcount

    def optimize(self) -> None:
        self.db.execute("PRAGMA optimize")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- reclassification -------------------------------------------------------------------

    def changes_to_reclassify(self, version: str, *, everything: bool = False,
                              kinds: tuple[str, ...] = ("new_entry", "edited_entry")
                              ) -> list[tuple[dict[str, Any], str, str]]:
        """Entry changes not yet rated by classifier ``version``, each with the title and text of
        its own entry version (an edit is judged on its new text), else the entry's, else its summary."""
        where = f"c.kind in ({','.join('?' for _ in kinds)})"
        params: list[Any] = list(kinds)
        if not everything:
            where += " and (c.classifier_version is null or c.classifier_version != ?)"
            params.append(version)
        sql = (f"select c.*, v.title as version_title, v.body as version_body, e.body as entry_body "
               f"from changes c left join entries e on e.id = c.entry_id "
               f"left join entry_versions v on v.entry_id = c.entry_id and v.version = c.entry_version "
               f"where {where} order by c.id")
        out = []
        for row in self.db.query(sql, params):
            decoded = _decode(row)
            title = decoded.pop("version_title") or decoded["title"]
            version_body, entry_body = decoded.pop("version_body"), decoded.pop("entry_body")
            body = version_body if version_body is not None else entry_body
            out.append((decoded, title, body if body is not None else decoded.get("summary") or ""))
        return out

    # --- export (rows past a cursor, oldest first) -------------------------------------------

    def export_changes(self, since: str, after: int = 0) -> list[dict[str, Any]]:
        rows = self.db.query("select * from changes where detected_at >= ? and id > ? order by id", [since, after])
        return self._with_ack_state([_decode(r) for r in rows])

    def export_acks(self, since: str, after: int = 0) -> list[dict[str, Any]]:
        sql = ("select acks.*, changes.ref from acks join changes on changes.id = acks.change_id "
               "where acks.at >= ? and acks.id > ? order by acks.id")
        return list(self.db.query(sql, [since, after]))

    def export_snapshots(self, since: str, after: int = 0) -> list[dict[str, Any]]:
        rows = self.db.query("select * from snapshots where taken_at >= ? and id > ? order by id", [since, after])
        return [_decode(r) for r in rows]

    def export_fetches(self, since: str, after: int = 0) -> list[dict[str, Any]]:
        return list(self.db.query("select * from fetches where started_at >= ? and id > ? order by id",
                                  [since, after]))

    # --- reports ---------------------------------------------------------------------------

    def newest_setting_events(self, workspace: str) -> dict[str, dict[str, Any]]:
        """The newest audit-log event per setting key, whichever collector stored it."""
        sql = """
            select * from setting_events e
            where workspace = :ws and id = (
                select id from setting_events e2 where e2.workspace = e.workspace and e2.key = e.key
                order by observed_at desc, id desc limit 1)
        """
        out = {}
        for row in self.db.query(sql, {"ws": workspace}):
            try:
                row["value"] = json.loads(row["value"]) if row["value"] is not None else None
            except ValueError:
                pass
            out[row["key"]] = row
        return out

    def snapshots_since(self, workspace: str, since: str) -> list[dict[str, Any]]:
        rows = self.db.query("select * from snapshots where workspace = ? and taken_at >= ? order by id",
                             [workspace, since])
        return [_decode(r) for r in rows]

    def snapshot(self, snapshot_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from snapshots where id = ?", [snapshot_id]))
        return _decode(rows[0]) if rows else None

    def snapshot_before(self, workspace: str, snapshot_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from snapshots where workspace = ? and id < ? order by id desc limit 1",
                                  [workspace, snapshot_id]))
        return _decode(rows[0]) if rows else None

    def snapshot_workspaces(self) -> list[str]:
        return [r["workspace"] for r in self.db.query("select distinct workspace from snapshots order by workspace")]

    def changes_of_kinds_since(self, since: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
        marks = ",".join("?" for _ in kinds)
        rows = self.db.query(f"select * from changes where detected_at >= ? and kind in ({marks}) order by id",
                             [since, *kinds])
        return self._with_ack_state([_decode(r) for r in rows])

    # --- Slack requests already applied (replays and retries) -------------------------------------

    def first_request(self, key: str, now: str, *, forget_before: str) -> bool:
        """Record a Slack request's key; False when it was already recorded (a replay or a retry)."""
        with self.transaction():
            self.db.execute("delete from slack_requests where seen_at < ?", [forget_before])
            cursor = self.db.execute("insert or ignore into slack_requests (key, seen_at) values (?, ?)", [key, now])
            return cursor.rowcount == 1

    # --- outbox bookkeeping --------------------------------------------------------------------

    def mark_outbox_sent(self, row_id: int, *, ts: str | None, channel: str | None) -> None:
        self.db["outbox"].update(row_id, {"status": "sent", "sent_at": self.now(), "ts": ts,
                                          "channel": channel, "last_error": None,
                                          "lease_owner": None, "lease_expires_at": None})

    def digest_messages_waiting(self, digest_id: int) -> int:
        return self.db["outbox"].count_where("digest_id = ? and status in ('pending', 'sending')", [digest_id])


def _returned(cursor: sqlite3.Cursor) -> dict[str, Any] | None:
    rows = cursor.fetchall()  # all of them, so the statement is finished before COMMIT
    if not rows:
        return None
    return _decode_outbox(dict(zip([d[0] for d in cursor.description], rows[0])))


def _decode_outbox(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["payload"] = json.loads(row["payload"]) if row.get("payload") else {}
    return out


def fold_acks(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The current acknowledgement state from an ordered audit trail (pure)."""
    state: dict[str, Any] = {
        "acked_by": None,
        "acked_at": None,
        "ack_note": None,
        "ack_via": None,
        "snoozed_until": None,
        "snoozed_by": None,
    }
    for ack in history:
        action = ack["action"]
        if action == "ack":
            state.update(acked_by=ack["actor"], acked_at=ack["at"], ack_note=ack["note"], ack_via=ack["via"])
        elif action == "undo":
            state.update(acked_by=None, acked_at=None, ack_note=None, ack_via=None)
        elif action == "snooze":
            state.update(snoozed_until=ack["snooze_until"], snoozed_by=ack["actor"])
        elif action == "unsnooze":
            state.update(snoozed_until=None, snoozed_by=None)
    return state
