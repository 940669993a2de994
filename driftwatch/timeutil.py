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


_RELATIVE = re.compile(r"^(\d+)\s*([dhw])$")


def parse_since(text: str, clock: Clock = utcnow) -> dt.datetime:
    """A user's ``--since``: ``2025-11-20``, a full timestamp, or ``7d`` / ``12h`` / ``2w``."""
    text = text.strip()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"d": dt.timedelta(days=amount), "h": dt.timedelta(hours=amount),
                 "w": dt.timedelta(weeks=amount)}[unit]
        return clock() - delta
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        return parse_iso(text)
    except ValueError:
        raise ValueError(f"not a date like 2025-11-20 or a span like 7d: {text!r}") from None
