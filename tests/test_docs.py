"""README stays true: every command is documented and the set-up lines are exact."""

from __future__ import annotations

from pathlib import Path

from driftwatch.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_command_is_in_the_readme() -> None:
    for name in cli.commands:
        assert f"driftwatch {name}" in README or f"`{name}`" in README, name


def test_the_two_setup_commands() -> None:
    assert "pip install -e . && driftwatch demo" in README
    assert "pip install -e '.[test]' && pytest" in README


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci and "\npytest" in ci
