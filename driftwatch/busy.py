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
from typing import Any, Iterator

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
        if parameters and sql.lstrip()[:7].lower().startswith(_WRITES):
            parameters = _masked(parameters)
        return super().execute(sql, parameters)

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


def _masked(parameters: Any) -> Any:
    from .logs import known_secrets, redact_known

    if not known_secrets():
        return parameters
    if isinstance(parameters, dict):
        return {k: redact_known(v) if isinstance(v, str) else v for k, v in parameters.items()}
    return [redact_known(v) if isinstance(v, str) else v for v in parameters]
