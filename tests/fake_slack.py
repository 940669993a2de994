"""A recording fake of the Slack Web API on 127.0.0.1 (slack_sdk talks to it through base_url).

It answers the methods driftwatch uses with plausible state (message ts,
chat.update only for known messages, views per user), records every call with
its parameters, checks the bot token, and can fail the next call to a method
with any status (429 with Retry-After, 503...).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from driftwatch.bot.ids import BOT_SCOPES

from .fakeweb import FakeWeb, Reply, Seen

BOT_TOKEN = "xoxb-test-bot-token-0001"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]


class FakeSlack:
    def __init__(self, web: FakeWeb) -> None:
        self.web = web
        self.calls: list[Call] = []
        self.webhooks: list[dict[str, Any]] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # user id -> users.info "user" (unknown ids: user_not_found)
        self.scopes: list[str] = list(BOT_SCOPES)
        self.delay = 0.0  # seconds per call, to let tests kill a client mid-delivery
        self.order: list[tuple[str, str]] = []  # (channel, ts) in the order messages were accepted
        self.failures: dict[str, list[Reply]] = {}
        self.lock = threading.Lock()
        self._ts = itertools.count(1)
        web.handle("/api/", self._api)
        web.handle("/webhook/", self._webhook)

    @property
    def base_url(self) -> str:
        return self.web.url("/api/")

    def response_url(self, name: str = "r1") -> str:
        return self.web.url(f"/webhook/{name}")

    def fail_next(self, method: str, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        body = json.dumps({"ok": False, "error": "ratelimited" if status == 429 else "internal_error"}).encode()
        with self.lock:
            self.failures.setdefault(method, []).extend(
                Reply(status, body, {"Content-Type": "application/json", **(headers or {})}, etag=False)
                for _ in range(times))

    def outbox_ids(self) -> list[int]:
        """The driftwatch outbox id of every message Slack accepted (from message metadata)."""
        with self.lock:
            return [m["metadata"]["event_payload"]["outbox_id"] for m in self.messages.values()
                    if isinstance(m.get("metadata"), dict)]

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int, timeout: float = 5.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {method} calls, saw {len(self.of(method))}")

    def _params(self, seen: Seen) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[0] for k, v in parse_qs(urlsplit(seen.path).query).items()}
        body = seen.body.decode("utf-8") if seen.body else ""
        if body.startswith("{"):
            params.update(json.loads(body))
        elif body:
            params.update({k: v[0] for k, v in parse_qs(body).items()})
        for key in ("blocks", "view", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _ok(self, data: dict[str, Any]) -> Reply:
        return Reply(200, json.dumps({"ok": True, **data}).encode(), {"Content-Type": "application/json"}, etag=False)

    def _api(self, seen: Seen) -> Reply:
        method = urlsplit(seen.path).path.removeprefix("/api/")
        params = self._params(seen)
        with self.lock:
            self.calls.append(Call(method, params, seen.headers))
            queued = self.failures.get(method)
            if queued:
                return queued.pop(0)
        if self.delay:
            time.sleep(self.delay)
        if seen.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return Reply(200, b'{"ok": false, "error": "invalid_auth"}', {"Content-Type": "application/json"}, etag=False)
        if method == "auth.test":
            reply = self._ok({"url": "https://acme.slack.test/", "team": "Acme", "user": "driftwatch",
                              "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"})
            reply.headers["x-oauth-scopes"] = ",".join(self.scopes)
            return reply
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            channel = params["channel"]
            if isinstance(params.get("metadata"), str):
                params["metadata"] = json.loads(params["metadata"])
            with self.lock:
                self.messages[(channel, ts)] = params
                self.order.append((channel, ts))
            return self._ok({"channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}})
        if method in ("conversations.history", "conversations.replies"):
            channel = params.get("channel")
            with self.lock:
                found = [{"ts": ts, "text": m.get("text"), "thread_ts": m.get("thread_ts"), "metadata": m.get("metadata")}
                         for (c, ts), m in self.messages.items() if c == channel and (
                             method == "conversations.history" and not m.get("thread_ts")
                             or method == "conversations.replies" and m.get("thread_ts") == params.get("ts"))]
            return self._ok({"messages": found, "has_more": False})
        if method == "conversations.info":
            return self._ok({"channel": {"id": params.get("channel"), "is_member": params.get("channel") == "C1"}})
        if method == "chat.update":
            key = (params.get("channel"), params.get("ts"))
            if key not in self.messages:
                return Reply(200, b'{"ok": false, "error": "message_not_found"}', {"Content-Type": "application/json"}, etag=False)
            with self.lock:
                self.messages[key] = {**self.messages[key], **params}
            return self._ok({"channel": key[0], "ts": key[1]})
        if method == "chat.postEphemeral":
            return self._ok({"message_ts": f"1700000001.{next(self._ts):06d}"})
        if method == "views.publish":
            with self.lock:
                self.views[params["user_id"]] = params["view"]
            return self._ok({"view": {"id": "V1", **params["view"]}})
        if method == "views.open":
            return self._ok({"view": {"id": "V2", **params["view"]}})
        if method == "users.info":
            user = self.users.get(params.get("user"))
            if user is None:
                return Reply(200, b'{"ok": false, "error": "user_not_found"}', {"Content-Type": "application/json"}, etag=False)
            return self._ok({"user": user})
        if method == "usergroups.users.list":
            return self._ok({"users": self.usergroups.get(params.get("usergroup"), [])})
        return self._ok({})

    def _webhook(self, seen: Seen) -> Reply:
        with self.lock:
            self.webhooks.append(json.loads(seen.body or b"{}"))
        return Reply(200, b"ok", {"Content-Type": "text/plain"}, etag=False)
