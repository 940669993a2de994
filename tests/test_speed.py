"""Shortcuts taken for speed give exactly what the plain way gives.

The classifier loaded in code versus ``spacy.load`` of the same folder, spaCy imported
without its CLI package, the classifier loaded only when an entry needs it, and a first
check's batched writes versus one change at a time.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import spacy
from click.testing import CliRunner
from thinc.api import Config

from driftwatch.classify.loading import component_configs, load_direct
from driftwatch.classify.model import MODEL_DIR, Classifier, text_of
from driftwatch.classify.train import default_dev_path, read_examples
from driftwatch.models import Classification, NewChange
from driftwatch.store import Store

from .test_classifier import NOT_HIGH_CASES, ON_CASES


def project_texts() -> list[tuple[str, str]]:
    """Texts the project wrote: the dev set and the polarity cases of test_classifier."""
    rows = [(r["title"], r["body"]) for r in read_examples(default_dev_path())]
    return rows + list(ON_CASES) + list(NOT_HIGH_CASES) + [("", ""), ("Title only", ""), ("x" * 3, "y " * 400)]


def test_direct_load_gives_the_verdicts_and_scores_of_spacy_load() -> None:
    direct = load_direct(MODEL_DIR)
    assert direct is not None, "the shipped folder should be built directly, not through spacy.load"
    reference = spacy.load(MODEL_DIR)
    assert direct.pipe_names == reference.pipe_names
    pairs = project_texts()
    assert len(pairs) > 50
    texts = [text_of(title, body) for title, body in pairs]
    for mine, theirs in zip(direct.pipe(texts), reference.pipe(texts), strict=True):
        assert [t.text for t in mine] == [t.text for t in theirs]
        assert mine.cats == theirs.cats  # the same floats, not merely close
    loaded = Classifier.load()
    assert loaded.nlp.pipe_names == reference.pipe_names
    plain = Classifier(reference, loaded.version, loaded.thresholds)
    assert list(loaded.classify_many(pairs)) == list(plain.classify_many(pairs))
    assert [loaded(t, b) for t, b in pairs[:20]] == [plain(t, b) for t, b in pairs[:20]]


def test_a_folder_of_another_shape_is_left_to_spacy_load() -> None:
    config = Config().from_disk(MODEL_DIR / "config.cfg")
    assert component_configs(config) is not None
    for change in (
        lambda c: c["nlp"].update(pipeline=["textcat_multilabel"]),
        lambda c: c["nlp"].update(lang="de"),
        lambda c: c["components"]["textcat_multilabel"]["model"].update({"@architectures": "spacy.TextCatBOW.v3"}),
        lambda c: c["components"]["dw_signals"].update(factory="entity_ruler"),
        lambda c: c["nlp"].update(after_creation={"@callbacks": "x"}),
    ):
        other = copy.deepcopy(config)
        change(other)
        assert component_configs(other) is None


def test_spacy_is_imported_without_its_cli_and_the_cli_still_loads() -> None:
    code = ("import sys\nimport driftwatch.classify\nassert 'typer' not in sys.modules, 'spacy.cli was imported'\n"
            "import spacy, spacy.cli\nassert spacy.cli.__file__.endswith('cli/__init__.py')\n"
            "from spacy.cli.info import info\nassert callable(spacy.info) and callable(info)\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_an_unchanged_check_never_loads_the_classifier(tmp_path, web, monkeypatch) -> None:
    from driftwatch.app import context

    from .test_watchers import CURRENT

    url = web.page("/notes", CURRENT)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "dw.db"\n[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{url}"\n')
    loads: list[int] = []
    real = context.Driftwatch.classifier.fget

    def counted(self):  # type: ignore[no-untyped-def]
        loads.append(1)
        return real(self)

    monkeypatch.setattr(context.Driftwatch, "classifier", property(counted))
    from driftwatch.cli import cli

    first = CliRunner().invoke(cli, ["--config", str(config), "check", "--json"])
    assert first.exit_code == 0, first.output
    assert loads, "the first check classifies its new entries"
    loads.clear()
    again = CliRunner().invoke(cli, ["--config", str(config), "check", "--json"])
    assert again.exit_code == 0, again.output
    assert '"unchanged"' in again.stdout and not loads


def change(key: str, entry_id: int | None = None, relevant: bool = True) -> NewChange:
    return NewChange(kind="new_entry" if entry_id else "source_broken", title=f"t {key}", dedupe_key=key,
                     source="s", entry_id=entry_id, entry_version=1 if entry_id else None, summary=f"s {key} é",
                     classification=Classification(relevant, "high" if relevant else "info", ["connector"],
                                                   ["connector: \"Box\" ü"], "v1"),
                     details={"labels": ["New"], "date_precision": "day"})


def stored(store: Store) -> list[dict]:
    return [dict(r) for r in store.db.query("select * from changes order by id")]


def test_batched_changes_are_the_rows_one_at_a_time_gives(tmp_path) -> None:
    clock = lambda: __import__("datetime").datetime(2026, 12, 2, 6, 0, tzinfo=__import__("datetime").timezone.utc)  # noqa: E731
    one, many = Store.open(tmp_path / "one.db", clock=clock), Store.open(tmp_path / "many.db", clock=clock)
    seen: dict[str, list] = {"one": [], "many": []}
    one.on_change(lambda s, cid, c: seen["one"].append((cid, c.dedupe_key)))
    many.on_change(lambda s, cid, c: seen["many"].append((cid, c.dedupe_key)))
    for store in (one, many):
        store.sync_source("s", "release_notes", "http://127.0.0.1/")
        with store.transaction():
            store.add_change(change("before"))
    batch = [change("a"), change("before"), change("b", relevant=False), change("a"), change("c")]
    with one.transaction():
        refs_one = [one.add_change(c, run_id=None) for c in batch]
    with many.transaction():
        refs_many = many.add_changes(batch)
    assert refs_one == refs_many == ["DW-2", None, "DW-3", None, "DW-4"]
    assert stored(one) == stored(many)
    assert seen["one"] == seen["many"] == [(1, "before"), (2, "a"), (3, "b"), (4, "c")]
    assert many.change("DW-4")["ref"] == "DW-4"
    for store in (one, many):  # changes of no entry are in the full-text index, entry changes are not
        hits = [r[0] for r in store.db.execute("select rowid from changes_fts where changes_fts match 'b' order by rowid")]
        assert hits == [3]
        store.db.execute("insert into changes_fts (changes_fts) values ('integrity-check')")
        assert [c["id"] for c in store.search_changes("s c")] == [4]


def test_a_failed_batch_leaves_nothing_behind(tmp_path) -> None:
    store = Store.open(tmp_path / "x.db")
    store.sync_source("s", "release_notes", "http://127.0.0.1/")
    bad = change("z")
    bad.title = None  # type: ignore[assignment]  (NOT NULL: the statement fails half way)
    try:
        with store.transaction():
            store.add_changes([change("y"), bad])
    except Exception as exc:  # noqa: BLE001
        assert "NOT NULL" in str(exc)
    else:
        raise AssertionError("the batch should have failed")
    assert stored(store) == [] and store.integrity() == "ok"


# --- indented JSON of every --json ----------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=30)


def _emitted(value, capsys) -> str:
    from driftwatch.cli import emit_json

    capsys.readouterr()
    emit_json(value)
    return capsys.readouterr().out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_json_output_reads_back_as_the_data(value, capsys) -> None:
    import json

    assert json.loads(_emitted(value, capsys)) == value


def test_json_output_of_a_check_report_is_indented_unescaped_text(capsys) -> None:
    import datetime as dt
    import json
    from pathlib import Path

    report = {"sources": [{"name": "s", "status": "ok", "error": None, "entries": 3}], "changes": [
        {"id": "DW-1", "title": "Ünïcode \"quotes\" \n and \u2028 \x00", "categories": [], "reasons": ["a"],
         "security_relevant": True, "score": 0.1, "labels": {}}], "at": dt.date(2026, 12, 2), "path": Path("/x")}
    out = _emitted(report, capsys)
    assert json.loads(out) == {**report, "at": "2026-12-02", "path": "/x"}
    assert out.startswith('{\n  "sources": [\n    {\n      "name": "s"') and "Ünïcode" in out


def test_new_entries_are_in_the_full_text_index_and_it_is_sound(tmp_path) -> None:
    from driftwatch.models import ParsedEntry

    store = Store.open(tmp_path / "x.db")
    store.sync_source("s", "release_notes", "http://127.0.0.1/")
    first = [ParsedEntry("2026-12-01", f"Entry {i}", f"body {i} quokka" if i % 2 else f"body {i}", "l") for i in range(5)]
    with store.transaction():
        ids = store.insert_entries("s", first) + store.insert_entries("s", first[:0])
        more = store.insert_entries("s", [ParsedEntry("2026-12-02", "Late", "another quokka", "l")])
    hits = [r[0] for r in store.db.execute("select rowid from entries_fts where entries_fts match 'quokka' order by rowid")]
    assert hits == [ids[1], ids[3], more[0]]
    store.update_entry_text(ids[1], ParsedEntry("2026-12-01", "Entry 1", "no longer", "l"), "diff")
    hits = [r[0] for r in store.db.execute("select rowid from entries_fts where entries_fts match 'quokka' order by rowid")]
    assert hits == [ids[3], more[0]]
    store.db.execute("insert into entries_fts (entries_fts) values ('integrity-check')")  # raises when unsound


# --- a command imports what it runs ---------------------------------------------------------

LAZY_CHECK = """
import os, sys
from click.testing import CliRunner
from driftwatch.cli import cli
done = CliRunner().invoke(cli, ["--config", os.environ["CONFIG"], "check", "--json"])
assert done.exit_code in (0, 1), done.output
assert '"sources"' in done.stdout, done.output
loaded = set(sys.modules)
unwanted = {"driftwatch.watchers.collect", "driftwatch.app.digest", "driftwatch.app.triage", "driftwatch.schedule",
            "apscheduler", "rich.progress", "httpx._main", "pygments"}
print(sorted(unwanted & loaded))
"""


def test_a_check_with_no_workspace_imports_no_collector_scheduler_or_progress_bar(tmp_path, web) -> None:
    from .test_watchers import CURRENT

    url = web.page("/notes", CURRENT)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "dw.db"}"\n[[sources]]\nname = "notes"\n'
                      f'kind = "release_notes"\nurl = "{url}"\n')
    done = subprocess.run([sys.executable, "-c", LAZY_CHECK], capture_output=True, text=True, timeout=180,
                          env={**__import__("os").environ, "CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_httpx_without_its_command_line_client_is_whole() -> None:
    code = ("import sys\nfrom driftwatch._httpx import httpx\nassert 'httpx._main' not in sys.modules\n"
            "assert httpx.Client and httpx.get and httpx.HTTPError\n"
            "import httpx._main\nassert httpx._main.main is not None and callable(httpx.main)\n"
            "import httpx as again\nassert again is httpx\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    from driftwatch import app

    assert sorted(app.__all__) == sorted(n for n in dir(app) if n in app.__all__)
    assert app.check_sources.__module__ == "driftwatch.app.watch" and callable(app.take_snapshots)
