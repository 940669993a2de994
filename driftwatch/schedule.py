"""The digest cadence: every N weeks on a weekday at a local time, anchored to a date (pure).

Periods are counted from an anchor date, never from ISO week numbers, so a 53-week
year cannot shift the fortnight. The worker runs the digest on APScheduler's
``CalendarIntervalTrigger``, and the period a digest belongs to is read off the very
same trigger, so "when it runs" and "which period it posts" cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator
from zoneinfo import ZoneInfo

from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger

from .config import WEEKDAYS, SlackConfig

DEFAULT_ANCHOR = dt.date(2024, 1, 1)  # a Monday


def first_slot(config: SlackConfig) -> dt.datetime:
    zone = ZoneInfo(config.timezone)
    anchor = config.digest_anchor or DEFAULT_ANCHOR
    weekday = WEEKDAYS.index(config.digest_weekday)
    anchor += dt.timedelta(days=(weekday - anchor.weekday()) % 7)
    hour, minute = (int(part) for part in config.digest_time.split(":"))
    return dt.datetime(anchor.year, anchor.month, anchor.day, hour, minute, tzinfo=zone)


def digest_trigger(config: SlackConfig, start: dt.date | None = None) -> CalendarIntervalTrigger:
    """The digest's trigger; from the anchor unless ``start`` (a date on the cadence) is given."""
    first = first_slot(config)
    return CalendarIntervalTrigger(weeks=config.digest_every_weeks, hour=first.hour, minute=first.minute,
                                   start_date=start or first.date(), timezone=config.timezone)


def _fire_times(config: SlackConfig) -> Iterator[dt.datetime]:
    trigger = digest_trigger(config)
    now = first_slot(config)
    fire = trigger.get_next_fire_time(None, now)
    while fire is not None:
        yield fire
        fire = trigger.get_next_fire_time(fire, fire)


def current_period(config: SlackConfig, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the digest period containing ``now``; start is the latest fire time <= now.

    Before the first fire time, the first period is the one about to start.
    """
    times = _fire_times(config)
    start = next(times)
    end = next(times)
    while end <= now:
        start, end = end, next(times)
    return start, end


def next_slot(config: SlackConfig, now: dt.datetime) -> dt.datetime:
    start, end = current_period(config, now)
    return start if start > now else end


def period_key(config: SlackConfig, now: dt.datetime) -> str:
    start, _ = current_period(config, now)
    return start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
