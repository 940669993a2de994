"""The classifier: shipped model matches its data, polarity, reasons, quality floor, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftwatch.classify import classify, default_classifier
from driftwatch.classify.model import MODEL_DIR, Classifier
from driftwatch.classify.train import (
    default_dev_path, default_train_path, evaluate, fingerprint, read_examples, shipped_fingerprint, train,
)
from driftwatch.cli import cli


def test_shipped_model_matches_training_data_and_lexicon() -> None:
    assert shipped_fingerprint(MODEL_DIR) == fingerprint(default_train_path()), (
        "data/classifier or the lexicon changed: run `driftwatch train` and commit the model"
    )


def test_training_data_is_big_enough_and_separate_from_dev() -> None:
    train_rows = read_examples(default_train_path())
    dev_rows = read_examples(default_dev_path())
    assert len(train_rows) >= 400
    assert not {r["title"] + r["body"] for r in train_rows} & {r["title"] + r["body"] for r in dev_rows}


def test_retraining_is_deterministic_and_meets_the_quality_floor(tmp_path: Path) -> None:
    summary = train(out_dir=tmp_path / "model")
    assert summary["fingerprint"] == fingerprint(default_train_path())
    metrics = evaluate(Classifier.load(tmp_path / "model"), read_examples(default_dev_path()))
    assert metrics["relevance"]["f1"] >= 0.90
    assert metrics["high_severity"]["recall"] >= 0.95
    assert metrics["category_macro_f1"] >= 0.75
    shipped = evaluate(default_classifier(), read_examples(default_dev_path()))
    assert shipped["relevance"] == metrics["relevance"]  # the same data gives the same model


@pytest.mark.parametrize(
    "title, body, severity, must_have",
    [
        ("Box app gains write actions", "The Box app can now create and update files. Write actions remain "
         "disabled by default; admins can enable them per role.", "medium", {"write_action", "connector"}),
        ("Box write actions for everyone", "The Box app can now create and update files. Write actions are "
         "enabled by default for all workspaces.", "high", {"write_action", "connector", "default_change"}),
        ("Memory on by default", "Memory is now turned on for all members automatically.", "high", {"data_handling"}),
        ("Faster image generation", "Images render in half the time.", "info", set()),
        ("Keyboard shortcuts", "Press ? to see them.", "info", set()),
        ("New audit log events", "Role changes now appear in the audit log with the acting admin.", "low", {"audit_logging"}),
    ],
)
def test_polarity_and_severity(title: str, body: str, severity: str, must_have: set[str]) -> None:
    result = classify(title, body)
    assert result.severity == severity, result.reasons
    assert must_have <= set(result.categories)
    assert result.security_relevant == (severity != "info")


def test_negated_default_is_not_a_default_change_to_on() -> None:
    result = classify("Agent mode", "Agent mode is not enabled by default; admins can turn it on.")
    assert result.severity != "high"
    assert any("stays off" in reason for reason in result.reasons)


def test_reasons_name_the_phrases_and_entities() -> None:
    result = classify("Box can now create and update files", "Write actions arrive for the Box app.")
    assert any(r.startswith('write_action: "') and "(Box)" in r for r in result.reasons), result.reasons
    assert result.reasons[-1].startswith("severity ")


def test_classify_command_reports_bad_lines_and_keeps_going() -> None:
    lines = "\n".join([
        json.dumps({"id": "a", "title": "Agent mode on by default", "body": "Enabled by default for all members."}),
        "{not json",
        json.dumps({"id": "c", "body": "no title"}),
        json.dumps({"id": "d", "title": "Dark mode polish", "body": "Better contrast.", "vendor": "X"}),
    ])
    result = CliRunner().invoke(cli, ["classify"], input=lines)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "d"]
    assert out[0]["severity"] == "high" and out[0]["security_relevant"] is True
    assert set(out[0]) >= {"id", "security_relevant", "categories", "severity", "reasons"}
    assert "line 2:" in result.stderr and "line 3:" in result.stderr and "title" in result.stderr


def test_eval_command_json() -> None:
    result = CliRunner().invoke(cli, ["eval", "--json"])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert set(metrics["categories"]) >= {"write_action", "oauth_scope", "other"}
    assert 0 <= metrics["relevance"]["f1"] <= 1


def test_reclassify_updates_stored_changes(tmp_path: Path) -> None:
    from driftwatch.models import Classification, NewChange, ParsedEntry
    from driftwatch.store import Store

    db = tmp_path / "r.db"
    with Store.open(db) as store:
        store.sync_source("s", "feed", "https://e.test/f")
        entry_id = store.insert_entry("s", ParsedEntry("2026-01-01", "Agent mode on by default",
                                                       "Agent mode is enabled by default for all members.", "l"))
        stale = Classification(False, "info", ["other"], [], "old-model")
        store.add_change(NewChange(kind="new_entry", title="Agent mode on by default", dedupe_key="e",
                                   entry_id=entry_id, classification=stale))
    runner = CliRunner()
    result = runner.invoke(cli, ["reclassify", "--json"], env={"DRIFTWATCH_DB": str(db)})
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["reclassified"], summary["severity_changed"]) == (1, 1)
    assert summary["moved"] == [{"id": "DW-1", "title": "Agent mode on by default", "old": "info", "new": "high"}]
    again = json.loads(runner.invoke(cli, ["reclassify", "--json"], env={"DRIFTWATCH_DB": str(db)}).stdout)
    assert again["reclassified"] == 0  # already current
    with Store.open(db) as store:
        change = store.change("DW-1")
        assert change["severity"] == "high" and change["classifier_version"].startswith("spacy-")
