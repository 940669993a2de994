"""One ``check`` at a time per database: a second one refuses with one line instead of racing the first.

filelock's OS lock is released by the kernel when the holder dies, so a killed
check never leaves a stale lock behind.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from .errors import StoreError


class Busy(StoreError):
    """Another process holds the lock; the message says which and what to do."""


def lock_path(db_path: Path, name: str) -> Path:
    return Path(f"{db_path}.{name}.lock")


@contextmanager
def exclusive(db_path: Path, name: str = "check", wait: float = 0.0) -> Iterator[None]:
    """Hold the ``name`` lock of this database; wait up to ``wait`` seconds, then raise :class:`Busy`."""
    path = lock_path(Path(db_path), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        raise Busy(f"another {name} is running on {db_path}; wait for it to finish and try again") from None
    try:
        yield
    finally:
        lock.release()
