"""The digest cadence: every N weeks on a weekday at a local time, anchored to a date (pure).

Periods are counted from an anchor date, never from ISO week numbers, so a
53-week year cannot shift the fortnight. The same function tells the worker
when to run and tells ``digest --post`` which period it is posting.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .config import WEEKDAYS, SlackConfig

DEFAULT_ANCHOR = dt.date(2024, 1, 1)  # a Monday


def first_slot(config: SlackConfig) -> dt.datetime:
    zone = ZoneInfo(config.timezone)
    anchor = config.digest_anchor or DEFAULT_ANCHOR
    weekday = WEEKDAYS.index(config.digest_weekday)
    anchor += dt.timedelta(days=(weekday - anchor.weekday()) % 7)
    hour, minute = (int(part) for part in config.digest_time.split(":"))
    return dt.datetime(anchor.year, anchor.month, anchor.day, hour, minute, tzinfo=zone)


def _slot(config: SlackConfig, index: int) -> dt.datetime:
    start = first_slot(config)
    local = start.replace(tzinfo=None) + dt.timedelta(weeks=config.digest_every_weeks * index)
    return local.replace(tzinfo=start.tzinfo)  # wall-clock time stays put across DST


def current_period(config: SlackConfig, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the digest period containing ``now``; start is the latest slot <= now."""
    start = first_slot(config)
    weeks = config.digest_every_weeks
    index = max(0, int((now - start).total_seconds() // (weeks * 7 * 86400)))
    while _slot(config, index) > now and index > 0:
        index -= 1
    while _slot(config, index + 1) <= now:
        index += 1
    return _slot(config, index), _slot(config, index + 1)


def next_slot(config: SlackConfig, now: dt.datetime) -> dt.datetime:
    start, end = current_period(config, now)
    return start if start > now else end


def period_key(config: SlackConfig, now: dt.datetime) -> str:
    start, _ = current_period(config, now)
    return start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
