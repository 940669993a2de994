"""Who can read: ``[slack] readers`` limits posture, item, search and changes answers (and App Home).

A Bolt global middleware, so every way into those answers is covered before any
listener runs. Readers are Slack user ids (U…/W…) or user-group ids (S…); people
allowed to act (``allowed_users`` / ``allowed_usergroup``) may read too. With no
readers configured, everyone in the workspace may read, as before.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable

from slack_bolt import App, BoltResponse
from slack_sdk.errors import SlackApiError

from . import ids

log = logging.getLogger("driftwatch.slack")
READ_COMMANDS = ("posture", "item", "search", "changes")
NOT_A_READER = ":lock: You are not among this workspace's driftwatch readers; ask an admin to add you to `[slack] readers`."
CACHE_SECONDS = 300


class Readers:
    def __init__(self, service: Any) -> None:
        self.service = service
        self._groups: dict[str, tuple[float, set[str]]] = {}
        self._lock = threading.Lock()

    @property
    def configured(self) -> list[str]:
        return list(self.service.settings.config.slack.readers)

    def may_read(self, user: str) -> bool:
        readers = self.configured
        if not readers or user in readers:
            return True
        if any(group.startswith("S") and user in self._members(group) for group in readers):
            return True
        slack = self.service.settings.config.slack
        return bool(slack.allowed_users or slack.allowed_usergroup) and self.service.allowed(user)

    def _members(self, group: str) -> set[str]:
        with self._lock:
            cached = self._groups.get(group)
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
        try:
            members = set(self.service.client.usergroups_users_list(usergroup=group).get("users") or [])
        except (SlackApiError, OSError) as exc:
            log.warning("cannot read user group %s: %s", group, exc)
            members = set()  # fail closed: nobody reads through a group we cannot see
        with self._lock:
            self._groups[group] = (time.monotonic(), members)
        return members


def _ephemeral(text: str) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": text}),
                        headers={"content-type": ["application/json"]})


def register_readers(app: App, service: Any) -> Readers:
    """Install the middleware; returns the checker (for tests and the App Home)."""
    readers = Readers(service)

    def only_readers(body: dict[str, Any], client: Any, next: Callable[[], None]) -> BoltResponse | None:
        if not readers.configured:
            return next()
        if body.get("command") == ids.COMMAND:
            words = str(body.get("text") or "").split()
            if words and words[0].lower() in READ_COMMANDS and not readers.may_read(str(body.get("user_id") or "")):
                log.info("refused %s to a user who is not a reader", words[0].lower())
                return _ephemeral(NOT_A_READER)
        event = body.get("event") or {}
        if event.get("type") == "app_home_opened" and not readers.may_read(str(event.get("user") or "")):
            client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": NOT_A_READER}}]})
            return BoltResponse(status=200, body="")
        return next()

    app.middleware(only_readers)
    return readers
