"""The Slack outbox as the application's notifier: queue in the change's transaction, deliver later.

Queuing needs only the database, so alerts wait in the outbox whenever a channel is
configured, even before ``SLACK_BOT_TOKEN`` is set; delivery starts once it is.
"""

from __future__ import annotations

import time
from typing import Any

from driftwatch.app.notify import alert_kind
from driftwatch.config import Settings
from driftwatch.models import NewChange
from driftwatch.store import Store
from driftwatch.timeutil import Clock, utcnow

from . import blocks


class SlackOutbox:
    """Alerts go to ``channel`` (default ``[slack] channel``) from ``floor`` (``alert_severity``) up."""

    def __init__(self, settings: Settings, *, clock: Clock = utcnow, service: Any = None,
                 channel: str | None = None, floor: str | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self._service = service
        self.channel = channel or settings.config.slack.channel or ""
        self.floor = floor or settings.config.slack.alert_severity

    def _alert(self, store: Store, change_id: int, kind: str, relevant: bool, severity: str | None) -> bool:
        which = alert_kind(kind, relevant, severity, self.floor)
        if not which:
            return False
        return bool(store.enqueue(which, f"{which}:{change_id}", channel=self.channel, change_id=change_id))

    # --- the Notifier port -------------------------------------------------------------------

    def change_recorded(self, store: Store, change_id: int, change: NewChange) -> None:
        if change.classification is None:
            return
        self._alert(store, change_id, change.kind, change.classification.security_relevant,
                    change.classification.severity)

    def severity_raised(self, store: Store, change: dict[str, Any]) -> bool:
        return self._alert(store, change["id"], change["kind"], bool(change.get("security_relevant")), change.get("severity"))

    def change_updated(self, store: Store, change: dict[str, Any]) -> None:
        """Every posted copy of the change is re-rendered, so nobody acts on a stale card."""
        history = store.acks(change["id"])
        if not history:
            return
        for message in store.messages_for_change(change["id"]):
            store.enqueue("update", f"update:{message['id']}:{history[-1]['id']}", channel=message["channel"],
                          change_id=change["id"], payload={"ts": message["ts"]})

    def queue_digest(self, store: Store, digest_id: int, summary: dict[str, Any]) -> None:
        parent = f"digest:{digest_id}:parent"
        store.enqueue("digest_parent", parent, channel=self.channel, digest_id=digest_id)
        for item in summary["items"]:
            change = store.change(item["id"])
            if change is not None:
                store.enqueue("digest_item", f"digest:{digest_id}:item:{change['id']}", channel=self.channel,
                              thread_of=parent, change_id=change["id"], digest_id=digest_id,
                              payload={"carried_over": item.get("carried_over", False)})

    def confirm(self, store: Store, *, channel: str, thread_ts: str | None, user: str, lines: list[str],
                via: str) -> None:
        text = f"{blocks.mention(user)}: " + "; ".join(blocks.escape(line) for line in lines)
        store.enqueue("confirmation", f"confirm:{via}:{channel}:{thread_ts}:{user}:{time.time_ns()}",
                      channel=channel, thread_ts=thread_ts, payload={"text": text})

    def deliver(self, budget: float) -> dict[str, Any] | None:
        """Send what is queued, waiting out short rate limits for at most ``budget`` seconds."""
        if not self.settings.secrets.get("SLACK_BOT_TOKEN"):
            return None
        try:
            return self.service().flush(max_wait=budget).as_dict()
        except Exception as exc:  # Slack trouble never fails the caller; the outbox keeps the messages
            import logging

            logging.getLogger("driftwatch.slack").error("delivery failed, will retry: %s", exc)
            return {"error": str(exc)}

    def waiting(self, store: Store) -> int:
        counts = store.outbox_counts()
        return counts.get("pending", 0) + counts.get("sending", 0)

    def service(self) -> Any:
        if self._service is None:
            from .service import SlackService, make_client

            self._service = SlackService(make_client(self.settings), self.settings, clock=self.clock)
        return self._service
