"""The ``driftwatch`` command line: parses options, calls the core, renders with Rich or JSON.

Every command that prints data takes ``--json`` and then writes nothing but
JSON to stdout (logs and progress go to stderr). Exit codes (README, "Exit codes"):
0 all good; 1 the command ran but something operational failed (a source in error or
blocked, a collector failed, doctor found a problem, delivery left messages pending past
``--wait``); 2 bad usage or configuration; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import click
from rich.console import Console

from . import __version__
from .errors import ConfigError, StoreError

if TYPE_CHECKING:  # the real imports happen inside commands, so `--help` starts fast
    from .app import Driftwatch
    from .config import Settings
    from .store import Store

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)


class Failure(click.ClickException):
    exit_code = EXIT_FAILURE


class UsageProblem(click.ClickException):
    exit_code = EXIT_USAGE


class Bounded(click.ParamType):
    """A number within limits; anything else is one line and exit 2 (click's usage text is not shown)."""

    def __init__(self, kind: type, low: float, high: float) -> None:
        self.kind, self.low, self.high = kind, low, high
        self.name = "integer" if kind is int else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.kind) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            try:
                if not text.isascii() or len(text) > 20:
                    raise ValueError
                number = self.kind(text)
            except ValueError:
                number = None
        name = f"--{param.name.replace('_', '-')}" if param is not None and param.name else "value"
        if number is None or number != number or not self.low <= number <= self.high:
            raise UsageProblem(f"{name}: expected {'a whole number' if self.kind is int else 'a number'} "
                               f"from {_plain_number(self.low)} to {_plain_number(self.high)}, "
                               f"got {str(value)[:30]!r}")
        return number


def _plain_number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


class State:
    def __init__(self, config_path: str | None, log_format: str | None, verbose: int) -> None:
        self.config_path = config_path
        self.log_format = log_format
        self.verbose = verbose
        self.create_dirs = False  # only `init` creates a missing database folder
        self.started = time.monotonic()  # `--wait` bounds the whole command, its imports included
        self._settings: Settings | None = None
        self._app: Driftwatch | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from .config import load_settings
            from .paths import check_data_dir

            check_data_dir()
            settings = load_settings(self.config_path)
            setup_logging(self.log_format or settings.log_format, self.verbose, configured_level(settings))
            self._settings = settings
        return self._settings

    @property
    def app(self) -> Driftwatch:
        """The application; first the database folder must exist (only ``init`` creates it)."""
        if self._app is None:
            from .app.context import Driftwatch

            check_db_folder(self.settings.db_path, create=self.create_dirs or db_path_is_default(self.settings))
            self._app = Driftwatch(self.settings)
        return self._app

    def open_store(self) -> Store:
        return self.app.open_store()


def configured_level(settings: Settings) -> str | None:
    """``[log] level`` when the config file sets it (else each face keeps its own default)."""
    log_config = settings.config.log
    return log_config.level if "level" in log_config.model_fields_set else None


def setup_logging(fmt: str, verbose: int, level: str | None = None, default: int = logging.WARNING) -> None:
    """``-v`` / ``-vv`` win, then ``[log] level``, then the face's default (commands: warnings)."""
    from .logs import configure

    if verbose:
        chosen = logging.DEBUG if verbose > 1 else logging.INFO
    elif level:
        chosen = logging.getLevelName(level.upper())
    else:
        chosen = default
    configure(fmt, chosen)


def db_path_is_default(settings: Settings) -> bool:
    """The built-in ``data/driftwatch.db`` (no $DRIFTWATCH_DB, no [storage] path) cannot be a typo."""
    import os

    return not os.environ.get("DRIFTWATCH_DB") and "path" not in settings.config.storage.model_fields_set


def check_db_folder(db_path: Path, *, create: bool = False) -> None:
    """A typo in the database path is an error naming it, not a new empty database somewhere."""
    folder = db_path.parent
    if folder.is_dir():
        return
    if create:
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise ConfigError(f"{db_path}: the database folder {folder} does not exist "
                      "(check $DRIFTWATCH_DB / [storage] path, or create it with `driftwatch init`)")


def warn_waiting(state: State, store: Store, *, console: Console | None = None) -> int:
    """Say how many Slack messages wait because no token is set (stderr by default); returns the count."""
    waiting = state.app.notifier.waiting(store)
    if waiting and not state.settings.secrets.get("SLACK_BOT_TOKEN"):
        (console or err).print(f"{waiting} Slack alert{'s' if waiting != 1 else ''} waiting in the outbox: "
                               "set SLACK_BOT_TOKEN to deliver them (`driftwatch outbox` lists them)", markup=False)
    return waiting


