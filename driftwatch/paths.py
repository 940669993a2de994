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


REQUIRED_DATA = ("sources.toml", "settings.toml", "baseline.toml", "audit_map.toml")


def check_data_dir() -> None:
    """A missing or incomplete data folder is one line naming it, not a traceback later.

    Raises :class:`driftwatch.errors.ConfigError`.
    """
    from .errors import ConfigError

    folder = data_dir()
    origin = " (from $DRIFTWATCH_DATA_DIR)" if os.environ.get("DRIFTWATCH_DATA_DIR") else ""
    if not folder.is_dir():
        raise ConfigError(f"{folder}: data directory not found{origin}")
    missing = [name for name in REQUIRED_DATA if not (folder / name).is_file()]
    if missing:
        raise ConfigError(f"{folder}: incomplete data directory{origin}: missing {', '.join(missing)}")
