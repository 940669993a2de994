"""Delivering the outbox to Slack: once each, in order within a thread, retried until Slack takes it.

Rows hold intents ("alert for change 7", "item 9 in digest 3"), rendered at
send time so a card shows the item's current state. Any number of delivery
passes may run at once (``serve``, the worker, ``deliver``, ``check``): a pass
claims a row with one conditional UPDATE that leases it (owner and expiry) and
marks it ``sending``, so a row is only ever in one pass's hands, and it is
``sent`` with Slack's ts after the call. Every message carries its outbox id in
Slack message metadata, so a row whose lease ran out (its pass crashed or hung)
is looked up in the channel (or thread) before it is sent again.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from driftwatch.config import Settings
from driftwatch.store import Store
from driftwatch.timeutil import Clock, iso, parse_iso, utcnow

from . import blocks
from driftwatch._process import pid_alive

log = logging.getLogger("driftwatch.slack.outbox")
EVENT_TYPE = "driftwatch_outbox"
PERMANENT = {"channel_not_found", "not_in_channel", "invalid_blocks", "msg_too_long", "is_archived",
             "invalid_auth", "account_inactive", "token_revoked", "no_text", "message_not_found",
             "cant_update_message", "edit_window_closed", "missing_scope", "restricted_action"}
MAX_BACKOFF = 3600.0
LEASE_SECONDS = 120.0  # longer than any one Slack call may take (see CALL_TIMEOUT)
CALL_TIMEOUT = 15.0
MIN_CALL_TIMEOUT = 2.0


def lease_owner() -> str:
    """Who holds a lease: host and pid (so a dead pass on this host is seen at once) and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_lapsed(row: dict[str, Any], now: str, host: str | None = None) -> bool:
    """A ``sending`` row whose pass is gone: lease expired, never leased, or its process died here."""
    owner, expires = row.get("lease_owner"), row.get("lease_expires_at")
    if not owner or not expires or expires <= now:
        return True
    parts = owner.split(":")
    if len(parts) == 3 and parts[0] == (host or socket.gethostname()) and parts[1].isdigit():
        return not pid_alive(int(parts[1]))
    return False


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)
    unreachable: bool = False  # a network error stopped the pass: Slack is down or cut off

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "waiting": self.waiting,
                "recovered": self.recovered, "errors": self.errors}


