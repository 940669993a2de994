"""Render the posture report to one self-contained HTML file.

Jinja2 with autoescape always on: release-note titles, audit-log actors, waiver
reasons and collector errors are untrusted and reach the page only as text.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATE = "report.html"


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(Path(__file__).parent)),
        autoescape=True,  # for every template, whatever its file name
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_html(data: dict[str, Any]) -> str:
    return environment().get_template(TEMPLATE).render(**data)


def write_html(path: str | os.PathLike[str], html: str) -> Path:
    """Write next to the target and rename, so a reader never sees half a report."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
