"""The CLI contract: every data command's --json is JSON only; placeholders say so and fail."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from driftwatch.cli import cli

from .conftest import fixture_bytes, fixture_text


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def config_for(tmp_path: Path, web) -> Path:
    web.page("/notes", fixture_bytes("release-notes-current.html"))
    web.page("/feed.xml", fixture_text("feed-rss.xml"), "application/rss+xml")
    cfg = tmp_path / "driftwatch.toml"
    cfg.write_text(
        f'[storage]\npath = "dw.db"\n[fetch]\nretries = 0\n'
        f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n'
        f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{web.url("/feed.xml")}"\n'
    )
    return cfg


def json_of(result) -> object:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_every_data_command_prints_only_json(tmp_path: Path, web) -> None:
    config_for(tmp_path, web)  # ./driftwatch.toml: the test runs in tmp_path
    init = json_of(run("init", "--json"))
    assert init["schema_version"] >= 2 and init["sources"] == ["notes", "feed"]

    report = json_of(run("check", "--json"))
    assert {s["name"]: s["status"] for s in report["sources"]} == {"notes": "ok", "feed": "ok"}
    assert set(report["sources"][0]) == {"name", "status", "entries", "new", "edited", "removed", "restored", "error"}
    assert report["changes"] and all(c["id"].startswith("DW-") for c in report["changes"])
    assert {"id", "kind", "source", "title", "date", "categories", "severity"} <= set(report["changes"][0])

    again = json_of(run("check", "--json", "--source", "notes"))
    assert again["sources"][0]["status"] == "unchanged" and again["changes"] == []

    changes = json_of(run("changes", "--json", "--since", "7d", "--source", "notes"))["changes"]
    assert changes and all(c["source"] == "notes" for c in changes)
    assert {"acked_by", "acked_at", "ack_note", "ack_via"} <= set(changes[0])

    first = changes[-1]["id"]
    detail = json_of(run("item", first, "--json"))
    assert detail["id"] == first and detail["versions"][0]["version"] == 1

    digest = json_of(run("digest", "--json"))
    assert set(digest) >= {"period_start", "period_end", "counts", "items"}

    sources = json_of(run("sources", "--json"))["sources"]
    assert {s["name"] for s in sources} == {"notes", "feed"}

    replayed = json_of(run("replay", "notes", "--json"))
    assert replayed["status"] == "ok" and replayed["new"] == 0


def test_demo_json(tmp_path: Path) -> None:
    data = json_of(run("demo", "--json", "--db", str(tmp_path / "demo.db")))
    assert Path(data["database"]).exists()
    assert data["digest"]["items"], "the demo digest shows classified changes"
    assert any(i["severity"] == "high" for i in data["digest"]["items"])
    statuses = [c["status"] for c in data["posture"]["controls"]]
    assert statuses.count("fail") >= 3 and "pass" in statuses
    # the second snapshot's drift: Box write actions turned on, caused by bob's attestation
    box = next(i for i in data["digest"]["items"] if i.get("workspace") == "acme" and "Box" in i["title"])
    assert box["kind"] == "control_failing" and any("bob@acme.example" in r for r in box["reasons"])


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    result = run("changes", "--since", "last tuesday")
    assert result.exit_code == 2 and "--since" in result.stderr
    assert run("item", "DW-999999").exit_code == 1
    assert run("replay", "nope").exit_code == 2


def test_help_lists_every_command_with_one_line() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help"
        assert name in result.stdout
    for required in ("init", "check", "changes", "digest", "posture", "demo", "serve", "worker"):
        assert required in cli.commands


def test_every_other_data_command_prints_only_json(tmp_path: Path, web) -> None:
    """The rest of the --json contract: posture, snapshot, baseline, settings, status, outbox,
    doctor, reclassify, eval, train."""
    config_for(tmp_path, web)
    (tmp_path / "acme.toml").write_text('[settings]\n"gpts.publish_external" = true\n')
    with (tmp_path / "driftwatch.toml").open("a") as handle:
        handle.write('[[workspaces]]\nname = "acme"\nattested = "acme.toml"\n')
    json_of(run("check", "--json"))
    outputs = {
        "snapshot": json_of(run("snapshot", "--json")),
        "posture": json_of(run("posture", "--json")),
        "baseline": json_of(run("baseline", "--json")),
        "settings": json_of(run("settings", "list", "--json")),
        "status": json_of(run("status", "--json")),
        "outbox": json_of(run("outbox", "--json")),
        "reclassify": json_of(run("reclassify", "--json")),
        "eval": json_of(run("eval", "--json")),
        "train": json_of(run("train", "--json", "--out", str(tmp_path / "model"))),
    }
    assert outputs["snapshot"]["snapshots"][0]["workspace"] == "acme"
    assert any(c["id"] == "DW-CTRL-GPT-001" and c["status"] == "fail" for c in outputs["posture"]["controls"])
    assert len(outputs["baseline"]["controls"]) >= 30 and len(outputs["settings"]["settings"]) >= 35
    assert "check" in outputs["status"]["last_runs"] and "counts" in outputs["outbox"]
    assert outputs["reclassify"]["reclassified"] >= 0 and "relevance" in outputs["eval"]
    assert (tmp_path / "model" / "meta.json").exists() and outputs["train"]["examples"] >= 400
    doctor = run("doctor", "--offline", "--json")
    assert doctor.exit_code == 0 and json.loads(doctor.stdout)["ok"] is True
