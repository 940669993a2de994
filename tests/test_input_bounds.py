"""Input bounds: dates, spans and ids are validated and capped, in Slack and the CLI alike."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from driftwatch import acks
from driftwatch.bot.commands import UsageError, parse_command, parse_thread_reply
from driftwatch.config import load_settings
from driftwatch.errors import ConfigError
from driftwatch.timeutil import parse_duration, parse_since, parse_span

from .inprocess import run_driftwatch
from .test_slack import env, slash  # noqa: F401  (env is a fixture)

NOW = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text", ["99999999999999d", "9999999999d", "0s", "0.1s", "７d", "1y", "", "d", "-1d",
                                  "1e9d", "1.5.2d", "१२h"])
def test_spans_out_of_bounds_or_unreadable_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_span(text)


def test_spans_in_bounds() -> None:
    assert parse_span("90s") == dt.timedelta(seconds=90)
    assert parse_span("1.5h") == dt.timedelta(minutes=90)
    assert parse_span("2W") == dt.timedelta(weeks=2)
    assert parse_duration("30m") == 1800
    assert parse_span("3650d") == dt.timedelta(days=3650)


@pytest.mark.parametrize("text", ["2026-13-45", "2026-02-30", "0001-01-01", "9999-12-31", "２０２６-０１-０１",
                                  "2026-01-01T25:00:00Z", "x" * 5000, "3170843-01-01", "2026-01-01\x00"])
def test_bad_dates_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_since(text, lambda: NOW)


def test_good_dates_and_spans() -> None:
    assert parse_since("2025-11-20", lambda: NOW) == dt.datetime(2025, 11, 20, tzinfo=dt.timezone.utc)
    assert parse_since("7d", lambda: NOW) == NOW - dt.timedelta(days=7)
    assert parse_since("2026-01-01T10:00:00Z", lambda: NOW).hour == 10


@pytest.mark.parametrize("text", ["０１", "DW-０１", "DW-١", "DW-99999999999999999999", "DW-", "DW-1x", "¹"])
def test_ids_are_ascii_digits_only(text: str) -> None:
    assert acks.normalise_ref(text) is None


def test_ids_that_are_fine() -> None:
    assert acks.normalise_ref("dw-007") == "DW-7" and acks.normalise_ref("42") == "DW-42"


@pytest.mark.parametrize("text", ["item ０１", "item DW-０１", "changes since 2026-13-45", "changes since 99999999999999d",
                                  "snooze DW-1", "changes ７d", "item " + "9" * 30])
def test_slash_grammar_refuses_with_a_usage_line(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


def test_control_characters_and_long_text_are_not_commands() -> None:
    assert parse_command("search \x00audit\x00 log").text == "audit log"
    with pytest.raises(UsageError):
        parse_command("search \x00")
    with pytest.raises(UsageError):
        parse_command("changes " + "x" * 5000)
    assert parse_thread_reply("ack DW-１") is None


def test_snooze_is_capped() -> None:
    for text in ("9999999999d", "99999999999999d", "91d", "13w"):
        with pytest.raises(acks.AckError, match="limited to 90 days"):
            acks.snooze_until(text, NOW, None)
    with pytest.raises(acks.AckError, match="cannot read"):
        acks.snooze_until("７d", NOW, None)
    assert acks.snooze_until("90d", NOW, None) == NOW + dt.timedelta(days=90)


def test_config_intervals_use_the_same_parser(tmp_path: Path) -> None:
    config = tmp_path / "driftwatch.toml"
    config.write_text('[[workspaces]]\nname = "w"\ninterval = "99999999999d"\n')
    with pytest.raises(ConfigError, match="too long"):
        load_settings(str(config), env={})


@pytest.mark.parametrize("text, expect", [
    ("item ０１", "item needs one id"),
    ("changes since 2026-13-45", "no such day"),
    ("changes since 99999999999999d", "too long"),
    ("snooze DW-1 9999999999d", "limited to 90 days"),
    ("search \x00", "search needs some text"),
])
def test_slack_answers_bad_input_with_a_usage_line(env, text: str, expect: str) -> None:  # noqa: F811
    slash(env, text)
    answer = json.dumps(env["fake"].webhooks[-1])
    assert expect in answer and "something went wrong" not in answer
    with __import__("driftwatch.store", fromlist=["Store"]).Store.open(env["settings"].db_path) as store:
        assert store.change("DW-1")["snoozed_until"] is None and store.change("DW-1")["acked_by"] is None


@pytest.mark.parametrize("args", [["changes", "--since", "99999999999d"],
                                  ["changes", "--limit", "99999999999999999999"],
                                  ["changes", "--since", "2026-13-45"],
                                  ["changes", "--limit", "０１"],
                                  ["export", "--since", "99999999999999d"],
                                  ["digest", "--wait", "1e308"]])
def test_cli_bad_numbers_and_dates_are_one_line_exit_2(tmp_path: Path, args: list[str]) -> None:
    done = run_driftwatch(args, cwd=tmp_path, env={**os.environ, "DRIFTWATCH_DB": str(tmp_path / "b.db")})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