class Deliverer:
    def __init__(self, client: WebClient, settings: Settings, store_factory: Callable[[], Store], *,
                 clock: Clock = utcnow, render_parent: Callable[[Store, dict[str, Any]], tuple[str, list]] | None = None,
                 backoff: float = 2.0, lease_seconds: float = LEASE_SECONDS) -> None:
        # A private copy without slack_sdk's connection retries: the outbox is the retry policy,
        # and a post retried inside the client after a reset could be posted twice.
        self.client = copy.copy(client)
        self.client.retry_handlers = []
        self.call_timeout = min(float(getattr(client, "timeout", CALL_TIMEOUT) or CALL_TIMEOUT), CALL_TIMEOUT)
        self.settings = settings
        self.store_factory = store_factory
        self.clock = clock
        self.render_parent = render_parent
        self.backoff = backoff
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.owner = lease_owner()
        self._stop_at: float | None = None

    def deliver(self, limit: int = 500, *, budget: float | None = None) -> DeliveryReport:
        """One pass over the due rows; with ``budget`` (seconds) it ends by then, leaving the rest queued."""
        report = DeliveryReport()
        self._stop_at = time.monotonic() + budget if budget is not None else None
        store = self.store_factory()
        try:
            self._recover(store, report)
            now = iso(self.clock())
            blocked: set[str] = set()
            for row in store.outbox(("pending",), limit):
                lane = row["thread_of"] or row["thread_ts"] or f"own:{row['dedupe_key']}"
                if lane in blocked or self._out_of_time():
                    report.waiting += 1
                    continue
                if row["next_attempt_at"] and row["next_attempt_at"] > now:
                    blocked.add(lane)  # keep order: later messages of this thread wait too
                    report.waiting += 1
                    continue
                thread_ts = row["thread_ts"]
                if row["thread_of"]:
                    parent = store.outbox_row(row["thread_of"])
                    if parent is None or parent["status"] == "failed":
                        claimed = store.claim_outbox(row["id"], self.owner, self._expiry())
                        if claimed is not None:
                            self._fail(store, claimed, "its thread's first message could not be posted", report)
                        continue
                    if parent["status"] != "sent":
                        blocked.add(lane)
                        report.waiting += 1
                        continue
                    thread_ts = parent["ts"]
                claimed = store.claim_outbox(row["id"], self.owner, self._expiry())
                if claimed is None:  # another pass took it: its thread waits for that pass
                    blocked.add(lane)
                    continue
                outcome = self._send(store, claimed, thread_ts, report)
                if outcome == "stop":
                    break  # Slack is rate limiting or down: the rest waits for the next pass
                if outcome == "blocked":
                    blocked.add(lane)
        finally:
            store.close()
        return report

    def _expiry(self) -> str:
        return iso(self.clock() + self.lease)

    def _out_of_time(self) -> bool:
        return self._stop_at is not None and time.monotonic() >= self._stop_at

    def _call_timeout(self) -> float:
        if self._stop_at is None:
            return self.call_timeout
        return max(MIN_CALL_TIMEOUT, min(self.call_timeout, self._stop_at - time.monotonic()))

    # --- one row -----------------------------------------------------------------------------

    def _send(self, store: Store, row: dict[str, Any], thread_ts: str | None, report: DeliveryReport) -> str:
        """Send a row this pass has claimed (status ``sending``, leased to ``self.owner``)."""
        try:
            call = self._render(store, row, thread_ts)
        except LookupError as exc:
            self._fail(store, row, str(exc), report)
            return "ok"
        if call is None:  # nothing to say any more (e.g. the change was deleted)
            store.release_outbox(row["id"], self.owner, status="sent", sent_at=store.now(), last_error="skipped")
            return "ok"
        method, kwargs = call
        self.client.timeout = self._call_timeout()
        try:
            response = getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            return self._api_error(store, row, exc, report)
        except (OSError, ValueError) as exc:  # network trouble: urllib raises OSError subclasses
            self._retry(store, row, f"network error: {exc}", None, report)
            report.unreachable = True
            return "stop"
        data = response.data if hasattr(response, "data") else dict(response)
        if self._mark_sent(store, row, str(data.get("ts") or kwargs.get("ts") or ""),
                           data.get("channel") or kwargs.get("channel"), thread_ts):
            report.sent += 1
        return "ok"

    def _api_error(self, store: Store, row: dict[str, Any], exc: SlackApiError, report: DeliveryReport) -> str:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"HTTP {status}")
        if status == 429 or error == "ratelimited":
            retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
            self._retry(store, row, f"rate limited ({error})", float(retry_after) if retry_after else None, report)
            return "stop"
        if status >= 500 or error in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
            self._retry(store, row, f"Slack error {status} {error}", None, report)
            return "stop"
        if error in PERMANENT or 400 <= status < 500 or error:
            self._fail(store, row, error, report)
            return "ok"
        self._retry(store, row, error, None, report)
        return "stop"

    def _retry(self, store: Store, row: dict[str, Any], why: str, retry_after: float | None, report: DeliveryReport) -> None:
        attempts = max(1, int(row["attempts"] or 0))  # counted when the row was claimed
        wait = retry_after if retry_after is not None else min(MAX_BACKOFF, self.backoff * 2 ** (attempts - 1))
        store.release_outbox(row["id"], self.owner, status="pending", last_error=why,
                             next_attempt_at=iso(self.clock() + dt.timedelta(seconds=wait)))
        report.retried += 1
        report.errors.append(f"{row['dedupe_key']}: {why}")
        log.warning("delivery of %s postponed %.0fs: %s", row["dedupe_key"], wait, why)

    def _fail(self, store: Store, row: dict[str, Any], why: str, report: DeliveryReport) -> None:
        store.release_outbox(row["id"], self.owner, status="failed", last_error=why)
        report.failed += 1
        report.errors.append(f"{row['dedupe_key']}: {why}")
        log.error("delivery of %s failed for good: %s", row["dedupe_key"], why)

    def _mark_sent(self, store: Store, row: dict[str, Any], ts: str, channel: str | None, thread_ts: str | None) -> bool:
        with store.transaction():
            if not store.holds_outbox(row["id"], self.owner):
                # Our lease ran out during the call and another pass took the row over; it finds
                # this message by its metadata, so nothing is posted twice.
                log.warning("lease on %s lapsed during the call; leaving it to the pass that took it",
                            row["dedupe_key"])
                return False
            store.mark_outbox_sent(row["id"], ts=ts, channel=channel or row["channel"])
            if row["kind"] in ("alert", "source_alert", "digest_item", "digest_parent"):
                store.record_message(kind="alert" if row["kind"] == "source_alert" else row["kind"],
                                     channel=channel or row["channel"], ts=ts, thread_ts=thread_ts,
                                     dedupe_key=row["dedupe_key"], digest_id=row["digest_id"], change_id=row["change_id"])
            if row["digest_id"]:
                pending = store.digest_messages_waiting(row["digest_id"])
                fields: dict[str, Any] = {"channel": channel or row["channel"]}
                if row["kind"] == "digest_parent":
                    fields["ts"] = ts
                if not pending:
                    fields.update(status="posted", posted_at=store.now())
                store.update_digest(row["digest_id"], **fields)
        return True

    # --- rendering at send time --------------------------------------------------------------

    def _render(self, store: Store, row: dict[str, Any], thread_ts: str | None) -> tuple[str, dict[str, Any]] | None:
        kind, payload = row["kind"], row["payload"]
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"outbox_id": row["id"]}}
        base: dict[str, Any] = {"channel": row["channel"], "unfurl_links": False, "unfurl_media": False,
                                "metadata": metadata}
        if thread_ts:
            base["thread_ts"] = thread_ts
        if kind == "digest_parent":
            digest = store.digest(row["digest_id"])
            if digest is None:
                raise LookupError(f"digest {row['digest_id']} is gone")
            text, parent = self.render_parent(store, digest) if self.render_parent else ("driftwatch digest", [])
            return "chat_postMessage", {**base, "text": text, "blocks": parent}
        if kind == "confirmation":
            return "chat_postMessage", {**base, "text": payload["text"]}
        change = store.change(f"DW-{row['change_id']}") if row["change_id"] else None
        if change is None:
            return None
        if kind == "update":
            return "chat_update", {"channel": row["channel"], "ts": payload["ts"], "text": blocks.fallback_text(change),
                                   "blocks": blocks.fit(blocks.item_blocks(change, nonce=str(row["id"])))}
        card = blocks.fit(blocks.item_blocks(change, carried_over=bool(payload.get("carried_over"))))
        text = blocks.fallback_text(change)
        if kind == "alert":
            text = ":rotating_light: " + text
        elif kind == "source_alert":
            icon = ":white_check_mark:" if change["kind"] == "source_recovered" else ":warning:"
            text = f"{icon} " + blocks.truncate(blocks.title(blocks.hide_ips(change["title"])), 3000)
        return "chat_postMessage", {**base, "text": text, "blocks": card}

    # --- after a crash ------------------------------------------------------------------------

    def _recover(self, store: Store, report: DeliveryReport) -> None:
        """Rows left in ``sending`` by a pass that is gone: find them in Slack before sending again.

        Rows another live pass is sending are left alone (their lease has not run out).
        """
        now = iso(self.clock())
        for row in store.outbox(("sending",)):
            if not lease_lapsed(row, now):
                continue
            taken = store.take_over_outbox(row["id"], row.get("lease_owner"), self.owner, self._expiry())
            if taken is None:
                continue  # another pass took it over first
            try:
                found = self._find_in_slack(store, taken)
            except (OSError, ValueError) as exc:  # cannot tell whether it was posted: look again later
                store.release_outbox(taken["id"], self.owner)
                report.unreachable = True
                log.warning("cannot look up %s after a crash (%s); trying again later", taken["dedupe_key"], exc)
                return
            if found:
                if self._mark_sent(store, taken, found, taken["channel"], self._thread_ts(store, taken)):
                    report.recovered += 1
            else:
                store.release_outbox(taken["id"], self.owner, status="pending")

    def _thread_ts(self, store: Store, row: dict[str, Any]) -> str | None:
        if row["thread_of"]:
            parent = store.outbox_row(row["thread_of"])
            return parent["ts"] if parent else None
        return row["thread_ts"]

    def _find_in_slack(self, store: Store, row: dict[str, Any]) -> str | None:
        if row["kind"] == "update":
            return None  # updates are idempotent: sending again is harmless
        thread_ts = self._thread_ts(store, row)
        oldest = f"{parse_iso(row['created_at']).timestamp() - 120:.6f}"
        self.client.timeout = self._call_timeout()
        try:
            if thread_ts:
                response = self.client.conversations_replies(channel=row["channel"], ts=thread_ts,
                                                             include_all_metadata=True, limit=200)
            else:
                response = self.client.conversations_history(channel=row["channel"], oldest=oldest,
                                                             include_all_metadata=True, limit=200)
        except SlackApiError as exc:
            log.warning("cannot look up %s after a crash (%s); sending it again", row["dedupe_key"],
                        exc.response.get("error"))
            return None
        for message in response.get("messages") or []:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("outbox_id") == row["id"]:
                return str(message["ts"])
        return None


def outbox_summary(store: Store) -> dict[str, Any]:
    counts = store.outbox_counts()
    pending = store.outbox(("pending", "sending"), 50)
    return {
        "counts": {s: counts.get(s, 0) for s in ("pending", "sending", "sent", "failed")},
        "pending": [{"id": r["id"], "kind": r["kind"], "dedupe_key": r["dedupe_key"], "attempts": r["attempts"],
                     "next_attempt_at": r["next_attempt_at"], "last_error": r["last_error"]} for r in pending],
        "failed": [{"id": r["id"], "kind": r["kind"], "dedupe_key": r["dedupe_key"], "last_error": r["last_error"]}
                   for r in store.outbox(("failed",), 50)],
    }
