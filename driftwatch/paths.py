"""Where driftwatch finds its bundled data.

The data folder sits at the repository root in a source checkout (and in an
editable install) and inside the package as ``_data`` in a wheel, so every
reader goes through :func:`data_dir` instead of guessing.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    override = os.environ.get("DRIFTWATCH_DATA_DIR")
    if override:
        return Path(override)
    bundled = _PACKAGE_DIR / "_data"
    if bundled.is_dir():
        return bundled
    return _PACKAGE_DIR.parent / "data"


def data_file(*parts: str) -> Path:
    return data_dir().joinpath(*parts)
