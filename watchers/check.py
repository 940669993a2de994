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
from urllib.parse import urlsplit

from driftwatch.config import SourceConfig
from driftwatch.models import Classification, NewChange, ParsedEntry, entry_details, public_change
from driftwatch.store import Store

from .blocked import Block, detect_block, empty_app_shell
from .entries import Reconciliation, diff_text, health, reconcile
from .feeds import parse_feed
from .fetch import Fetcher, FetchResult
from .release_notes import ParseResult, parse_release_notes

log = logging.getLogger("driftwatch.check")

Classifier = Callable[[str, str], Classification]  # may also offer classify_many(pairs) for batches


@dataclass
class SourceOutcome:
    name: str
    status: str  # ok, unchanged, broken, blocked, error
    entries: int = 0
    new: int = 0
    edited: int = 0
    removed: int = 0
    restored: int = 0
    error: str | None = None  # for ``blocked``: the reason, then "; remedy: ..." (the way through)
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


def parse_body(kind: str, body: bytes, url: str, today: dt.date, content_type: str | None = None, *,
               split_items: bool = False) -> ParseResult:
    if kind == "feed":
        return parse_feed(body, url, split_items=split_items)
    return parse_release_notes(body, url, today=today, encoding=charset_of(content_type))


def one_line(text: str, limit: int = 500) -> str:
    """A reason fit for a table cell, a JSON field and a log line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def unique_by_key(entries: list[ParsedEntry]) -> list[ParsedEntry]:
    """The first of entries that share a key (a feed repeating a guid): two rows cannot share it."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.key not in seen:
            seen.add(entry.key)
            out.append(entry)
    return out


def fetch_source(fetcher: Fetcher, source: SourceConfig, state: dict[str, Any]) -> FetchResult:
    """Fetch a source where it lives now (after a permanent redirect) the way it is configured."""
    same_url = (state.get("moved_from") or state.get("url")) == source.url
    target = (state.get("url") if same_url else None) or source.url
    # A broken source is fetched in full: only a parse can show that it works again.
    validators = same_url and state.get("status") != "broken"
    return fetcher.fetch_page(
        target,
        via=source.fetch,
        etag=state.get("etag") if validators else None,
        last_modified=state.get("last_modified") if validators else None,
    )


