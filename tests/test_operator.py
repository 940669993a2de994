"""Operator experience: exit codes a scheduler can act on, one-line errors, nothing dropped silently."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.store import Store

from .conftest import fixture_bytes, fixture_text
from .fakeweb import Reply

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def write_config(tmp_path: Path, web, extra: str = "", *, pages: bool = True) -> Path:
    if pages:
        web.page("/notes", fixture_bytes("release-notes-current.html"))
    cfg = tmp_path / "driftwatch.toml"
    cfg.write_text(
        f'[storage]\npath = "dw.db"\n[fetch]\nretries = 0\ntimeout = 3\n'
        f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n' + extra)
    return cfg


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DRIFTWATCH_"))}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


# --- exit codes -----------------------------------------------------------------------------


def test_check_with_every_source_in_error_exits_1_and_records_the_run_failed(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, pages=False)
    web.route("/notes", Reply(500, b"down"))
    result = run("check")
    assert result.exit_code == 1 and "notes" in result.stderr
    as_json = run("check", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["failed"] == ["notes"]
    with Store.open(tmp_path / "dw.db") as store:
        assert {r["kind"]: r["status"] for r in store.last_runs()}["check"] == "failed"


def test_check_with_some_sources_in_error_is_partial(tmp_path: Path, web) -> None:
    web.page("/feed.xml", fixture_text("feed-rss.xml"), "application/rss+xml")
    write_config(tmp_path, web, pages=False,
                 extra=f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{web.url("/feed.xml")}"\n')
    web.route("/notes", Reply(500, b"down"))
    assert run("check").exit_code == 1
    with Store.open(tmp_path / "dw.db") as store:
        assert {r["kind"]: r["status"] for r in store.last_runs()}["check"] == "partial"


def test_snapshot_and_doctor_fail_on_a_missing_or_invalid_attested_file(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, extra='[[workspaces]]\nname = "acme"\nattested = "attested.toml"\n')
    missing = run("snapshot")
    assert missing.exit_code == 1 and "attested" in missing.stderr
    doctor = run("doctor", "--offline", "--json")
    assert doctor.exit_code == 1
    check = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}["attested acme"]
    assert not check["ok"] and "not found" in check["detail"]

    (tmp_path / "attested.toml").write_text('[settings]\n"apps.box.write_actions" = "yes"\n')
    wrong = run("snapshot", "--json")
    assert wrong.exit_code == 1
    error = json.loads(wrong.stdout)["snapshots"][0]["errors"]["attested"]
    assert "apps.box.write_actions" in error and "attested.toml" in error and "true or false" in error
    assert "\n" not in error
    assert run("doctor", "--offline").exit_code == 1

    (tmp_path / "attested.toml").write_text('[settings]\n"apps.box.write_actions" = false\n')
    assert run("snapshot").exit_code == 0
    assert run("doctor", "--offline").exit_code == 0


def test_enum_values_outside_the_catalogue_are_errors_naming_the_choices(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, extra='[[workspaces]]\nname = "acme"\nattested = "attested.toml"\n')
    (tmp_path / "attested.toml").write_text('[settings]\n"apps.new_actions_policy" = "sometimes"\n')
    result = run("snapshot")
    assert result.exit_code == 1
    assert '"apps.new_actions_policy"' in result.stdout + result.stderr
    assert 'one of "disabled", "read_only", "all"' in result.stdout + result.stderr


def test_ctrl_c_exits_130_and_the_run_is_interrupted(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, pages=False)
    web.route("/notes", Reply(200, b"<html></html>", {"Content-Type": "text/html"}, delay=30))
    proc = subprocess.Popen([sys.executable, "-m", "driftwatch", "check"], cwd=tmp_path, env=subprocess_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not web.hits("/notes") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert web.hits("/notes"), "the check never reached the source"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    with Store.open(tmp_path / "dw.db") as store:
        assert {r["kind"]: r["status"] for r in store.last_runs()}["check"] == "interrupted"


def test_usage_errors_exit_2() -> None:
    assert run("changes", "--since", "2025-13-45").exit_code == 2
    assert run("digest", "--force").exit_code == 2
    assert run("check", "--source", "nosuch").exit_code == 2
    result = run("changes", "--source", "nosuch")
    assert result.exit_code == 2 and "unknown source" in result.stderr


# --- one-line errors for a broken install or a typo ---------------------------------------------


def test_missing_or_incomplete_data_directory_is_one_line(tmp_path: Path) -> None:
    for args in (["baseline"], ["check"], ["doctor", "--offline"], ["demo", "--db", str(tmp_path / "d.db")],
                 ["settings", "list"]):
        proc = subprocess.run([sys.executable, "-m", "driftwatch", *args], cwd=tmp_path, capture_output=True,
                              text=True, env=subprocess_env(DRIFTWATCH_DATA_DIR="/nonexistent/data"), timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "/nonexistent/data" in proc.stderr
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "sources.toml").write_text("sources = []\n")
    proc = subprocess.run([sys.executable, "-m", "driftwatch", "baseline"], cwd=tmp_path, capture_output=True,
                          text=True, env=subprocess_env(DRIFTWATCH_DATA_DIR=str(partial)), timeout=60)
    assert proc.returncode == 2 and "baseline.toml" in proc.stderr and "Traceback" not in proc.stderr


def test_a_database_folder_that_does_not_exist_is_an_error_and_nothing_is_created(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.db"
    env = {"DRIFTWATCH_DB": str(target)}
    for args in (["changes"], ["status"], ["sources"], ["outbox"]):
        result = run(*args, env=env)
        assert result.exit_code == 2 and str(target) in result.stderr, (args, result.stderr)
    assert not (tmp_path / "nonexistent").exists()
    assert run("init", env=env).exit_code == 0 and target.exists()  # only init creates folders
    assert run("changes", env=env).exit_code == 0


def test_relative_database_paths_resolve_against_the_config_file_else_the_working_directory(tmp_path: Path) -> None:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "driftwatch.toml").write_text('[storage]\npath = "in-conf.db"\n')
    init = json.loads(run("--config", str(conf_dir / "driftwatch.toml"), "init", "--json").stdout)
    assert Path(init["database"]) == (conf_dir / "in-conf.db").resolve()
    from_env = json.loads(run("init", "--json", env={"DRIFTWATCH_DB": "env.db"}).stdout)
    assert Path(from_env["database"]) == (tmp_path / "env.db").resolve()


def test_log_level_from_the_config_is_applied(tmp_path: Path, web) -> None:
    write_config(tmp_path, web, extra='[log]\nlevel = "info"\n')
    loud = run("check")
    assert "source notes" in loud.stderr
    write_config(tmp_path, web, extra='[log]\nlevel = "error"\n')
    quiet = run("check")
    assert "source notes" not in quiet.stderr
