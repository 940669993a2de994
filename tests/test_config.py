"""Configuration: defaults, file, environment; every mistake is one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftwatch.config import ConfigError, load_settings, parse_duration

from .inprocess import run_driftwatch


def write(tmp_path: Path, text: str, name: str = "driftwatch.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings(None, env={})
    assert settings.config_path is None
    assert settings.db_path == Path("data/driftwatch.db")
    assert settings.sources_are_default
    names = {s.name for s in settings.sources}
    assert {"chatgpt-enterprise-release-notes", "codex-changelog", "openai-status-history"} <= names
    assert settings.slack_api_url == "https://slack.com/api/"


def test_precedence_file_then_env(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[storage]\npath = "db/x.db"\n[[sources]]\nname="a"\nkind="feed"\nurl="https://e.test/f.xml"\n')
    from_file = load_settings(str(cfg), env={})
    assert from_file.db_path == tmp_path / "db/x.db"
    assert [s.name for s in from_file.sources] == ["a"] and not from_file.sources_are_default
    from_env = load_settings(str(cfg), env={"DRIFTWATCH_DB": "/tmp/other.db"})
    assert from_env.db_path == Path("/tmp/other.db")


def test_config_found_through_env_then_cwd(tmp_path: Path) -> None:
    env_cfg = write(tmp_path, "[fetch]\nretries = 1\n", "elsewhere.toml")
    assert load_settings(None, env={"DRIFTWATCH_CONFIG": str(env_cfg)}).config.fetch.retries == 1
    write(tmp_path, "[fetch]\nretries = 5\n")  # ./driftwatch.toml (the test runs in tmp_path)
    assert load_settings(None, env={}).config.fetch.retries == 5


def test_secrets_come_from_env_and_never_show_in_repr() -> None:
    settings = load_settings(None, env={"SLACK_BOT_TOKEN": "xoxb-secret-value-123"})
    assert settings.secrets.get("SLACK_BOT_TOKEN") == "xoxb-secret-value-123"
    assert "xoxb-secret-value-123" not in repr(settings)
    assert "SLACK_BOT_TOKEN=True" in repr(settings.secrets)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[storage]\npaht = 'x'\n", "storage.paht: unknown key"),
        ("colour = 'red'\n", "colour: unknown key"),
        ("[fetch]\ntimeout = 'fast'\n", "fetch.timeout: "),
        ("[fetch]\nretries = 2.5\n", "fetch.retries: "),
        ("[[sources]]\nname='a'\nkind='feed'\nurl='ftp://x.test/f'\n", "sources[0].url: not a valid http(s) URL"),
        ("[[sources]]\nname='a'\nkind='page'\nurl='https://x.test/'\n", "sources[0].kind: "),
        ("[[sources]]\nname='a'\nkind='feed'\nurl='https://x.test/'\ninterval='soon'\n", "sources[0].interval: not a duration"),
        ("[[sources]]\nkind='feed'\nurl='https://x.test/'\n", "sources[0].name: required key is missing"),
        ("[[sources]]\nname='a'\nkind='feed'\nurl='https://x.test/'\n[[sources]]\nname='a'\nkind='feed'\nurl='https://y.test/'\n", "sources[1].name: duplicate name"),
        ("[slack]\ntimezone = 'Mars/Olympus'\n", "slack.timezone: unknown time zone"),
        ("[slack]\ndigest_time = '9am'\n", "slack.digest_time: not a time"),
        ("[[workspaces]]\nname='acme'\ncompliance_base_url='not a url'\n", "workspaces[0].compliance_base_url: not a valid"),
        ("[storage\npath='x'\n", "not valid TOML"),
    ],
)
def test_each_mistake_names_key_and_file(tmp_path: Path, text: str, expected: str) -> None:
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(str(cfg), env={})
    message = str(info.value)
    assert expected in message
    assert str(cfg) in message
    assert "\n" not in message


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(str(tmp_path / "nope.toml"), env={})
    with pytest.raises(ConfigError, match=r"\$DRIFTWATCH_CONFIG"):
        load_settings(None, env={"DRIFTWATCH_CONFIG": str(tmp_path / "nope.toml")})


def test_bad_env_values() -> None:
    with pytest.raises(ConfigError, match="DRIFTWATCH_LOG_FORMAT"):
        load_settings(None, env={"DRIFTWATCH_LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="SLACK_API_URL"):
        load_settings(None, env={"SLACK_API_URL": "gopher://slack"})


def test_durations() -> None:
    assert parse_duration("90s") == 90
    assert parse_duration("6h") == 21600
    assert parse_duration("2w") == 1209600
    with pytest.raises(ValueError):
        parse_duration("0m")


@pytest.mark.parametrize("command", ["check", "changes", "digest", "init", "demo", "posture", "sources"])
def test_cli_reports_config_error_in_one_line_with_exit_2(tmp_path: Path, command: str) -> None:
    cfg = write(tmp_path, "[fetch]\ntimeout = 'fast'\n", "bad.toml")
    proc = run_driftwatch(["--config", str(cfg), command])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "fetch.timeout" in lines[0] and "bad.toml" in lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