def emit_json(data: Any) -> None:
    """Indented JSON, by orjson: the standard library cannot indent with its C encoder, and a
    first check prints 15,000 changes. Anything not JSON by nature (paths) is printed as text."""
    import orjson

    click.echo(orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def handle_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise UsageProblem(f"config error: {exc}") from None
        except StoreError as exc:
            raise Failure(str(exc)) from None
        except sqlite3.OperationalError as exc:
            from .busy import is_busy

            if is_busy(exc):
                raise Failure(f"the database is busy (another process is writing): {exc}; try again") from None
            raise
        except FileNotFoundError as exc:  # e.g. a bundled data file removed from DRIFTWATCH_DATA_DIR
            raise UsageProblem(f"{exc.filename or exc}: file not found") from None

    return wrapper  # type: ignore[return-value]


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON only, on stdout.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="driftwatch")
@click.option("--config", "config_path", metavar="PATH", help="TOML config file (else $DRIFTWATCH_CONFIG, else ./driftwatch.toml).")
@click.option("--log-format", type=click.Choice(["text", "json"]), help="Log format on stderr (else $DRIFTWATCH_LOG_FORMAT).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_format: str | None, verbose: int) -> None:
    """Watch an AI vendor's release notes and your ChatGPT Enterprise settings,
    and flag the changes that weaken your security defaults."""
    ctx.obj = State(config_path, log_format, verbose)


# --- init -----------------------------------------------------------------------------------


@cli.command()
@click.option("--write-config", is_flag=True, help="Also write a starter driftwatch.toml here if none exists.")
@json_option
@click.pass_obj
@handle_errors
def init(state: State, write_config: bool, as_json: bool) -> None:
    """Create or upgrade the database (and optionally a starter config)."""
    written = None
    if write_config:
        target = Path("driftwatch.toml")
        if not target.exists():
            from .paths import data_file

            target.write_text(data_file("driftwatch.example.toml").read_text())
            written = str(target)
    state.create_dirs = True
    settings = state.settings
    with state.open_store() as store:
        info = {
            "database": str(settings.db_path),
            "schema_version": store.schema_version,
            "config": str(settings.config_path) if settings.config_path else None,
            "config_written": written,
            "sources": [s.name for s in settings.sources],
            "default_sources": settings.sources_are_default,
        }
    if as_json:
        emit_json(info)
        return
    out.print(f"Database ready: [bold]{info['database']}[/] (schema version {info['schema_version']})")
    out.print(f"Config: {info['config'] or 'built-in defaults'}" + (f" (wrote {written})" if written else ""))
    origin = "default source pack" if settings.sources_are_default else "config"
    out.print(f"{len(info['sources'])} sources from the {origin}.")


# --- check ----------------------------------------------------------------------------------


@cli.command()
@click.option("--source", "source_names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@json_option
@click.pass_obj
@handle_errors
def check(state: State, source_names: tuple[str, ...], as_json: bool) -> None:
    """Fetch every source, store new and edited entries as classified changes."""
    from .app.watch import check_sources

    if as_json or not err.is_terminal:  # no bar to draw: rich.progress is not even imported
        result = check_sources(state.app, source_names)
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        total = len(source_names) if source_names else len(state.settings.sources)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err,
                      transient=True) as progress:
            task = progress.add_task("checking sources", total=total)
            result = check_sources(state.app, source_names, on_source_done=lambda _o: progress.advance(task))
    with state.app.store() as store:  # with --json the warning goes to stderr; else it is part of the report
        waiting = warn_waiting(state, store, console=err if as_json else out)
    from driftwatch.watchers.check import FAILED_STATUSES

    failed = [s.name for s in result.report.sources if s.status in FAILED_STATUSES]
    failed += [f"{o.workspace}/{c}" for o in result.snapshots for c in o.errors]
    if as_json:
        emit_json({**result.as_dict(), "waiting": waiting, "failed": failed})
        raise SystemExit(EXIT_FAILURE if failed else EXIT_OK)
    from ._terminal import changes_table, check_table

    report = result.report
    out.print(check_table([s.as_dict() for s in report.sources]))
    if result.snapshots:
        from ._terminal import snapshot_lines

        for outcome in result.snapshots:
            snapshot_lines(out, outcome.as_dict())
    if report.changes:
        rows = [{**c, "ref": c["id"]} for c in report.changes]
        out.print(changes_table(rows, title=f"{len(rows)} new changes"))
    else:
        out.print("No new changes.")
    if failed:
        raise Failure(f"{len(failed)} failed: {', '.join(failed)}")


# --- replay ---------------------------------------------------------------------------------


@cli.command()
@click.argument("source_name", metavar="SOURCE")
@json_option
@click.pass_obj
@handle_errors
def replay(state: State, source_name: str, as_json: bool) -> None:
    """Re-parse a source's stored page bodies without the network."""
    from .app import replay as replay_source

    try:
        outcome = replay_source(state.app, source_name)
    except LookupError as exc:
        raise Failure(str(exc)) from None
    if as_json:
        emit_json(outcome.as_dict())
        return
    from ._terminal import check_table

    out.print(check_table([outcome.as_dict()], title=f"Replay of {source_name}"))


# --- changes --------------------------------------------------------------------------------


@cli.command()
@click.option("--since", metavar="DATE", help="Detected on or after DATE (2025-11-20) or within a span (7d, 12h, 2w).")
@click.option("--source", metavar="NAME", help="Only changes from this source.")
@click.option("--limit", type=Bounded(int, 1, 1_000_000), default=None, help="At most this many (newest first).")
@json_option
@click.pass_obj
@handle_errors
def changes(state: State, since: str | None, source: str | None, limit: int | None, as_json: bool) -> None:
    """List stored changes, newest first, with their acknowledgement state."""
    from .timeutil import iso, parse_since

    since_iso = None
    if since:
        try:
            since_iso = iso(parse_since(since))
        except ValueError as exc:
            raise UsageProblem(f"--since: {exc}") from None
    with state.open_store() as store:
        if source and source not in {s.name for s in state.settings.sources} | {r["name"] for r in store.sources()}:
            state.settings.source(source)  # an unknown name is a usage error, as for `check --source`
        rows = store.changes(since=since_iso, source=source, limit=limit)
    if as_json:
        from .export import public_change

        emit_json({"changes": [public_change(r) for r in rows]})
        return
    from ._terminal import changes_table

    out.print(changes_table(rows, title=f"{len(rows)} changes"))


@cli.command()
@click.argument("ref", metavar="ID")
@json_option
@click.pass_obj
@handle_errors
def item(state: State, ref: str, as_json: bool) -> None:
    """Show one change (DW-42) in full: versions and acknowledgements."""
    with state.open_store() as store:
        row = store.change(ref)
        if row is None:
            raise Failure(f"no change {ref!r}")
        versions = store.entry_versions(row["entry_id"]) if row.get("entry_id") else []
        acks = store.acks(row["id"])
        names = store.people_names(a["actor"] for a in acks if a.get("actor"))
        acks = [{**a, "actor_name": names.get(a["actor"])} for a in acks]
    from .export import public_change

    data = {**public_change(row), "details": row.get("details") or {}, "versions": versions, "acks": acks}
    if as_json:
        emit_json(data)
        return
    from rich.text import Text

    from ._terminal import severity_text

    out.print(Text.assemble((f"{data['id']} ", "bold"), severity_text(data["severity"]), " ", data["title"]))
    for label in ("kind", "source", "workspace", "date", "link", "detected_at"):
        if data.get(label):
            out.print(Text(f"  {label}: {data[label]}"))
    out.print(Text(f"  categories: {', '.join(data['categories'])}"))
    if data.get("actor") or data.get("changed_at"):
        out.print(Text(f"  changed by: {data.get('actor') or 'unknown'} ({data.get('actor_type') or 'type unknown'}) "
                       f"at {data.get('changed_at')}" + (f" from {data['actor_ip']}" if data.get("actor_ip") else "")))
    for reason in data["reasons"]:
        out.print(Text(f"  why: {reason}", style="italic"))
    if data.get("summary"):
        out.print(Text("\n" + data["summary"]))
    for version in versions:
        out.print(Text(f"\nversion {version['version']} seen {version['seen_at']}", style="bold"))
        if version.get("diff"):
            out.print(Text(version["diff"]))
    for ack in acks:
        who = ack.get("actor_name") or ack["actor"]
        out.print(Text(f"{ack['at']} {ack['action']} by {who} via {ack['via']}: {ack.get('note') or ''}"))


# --- sources --------------------------------------------------------------------------------


@cli.command()
@json_option
@click.pass_obj
@handle_errors
def sources(state: State, as_json: bool) -> None:
    """Health of every configured source: status, last success, broken reason."""
    settings = state.settings
    with state.open_store() as store:
        known = {row["name"]: row for row in store.sources()}
    rows = []
    for source in settings.sources:
        row = known.get(source.name, {})
        rows.append({
            "name": source.name, "kind": source.kind, "interval": source.interval,
            # where it is fetched: a permanent redirect of the configured URL moved it
            "url": row["url"] if row.get("moved_from") == source.url else source.url,
            "status": row.get("status", "new"), "reason": row.get("status_reason"),
            "entries": row.get("entry_count", 0), "last_checked_at": row.get("last_checked_at"),
            "last_success_at": row.get("last_success_at"),
            "consecutive_failures": row.get("consecutive_failures", 0),
        })
    if as_json:
        emit_json({"sources": rows})
        return
    from ._terminal import sources_table

    out.print(sources_table(rows))


# --- digest ---------------------------------------------------------------------------------


@cli.command()
@click.option("--post", is_flag=True, help="Post it to the Slack channel (once per period).")
@click.option("--force", is_flag=True, help="With --post: post even if this period was already posted.")
@click.option("--wait", type=Bounded(float, 0, 3600), default=15.0, show_default=True,
              help="With --post: seconds to wait out Slack rate limits before leaving the rest to the worker.")
@json_option
@click.pass_obj
@handle_errors
def digest(state: State, post: bool, force: bool, wait: float, as_json: bool) -> None:
    """Build the digest: changes since the last digest plus earlier ones still open."""
    from .app import build_digest

    if force and not post:
        raise UsageProblem("--force only makes sense with --post")
    if post:
        settings = state.settings
        if not settings.config.slack.channel:
            raise UsageProblem("set [slack] channel in the config to the channel id digests go to")
        if not settings.secrets.get("SLACK_BOT_TOKEN"):
            raise UsageProblem("SLACK_BOT_TOKEN is not set")
        result = _post_digest_within(state, force=force, wait=wait)
        if as_json:
            emit_json(result)
            raise SystemExit(EXIT_FAILURE if result["status"] == "posting" else EXIT_OK)
        if result["status"] == "already_posted":
            out.print(f"The digest for the period starting {result['period']} was already posted "
                      f"(ts {result.get('ts')}); nothing posted. Use --force to post it again.")
        elif result["status"] == "posting":
            errors = (result.get("delivery") or {}).get("errors") or []
            out.print(f"The digest is queued ({result['items']} items) but Slack has not taken all of it yet: "
                      f"{'; '.join(errors[-3:])}. The worker (or `driftwatch deliver`) "
                      "will finish it; it will not be posted twice.")
        else:
            out.print(f"Posted the digest: {result['items']} items to {result['channel']} (ts {result['ts']}).")
        if result["status"] == "posting":
            raise SystemExit(EXIT_FAILURE)  # delivery left messages pending past --wait
        return
    with state.open_store() as store:
        result = build_digest(state.app, store)
    if as_json:
        emit_json(result)
        return
    from ._terminal import print_digest

    print_digest(out, result)


def _post_digest_within(state: State, *, force: bool, wait: float) -> dict[str, Any]:
    """Post the digest, returning about ``wait`` seconds after the command started whatever Slack does."""
    from .app import Driftwatch, post_digest
    from .deadline import BoundedDelivery

    app = Driftwatch(state.settings, notifier=BoundedDelivery(state.app.notifier, state.started + wait))
    with app.store() as store:
        run_id = store.start_run("digest")
    try:
        result = post_digest(app, force=force, max_wait=wait)
    except BaseException as exc:
        with app.store() as store:
            store.finish_run(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
                             {"error": str(exc)[:500]})
        raise
    with app.store() as store:
        store.finish_run(run_id, "ok", {"status": result["status"], "period": result["period"], "via": "cli"})
    return result


# --- classifier -----------------------------------------------------------------------------


@cli.command(name="classify")
@click.argument("input_file", metavar="[FILE]", required=False, type=click.File("r", encoding="utf-8"))
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False), help="Model folder (default: the shipped model).")
@handle_errors
def classify_cmd(input_file: Any, model_dir: str | None) -> None:
    """Classify JSON Lines (id, title, body) from FILE or stdin; one JSON line out per input."""
    from .classify.batch import classify_lines

    stream = input_file or sys.stdin
    classifier = _classifier(model_dir)
    good = bad = 0
    for number, result, error in classify_lines(classifier, stream):
        if error:
            bad += 1
            err.print(f"line {number}: {error}", markup=False, highlight=False)
        else:
            good += 1
            click.echo(json.dumps(result, ensure_ascii=False))
    if bad and not good:
        raise Failure(f"no line could be classified ({bad} bad)")


