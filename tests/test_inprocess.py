"""The in-process stand-in for ``python -m driftwatch`` answers as a real process would."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .inprocess import run_driftwatch


def _real(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "driftwatch", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_same_exit_code_stdout_and_stderr_as_a_real_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[fetch]\ntimeout = 'fast'\n")
    env = {**os.environ, "DRIFTWATCH_DB": str(tmp_path / "x.db")}
    for args in (["--config", str(bad), "sources"], ["changes", "--limit", "０１"], ["--version"]):
        real, here = _real(args, env, tmp_path), run_driftwatch(args, env=env, cwd=tmp_path)
        assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr), args


def test_an_escaping_exception_is_a_traceback_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import driftwatch.cli

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(driftwatch.cli.cli, "main", broken)
    done = run_driftwatch(["sources"])
    assert done.returncode == 1 and "Traceback" in done.stderr and "RuntimeError: boom" in done.stderr


def test_environment_cwd_and_logging_are_put_back(tmp_path: Path) -> None:
    before_env, before_cwd = dict(os.environ), os.getcwd()
    before_handlers = logging.getLogger().handlers[:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "DRIFTWATCH_DB": str(elsewhere / "e.db")}
    done = run_driftwatch(["-vv", "changes", "--json"], env=env, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "e.db").exists()
    assert dict(os.environ) == before_env and os.getcwd() == before_cwd
    assert logging.getLogger().handlers == before_handlers
