"""Find and start the system's Chromium for Playwright (never a browser download).

Pages that build their entries with JavaScript, and the HTML report's print check, need a
real browser. driftwatch uses the OS package (Debian's ``chromium``) or a path the operator
gives, so nothing is fetched at run time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# Quiet, private and closed to the outside: no first-run, sync, component updates or
# background traffic, which on a locked-down host only produce refused connections.
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium(configured: str | os.PathLike[str] | None = None) -> Path | None:
    """The browser to use: the configured path if it exists, else the first on PATH."""
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_file() and os.access(path, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def unavailable_reason(configured: str | os.PathLike[str] | None = None) -> str | None:
    """Why a browser cannot be used here, or None when it can."""
    if not playwright_available():
        return "Playwright is not installed (pip install 'driftwatch[browser]')"
    if find_chromium(configured) is None:
        where = f"at {configured}" if configured else "on PATH (install the OS package 'chromium' or set [fetch] browser_path)"
        return f"no Chromium found {where}"
    return None
