"""The scheduled worker: APScheduler (3.11) running checks, snapshots, the digest, delivery, upkeep.

Like the CLI, this is an edge that wires the core to the watchers and the Slack
side. One worker per database (an OS file lock, released even on SIGKILL);
SIGTERM lets the job in progress finish; every job's writes are transactions,
so a kill at any point leaves a consistent database that the next run picks up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from . import app as use_cases
from .app import Driftwatch
from .config import Settings, parse_duration
from . import schedule
from .schedule import next_slot, period_key
from .store import Store
from .timeutil import iso, parse_iso, utcnow

log = logging.getLogger("driftwatch.worker")
DELIVERY_SECONDS = 30
HEALTH_SECONDS = 600


class WorkerLocked(Exception):
    """Another worker holds the database."""


@contextmanager
def worker_lock(db_path: Path) -> Iterator[Path]:
    """Only one worker per database; the OS drops the lock when the process dies."""
    path = Path(str(db_path) + ".worker.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, blocking=False)
    try:
        lock.acquire()
    except Timeout:
        holder = _read_pid(Path(str(path) + ".pid"))
        raise WorkerLocked(
            f"another driftwatch worker is already running against {db_path} (pid {holder}); "
            "only one may run per database"
        ) from None
    pid_file = Path(str(path) + ".pid")
    pid_file.write_text(str(os.getpid()))
    try:
        yield path
    finally:
        lock.release()


def _read_pid(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


def slack_ready(settings: Settings) -> bool:
    return bool(settings.secrets.get("SLACK_BOT_TOKEN") and settings.config.slack.channel)


class Jobs:
    """Each job opens its own connection (jobs run on scheduler threads) and records a run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = Driftwatch(settings)
        self.stopping = threading.Event()  # set on SIGTERM: queued jobs do not start

    def check(self, name: str) -> None:
        if self.stopping.is_set():
            return
        use_cases.check_sources(self.app, [name], summaries=False, lock_wait=600)

    def snapshot(self, name: str) -> None:
        if self.stopping.is_set():
            return
        use_cases.take_snapshots(self.app, name)

    def digest(self) -> None:
        if self.stopping.is_set():
            return
        if not slack_ready(self.settings):
            log.warning("digest skipped: Slack is not configured (SLACK_BOT_TOKEN and [slack] channel)")
            return
        with self.app.store() as store:
            run_id = store.start_run("digest")
        try:
            result = use_cases.post_digest(self.app, max_wait=0)
        except Exception as exc:  # the run record must not stay "running"; the scheduler logs it
            with self.app.store() as store:
                store.finish_run(run_id, "failed", {"error": str(exc)[:500]})
            raise
        with self.app.store() as store:
            store.finish_run(run_id, "ok", {"status": result["status"], "period": result["period"]})
        log.info("digest %s for period %s", result["status"], result["period"])

    def deliver(self) -> None:
        report = self.app.notifier.deliver(0)
        if report and (report.get("sent") or report.get("failed") or report.get("retried")):
            with self.app.store() as store:
                run_id = store.start_run("deliver")
                store.finish_run(run_id, "ok", report)

    def health(self) -> None:
        """The dead-man's switch, told in Slack: one alert when a condition starts, one when it clears."""
        from .health import alerts_to_send, assess, cleared_words, open_alerts

        channel = self.settings.config.slack.channel
        if not channel:
            return
        from driftwatch.bot.blocks import escape

        with self.app.store() as store:
            current = assess(self.settings, store, store.clock())
            with store.transaction():
                opened = open_alerts(store.health_alerts())
                started, cleared = alerts_to_send(current, opened)
                for problem in started:
                    store.enqueue("confirmation", f"health:{problem.code}@{store.now()}", channel=channel,
                                  payload={"text": f":rotating_light: driftwatch health: {escape(problem.reason)}"})
                for code in cleared:
                    store.enqueue("confirmation", f"health-clear:{code}@{opened[code]}", channel=channel,
                                  payload={"text": f":white_check_mark: driftwatch health: {escape(cleared_words(code))}"})
        if started or cleared:
            log.warning("health: %d new problems, %d cleared", len(started), len(cleared))
            self.app.notifier.deliver(0)

    def maintenance(self) -> None:
        with self.app.store() as store:
            run_id = store.start_run("maintenance")
            cutoff = iso(store.clock() - dt.timedelta(days=self.settings.config.storage.keep_bodies_days))
            removed = store.prune_bodies(cutoff)
            store.optimize()
            store.finish_run(run_id, "ok", {"bodies_removed": removed})


def digest_trigger(settings: Settings, now: dt.datetime | None = None) -> CalendarIntervalTrigger:
    """The digest's own trigger, started at the next slot of its cadence.

    A past start date would only produce "missed run" noise; catching up a missed
    period is :func:`digest_due`'s job.
    """
    slack = settings.config.slack
    return schedule.digest_trigger(slack, start=next_slot(slack, now or utcnow()).date())


