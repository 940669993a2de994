"""The scheduled worker: APScheduler (3.11) running checks, snapshots, the digest, delivery, upkeep.

Like the CLI, this is an edge that wires the core to the watchers and the Slack
side. One worker per database (an OS file lock, released even on SIGKILL);
SIGTERM lets the job in progress finish; every job's writes are transactions,
so a kill at any point leaves a consistent database that the next run picks up.
"""

from __future__ import annotations

import datetime as dt
import fcntl
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

from .config import Settings, parse_duration
from .schedule import first_slot, next_slot, period_key
from .store import Store
from .timeutil import iso, utcnow

log = logging.getLogger("driftwatch.worker")
DELIVERY_SECONDS = 30


class WorkerLocked(Exception):
    """Another worker holds the database."""


@contextmanager
def worker_lock(db_path: Path) -> Iterator[Path]:
    """Only one worker per database; the kernel drops the lock when the process dies."""
    path = Path(str(db_path) + ".worker.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise WorkerLocked(
            f"another driftwatch worker is already running against {db_path} (pid {holder}); "
            "only one may run per database"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield path
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def slack_ready(settings: Settings) -> bool:
    return bool(settings.secrets.get("SLACK_BOT_TOKEN") and settings.config.slack.channel)


def open_store(settings: Settings) -> Store:
    store = Store.open(settings.db_path)
    if slack_ready(settings):
        store.enable_alerts(settings.config.slack.channel or "", settings.config.slack.alert_severity)
    return store


class Jobs:
    """Each job opens its own connection (jobs run on scheduler threads) and records a run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = threading.Event()  # set on SIGTERM: queued jobs do not start

    def check(self, name: str) -> None:
        if self.stopping.is_set():
            return
        from driftwatch.watchers.check import run_check
        from driftwatch.watchers.fetch import Fetcher

        from .classify import classify

        source = self.settings.source(name)
        fetch = self.settings.config.fetch
        from .runlock import exclusive

        with exclusive(self.settings.db_path, "check", wait=600), open_store(self.settings) as store, Fetcher(
            timeout=fetch.timeout, max_bytes=fetch.max_bytes, retries=fetch.retries, backoff=fetch.backoff,
            max_retry_after=fetch.max_retry_after, user_agent=fetch.user_agent,
        ) as fetcher:
            run_check(store, [source], fetcher, classify, alert_after_failures=fetch.alert_after_failures,
                      summaries=False)
        self.deliver()

    def snapshot(self, name: str) -> None:
        from driftwatch.watchers.snapshot import take_snapshot

        if self.stopping.is_set():
            return
        with open_store(self.settings) as store:
            take_snapshot(store, self.settings, self.settings.workspace(name))
        self.deliver()

    def digest(self) -> None:
        if self.stopping.is_set():
            return
        if not slack_ready(self.settings):
            log.warning("digest skipped: Slack is not configured (SLACK_BOT_TOKEN and [slack] channel)")
            return
        from driftwatch.bot.service import SlackService, make_client

        with open_store(self.settings) as store:
            run_id = store.start_run("digest")
        try:
            result = SlackService(make_client(self.settings), self.settings).post_digest(max_wait=0)
        except Exception as exc:  # the run record must not stay "running"; the scheduler logs it
            with open_store(self.settings) as store:
                store.finish_run(run_id, "failed", {"error": str(exc)[:500]})
            raise
        with open_store(self.settings) as store:
            store.finish_run(run_id, "ok", {"status": result["status"], "period": result["period"]})
        log.info("digest %s for period %s", result["status"], result["period"])

    def deliver(self) -> None:
        if not slack_ready(self.settings):
            return
        from driftwatch.bot.service import SlackService, make_client

        report = SlackService(make_client(self.settings), self.settings).deliver()
        if report.sent or report.failed or report.retried:
            with open_store(self.settings) as store:
                run_id = store.start_run("deliver")
                store.finish_run(run_id, "ok", report.as_dict())

    def maintenance(self) -> None:
        with open_store(self.settings) as store:
            run_id = store.start_run("maintenance")
            removed = prune_bodies(store, self.settings.config.storage.keep_bodies_days)
            store.db.execute("PRAGMA optimize")
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            store.finish_run(run_id, "ok", {"bodies_removed": removed})


def prune_bodies(store: Store, keep_days: int) -> int:
    """Drop raw page bodies past retention, always keeping each source's newest (replay needs it)."""
    cutoff = iso(store.clock() - dt.timedelta(days=keep_days))
    with store.transaction():
        store.db.execute(
            "update fetches set body_id = null where body_id in (select id from bodies where fetched_at < ? "
            "and id not in (select max(id) from bodies group by source))", [cutoff])
        cursor = store.db.execute(
            "delete from bodies where fetched_at < ? and id not in (select max(id) from bodies group by source)",
            [cutoff])
    return cursor.rowcount


def digest_trigger(settings: Settings, now: dt.datetime | None = None) -> CalendarIntervalTrigger:
    """Every N weeks at the configured local time, counted from an anchor date (not ISO weeks).

    The trigger starts at the next slot of that cadence (a past start date would only
    produce "missed run" noise); catching up a missed period is :func:`digest_due`'s job.
    """
    slack = settings.config.slack
    start = first_slot(slack)
    following = next_slot(slack, now or utcnow())
    return CalendarIntervalTrigger(weeks=slack.digest_every_weeks, hour=start.hour, minute=start.minute,
                                   start_date=following.date(), timezone=slack.timezone)


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
        Store.open(settings.db_path).close()  # migrations run on start
        jobs = Jobs(settings)
        scheduler = build_scheduler(settings, jobs, misfire_grace=misfire_grace)
        with open_store(settings) as store:
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
        Store.open(settings.db_path).close()
        jobs = Jobs(settings)
        for source in settings.sources:
            if source.enabled:
                jobs.check(source.name)
        for workspace in settings.config.workspaces:
            jobs.snapshot(workspace.name)
        with open_store(settings) as store:
            due = digest_due(settings, store, utcnow())
        if due:
            jobs.digest()
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

