"""Delivering the outbox to Slack: once each, in order within a thread, retried until Slack takes it.

Rows hold intents ("alert for change 7", "item 9 in digest 3"), rendered at
send time so a card shows the item's current state. A row is marked
``sending`` before the call and ``sent`` with Slack's ts after it; every
message carries its outbox id in Slack message metadata, so a row left in
``sending`` by a crash is looked up in the channel (or thread) before it is
sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from driftwatch.config import Settings
from driftwatch.store import Store
from driftwatch.timeutil import Clock, iso, parse_iso, utcnow

from . import blocks

log = logging.getLogger("driftwatch.slack.outbox")
EVENT_TYPE = "driftwatch_outbox"
PERMANENT = {"channel_not_found", "not_in_channel", "invalid_blocks", "msg_too_long", "is_archived",
             "invalid_auth", "account_inactive", "token_revoked", "no_text", "message_not_found",
             "cant_update_message", "edit_window_closed", "missing_scope", "restricted_action"}
MAX_BACKOFF = 3600.0


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    waiting: int = 0
    recovered: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retried": self.retried, "failed": self.failed, "waiting": self.waiting,
                "recovered": self.recovered, "errors": self.errors}


class Deliverer:
    def __init__(self, client: WebClient, settings: Settings, store_factory: Callable[[], Store], *,
                 clock: Clock = utcnow, render_parent: Callable[[Store, dict[str, Any]], tuple[str, list]] | None = None,
                 backoff: float = 2.0) -> None:
        self.client = client
        self.settings = settings
        self.store_factory = store_factory
        self.clock = clock
        self.render_parent = render_parent
        self.backoff = backoff

    def deliver(self, limit: int = 500) -> DeliveryReport:
        report = DeliveryReport()
        store = self.store_factory()
        try:
            self._recover(store, report)
            now = iso(self.clock())
            blocked: set[str] = set()
            for row in store.outbox(("pending",), limit):
                lane = row["thread_of"] or row["thread_ts"] or f"own:{row['dedupe_key']}"
                if lane in blocked:
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
                        self._fail(store, row, "its thread's first message could not be posted", report)
                        continue
                    if parent["status"] != "sent":
                        blocked.add(lane)
                        report.waiting += 1
                        continue
                    thread_ts = parent["ts"]
                outcome = self._send(store, row, thread_ts, report)
                if outcome == "stop":
                    break  # Slack is rate limiting or down: the rest waits for the next pass
                if outcome == "blocked":
                    blocked.add(lane)
        finally:
            store.close()
        return report

    # --- one row -----------------------------------------------------------------------------

    def _send(self, store: Store, row: dict[str, Any], thread_ts: str | None, report: DeliveryReport) -> str:
        try:
            call = self._render(store, row, thread_ts)
        except LookupError as exc:
            self._fail(store, row, str(exc), report)
            return "ok"
        if call is None:  # nothing to say any more (e.g. the change was deleted)
            store.update_outbox(row["id"], status="sent", sent_at=store.now(), last_error="skipped")
            return "ok"
        method, kwargs = call
        store.update_outbox(row["id"], status="sending", attempts=int(row["attempts"] or 0) + 1)
        try:
            response = getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            return self._api_error(store, row, exc, report)
        except (OSError, ValueError) as exc:  # network trouble: urllib raises OSError subclasses
            self._retry(store, row, f"network error: {exc}", None, report)
            return "stop"
        data = response.data if hasattr(response, "data") else dict(response)
        self._mark_sent(store, row, str(data.get("ts") or kwargs.get("ts") or ""), data.get("channel") or kwargs.get("channel"),
                        thread_ts)
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
        attempts = int(row["attempts"] or 0) + 1
        wait = retry_after if retry_after is not None else min(MAX_BACKOFF, self.backoff * 2 ** (attempts - 1))
        store.update_outbox(row["id"], status="pending", attempts=attempts, last_error=why,
                            next_attempt_at=iso(self.clock() + dt.timedelta(seconds=wait)))
        report.retried += 1
        report.errors.append(f"{row['dedupe_key']}: {why}")
        log.warning("delivery of %s postponed %.0fs: %s", row["dedupe_key"], wait, why)

    def _fail(self, store: Store, row: dict[str, Any], why: str, report: DeliveryReport) -> None:
        store.update_outbox(row["id"], status="failed", last_error=why)
        report.failed += 1
        report.errors.append(f"{row['dedupe_key']}: {why}")
        log.error("delivery of %s failed for good: %s", row["dedupe_key"], why)

    def _mark_sent(self, store: Store, row: dict[str, Any], ts: str, channel: str | None, thread_ts: str | None) -> None:
        with store.transaction():
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
            text = f"{icon} " + blocks.escape(change["title"])
        return "chat_postMessage", {**base, "text": text, "blocks": card}

    # --- after a crash ------------------------------------------------------------------------

    def _recover(self, store: Store, report: DeliveryReport) -> None:
        """Rows a crash left in ``sending``: find them in Slack before sending again."""
        for row in store.outbox(("sending",)):
            found = self._find_in_slack(store, row)
            if found:
                self._mark_sent(store, row, found, row["channel"], self._thread_ts(store, row))
                report.recovered += 1
            else:
                store.update_outbox(row["id"], status="pending")

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