def build_scheduler(settings: Settings, jobs: Jobs, *, misfire_grace: int = 3600) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace},
        executors={"default": {"type": "threadpool", "max_workers": 2}},
    )
    for source in settings.sources:
        if not source.enabled:
            continue
        seconds = source.interval_seconds
        scheduler.add_job(jobs.check, IntervalTrigger(seconds=seconds, jitter=min(300, max(1, seconds // 10))),
                          args=[source.name], id=f"check:{source.name}", name=f"check {source.name}",
                          next_run_time=utcnow() + dt.timedelta(seconds=random.uniform(1, 30)))
    for workspace in settings.config.workspaces:
        seconds = parse_duration(workspace.interval)
        scheduler.add_job(jobs.snapshot, IntervalTrigger(seconds=seconds, jitter=min(300, max(1, seconds // 10))),
                          args=[workspace.name], id=f"snapshot:{workspace.name}", name=f"snapshot {workspace.name}",
                          next_run_time=utcnow() + dt.timedelta(seconds=random.uniform(1, 30)))
    scheduler.add_job(jobs.digest, digest_trigger(settings), id="digest", name="digest")
    scheduler.add_job(jobs.deliver, IntervalTrigger(seconds=DELIVERY_SECONDS), id="deliver", name="deliver")
    scheduler.add_job(jobs.health, IntervalTrigger(seconds=HEALTH_SECONDS), id="health", name="health")
    scheduler.add_job(jobs.maintenance, CronTrigger(hour=3, minute=17, timezone="UTC"), id="maintenance",
                      name="maintenance")
    return scheduler


def digest_due(settings: Settings, store: Store, now: dt.datetime) -> bool:
    """After downtime: this period's digest was never (fully) posted, so post it now."""
    if not slack_ready(settings):
        return False
    existing = store.digest_for_period(period_key(settings.config.slack, now))
    return existing is None or existing["status"] != "posted"


def run_worker(settings: Settings, *, misfire_grace: int = 3600,
               on_ready: Callable[[BlockingScheduler], Any] | None = None) -> None:
    with worker_lock(settings.db_path):
        jobs = Jobs(settings)
        jobs.app.open_store().close()  # migrations run on start
        scheduler = build_scheduler(settings, jobs, misfire_grace=misfire_grace)
        with jobs.app.store() as store:
            if digest_due(settings, store, utcnow()):
                scheduler.add_job(jobs.digest, id="digest-catch-up", name="digest (catch up)")

        def stop(signum: int, _frame: Any) -> None:
            log.info("signal %s: finishing the job in progress, then stopping", signum)
            jobs.stopping.set()
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker started: %d jobs", len(scheduler.get_jobs()))
        if on_ready:
            on_ready(scheduler)
        scheduler.start()
        log.info("worker stopped")


def run_once(settings: Settings) -> None:
    """Every job once, in order, under the same lock: for cron, and for tests of crash recovery."""
    with worker_lock(settings.db_path):
        jobs = Jobs(settings)
        jobs.app.open_store().close()
        for source in settings.sources:
            if source.enabled:
                jobs.check(source.name)
        for workspace in settings.config.workspaces:
            jobs.snapshot(workspace.name)
        with jobs.app.store() as store:
            due = digest_due(settings, store, utcnow())
        if due:
            jobs.digest()
        jobs.health()
        jobs.deliver()


def next_runs(settings: Settings, store: Store, now: dt.datetime) -> dict[str, str | None]:
    """When each job will run next, computed from the schedule and the last runs (for status)."""
    out: dict[str, str | None] = {}
    sources = {row["name"]: row for row in store.sources()}
    for source in settings.sources:
        last = sources.get(source.name, {}).get("last_checked_at")
        due = (dt.datetime.fromisoformat(last.replace("Z", "+00:00")) + dt.timedelta(seconds=source.interval_seconds)
               if last else now)
        out[f"check:{source.name}"] = iso(max(due, now))
    out["digest"] = iso(next_slot(settings.config.slack, now)) if slack_ready(settings) else None
    out["deliver"] = iso(now + dt.timedelta(seconds=DELIVERY_SECONDS)) if slack_ready(settings) else None
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=3, minute=17, second=0, microsecond=0)
    today = now.replace(hour=3, minute=17, second=0, microsecond=0)
    out["maintenance"] = iso(today if today > now else tomorrow)
    return out



def job_rows(settings: Settings, store: Store, now: dt.datetime) -> list[dict[str, Any]]:
    """One row per scheduled job: its last run (from the worker's records) and its next run."""
    upcoming = next_runs(settings, store, now)
    runs = {r["kind"]: r for r in store.last_runs()}
    sources = {row["name"]: row for row in store.sources()}
    rows: list[dict[str, Any]] = []
    for source in settings.sources:
        state = sources.get(source.name, {})
        rows.append({"job": f"check:{source.name}", "last_run": state.get("last_checked_at"),
                     "status": state.get("status") if state.get("last_checked_at") else None,
                     "next_run": upcoming.get(f"check:{source.name}") if source.enabled else None})
    for workspace in settings.config.workspaces:
        latest = store.snapshots(workspace.name, 1)
        last = latest[0]["taken_at"] if latest else None
        due = (parse_iso(last) + dt.timedelta(seconds=parse_duration(workspace.interval))) if last else now
        rows.append({"job": f"snapshot:{workspace.name}", "last_run": last,
                     "status": ("ok" if latest[0].get("complete") else "partial") if latest else None,
                     "next_run": iso(max(due, now))})
    for kind in ("digest", "deliver", "maintenance"):
        run = runs.get(kind) or {}
        rows.append({"job": kind, "last_run": run.get("finished_at") or run.get("started_at"),
                     "status": run.get("status"), "next_run": upcoming.get(kind)})
    return rows