def _classifier(model_dir: str | None) -> Any:
    from .classify import default_classifier
    from .classify.model import Classifier

    try:
        return Classifier.load(model_dir) if model_dir else default_classifier()
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise Failure(f"cannot load the classifier model: {exc}") from None


def _labelled(path: str) -> list[dict[str, Any]]:
    from .classify.train import read_examples

    try:
        return read_examples(Path(path))
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None


@cli.command()
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False), help="Supplementary labelled JSONL (default data/classifier/train.jsonl); the real labelled file in ../shared/classifier is added when present.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Model folder (default: classifier-model beside the database).")
@click.option("--no-real", is_flag=True, help="Do not add ../shared/classifier/real-labelled.jsonl even when present.")
@json_option
@click.pass_obj
@handle_errors
def train(state: State, data_path: str | None, out_dir: str | None, no_real: bool, as_json: bool) -> None:
    """Train the classifier (deterministic); thresholds chosen by grouped cross-validation."""
    from .classify.train import train as run_training

    target = Path(out_dir) if out_dir else state.settings.db_path.parent / "classifier-model"
    if data_path:
        _labelled(data_path)  # a bad file stops here with its line number
    summary = run_training(Path(data_path) if data_path else None, target, use_real=not no_real)
    if as_json:
        emit_json(summary)
        return
    out.print(f"Trained on {summary['examples']} examples ({summary['real_examples']} real) -> {summary['model']} "
              f"(fingerprint {summary['fingerprint'][:12]})", markup=False)
    if not summary["real_examples"]:
        err.print("note: no real labelled file found (../shared/classifier or $DRIFTWATCH_SHARED_DIR); "
                  "trained on the supplement only", markup=False)


