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
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from driftwatch import acks
from driftwatch.config import Settings
from driftwatch.digest import build_digest
from driftwatch.models import SEVERITY_ORDER
from driftwatch.schedule import next_slot, period_key
from driftwatch.store import Store
from driftwatch.timeutil import Clock, iso, parse_iso, utcnow

from . import blocks
from .commands import Request

log = logging.getLogger("driftwatch.slack")
ALERT_WINDOW = dt.timedelta(days=2)


class SlackProblem(Exception):
    """Slack is not configured, or refused a call; the message says which and why."""


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    token = token or settings.secrets.get("SLACK_BOT_TOKEN")
    if not token:
        raise SlackProblem("SLACK_BOT_TOKEN is not set")
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackService:
    def __init__(self, client: WebClient, settings: Settings, *, clock: Clock = utcnow,
                 store_factory: Callable[[], Store] | None = None) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
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

    # --- posting ----------------------------------------------------------------------------

    def _post(self, **kwargs: Any) -> dict[str, Any]:
        response = self.client.chat_postMessage(unfurl_links=False, unfurl_media=False, **kwargs)
        return response.data if hasattr(response, "data") else dict(response)

    def post_digest(self, *, force: bool = False) -> dict[str, Any]:
        """Post this period's digest once; a second call in the same period posts nothing."""
        channel = self.channel
        now = self.clock()
        key = period_key(self.settings.config.slack, now)
        with self.store() as store:
            existing = store.digest_for_period(key)
            if existing and existing["status"] == "posted" and not force:
                return {"status": "already_posted", "period": key, "digest_id": existing["id"],
                        "channel": existing["channel"], "ts": existing["ts"]}
            if existing and existing["status"] == "posting" and not force:
                digest_id, summary = existing["id"], existing["summary"]  # resume after a crash
            else:
                last = store.last_digest()
                since = last["period_end"] if last else None
                if force and existing:
                    since = existing["period_start"]
                summary = build_digest(store.digest_candidates(since), period_start=since,
                                       now=store.now()).as_dict()
                digest_id = store.record_digest(period_start=since, period_end=store.now(), status="posting",
                                                summary=summary, period_key=None if force else key, forced=force)
                if digest_id is None:
                    return {"status": "already_posted", "period": key}
            parent_ts = self._post_parent(store, digest_id, summary, channel)
            posted = self._post_items(store, digest_id, summary, channel, parent_ts)
            store.update_digest(digest_id, status="posted", posted_at=store.now(), channel=channel, ts=parent_ts)
        return {"status": "posted", "period": key, "digest_id": digest_id, "channel": channel, "ts": parent_ts,
                "items": len(summary["items"]), "replies": posted}

    def _post_parent(self, store: Store, digest_id: int, summary: dict[str, Any], channel: str) -> str:
        dedupe = f"digest:{digest_id}:parent"
        known = store.message(dedupe)
        if known:
            return str(known["ts"])
        text, parent_blocks = blocks.digest_parent(
            summary, self.posture_summary(store), [s for s in store.sources() if s["status"] == "broken"],
            stale_attestations=self.stale_attestations(store))
        data = self._post(channel=channel, text=text, blocks=parent_blocks)
        store.record_message(kind="digest_parent", channel=data["channel"], ts=data["ts"], dedupe_key=dedupe,
                             digest_id=digest_id)
        return str(data["ts"])

    def _post_items(self, store: Store, digest_id: int, summary: dict[str, Any], channel: str, parent_ts: str) -> int:
        posted = 0
        for item in summary["items"]:
            change = store.change(item["id"])
            if change is None:
                continue
            dedupe = f"digest:{digest_id}:item:{change['id']}"
            if store.message(dedupe):
                continue
            data = self._post(channel=channel, thread_ts=parent_ts, text=blocks.fallback_text(change),
                              blocks=blocks.fit(blocks.item_blocks(change, carried_over=item["carried_over"])))
            store.record_message(kind="digest_item", channel=data["channel"], ts=data["ts"], thread_ts=parent_ts,
                                 dedupe_key=dedupe, digest_id=digest_id, change_id=change["id"])
            posted += 1
        return posted

    def post_alerts(self) -> list[str]:
        """Post each change at or above [slack] alert_severity once, as soon as it is found."""
        channel = self.channel
        floor = SEVERITY_ORDER[self.settings.config.slack.alert_severity]
        since = iso(self.clock() - ALERT_WINDOW)
        sent: list[str] = []
        with self.store() as store:
            for change in store.changes(since=since, ascending=True):
                if SEVERITY_ORDER.get(change.get("severity") or "info", 0) < floor or floor == 0:
                    continue
                if change.get("acked_by") or not change.get("security_relevant"):
                    continue
                dedupe = f"alert:{change['id']}"
                if store.message(dedupe):
                    continue
                data = self._post(channel=channel, text=":rotating_light: " + blocks.fallback_text(change),
                                  blocks=blocks.fit(blocks.item_blocks(change)))
                store.record_message(kind="alert", channel=data["channel"], ts=data["ts"], dedupe_key=dedupe,
                                     change_id=change["id"])
                sent.append(change["ref"])
        return sent

    # --- acknowledgements -------------------------------------------------------------------

    def act(self, request: Request, *, user: str, via: str) -> list[str]:
        """Apply ack / undo / snooze to each id; returns one line per id for the confirmation."""
        lines: list[str] = []
        with self.store() as store:
            for ref in request.refs:
                try:
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
                except acks.AckError as exc:
                    lines.append(f"{ref}: {exc}")
                    continue
                if result.changed:
                    self.refresh(store, result.change)
                lines.append(f"{ref} {verb}")
        return lines

    def refresh(self, store: Store, change: dict[str, Any]) -> None:
        """Re-render every posted copy of a change so nobody acts on a stale card."""
        for message in store.messages_for_change(change["id"]):
            try:
                self.client.chat_update(channel=message["channel"], ts=message["ts"], text=blocks.fallback_text(change),
                                        blocks=blocks.fit(blocks.item_blocks(change, nonce=str(time.time_ns()))))
            except SlackApiError as exc:
                log.warning("chat.update failed for %s: %s", change["ref"], exc.response.get("error"))

    def confirm(self, channel: str, thread_ts: str | None, user: str, lines: list[str]) -> None:
        if not lines:
            return
        text = f"{blocks.mention(user)}: " + "; ".join(blocks.escape(line) for line in lines)
        self._post(channel=channel, thread_ts=thread_ts, text=text)

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
