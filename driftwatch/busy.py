"""One writer at a time, waiting politely: write transactions that start with ``BEGIN IMMEDIATE``.

SQLite in WAL mode lets readers run beside the writer, but a transaction that
reads first and writes later fails at once with ``database is locked`` when
another connection committed in between (the busy timeout cannot help: waiting
would not make its snapshot current). Taking the write lock at ``BEGIN`` turns
that into an ordinary wait covered by ``busy_timeout``, and a few retries (with
tenacity) cover a writer that holds the lock longer than that.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from sqlite_utils import Database
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

BUSY_TIMEOUT_MS = 10_000
BEGIN_ATTEMPTS = 4


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED as the sqlite3 module reports them."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def begin_immediate(conn: sqlite3.Connection, attempts: int = BEGIN_ATTEMPTS) -> None:
    """Take the write lock now, waiting out other writers (each try waits ``busy_timeout``)."""
    for attempt in Retrying(stop=stop_after_attempt(attempts), retry=retry_if_exception(is_busy),
                            wait=wait_random_exponential(multiplier=0.05, max=1.0), reraise=True):
        with attempt:
            conn.execute("BEGIN IMMEDIATE")


_WRITES = ("insert", "update", "replace", "upsert")


class WriterDatabase(Database):
    """sqlite-utils' Database whose outermost ``atomic()`` takes the write lock at its start.

    Every sqlite-utils write (insert, update, upsert) runs inside ``atomic()``, so this
    covers them all, and :meth:`driftwatch.store.Store.transaction` too. Every write also
    passes through :func:`driftwatch.logs.redact_known`: a secret value never reaches the
    database, whichever error message or API answer carried it.
    """

    def execute(self, sql: str, parameters: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        if parameters and _is_write(sql):
            parameters = _masked(parameters, _secrets())
        return super().execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        """One statement for many rows (inside a transaction), each masked like :meth:`execute`'s."""
        if not self.conn.in_transaction:
            raise RuntimeError("executemany runs inside a transaction (Store.transaction)")
        if _is_write(sql):
            secrets = _secrets()
            if secrets:
                rows = [_masked(row, secrets) for row in rows]
        return self.conn.executemany(sql, rows)

    @contextmanager
    def atomic(self) -> Iterator["WriterDatabase"]:  # type: ignore[override]
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        begin_immediate(self.conn)
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self.rollback()
                raise


def _is_write(sql: str) -> bool:
    return sql.lstrip()[:7].lower().startswith(_WRITES)


def _secrets() -> list[str]:
    from .logs import known_secrets

    return known_secrets()


def _masked(parameters: Any, secrets: list[str]) -> Any:
    """The parameters with every known secret value masked (looked up once per statement)."""
    if not secrets:
        return parameters
    from .logs import redact_known

    if isinstance(parameters, dict):
        return {k: redact_known(v, secrets) if isinstance(v, str) else v for k, v in parameters.items()}
    return [redact_known(v, secrets) if isinstance(v, str) else v for v in parameters]