@cli.command(name="eval")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False), help="Labelled JSONL (default data/classifier/dev.jsonl).")
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False), help="Model folder (default: the shipped model).")
@click.option("--folds", type=click.IntRange(min=2), help="Cross-validate on the file instead: K folds grouped by vendor page (source_url).")
@click.option("--mistakes", is_flag=True, help="Also list every misclassified example.")
@json_option
@handle_errors
def eval_cmd(data_path: str | None, model_dir: str | None, folds: int | None, mistakes: bool, as_json: bool) -> None:
    """Relevance, per-category and high-severity P/R/F1, macro-F1 and a severity confusion table."""
    from .classify.train import cross_validate, default_dev_path, evaluate

    rows = _labelled(data_path or str(default_dev_path()))
    if not rows:
        raise UsageProblem("the labelled file has no entries")
    if folds:
        if model_dir:
            raise UsageProblem("--folds trains its own models; it cannot be combined with --model")
        try:
            metrics = cross_validate(rows, folds)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
    else:
        metrics = evaluate(_classifier(model_dir), rows)
    if not mistakes:
        metrics.pop("mistakes")
    if as_json:
        emit_json(metrics)
        return
    _print_eval(metrics)


def _print_eval(metrics: dict[str, Any]) -> None:
    from rich.table import Table

    cv = metrics.get("cross_validation")
    how = (f"{cv['folds']}-fold cross-validation grouped by {cv['grouped_by']} ({cv['groups']} groups)" if cv
           else "the model as it is")
    table = Table(title=f"Evaluation on {metrics['examples']} examples, {how}", title_justify="left")
    for column in ("", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="right" if column else "left")
    rows = [("relevance", metrics["relevance"]), ("high severity", metrics["high_severity"])]
    rows += list(metrics["categories"].items())
    for name, m in rows:
        table.add_row(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    out.print(table)
    out.print(f"category macro-F1 {metrics['category_macro_f1']:.3f} (over {', '.join(metrics['macro_f1_categories'])}) "
              f"· severity accuracy {metrics['severity_accuracy']:.3f}", markup=False)
    confusion = Table(title="Severity: gold (rows) by predicted (columns)", title_justify="left")
    confusion.add_column("gold")
    names = list(metrics["severity_confusion"])
    for name in names:
        confusion.add_column(name, justify="right")
    for gold, counts in metrics["severity_confusion"].items():
        confusion.add_row(gold, *(str(counts[name]) for name in names))
    out.print(confusion)
    if cv and cv.get("rows_without_source_url"):
        out.print(f"note: {cv['note']}", markup=False)
    for mistake in metrics.get("mistakes", []):
        out.print(f"  {mistake['title']}: gold {mistake['gold']} got {mistake['got']}", markup=False)


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Also changes already classified by the current model.")
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False), help="Model folder (default: the shipped model).")
@json_option
@click.pass_obj
@handle_errors
def reclassify(state: State, everything: bool, model_dir: str | None, as_json: bool) -> None:
    """Re-run the classifier over stored changes after a model update; list what moved."""
    from .app import reclassify as reclassify_changes

    summary = reclassify_changes(state.app, everything=everything, classifier=_classifier(model_dir))
    if as_json:
        emit_json(summary)
        return
    out.print(f"Reclassified {summary['reclassified']} changes; severity changed for {summary['severity_changed']}.")
    for moved in summary["moved"]:
        out.print(f"  {moved['id']}  {moved['old'] or '-'} -> {moved['new']}  {moved['title']}", markup=False)
    if summary["alerted"]:
        out.print(f"Alert queued for {', '.join(summary['alerted'])} (now at or above the alert severity).")


