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
from driftwatch.config import Settings
from driftwatch.digest import digest_since
from driftwatch.models import SEVERITY_ORDER
from driftwatch.schedule import next_slot, period_key
from driftwatch.store import Store
from driftwatch.timeutil import Clock, iso, parse_iso, utcnow

from . import blocks
from .commands import Request
from .outbox import Deliverer, DeliveryReport
from .slack_http import GuardedWebClient

log = logging.getLogger("driftwatch.slack")
ALERT_WINDOW = dt.timedelta(days=2)
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
            digest["summary"], self.posture_summary(store), [s for s in store.sources() if s["status"] == "broken"],
            stale_attestations=self.stale_attestations(store))

    # --- posting ----------------------------------------------------------------------------

    def post_digest(self, *, force: bool = False, max_wait: float = 60.0) -> dict[str, Any]:
        """Claim this period's digest and queue its messages in one transaction, then deliver."""
        channel = self.channel
        now = self.clock()
        key = period_key(self.settings.config.slack, now)
        with self.store() as store:
            existing = store.digest_for_period(key)
            if existing and existing["status"] == "posted" and not force:
                return {"status": "already_posted", "period": key, "digest_id": existing["id"],
                        "channel": existing["channel"], "ts": existing["ts"]}
            if existing and existing["status"] == "posting" and not force:
                digest_id = existing["id"]  # queued before a crash or an outage: just deliver
            else:
                last = store.last_digest()
                since = last["period_end"] if last else None
                if force and existing:
                    since = existing["period_start"]
                limit = self.settings.config.slack.digest_max_items
                summary = digest_since(store, since, store.now()).as_dict(limit=limit)
                with store.transaction():
                    digest_id = store.record_digest(period_start=since, period_end=store.now(), status="posting",
                                                    summary=summary, period_key=None if force else key, forced=force)
                    if digest_id is None:
                        return {"status": "already_posted", "period": key}
                    self._queue_digest(store, digest_id, summary, channel)
        report = self.flush(max_wait)
        with self.store() as store:
            digest = store.digest(digest_id) or {}
        return {"status": digest.get("status"), "period": key, "digest_id": digest_id,
                "channel": digest.get("channel") or channel, "ts": digest.get("ts"),
                "items": len((digest.get("summary") or {}).get("items", [])), "delivery": report.as_dict()}

    def _queue_digest(self, store: Store, digest_id: int, summary: dict[str, Any], channel: str) -> None:
        parent = f"digest:{digest_id}:parent"
        store.enqueue("digest_parent", parent, channel=channel, digest_id=digest_id)
        for item in summary["items"]:
            change = store.change(item["id"])
            if change is not None:
                store.enqueue("digest_item", f"digest:{digest_id}:item:{change['id']}", channel=channel,
                              thread_of=parent, change_id=change["id"], digest_id=digest_id,
                              payload={"carried_over": item["carried_over"]})

    def post_alerts(self, max_wait: float = 30.0) -> list[str]:
        """Queue an alert for each recent change at or above [slack] alert_severity (once), then deliver.

        Checks queue their alerts themselves, in the transaction that stores the change;
        this also covers changes stored while Slack was not configured.
        """
        channel = self.channel
        since = iso(self.clock() - ALERT_WINDOW)
        floor = SEVERITY_ORDER[self.settings.config.slack.alert_severity]
        waiting: dict[str, str] = {}  # dedupe key -> ref, for alerts not yet in Slack
        with self.store() as store:
            with store.transaction():
                for change in store.changes(since=since, ascending=True):
                    if change.get("acked_by") or not change.get("security_relevant"):
                        continue
                    if SEVERITY_ORDER.get(change.get("severity") or "info", 0) >= floor:
                        key = f"alert:{change['id']}"
                        store.enqueue("alert", key, channel=channel, change_id=change["id"])
                        if (store.outbox_row(key) or {}).get("status") != "sent":
                            waiting[key] = change["ref"]
        self.flush(max_wait)
        with self.store() as store:
            return [ref for key, ref in waiting.items() if (store.outbox_row(key) or {}).get("status") == "sent"]

    # --- acknowledgements -------------------------------------------------------------------

    def act(self, request: Request, *, user: str, via: str, channel: str | None = None,
            thread_ts: str | None = None) -> list[str]:
        """Apply ack / undo / snooze to each id, queue the card updates and the confirmation, deliver."""
        lines: list[str] = []
        with self.store() as store:
            for ref in request.refs:
                try:
                    with store.transaction():
                        if request.name == "ack":
                            result = acks.acknowledge(store, ref, actor=user, via=via, note=request.text or None)
                            verb = "acknowledged" if result.changed else "was already acknowledged"
                        elif request.name == "undo":
                            result = acks.undo(store, ref, actor=user, via=via)
                            verb = "un-acknowledged" if result.changed else "was not acknowledged"
                        else:
                            until = acks.snooze_until(request.duration or "", self.clock(), self.next_digest())
                            result = acks.snooze(store, ref, until, actor=user, via=via)
                            verb = f"snoozed until {iso(until)}"
                        if result.changed:
                            self._queue_updates(store, result.change)
                except acks.AckError as exc:
                    lines.append(f"{ref}: {exc}")
                    continue
                lines.append(f"{ref} {verb}")
            if channel and lines:
                text = f"{blocks.mention(user)}: " + "; ".join(blocks.escape(line) for line in lines)
                store.enqueue("confirmation", f"confirm:{via}:{channel}:{thread_ts}:{user}:{time.time_ns()}",
                              channel=channel, thread_ts=thread_ts, payload={"text": text})
        self.deliver()
        return lines

    def _queue_updates(self, store: Store, change: dict[str, Any]) -> None:
        """Every posted copy of the change is re-rendered, so nobody acts on a stale card."""
        last_ack = store.acks(change["id"])[-1]["id"]
        for message in store.messages_for_change(change["id"]):
            store.enqueue("update", f"update:{message['id']}:{last_ack}", channel=message["channel"],
                          change_id=change["id"], payload={"ts": message["ts"]})

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
    from driftwatch.posture import compare
    from driftwatch.posture.report import evaluate_snapshot

    out = []
    soon = now.date() + dt.timedelta(days=14)
    for workspace in settings.config.workspaces:
        snaps = store.snapshots(workspace.name, 2)
        if not snaps:
            continue
        current = evaluate_snapshot(settings, snaps[0], today=now.date())
        previous = evaluate_snapshot(settings, snaps[1]) if len(snaps) > 1 else None
        drift = compare(previous, current, None, {})
        counts = {s: sum(1 for r in current if r.status == s) for s in ("pass", "fail", "unknown", "waived")}
        expiring = [w.control for w in settings.config.waivers
                    if w.workspace in ("*", workspace.name) and now.date() <= w.expires <= soon]
        out.append({"workspace": workspace.name, "counts": counts,
                    "newly_failing": len(drift.buckets["newly_failing"]), "expiring": expiring})
    return out
