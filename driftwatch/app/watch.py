"""Use cases of the ingest side: check sources (and snapshot workspaces), replay a source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from driftwatch.models import public_change

from .context import Driftwatch
from .posture import take_snapshots


class ClassifierOnDemand:
    """The application's classifier, loaded when the first entry needs classifying.

    A check whose sources all answer 304, fail or only lose entries never imports spaCy
    nor loads the model (about 1.5 CPU seconds of a command's start-up).
    """

    def __init__(self, dw: Driftwatch) -> None:
        self._dw = dw

    def __call__(self, title: str, body: str = "") -> Any:
        return self._dw.classifier(title, body)

    def classify_many(self, items: Any) -> Any:
        return self._dw.classifier.classify_many(items)


@dataclass
class CheckResult:
    report: Any  # watchers.check.CheckReport
    snapshots: list[Any] = field(default_factory=list)  # posture.record.SnapshotOutcome
    delivery: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**self.report.as_dict(), "snapshots": [o.as_dict() for o in self.snapshots],
                "alerts": self.delivery}


def check_sources(dw: Driftwatch, names: Sequence[str] = (), *, snapshots: bool | None = None,
                  on_source_done: Callable[[Any], None] | None = None, summaries: bool = True,
                  deliver_budget: float = 30.0, lock_wait: float = 0.0) -> CheckResult:
    """Fetch the sources (all, or ``names``), store classified changes, then deliver alerts.

    With no names, every workspace is snapshotted too (``snapshots`` overrides that). One check
    runs at a time per database: another waits ``lock_wait`` seconds for it, then raises
    :class:`driftwatch.runlock.Busy` (a one-line refusal).
    """
    from driftwatch.runlock import exclusive
    from driftwatch.watchers.check import run_check

    settings = dw.settings
    sources = [settings.source(n) for n in names] if names else settings.sources
    with exclusive(settings.db_path, "check", wait=lock_wait), dw.store() as store, dw.fetcher() as fetcher:
        report = run_check(store, sources, fetcher, ClassifierOnDemand(dw), on_source_done=on_source_done,
                           alert_after_failures=settings.config.fetch.alert_after_failures, summaries=summaries)
        taken = []
        if snapshots if snapshots is not None else not names:
            taken = take_snapshots(dw, store=store)
            if summaries:
                refs = [ref for outcome in taken for ref in outcome.change_refs]
                report.changes.extend(public_change(row) for row in store.changes_by_ref(refs))
    return CheckResult(report, taken, dw.notifier.deliver(deliver_budget))


def replay(dw: Driftwatch, source_name: str) -> Any:
    """Re-parse a source's newest stored body, without the network (LookupError if none)."""
    from driftwatch.watchers.check import replay_source

    source = dw.settings.source(source_name)
    with dw.store() as store:
        outcome = replay_source(store, source, ClassifierOnDemand(dw))
    dw.notifier.deliver(30.0)
    return outcome