# --- posture ----------------------------------------------------------------------------


def _workspaces(state: State, name: str | None) -> list[Any]:
    settings = state.settings
    if name:
        return [settings.workspace(name)]
    if not settings.config.workspaces:
        raise UsageProblem("no [[workspaces]] configured; see README (Workspace posture)")
    return list(settings.config.workspaces)


@cli.command()
@click.option("--workspace", metavar="NAME", help="Only this workspace.")
@json_option
@click.pass_obj
@handle_errors
def snapshot(state: State, workspace: str | None, as_json: bool) -> None:
    """Run the settings collectors and store one snapshot per workspace, with drift."""
    from .app import take_snapshots

    _workspaces(state, workspace)  # a usage error when none is configured or the name is unknown
    outcomes = take_snapshots(state.app, workspace)
    failed = [f"{o.workspace}/{c}" for o in outcomes for c in o.errors]
    if as_json:
        emit_json({"snapshots": [o.as_dict() for o in outcomes]})
        raise SystemExit(EXIT_FAILURE if failed else EXIT_OK)
    from ._terminal import snapshot_lines

    for outcome in outcomes:
        snapshot_lines(out, outcome.as_dict())
    if failed:
        raise Failure(f"collector failed: {', '.join(failed)}")


@cli.command()
@click.option("--workspace", metavar="NAME", help="Only this workspace.")
@json_option
@click.pass_obj
@handle_errors
def posture(state: State, workspace: str | None, as_json: bool) -> None:
    """Every baseline control with pass / fail / unknown / waived, failing first."""
    from .app import posture_report

    targets = _workspaces(state, workspace)
    with state.open_store() as store:
        reports = [posture_report(state.app, store, ws.name) for ws in targets]
    if as_json:
        emit_json(reports[0] if len(reports) == 1 else {"workspaces": reports})
        return
    from ._terminal import print_posture

    for report in reports:
        print_posture(out, report)


@cli.command()
@json_option
@click.pass_obj
@handle_errors
def baseline(state: State, as_json: bool) -> None:
    """The baseline controls (with your config's overrides applied)."""
    from .posture import load_baseline

    try:
        controls = load_baseline(state.settings.config.controls)
    except KeyError as exc:
        raise UsageProblem(f"config error: controls: unknown control {exc.args[0]!r}") from None
    if as_json:
        emit_json({"controls": [c.as_dict() for c in controls]})
        return
    from .posture.wording import expected_words
    from ._terminal import Column, FitTable, plain, severity_text

    table = FitTable([Column("id", 10), Column("vendor", 4), Column("rec", 3), Column("severity", 8), Column("setting", 5, max_width=40),
                      Column("rule", 2), Column("expected", 7, max_width=30),
                      Column("title", 9, flexible=True, min_width=16)], title=f"Baseline: {len(controls)} controls")
    for c in controls:
        table.add_row(plain(c.id), plain(c.vendor), plain(c.recommendation), severity_text(c.severity), plain(", ".join(c.settings)),
                      plain(c.rule), plain(expected_words(c.expected, c.rule, c.settings[0] if c.settings else None)),
                      plain(c.title))
    out.print(table)


@cli.group()
def settings() -> None:
    """The settings catalogue and the attested settings file."""


@settings.command()
@click.option("--workspace", metavar="NAME", help="Name the workspace in the header.")
@handle_errors
def template(workspace: str | None) -> None:
    """Print an attested-settings file with every catalogued key at its default."""
    from driftwatch.watchers.collectors.attested import render_template

    from .posture import load_catalogue

    click.echo(render_template(load_catalogue(), workspace), nl=False)


