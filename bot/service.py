"""What the Slack side does, independent of how a request arrived (Bolt listener, CLI, worker).

Posting the digest and alerts, acknowledging from buttons, thread replies or
the slash command, and keeping every posted copy of an item in step with its
state through ``chat.update``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from driftwatch import acks
from driftwatch import app as use_cases
from driftwatch.app import Driftwatch
from driftwatch.config import Settings
from driftwatch.schedule import next_slot
from driftwatch.store import Store
from driftwatch.timeutil import Clock, parse_iso, utcnow

from . import blocks
from .commands import Request
from .outbox import Deliverer, DeliveryReport
from .slack_http import GuardedWebClient

log = logging.getLogger("driftwatch.slack")
PASS_BUDGET = 30.0  # seconds one delivery pass may take before it leaves the rest queued
FIRST_PASS_BUDGET = 5.0  # flush(max_wait=0) still gets one short pass


class SlackProblem(Exception):
    """Slack is not configured, or refused a call; the message says which and why."""


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    token = token or settings.secrets.get("SLACK_BOT_TOKEN")
    if not token:
        raise SlackProblem("SLACK_BOT_TOKEN is not set")
    return GuardedWebClient(  # urllib with the network guards: vetted addresses, no redirects
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        # Messages are retried by the outbox (bot/outbox.py), which honours Retry-After and keeps
        # thread order; only reads (views, user groups) lean on this handler.
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)],
    )


class SlackService:
    def __init__(self, client: WebClient, settings: Settings, *, clock: Clock = utcnow,
                 store_factory: Callable[[], Store] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self.store_factory = store_factory or (lambda: Store.open(settings.db_path, clock=clock, migrate=False))
        self._group_cache: tuple[float, set[str]] | None = None
        self._lock = threading.Lock()
        self._app: Driftwatch | None = None

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = self.store_factory()
        try:
            yield store
        finally:
            store.close()

    @property
    def channel(self) -> str:
        channel = self.settings.config.slack.channel
        if not channel:
            raise SlackProblem("set [slack] channel in the config to the channel id digests go to")
        return channel

    # --- who may change things --------------------------------------------------------------

    def allowed(self, user_id: str) -> bool:
        slack = self.settings.config.slack
        if not slack.allowed_users and not slack.allowed_usergroup:
            return True  # no restriction configured: everyone in the workspace
        if user_id in slack.allowed_users:
            return True
        if slack.allowed_usergroup:
            return user_id in self._usergroup_members(slack.allowed_usergroup)
        return False

    def _usergroup_members(self, group: str) -> set[str]:
        with self._lock:
            if self._group_cache and time.monotonic() - self._group_cache[0] < 300:
                return self._group_cache[1]
            try:
                members = set(self.client.usergroups_users_list(usergroup=group).get("users") or [])
            except SlackApiError as exc:
                log.warning("cannot read user group %s: %s", group, exc.response.get("error"))
                members = set()
            self._group_cache = (time.monotonic(), members)
            return members

    # --- who is who -------------------------------------------------------------------------

    def display_name(self, user_id: str, max_age: dt.timedelta = dt.timedelta(days=7)) -> str | None:
        """The person's Slack display name (users.info, cached in the database for a week)."""
        with self.store() as store:
            cached = store.person(user_id)
            if cached and cached["fetched_at"] and parse_iso(cached["fetched_at"]) > self.clock() - max_age:
                return cached["name"]
            try:
                user = self.client.users_info(user=user_id).get("user") or {}
            except SlackApiError as exc:
                log.warning("cannot read the name of %s: %s", user_id, exc.response.get("error"))
                return cached["name"] if cached else None
            except OSError as exc:
                log.warning("cannot read the name of %s: %s", user_id, exc)
                return cached["name"] if cached else None
            profile = user.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
            store.remember_person(user_id, name or None)
            return name or None

    # --- delivery --------------------------------------------------------------------------

    def deliverer(self) -> Deliverer:
        return Deliverer(self.client, self.settings, self.store_factory, clock=self.clock,
                         render_parent=self.render_parent)

    def deliver(self, budget: float | None = PASS_BUDGET) -> DeliveryReport:
        return self.deliverer().deliver(budget=budget)

    def flush(self, max_wait: float = 60.0) -> DeliveryReport:
        """Deliver, waiting out short rate limits, until the outbox is empty or ``max_wait`` passes.

        Bounded in wall-clock time too: each pass ends by the budget (at least PASS_BUDGET for
        the first), and when Slack is unreachable the rest stays queued for the next delivery.
        """
        total = DeliveryReport()
        waited = 0.0
        started = time.monotonic()
        while True:
            left = max_wait - (time.monotonic() - started)
            report = self.deliver(budget=max(left, 0.0) if waited else max(left, FIRST_PASS_BUDGET))
            for name in ("sent", "retried", "failed", "recovered"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.errors += report.errors
            with self.store() as store:
                due = [r["next_attempt_at"] for r in store.outbox(("pending", "sending"))]
            if not due:
                return total
            if report.unreachable or time.monotonic() - started >= max_wait:
                total.unreachable = report.unreachable
                total.waiting = len(due)
                return total
            wait = max(0.0, (parse_iso(min(due)) - self.clock()).total_seconds()) if min(due) else 0.0
            if waited + wait > max_wait:
                total.waiting = len(due)
                return total
            step = min(wait, 5.0) if wait > 0 else 0.05
            self.sleep(step)
            waited += step

    def render_parent(self, store: Store, digest: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        return blocks.digest_parent(
            digest["summary"], self.posture_summary(store), [s for s in store.sources() if s["status"] in ("broken", "blocked")],
            stale_attestations=self.stale_attestations(store))

    # --- the application, with this service as its delivery ---------------------------------

    @property
    def app(self) -> Driftwatch:
        if self._app is None:
            from .notifier import SlackOutbox

            notifier = SlackOutbox(self.settings, clock=self.clock, service=self)
            self._app = Driftwatch(self.settings, notifier=notifier, clock=self.clock)
        return self._app

    def post_digest(self, *, force: bool = False, max_wait: float = 60.0) -> dict[str, Any]:
        self.channel  # a missing channel is a SlackProblem, said before anything is claimed
        return use_cases.post_digest(self.app, force=force, max_wait=max_wait)

    # --- acknowledgements -------------------------------------------------------------------

    def act(self, request: Request, *, user: str, via: str, channel: str | None = None,
            thread_ts: str | None = None) -> list[str]:
        """Apply ack / undo / snooze to each id through the use cases, confirm where asked, deliver."""
        lines: list[str] = []
        if blocks.SLACK_USER.match(user or ""):
            self.display_name(user)  # cached, so the card and `changes` show a name, not U123
        for ref in request.refs:
            try:
                if request.name == "ack":
                    result = use_cases.acknowledge(self.app, ref, actor=user, via=via, note=request.text or None)
                    verb = "acknowledged" if result.changed else "was already acknowledged"
                elif request.name == "undo":
                    result = use_cases.undo(self.app, ref, actor=user, via=via)
                    verb = "un-acknowledged" if result.changed else "was not acknowledged"
                else:
                    result = use_cases.snooze(self.app, ref, request.duration or "", actor=user, via=via)
                    verb = f"snoozed until {result.change.get('snoozed_until')}"
            except acks.AckError as exc:
                lines.append(f"{ref}: {exc}")
                continue
            lines.append(f"{ref} {verb}")
        if channel and lines:
            with self.store() as store:
                self.app.notifier.confirm(store, channel=channel, thread_ts=thread_ts, user=user, lines=lines, via=via)
        self.deliver()
        return lines

    # --- summaries ---------------------------------------------------------------------------

    def next_digest(self) -> dt.datetime:
        return next_slot(self.settings.config.slack, self.clock())

    def posture_summary(self, store: Store) -> list[dict[str, Any]]:
        return posture_summaries(self.settings, store, self.clock())

    def stale_attestations(self, store: Store) -> list[str]:
        stale = []
        limit = self.clock() - dt.timedelta(days=30)
        for workspace in self.settings.config.workspaces:
            latest = store.latest_attestation(workspace.name)
            snaps = store.snapshots(workspace.name, 1)
            seen = [parse_iso(latest["attested_at"])] if latest else []
            if snaps:
                for prov in (snaps[0].get("provenance") or {}).values():
                    if isinstance(prov, dict) and prov.get("collector") == "attested" and prov.get("observed_at"):
                        seen.append(parse_iso(prov["observed_at"]))
            if (workspace.attested or latest) and (not seen or max(seen) < limit):
                stale.append(workspace.name)
        return stale


def posture_summaries(settings: Settings, store: Store, now: dt.datetime) -> list[dict[str, Any]]:
    """Per workspace: counts, newly failing (from the control state machine), completeness of the
    snapshot, gaps, stale attestations, audit-log files not applied and unmapped audit actions."""
    from driftwatch.posture.report import workspace_summaries

    return workspace_summaries(settings, store, now)
