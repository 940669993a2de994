"""One check of the configured sources: fetch, parse, reconcile, classify, store.

Each source is stored in its own transaction, after its network work is done:
a crash or a kill half way through leaves every source either fully checked
or untouched (its validators unchanged), and the next check redoes it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

from driftwatch.config import SourceConfig
from driftwatch.models import Classification, NewChange, ParsedEntry, public_change
from driftwatch.store import Store

from .entries import Reconciliation, health, reconcile
from .feeds import parse_feed
from .fetch import Fetcher, FetchResult
from .release_notes import ParseResult, parse_release_notes

log = logging.getLogger("driftwatch.check")

Classifier = Callable[[str, str], Classification]  # may also offer classify_many(pairs) for batches


@dataclass
class SourceOutcome:
    name: str
    status: str  # ok, unchanged, broken, error
    entries: int = 0
    new: int = 0
    edited: int = 0
    removed: int = 0
    error: str | None = None
    change_refs: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("change_refs")
        return data


@dataclass
class CheckReport:
    sources: list[SourceOutcome]
    changes: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"sources": [s.as_dict() for s in self.sources], "changes": self.changes}


def charset_of(content_type: str | None) -> str | None:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    return match.group(1) if match else None


def parse_body(kind: str, body: bytes, url: str, today: dt.date, content_type: str | None = None) -> ParseResult:
    if kind == "feed":
        return parse_feed(body, url)
    return parse_release_notes(body, url, today=today, encoding=charset_of(content_type))


class SourceChecker:
    """Applies fetch results and parses of one source to the store."""

    def __init__(self, store: Store, classify: Classifier, *, today: dt.date | None = None,
                 alert_after_failures: int = 3) -> None:
        self.store = store
        self.classify = classify
        self.today = today or store.clock().date()
        self.alert_after_failures = alert_after_failures

    # --- entry point for a fetched source ---------------------------------------------------

    def apply_fetch(self, source: SourceConfig, result: FetchResult, run_id: int | None) -> SourceOutcome:
        store = self.store
        with store.transaction():
            state = store.sync_source(source.name, source.kind, source.url)
            fetch_fields = {
                "started_at": store.now(),
                "duration_ms": result.duration_ms,
                "status_code": result.status_code,
                "bytes": len(result.body),
                "error": result.error,
            }
            if result.error is not None:
                store.record_fetch(source.name, run_id, outcome="error", **fetch_fields)
                return self._failed(source, state, result.error, run_id)
            if result.not_modified:
                store.record_fetch(source.name, run_id, outcome="unchanged", **fetch_fields)
                refs = self._recovered_from_errors(source, state, run_id)
                if state["status"] != "ok" or state.get("consecutive_failures"):
                    store.update_source(source.name, status="ok", status_reason=None,
                                        consecutive_failures=0, status_since=store.now())
                return SourceOutcome(source.name, "unchanged", entries=int(state.get("entry_count") or 0),
                                     change_refs=refs)
            body_id = store.latest_body_id(source.name, result.sha256) or store.store_body(
                source.name, result.final_url or source.url, result.content_type, result.body, result.sha256
            )
            store.record_fetch(source.name, run_id, outcome="changed", body_id=body_id, **fetch_fields)
            try:
                parsed = parse_body(source.kind, result.body, result.final_url or source.url, self.today,
                                    result.content_type)
            except Exception as exc:  # a parser bug must not stop the other sources
                log.exception("parser failed for %s", source.name)
                parsed = ParseResult(entries=[], dates_found=0, warnings=[f"parser error: {exc}"])
            outcome = self.apply_parse(source, parsed, run_id)
            store.update_source(source.name, etag=result.etag, last_modified=result.last_modified)
            return outcome

    # --- shared by check and replay ---------------------------------------------------------

    def apply_parse(self, source: SourceConfig, parsed: ParseResult, run_id: int | None) -> SourceOutcome:
        """Reconcile one parse with the store (call inside a transaction)."""
        store = self.store
        state = store.source(source.name) or store.sync_source(source.name, source.kind, source.url)
        stored = store.entries(source.name)
        plan = reconcile(stored, parsed.entries)
        reason = health(
            kind=source.kind,
            entries=len(parsed.entries),
            dates_found=parsed.dates_found,
            stored_live=len(stored),
            missing=len(plan.missing),
        )
        if reason is None and parsed.warnings and not parsed.entries:
            reason = parsed.warnings[0]
        if reason is not None:
            return self._broken(source, state, reason, run_id)
        refs = self._store_plan(source, plan, run_id) + self._recovered_from_errors(source, state, run_id)
        now = store.now()
        fields: dict[str, Any] = {
            "status": "ok",
            "status_reason": None,
            "last_checked_at": now,
            "last_success_at": now,
            "consecutive_failures": 0,
            "entry_count": store.count_entries(source.name),
        }
        if state["status"] != "ok":
            fields["status_since"] = now
        if refs:
            fields["last_changed_at"] = now
        if state["status"] == "broken":
            refs += self._health_change(
                source, "source_recovered", f"Source {source.name} parses again",
                f"It was broken since {state.get('status_since')}: {state.get('status_reason')}",
                "source recovered", run_id, relevant=False)
        store.update_source(source.name, **fields)
        return SourceOutcome(
            source.name,
            "ok",
            entries=fields["entry_count"],
            new=len(plan.new),
            edited=len(plan.edited),
            removed=len(plan.removed),
            change_refs=refs,
        )

    def _store_plan(self, source: SourceConfig, plan: Reconciliation, run_id: int | None) -> list[str]:
        store = self.store
        refs: list[str] = []
        store.touch_entries(plan.seen_ids)
        texts = [(e.title, e.body) for e in plan.new] + [(e.title, e.body) for _r, e, _d in plan.edited]
        results = iter(self._classify_all(texts))
        for entry in plan.new:
            entry_id = store.insert_entry(source.name, entry)
            refs += self._entry_change(source, "new_entry", entry, entry_id, 1, run_id, next(results))
        for row, entry, diff in plan.edited:
            version = store.update_entry_text(row["id"], entry, diff, new_key=entry.key)
            refs += self._entry_change(source, "edited_entry", entry, row["id"], version, run_id, next(results),
                                       diff=diff)
        for row, misses, removed in plan.missing:
            store.mark_missing(row["id"], misses, removed)
            if removed:
                ref = store.add_change(
                    NewChange(
                        kind="removed_entry",
                        title=row["title"],
                        dedupe_key=f"entry:{row['id']}:removed:{row['version']}",
                        source=source.name,
                        entry_id=row["id"],
                        entry_version=row["version"],
                        date=row["date"],
                        link=row["link"],
                        summary="No longer on the page (missing from two successful parses in a row).",
                        classification=Classification(False, "info", ["other"], ["entry removed by the vendor"], "rules"),
                    ),
                    run_id,
                )
                if ref:
                    refs.append(ref)
        return refs

    def _classify_all(self, texts: list[tuple[str, str]]) -> list[Classification]:
        """One batch through the model when it can (spaCy's pipe is much faster than one by one)."""
        many = getattr(self.classify, "classify_many", None)
        if many is not None:
            return list(many(texts))
        return [self.classify(title, body) for title, body in texts]

    def _entry_change(
        self,
        source: SourceConfig,
        kind: str,
        entry: ParsedEntry,
        entry_id: int,
        version: int,
        run_id: int | None,
        classification: Classification,
        diff: str | None = None,
    ) -> list[str]:
        ref = self.store.add_change(
            NewChange(
                kind=kind,
                title=entry.title,
                dedupe_key=f"entry:{entry_id}:v{version}",
                source=source.name,
                entry_id=entry_id,
                entry_version=version,
                date=entry.date,
                link=entry.link,
                summary=entry.body[:2000],
                classification=classification,
                details={"diff": diff} if diff else {},
            ),
            run_id,
        )
        return [ref] if ref else []

    # --- failure states ---------------------------------------------------------------------

    def _health_change(self, source: SourceConfig, kind: str, title: str, summary: str, reason: str,
                       run_id: int | None, *, relevant: bool) -> list[str]:
        """A source-health item (broken, failing, recovered); its dedupe key holds the moment."""
        now = self.store.now()
        ref = self.store.add_change(
            NewChange(
                kind=kind,
                title=title,
                dedupe_key=f"{kind}:{source.name}:{now}",
                source=source.name,
                summary=summary,
                link=source.url,
                date=now[:10],
                classification=Classification(relevant, "medium" if relevant else "info", ["other"], [reason],
                                              "rules"),
            ),
            run_id,
        )
        return [ref] if ref else []

    def _failed(self, source: SourceConfig, state: dict[str, Any], error: str, run_id: int | None) -> SourceOutcome:
        """One more failure; the Nth in a row raises one alert (not one per run)."""
        store = self.store
        failures = int(state.get("consecutive_failures") or 0) + 1
        since = store.now() if state["status"] not in ("error", "broken") else state["status_since"]
        store.update_source(
            source.name,
            status="error" if state["status"] != "broken" else "broken",
            status_reason=error if state["status"] != "broken" else state["status_reason"],
            last_checked_at=store.now(),
            consecutive_failures=failures,
            status_since=since,
        )
        refs: list[str] = []
        if failures == self.alert_after_failures and state["status"] != "broken":
            refs = self._health_change(
                source, "source_failing", f"Source {source.name} failed {failures} times in a row: {error}", error,
                f"source failing since {since}: {error} (changes from this source are not being seen)", run_id,
                relevant=True)
        return SourceOutcome(source.name, "error", entries=store.count_entries(source.name), error=error,
                             change_refs=refs)

    def _recovered_from_errors(self, source: SourceConfig, state: dict[str, Any], run_id: int | None) -> list[str]:
        failures = int(state.get("consecutive_failures") or 0)
        if state["status"] != "error" or failures < self.alert_after_failures:
            return []
        return self._health_change(
            source, "source_recovered", f"Source {source.name} answers again",
            f"It failed {failures} times in a row since {state.get('status_since')}: {state.get('status_reason')}",
            "source recovered", run_id, relevant=False)

    def _broken(self, source: SourceConfig, state: dict[str, Any], reason: str, run_id: int | None) -> SourceOutcome:
        """Trust nothing from this parse: no entry is touched, one change says why."""
        store = self.store
        now = store.now()
        refs: list[str] = []
        if state["status"] != "broken":
            refs = self._health_change(
                source, "source_broken", f"Source {source.name} is broken: {reason}", reason,
                f"source broken: {reason} (changes from this source are not being seen)", run_id, relevant=True)
        store.update_source(
            source.name,
            status="broken",
            status_reason=reason,
            status_since=now if state["status"] != "broken" else state["status_since"],
            last_checked_at=now,
            consecutive_failures=int(state.get("consecutive_failures") or 0) + 1,
        )
        return SourceOutcome(
            source.name, "broken", entries=store.count_entries(source.name), error=reason, change_refs=refs
        )


FAILED_STATUSES = ("error", "broken", "blocked")  # a source that could not be read this time


def run_status(outcomes: list[SourceOutcome]) -> str:
    """``ok`` when every source was read, ``partial`` when some failed, ``failed`` when all did."""
    failed = sum(1 for o in outcomes if o.status in FAILED_STATUSES)
    if not failed:
        return "ok"
    return "failed" if failed == len(outcomes) else "partial"


def run_check(
    store: Store,
    sources: Iterable[SourceConfig],
    fetcher: Fetcher,
    classify: Classifier,
    *,
    on_source_done: Callable[[SourceOutcome], None] | None = None,
    alert_after_failures: int = 3,
    summaries: bool = True,
) -> CheckReport:
    """Check every source; one failing source never stops the others.

    ``summaries=False`` skips reading the new changes back for the report (the worker
    does not print them).
    """
    checker = SourceChecker(store, classify, alert_after_failures=alert_after_failures)
    run_id = store.start_run("check")
    outcomes: list[SourceOutcome] = []
    status = "failed"
    try:
        for source in sources:
            if not source.enabled:
                continue
            state = store.source(source.name) or {}
            same_url = state.get("url") == source.url
            result = fetcher.fetch(
                source.url,
                etag=state.get("etag") if same_url else None,
                last_modified=state.get("last_modified") if same_url else None,
            )
            outcome = checker.apply_fetch(source, result, run_id)
            log.info("source %s: %s (%d entries, %d new, %d edited)", source.name, outcome.status,
                     outcome.entries, outcome.new, outcome.edited)
            outcomes.append(outcome)
            if on_source_done:
                on_source_done(outcome)
        status = run_status(outcomes)
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status, {"sources": len(outcomes)})
    refs = [ref for outcome in outcomes for ref in outcome.change_refs]
    changes = [public_change(row) for row in store.changes_by_ref(refs)] if summaries else []
    return CheckReport(outcomes, changes)


def replay_source(store: Store, source: SourceConfig, classify: Classifier) -> SourceOutcome:
    """Re-parse the newest stored body of a source, without the network."""
    bodies = list(store.bodies(source.name))
    if not bodies:
        raise LookupError(f"no stored page bodies for source {source.name!r}; run a check first")
    latest = bodies[-1]
    checker = SourceChecker(store, classify)
    run_id = store.start_run("replay")
    with store.transaction():
        parsed = parse_body(source.kind, latest["body"], latest["url"] or source.url, checker.today,
                            latest["content_type"])
        outcome = checker.apply_parse(source, parsed, run_id)
    store.finish_run(run_id, "ok", {"source": source.name, "body_id": latest["id"]})
    return outcome