@settings.command(name="list")
@json_option
@handle_errors
def list_settings(as_json: bool) -> None:
    """Every catalogued setting: key, title, where, default, how it is observed."""
    from dataclasses import asdict

    from .posture import load_catalogue

    items = [asdict(s) for s in load_catalogue().values()]
    if as_json:
        emit_json({"settings": items})
        return
    from rich.table import Table

    from ._terminal import plain

    table = Table(title=f"{len(items)} settings", title_justify="left")
    for column in ("key", "default", "observed", "where"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(plain(item["key"]), plain(json.dumps(item["default"])), plain(", ".join(item["observed"])),
                      plain(item["where"]))
    out.print(table)


@cli.command()
@click.option("--port", type=Bounded(int, 0, 65535), default=3000, show_default=True, help="HTTP port for /slack/events and /healthz.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--socket", is_flag=True, help="Use Slack Socket Mode (no public URL) instead of HTTP.")
@click.pass_obj
@handle_errors
def serve(state: State, port: int, host: str, socket: bool) -> None:
    """Run the Slack app: slash command, buttons, thread replies, App Home."""
    import os

    from driftwatch.bot.app import create_app, http_server, run_socket_mode
    from driftwatch.bot.service import SlackProblem

    settings = state.settings
    state.app  # the database folder must exist
    if socket and not settings.secrets.get("SLACK_APP_TOKEN"):
        raise UsageProblem("SLACK_APP_TOKEN (xapp-...) is not set; Socket Mode needs an app-level token")
    port = int(os.environ.get("PORT", port))  # Heroku-style platforms assign the port
    try:
        app, _service = create_app(settings, socket_mode=socket)
        if socket:
            err.print("driftwatch: Slack app running in Socket Mode")
            run_socket_mode(app, settings)
            return
        server = http_server(app, settings, host, port)
    except SlackProblem as exc:
        raise UsageProblem(str(exc)) from None
    except Exception as exc:  # e.g. auth.test refused the token
        raise Failure(f"cannot start the Slack app: {exc}") from None
    err.print(f"driftwatch: Slack app listening on http://{host}:{server.server_port}/slack/events")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command()
@click.option("--misfire-grace", type=Bounded(int, 1, 7 * 86400), default=3600, show_default=True,
              help="Seconds a missed run may be late and still run (missed runs are coalesced into one).")
@click.option("--once", is_flag=True, help="Run every job once (checks, snapshots, due digest, delivery) and exit.")
@click.pass_obj
@handle_errors
def worker(state: State, misfire_grace: int, once: bool) -> None:
    """Run the scheduler in the foreground: checks, snapshots, digest, delivery, maintenance."""
    from .worker import WorkerLocked, run_once, run_worker

    settings = state.settings
    state.app  # the database folder must exist
    if not state.verbose:  # the worker logs what it does: info unless [log] level says otherwise
        setup_logging(state.log_format or settings.log_format, 0, configured_level(settings), logging.INFO)
    try:
        if once:
            run_once(settings)
        else:
            run_worker(settings, misfire_grace=misfire_grace)
    except WorkerLocked as exc:
        raise Failure(str(exc)) from None


@cli.command()
@click.option("--offline", is_flag=True, help="Skip the checks that use the network (Slack, sources, collectors).")
@json_option
@click.pass_obj
@handle_errors
def doctor(state: State, offline: bool, as_json: bool) -> None:
    """Check config, database, secrets, Slack, sources and collector credentials; say how to fix each."""
    from .doctor import run_doctor

    checks = run_doctor(state.settings, network=not offline)
    failed = [c for c in checks if not c.ok]
    if as_json:
        emit_json({"ok": not failed, "checks": [c.as_dict() for c in checks]})
    else:
        from rich.text import Text

        for check in checks:
            mark = Text("PASS ", style="green") if check.ok else Text("FAIL ", style="bold red")
            out.print(Text.assemble(mark, (check.name, "bold"), ": ", check.detail))
            if check.fix:
                out.print(Text(f"     fix: {check.fix}", style="yellow"))
        out.print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise SystemExit(EXIT_FAILURE)


@cli.command()
@json_option
@click.pass_obj
@handle_errors
def deliver(state: State, as_json: bool) -> None:
    """Run one delivery pass of the Slack outbox by hand."""
    settings = state.settings
    if not (settings.secrets.get("SLACK_BOT_TOKEN") and settings.config.slack.channel):
        raise UsageProblem("Slack is not configured: set SLACK_BOT_TOKEN and [slack] channel")
    from driftwatch.bot.service import SlackService, make_client

    with state.open_store() as store:  # create or upgrade the schema before delivering
        run_id = store.start_run("deliver")
    report = SlackService(make_client(settings), settings).deliver().as_dict()
    with state.open_store() as store:
        store.finish_run(run_id, "ok", {k: v for k, v in report.items() if k != "errors"})
    if as_json:
        emit_json(report)
        return
    out.print(f"sent {report['sent']}, postponed {report['retried']}, failed {report['failed']}, "
              f"waiting {report['waiting']}, recovered {report['recovered']}")
    for error in report["errors"]:
        out.print(f"  {error}", markup=False)


@cli.command()
@json_option
@click.pass_obj
@handle_errors
def outbox(state: State, as_json: bool) -> None:
    """Slack messages waiting to be delivered, and why."""
    from driftwatch.bot.outbox import outbox_summary

    with state.open_store() as store:
        summary = outbox_summary(store)
    if as_json:
        emit_json(summary)
        return
    from ._terminal import outbox_counts_table, outbox_table

    settings = state.settings
    delivery = ("on" if settings.secrets.get("SLACK_BOT_TOKEN") else "waiting for SLACK_BOT_TOKEN") \
        if settings.config.slack.channel else "off (no [slack] channel)"
    out.print(outbox_counts_table(summary["counts"], delivery))
    out.print(outbox_table(summary["pending"] + [{**r, "attempts": "-", "next_attempt_at": "never (failed)"}
                                                 for r in summary["failed"]]))


@cli.command()
@json_option
@click.pass_obj
@handle_errors
def status(state: State, as_json: bool) -> None:
    """Last and next run of every job, the outbox as counts, source health."""
    from .worker import job_rows, next_runs

    settings = state.settings
    with state.open_store() as store:
        counts = store.outbox_counts()
        waiting = state.app.notifier.waiting(store)
        data = {
            "database": str(settings.db_path),
            "schema_version": store.schema_version,
            "jobs": job_rows(settings, store, store.clock()),
            "last_runs": {r["kind"]: {"started_at": r["started_at"], "finished_at": r["finished_at"],
                                      "status": r["status"]} for r in store.last_runs()},
            "next_runs": next_runs(settings, store, store.clock()),
            "outbox": {s: counts.get(s, 0) for s in ("pending", "sending", "sent", "failed")},
            "waiting": waiting,
            "delivery": ("on" if settings.secrets.get("SLACK_BOT_TOKEN") else "waiting for SLACK_BOT_TOKEN")
            if settings.config.slack.channel else "off (no [slack] channel)",
            "sources": [{"name": r["name"], "status": r["status"], "reason": r["status_reason"],
                         "last_success_at": r.get("last_success_at"),
                         "consecutive_failures": r["consecutive_failures"]} for r in store.sources()],
            "audit_log_files": [{k: f.get(k) for k in ("workspace", "collector", "file_id", "end_time", "status",
                                                       "reason", "attempts", "first_failed_at", "change_ref")}
                                for f in store.audit_files(statuses=("retrying", "reported", "expired"))],
        }
    if as_json:
        emit_json(data)
        return
    from ._terminal import jobs_table, outbox_counts_table, status_sources_table

    out.print(jobs_table(data["jobs"]))
    out.print(outbox_counts_table(data["outbox"], data["delivery"]))
    if waiting and not settings.secrets.get("SLACK_BOT_TOKEN"):
        out.print(f"{waiting} Slack alert{'s' if waiting != 1 else ''} waiting in the outbox: "
                  "set SLACK_BOT_TOKEN to deliver them (`driftwatch outbox` lists them)", markup=False)
    out.print(status_sources_table(data["sources"]))
    if data["audit_log_files"]:
        from ._terminal import Column, FitTable, plain, status_text

        files = FitTable([Column("workspace", 6), Column("file", 9), Column("status", 8), Column("attempts", 5),
                          Column("reason", 4, flexible=True), Column("change", 7)], title="Audit log files not applied")
        for row in data["audit_log_files"]:
            files.add_row(plain(row["workspace"]), plain(row["file_id"]), status_text(row["status"]),
                          plain(row["attempts"]), plain(row["reason"]), plain(row["change_ref"] or ""))
        out.print(files)


@cli.command()
@click.option("--since", required=True, metavar="DATE", help="From this date (2025-11-20), timestamp, or span (30d).")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "ocsf"]), default="jsonl", show_default=True,
              help="jsonl and csv: driftwatch.export.v1; ocsf: OCSF 1.3 findings as JSON lines.")
