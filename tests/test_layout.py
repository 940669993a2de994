"""The project installs one import package: bot/ and watchers/ live under driftwatch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_only_driftwatch_is_importable_at_top_level(tmp_path: Path) -> None:
    for name in ("bot", "watchers"):
        result = _python(f"import {name}", tmp_path)
        assert result.returncode != 0 and "No module named" in result.stderr, (name, result.stderr)
    ok = _python("import driftwatch.bot.blocks, driftwatch.watchers.collectors.http; print('ok')", tmp_path)
    assert ok.returncode == 0 and ok.stdout.strip() == "ok", ok.stderr


def test_top_level_folders_refuse_to_import_under_their_own_name() -> None:
    root = Path(__file__).resolve().parent.parent
    for name in ("bot", "watchers"):
        result = _python(f"import {name}", root)  # the checkout root is on sys.path here
        assert result.returncode != 0 and f"import driftwatch.{name}" in result.stderr
