"""Time in one format everywhere: ISO-8601 UTC strings ending in ``Z``.

Stored timestamps sort as text, read well in Datasette and parse in any SIEM.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso(clock: Clock = utcnow) -> str:
    return iso(clock())


def parse_iso(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


# --- what people type: spans, durations, dates (one parser, bounded) ----------------------

# ASCII digits only ([0-9], not \d, which also matches "０１" and other scripts' digits).
_SPAN = re.compile(r"^\s*([0-9]{1,15})(?:\.([0-9]{1,6}))?\s*([smhdw])\s*$", re.ASCII | re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_SPAN = dt.timedelta(days=3660)  # ten years: the furthest back ``--since 3650d`` may reach
MIN_YEAR, MAX_YEAR = 2000, 2100
SPAN_HELP = "a span like 30m, 12h, 7d or 2w"


def parse_span(text: str, *, units: str = "smhdw", maximum: dt.timedelta = MAX_SPAN) -> dt.timedelta:
    """A positive span such as ``90s``, ``30m``, ``6h``, ``1d`` or ``2w``, at most ``maximum``.

    The one duration parser of the project: config intervals, ``--since``, Slack's
    ``changes since`` and snoozes all come through here. Raises ValueError with a line
    fit to show the person who typed it.
    """
    match = _SPAN.match(text or "")
    if not match or match.group(3).lower() not in units:
        raise ValueError(f"not a duration like 30m, 12h, 7d or 2w: {_shown(text)}")
    amount = float(f"{match.group(1)}.{match.group(2) or 0}")
    seconds = amount * _UNIT_SECONDS[match.group(3).lower()]
    if seconds < 1:
        raise ValueError(f"a span must be at least one second: {_shown(text)}")
    if seconds > maximum.total_seconds():
        raise ValueError(f"{_shown(text)} is too long; at most {maximum.days} days")
    return dt.timedelta(seconds=int(seconds))


def parse_duration(text: str, maximum: dt.timedelta = MAX_SPAN) -> int:
    """Whole seconds in a duration (config ``interval`` and the like)."""
    return int(parse_span(text, maximum=maximum).total_seconds())


def parse_day(text: str) -> dt.date:
    """A calendar date ``2025-11-20`` (ASCII digits, a real day, a plausible year)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text or "", re.ASCII):
        raise ValueError(f"not a date like 2025-11-20: {_shown(text)}")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"no such day: {_shown(text)}") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"year out of range ({MIN_YEAR}-{MAX_YEAR}): {_shown(text)}")
    return day


def parse_since(text: str, clock: Clock = utcnow) -> dt.datetime:
    """A user's ``--since``: ``2025-11-20``, a full timestamp, or ``7d`` / ``12h`` / ``2w``."""
    text = (text or "").strip()
    if _SPAN.match(text):
        return clock() - parse_span(text)
    if len(text) == 10:
        day = parse_day(text)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    if not text.isascii() or len(text) > 40:
        raise ValueError(f"not a date like 2025-11-20 or {SPAN_HELP}: {_shown(text)}")
    try:
        moment = parse_iso(text)
    except (ValueError, OverflowError):
        raise ValueError(f"not a date like 2025-11-20 or {SPAN_HELP}: {_shown(text)}") from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"year out of range ({MIN_YEAR}-{MAX_YEAR}): {_shown(text)}")
    return moment


def _shown(text: str | None) -> str:
    """User input quoted for an error line: one line, bounded, control characters made visible."""
    return repr((text or "")[:40] + ("…" if text and len(text) > 40 else ""))