@click.option("--what", default="changes,acks,snapshots,fetches", show_default=True,
              help="Comma-separated record types: changes, acks, snapshots, fetches.")
@click.option("--follow", is_flag=True, help="Keep running and append new records as they arrive.")
@click.option("--interval", type=Bounded(float, 0.1, 86400), default=5.0, show_default=True, help="Seconds between polls with --follow.")
@click.pass_obj
@handle_errors
def export(state: State, since: str, fmt: str, what: str, follow: bool, interval: float) -> None:
    """Write a schema-versioned record stream (driftwatch.export.v1 or OCSF findings) for a SIEM to stdout."""
    import time as _time

    from . import export as exporting
    from .timeutil import iso, parse_since

    kinds = [k.strip() for k in what.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in exporting.KINDS]
    if unknown or not kinds:
        raise UsageProblem(f"--what: unknown record type(s) {', '.join(unknown) or '(none)'}; "
                           f"choose from {', '.join(exporting.KINDS)}")
    try:
        since_iso = iso(parse_since(since))
    except ValueError as exc:
        raise UsageProblem(f"--since: {exc}") from None
    write = exporting.to_jsonl if fmt == "jsonl" else exporting.to_csv
    if fmt == "csv":
        click.echo(exporting.csv_header(), nl=False)
    after: dict[str, int] = {}
    try:
        while True:
            with state.open_store() as store:
                batch = exporting.records(store, since=since_iso, what=kinds, after=after)
                lines = (exporting.ocsf_lines(store, state.settings, batch, kinds) if fmt == "ocsf"
                         else [write(record) for record in batch])
            for line in lines:
                click.echo(line if fmt != "csv" else line.rstrip("\r\n"))
            sys.stdout.flush()
            after = exporting.advance(after, batch)
            if not follow:
                return
            _time.sleep(interval)
    except KeyboardInterrupt:
        return


