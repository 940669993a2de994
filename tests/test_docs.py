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


def test_cli_reference_is_generated_from_help() -> None:
    """Regenerate with `python -m driftwatch._clidoc README.md` after changing a command."""
    from driftwatch import _clidoc

    assert _clidoc.current(README) == _clidoc.render(), "README CLI reference is stale: run python -m driftwatch._clidoc README.md"


def test_stale_reference_is_detected(monkeypatch) -> None:
    import click

    from driftwatch import _clidoc
    from driftwatch.cli import cli

    extra = click.Option(["--brand-new-flag"], is_flag=True, help="Something the README never heard of.")
    monkeypatch.setattr(cli.commands["changes"], "params", [*cli.commands["changes"].params, extra])
    assert "--brand-new-flag" in _clidoc.render()
    assert _clidoc.current(README) != _clidoc.render()


def test_every_command_and_option_is_documented() -> None:
    from driftwatch import _clidoc
    from driftwatch.cli import cli

    reference = _clidoc.current(README)
    for path, command in _clidoc._commands(cli, "driftwatch"):
        assert f"#### {path}" in reference
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-"):
                    assert opt in reference, (path, opt)
