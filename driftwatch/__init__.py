"""driftwatch: notice what an AI vendor and your admins changed, and whether it weakens security."""

from pathlib import Path as _Path

__version__ = "0.1.0"

# The repository keeps bot/ and watchers/ as top-level folders; installed, they are
# driftwatch.bot and driftwatch.watchers (pyproject's package-dir). When a source
# checkout's root comes first on sys.path (``python -m driftwatch`` or pytest run from
# it), this folder shadows the installed mapping, so look for them beside it too.
_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "bot" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # type: ignore[name-defined]
