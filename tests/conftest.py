from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from driftwatch.config import SECRET_ENV
from driftwatch.store import Store

from .fakeweb import FakeWeb

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's tokens, config or database leak into a test."""
    for name in (*SECRET_ENV, "DRIFTWATCH_CONFIG", "DRIFTWATCH_DB", "DRIFTWATCH_LOG_FORMAT",
                 "SLACK_API_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def web() -> FakeWeb:
    server = FakeWeb().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database with every migration applied, made once per test process.

    Migrating a new database costs about 0.2 s; copying this file costs a millisecond.
    Tests of migrating itself open new files (tests/test_store.py).
    """
    path = tmp_path_factory.mktemp("migrated") / "empty.db"
    Store.open(path).close()  # closing checkpoints the WAL: the one file is the whole database
    return path


def copy_of(template: Path, target: Path) -> Path:
    """``target`` as a fresh copy of the ``template`` database file (its folder made if needed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return target


@pytest.fixture
def store(tmp_path: Path, migrated_db: Path) -> Store:
    opened = Store.open(copy_of(migrated_db, tmp_path / "test.db"))
    yield opened
    opened.close()


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def chromium() -> Path:
    """The system Chromium, or a skip that says why (a user's fresh clone has none; CI does)."""
    from driftwatch.browser import find_chromium, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(f"needs a real browser: {reason}")
    return find_chromium()