# --- report ---------------------------------------------------------------------------------


@cli.command()
@click.option("--workspace", metavar="NAME", help="Only this workspace (default: every configured one).")
@click.option("--since", metavar="DATE", default=None,
              help="Period start: a date (2025-11-20), timestamp or span (30d). Default: 90 days before today.")
@click.option("--html", "html_path", required=True, metavar="PATH", help="Write the report to this HTML file.")
@json_option
@click.pass_obj
@handle_errors
def report(state: State, workspace: str | None, since: str | None, html_path: str, as_json: bool) -> None:
    """Write the posture report: one self-contained HTML file to read, print or attach."""
    import datetime as _dt

    from .report import build_report, render_html, report_workspaces, write_html
    from .timeutil import iso, parse_since, utcnow

    try:
        if since:
            start = parse_since(since)
        else:
            today = utcnow().date() - _dt.timedelta(days=90)
            start = _dt.datetime(today.year, today.month, today.day, tzinfo=_dt.timezone.utc)
    except ValueError as exc:
        raise UsageProblem(f"--since: {exc}") from None
    target = Path(html_path)
    if target.is_dir():
        raise UsageProblem(f"--html: {html_path} is a directory; give a file name such as report.html")
    if not target.parent.is_dir():
        raise Failure(f"--html: folder {str(target.parent)!r} does not exist")
    with state.open_store() as store:
        try:
            names = report_workspaces(state.settings, store, workspace)
        except LookupError as exc:
            raise UsageProblem(f"--workspace: {exc.args[0]}") from None
        data = build_report(state.settings, store, workspaces=names, since=start)
    try:
        written = write_html(target, render_html(data))
    except OSError as exc:
        raise Failure(f"cannot write {html_path}: {exc.strerror or exc}") from None
    summary = {"html": str(written), "since": iso(start), "generated_at": data["generated_at"],
               "workspaces": [{"workspace": ws["workspace"], "taken_at": ws["taken_at"], "complete": ws["complete"],
                               "summary": ws["summary"]} for ws in data["workspaces"]],
               "vendor_changes": len(data["vendor_changes"]), "vendor_open": data["vendor_open"],
               "drift_events": len(data["drift_events"])}
    if as_json:
        emit_json(summary)
        return
    for ws in summary["workspaces"]:
        c = ws["summary"]
        out.print(f"{ws['workspace']}: fail {c['fail']}  unknown {c['unknown']}  waived {c['waived']}  pass {c['pass']}",
                  markup=False)
    out.print(f"Wrote {written} (period from {summary['since']}; {summary['vendor_open']} open vendor changes, "
              f"{summary['drift_events']} drift events)", markup=False)


# --- browse ---------------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="HTTP port.")
@click.pass_obj
@handle_errors
def browse(state: State, host: str, port: int) -> None:
    """Browse the database read-only in Datasette (pip install 'driftwatch[browse]')."""
    try:
        import uvicorn
        from datasette.app import Datasette
        from datasette.database import Database
    except ImportError:
        raise UsageProblem("Datasette is not installed: pip install 'driftwatch[browse]'") from None
    from .store_queries import DATABASE_NAME, browse_metadata

    with state.open_store() as store:  # create or upgrade, then fold the WAL in for an immutable reader
        store.checkpoint()
        metadata = browse_metadata(store.table_names())
    path = str(state.settings.db_path)
    datasette = Datasette(metadata=metadata, settings={"default_page_size": 50, "sql_time_limit_ms": 3000})
    datasette.add_database(Database(datasette, path=path, is_mutable=False), name=DATABASE_NAME)
    err.print(f"driftwatch: browsing {path} read-only at http://{host}:{port}/{DATABASE_NAME}", markup=False)
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")


# --- demo -----------------------------------------------------------------------------------


@cli.command()
@click.option("--db", "db_path", default=None, metavar="PATH", help="Demo database (recreated). Default data/demo.db.")
@json_option
@click.pass_obj
@handle_errors
def demo(state: State, db_path: str | None, as_json: bool) -> None:
    """Run the whole pipeline offline on bundled samples (loopback HTTP, fresh database)."""
    from .demo import DEFAULT_DEMO_DB, run_demo

    state.settings  # a broken config is reported even here
    step = (lambda m: None) if as_json else (lambda m: err.print(f"[dim]» {m}[/]"))
    result = run_demo(db_path or DEFAULT_DEMO_DB, step=step)
    if as_json:
        emit_json(result.as_dict())
        return
    from ._terminal import check_table, print_digest

    for number, report in enumerate(result.checks, start=1):
        out.print(check_table([s.as_dict() for s in report.sources], title=f"Check {number}"))
    from ._terminal import print_posture, snapshot_lines

    for outcome in result.snapshots:
        snapshot_lines(out, outcome.as_dict())
    out.print()
    print_digest(out, result.digest)
    out.print()
    print_posture(out, result.posture, only_problems=True)
    out.print(f"Database: [bold]{result.database}[/]  (browse: sqlite-utils tables {result.database})")


def main() -> None:
    try:
        code = cli.main(prog_name="driftwatch", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
