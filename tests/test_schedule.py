"""The period a digest posts is read off the trigger the worker runs it on."""

from __future__ import annotations

import datetime as dt

import pytest

from driftwatch.config import load_settings
from driftwatch.schedule import current_period, next_slot, period_key
from driftwatch.worker import digest_trigger

UTC = dt.timezone.utc


@pytest.mark.parametrize("now", [
    dt.datetime(2026, 1, 14, 12, tzinfo=UTC),
    dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),   # the night Paris moves to summer time
    dt.datetime(2026, 10, 25, 0, 59, tzinfo=UTC),  # and back
    dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
])
def test_the_worker_fires_where_the_next_period_starts(tmp_path, now: dt.datetime) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[slack]\nchannel = "C1"\ntimezone = "Europe/Paris"\ndigest_every_weeks = 2\n'
                      'digest_weekday = "monday"\ndigest_time = "09:00"\n')
    slack = load_settings(str(config), env={}).config.slack
    fire = digest_trigger(load_settings(str(config), env={}), now).get_next_fire_time(None, now)
    assert fire == next_slot(slack, now)
    start, end = current_period(slack, now)
    assert start <= now < end and (end - start) >= dt.timedelta(days=13)
    assert period_key(slack, fire) == fire.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert period_key(slack, fire - dt.timedelta(seconds=1)) == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
