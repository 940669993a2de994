"""A Slack request is applied once: replays and retries are acknowledged and dropped.

A request is identified by what an attacker replaying it, or Slack retrying it,
cannot change: an Events API callback by its ``event_id`` (Slack's retries carry
``X-Slack-Retry-Num`` and a new signature, but the same event), anything else
(buttons, slash commands, modals) by its signature, which covers the timestamp
and the exact body. Identities are kept in SQLite for longer than the signature's
five-minute window, so a replay is caught even by another ``serve`` process or
after a restart; older requests are refused by the timestamp check anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Mapping

from driftwatch.store import Store
from driftwatch.timeutil import Clock, iso, utcnow

log = logging.getLogger("driftwatch.slack")
KEEP = dt.timedelta(minutes=15)  # three times the signature window


def request_key(headers: Mapping[str, str], parsed: Mapping[str, Any]) -> str | None:
    """What makes this request unique, or None when there is nothing to go by (unsigned)."""
    event_id = parsed.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    signature = headers.get("x-slack-signature")
    return f"sig:{signature}" if signature else None


class ReplayGuard:
    def __init__(self, db_path: Path, clock: Clock = utcnow) -> None:
        self.db_path = db_path
        self.clock = clock

    def first_time(self, headers: Mapping[str, str], parsed: Mapping[str, Any]) -> bool:
        """Record the request; False if it was seen before (a replay, or Slack retrying)."""
        key = request_key(headers, parsed)
        if key is None:
            return True
        now = self.clock()
        with Store.open(self.db_path, migrate=False) as store:
            fresh = store.first_request(key, iso(now), forget_before=iso(now - KEEP))
        if not fresh:
            retry = headers.get("x-slack-retry-num")
            log.info("dropped a %s of an already applied Slack request (%s)",
                     f"retry #{retry}" if retry else "replay", key.split(":", 1)[0])
        return fresh