class SourceChecker:
    """Applies fetch results and parses of one source to the store."""

    def __init__(self, store: Store, classify: Classifier, *, today: dt.date | None = None,
                 alert_after_failures: int = 3) -> None:
        self.store = store
        self.classify = classify
        self.today = today or store.clock().date()
        self.alert_after_failures = alert_after_failures

    # --- entry point for a fetched source ---------------------------------------------------

    def check_source(self, source: SourceConfig, fetcher: Fetcher, run_id: int | None) -> SourceOutcome:
        """Fetch and apply one source; whatever goes wrong stays with this source.

        The source's writes are one transaction: an unexpected error rolls all of them back,
        then the failure alone is recorded (a one-line reason, counted like a failed fetch)
        and the next check starts over.
        """
        try:
            state = self.store.source(source.name) or {}
            result = fetch_source(fetcher, source, state)
            return self.apply_fetch(source, result, run_id)
        except Exception as exc:  # noqa: BLE001 - one source's bug must not stop the others
            reason = one_line(f"unexpected error: {type(exc).__name__}: {exc}")
            log.error("source %s: %s", source.name, reason)
            log.debug("source %s failed", source.name, exc_info=True)
            with self.store.transaction():
                state = self.store.sync_source(source.name, source.kind, source.url)
                self.store.record_fetch(source.name, run_id, outcome="error", started_at=self.store.now(),
                                        error=reason)
                return self._failed(source, state, reason, run_id)

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
            moved = self._moved(source, state, result, run_id)
            # Refusals and challenges served as errors; a challenge served as 2xx shows up
            # below as a page without entries (so a page that parses never pays for the test).
            block = self._block_of(result) if result.status_code and result.status_code >= 400 else None
            if block is not None:
                store.record_fetch(source.name, run_id, outcome="blocked", **{**fetch_fields, "error": block.reason})
                return self._blocked(source, state, block, run_id, moved)
            if result.error is not None:
                store.record_fetch(source.name, run_id, outcome="error", **fetch_fields)
                outcome = self._failed(source, state, result.error, run_id)
                outcome.change_refs[:0] = moved
                return outcome
            if result.not_modified or self._same_rendered_page(source, state, result):
                store.record_fetch(source.name, run_id, outcome="unchanged", **fetch_fields)
                return self._unchanged(source, state, result, run_id, moved)
            try:
                parsed = parse_body(source.kind, result.body, result.final_url or source.url, self.today,
                                    result.content_type, split_items=source.split_items)
            except Exception as exc:  # noqa: BLE001 - a parser bug is this source's error, body kept for replay
                reason = one_line(f"parser error: {type(exc).__name__}: {exc}")
                log.error("source %s: %s", source.name, reason)
                log.debug("parser failed for %s", source.name, exc_info=True)
                store.record_fetch(source.name, run_id, outcome="error", body_id=self._keep_body(source, result),
                                   **{**fetch_fields, "error": reason})
                outcome = self._failed(source, state, reason, run_id)
                outcome.change_refs[:0] = moved
                return outcome
            block = self._wall_instead_of_page(result) if not parsed.entries else None
            if block is not None:  # not the source's page: not kept, so replay never sees it
                store.record_fetch(source.name, run_id, outcome="blocked", **{**fetch_fields, "error": block.reason})
                return self._blocked(source, state, block, run_id, moved)
            store.record_fetch(source.name, run_id, outcome="changed", body_id=self._keep_body(source, result),
                               **fetch_fields)
            outcome = self.apply_parse(source, parsed, run_id)
            outcome.change_refs[:0] = moved
            if outcome.status == "ok":
                # Validators only for a page that parsed: a broken page is fetched in full again.
                store.update_source(source.name, etag=result.etag, last_modified=result.last_modified)
            return outcome

    def _keep_body(self, source: SourceConfig, result: FetchResult) -> int:
        """The raw body for replay, stored once however often the same bytes come back."""
        return self.store.latest_body_id(source.name, result.sha256) or self.store.store_body(
            source.name, result.final_url or source.url, result.content_type, result.body, result.sha256
        )

    def _block_of(self, result: FetchResult) -> Block | None:
        if result.status_code is None:
            return None
        host = urlsplit(result.final_url or result.url).hostname or ""
        return detect_block(result.status_code, result.body, result.content_type, host=host, via=result.via)

    def _wall_instead_of_page(self, result: FetchResult) -> Block | None:
        """A page without entries that is a challenge page or an empty app shell."""
        return self._block_of(result) or empty_app_shell(result.body, result.content_type, via=result.via)

    def _same_rendered_page(self, source: SourceConfig, state: dict[str, Any], result: FetchResult) -> bool:
        """A rendered page has no conditional GET: the same bytes as the last good parse are unchanged."""
        return (result.via == "browser" and result.ok and state.get("status") == "ok"
                and self.store.latest_body_id(source.name, result.sha256) is not None)

    def _unchanged(self, source: SourceConfig, state: dict[str, Any], result: FetchResult, run_id: int | None,
                   moved: list[str]) -> SourceOutcome:
        store = self.store
        refs = moved + self._recovered_from_errors(source, state, run_id) + self._unblocked(source, state, run_id)
        fields: dict[str, Any] = {"last_checked_at": store.now()}
        if result.etag and result.etag != state.get("etag"):
            fields["etag"] = result.etag  # a 304 without an ETag keeps the one we sent
        if result.last_modified and result.last_modified != state.get("last_modified"):
            fields["last_modified"] = result.last_modified
        if state["status"] != "ok" or state.get("consecutive_failures"):
            fields.update(status="ok", status_reason=None, consecutive_failures=0, status_since=store.now())
        store.update_source(source.name, **fields)
        return SourceOutcome(source.name, "unchanged", entries=int(state.get("entry_count") or 0), change_refs=refs)

    # --- shared by check and replay ---------------------------------------------------------

    def apply_parse(self, source: SourceConfig, parsed: ParseResult, run_id: int | None) -> SourceOutcome:
        """Reconcile one parse with the store (call inside a transaction)."""
        store = self.store
        state = store.source(source.name) or store.sync_source(source.name, source.kind, source.url)
        stored = store.entries(source.name)
        entries = unique_by_key(parsed.entries)
        # Entries the vendor pulled and put back: matched by key to their removed rows, so
        # they come back as the same entry (versions continue), never as a second one.
        removed_rows = {row["entry_key"]: row for row in store.entries(source.name, status="removed")}
        comebacks = [(removed_rows[e.key], e) for e in entries if e.key in removed_rows]
        plan = reconcile(stored, [e for e in entries if e.key not in removed_rows])
        reason = health(
            kind=source.kind,
            entries=len(entries),
            dates_found=parsed.dates_found,
            stored_live=len(stored),
            missing=len(plan.missing),
        )
        if reason is None and parsed.warnings and not entries:
            reason = parsed.warnings[0]
        if reason is not None:
            return self._broken(source, state, one_line(reason), run_id)
        refs = (self._store_plan(source, plan, run_id) + self._restore(source, comebacks, run_id)
                + self._recovered_from_errors(source, state, run_id) + self._unblocked(source, state, run_id))
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
            restored=len(comebacks),
            change_refs=refs,
        )

    def _store_plan(self, source: SourceConfig, plan: Reconciliation, run_id: int | None) -> list[str]:
        """The plan's writes; new entries and their changes go in one statement per table."""
        store = self.store
        store.touch_entries(plan.seen_ids)
        texts = [(e.title, e.body) for e in plan.new] + [(e.title, e.body) for _r, e, _d in plan.edited]
        results = iter(self._classify_all(texts) if texts else [])
        changes = [self._entry_change(source, "new_entry", entry, entry_id, 1, next(results))
                   for entry, entry_id in zip(plan.new, store.insert_entries(source.name, plan.new))]
        for row, entry, diff in plan.edited:
            version = store.update_entry_text(row["id"], entry, diff, new_key=entry.key)
            changes.append(self._entry_change(source, "edited_entry", entry, row["id"], version, next(results),
                                              diff=diff))
        for row, misses, removed in plan.missing:
            store.mark_missing(row["id"], misses, removed)
            if removed:
                changes.append(NewChange(
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
                ))
        return [ref for ref in store.add_changes(changes, run_id) if ref]

    def _restore(self, source: SourceConfig, comebacks: list[tuple[dict[str, Any], ParsedEntry]],
                 run_id: int | None) -> list[str]:
        """Removed entries back on the page: live again, one ``restored_entry`` change each.

        The same text keeps its version; a new text is the next version, with its diff.
        """
        if not comebacks:
            return []
        store = self.store
        refs: list[str] = []
        results = iter(self._classify_all([(entry.title, entry.body) for _row, entry in comebacks]))
        for row, entry in comebacks:
            diff = None
            if row["content_hash"] == entry.content_hash:
                store.touch_entries([row["id"]])
                version = int(row["version"])
            else:
                diff = diff_text(row, entry)
                version = store.update_entry_text(row["id"], entry, diff, new_key=entry.key)
            ref = store.add_change(
                NewChange(
                    kind="restored_entry",
                    title=entry.title,
                    dedupe_key=f"entry:{row['id']}:restored:{row.get('removed_at') or store.now()}",
                    source=source.name,
                    entry_id=row["id"],
                    entry_version=version,
                    date=entry.date,
                    link=entry.link,
                    summary=entry.body[:2000],
                    classification=next(results),
                    details={"removed_at": row.get("removed_at"), **({"diff": diff} if diff else {})},
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
        classification: Classification,
        diff: str | None = None,
    ) -> NewChange:
        return NewChange(
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
            details={**({"diff": diff} if diff else {}), **entry_details(entry)},
        )

    # --- failure states ---------------------------------------------------------------------

    def _health_change(self, source: SourceConfig, kind: str, title: str, summary: str, reason: str | list[str],
                       run_id: int | None, *, relevant: bool) -> list[str]:
        """A source-health item (broken, blocked, failing, recovered); its dedupe key holds the moment."""
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
                classification=Classification(relevant, "medium" if relevant else "info", ["other"],
                                              [reason] if isinstance(reason, str) else list(reason), "rules"),
            ),
            run_id,
        )
        return [ref] if ref else []

    def _moved(self, source: SourceConfig, state: dict[str, Any], result: FetchResult,
               run_id: int | None) -> list[str]:
        """A permanent redirect (301/308): fetch the new URL from now on, and say so once."""
        target = result.permanent_redirect
        current = state.get("url") or source.url
        if not target or target == current:
            return []
        self.store.update_source(source.name, url=target, moved_from=state.get("moved_from") or source.url)
        ref = self.store.add_change(
            NewChange(
                kind="source_moved",
                title=f"Source {source.name} moved permanently to {target}",
                dedupe_key=f"source_moved:{source.name}:{target}",
                source=source.name,
                summary=(f"{current} answers with a permanent redirect (301/308) "
                         f"to {target}; driftwatch fetches the new address from now on. Update the source's url "
                         "in the config to make it explicit."),
                link=target,
                date=self.store.now()[:10],
                classification=Classification(False, "info", ["other"],
                                              [f"source moved: {current} -> {target}"], "rules"),
                details={"from": current, "to": target},
            ),
            run_id,
        )
        return [ref] if ref else []

    def _blocked(self, source: SourceConfig, state: dict[str, Any], block: Block, run_id: int | None,
                 moved: list[str]) -> SourceOutcome:
        """Refused or challenged: nothing about the page is known, so no entry is touched.

        One change when the block starts; the source stays ``blocked`` (not ``broken``, not
        ``error``) until a fetch gets through.
        """
        store = self.store
        now = store.now()
        refs = list(moved)
        if state["status"] != "blocked":
            refs += self._health_change(
                source, "source_blocked", f"Source {source.name} is blocked: {block.reason}",
                f"{block.reason}. Remedy: {block.remedy}.",
                [f"source blocked: {block.reason} (changes from this source are not being seen)",
                 f"remedy: {block.remedy}"], run_id, relevant=True)
        store.update_source(
            source.name,
            status="blocked",
            status_reason=block.message,
            status_since=now if state["status"] != "blocked" else state["status_since"],
            last_checked_at=now,
            consecutive_failures=int(state.get("consecutive_failures") or 0) + 1,
        )
        return SourceOutcome(source.name, "blocked", entries=store.count_entries(source.name), error=block.message,
                             change_refs=refs)

    def _unblocked(self, source: SourceConfig, state: dict[str, Any], run_id: int | None) -> list[str]:
        """The one change that ends a block (the caller sets the source back to ``ok``)."""
        if state.get("status") != "blocked":
            return []
        return self._health_change(
            source, "source_recovered", f"Source {source.name} is no longer blocked",
            f"It was blocked since {state.get('status_since')}: {state.get('status_reason')}",
            "source no longer blocked", run_id, relevant=False)

    def _failed(self, source: SourceConfig, state: dict[str, Any], error: str, run_id: int | None) -> SourceOutcome:
        """One more failure; the Nth in a row raises one alert (not one per run)."""
        store = self.store
        failures = int(state.get("consecutive_failures") or 0) + 1
        # A broken or blocked source stays so: a network error does not show that it changed.
        sticky = state["status"] in ("broken", "blocked")
        since = store.now() if state["status"] not in ("error", "broken", "blocked") else state["status_since"]
        store.update_source(
            source.name,
            status=state["status"] if sticky else "error",
            status_reason=state["status_reason"] if sticky else error,
            last_checked_at=store.now(),
            consecutive_failures=failures,
            status_since=since,
        )
        refs: list[str] = []
        if failures == self.alert_after_failures and not sticky:
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
            outcome = checker.check_source(source, fetcher, run_id)
            log.info("source %s: %s (%d entries, %d new, %d edited, %d restored)%s", source.name, outcome.status,
                     outcome.entries, outcome.new, outcome.edited, outcome.restored,
                     f": {outcome.error}" if outcome.error else "")
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
                            latest["content_type"], split_items=source.split_items)
        outcome = checker.apply_parse(source, parsed, run_id)
    store.finish_run(run_id, "ok", {"source": source.name, "body_id": latest["id"]})
    return outcome
