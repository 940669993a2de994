"""httpx, imported without its command-line client.

``import httpx`` also imports ``httpx._main`` (its ``httpx`` command: click, rich.progress,
rich.syntax and pygments), about 15 ms of every command's start-up that driftwatch never
uses. Importing it through here leaves that module out; ``httpx.main`` still works and
imports it on first call. Every other name is httpx's own.
"""

from __future__ import annotations

import sys
from typing import Any

if "httpx" not in sys.modules:
    _blocked = "httpx._main" not in sys.modules
    if _blocked:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]  # makes its import fail: httpx skips it
    try:
        import httpx
    finally:
        if _blocked and sys.modules.get("httpx._main", 0) is None:
            del sys.modules["httpx._main"]  # a later `import httpx._main` gets the real module

    def _main(*args: Any, **kwargs: Any) -> Any:
        from httpx._main import main

        return main(*args, **kwargs)

    httpx.main = _main  # type: ignore[attr-defined]

import httpx  # noqa: E402  (the module imported above, or the one already loaded)

__all__ = ["httpx"]
