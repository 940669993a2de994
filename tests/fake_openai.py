"""Loopback fakes of the ChatGPT Compliance API (with the Logs Platform) and the OpenAI Admin API.

They follow the documented request and response shapes: bearer keys, cursor
pagination (``after``/``last_id``/``has_more``, opaque ``cursor``), Logs
Platform listing by ``end_time`` with ``last_end_time``, 307 redirects to
pre-signed download URLs, 429 with Retry-After, FastAPI-style errors.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .fakeweb import FakeWeb, Reply, Seen


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}, etag=False)


def _query(seen: Seen) -> dict[str, list[str]]:
    return parse_qs(urlsplit(seen.path).query)


def _page(items: list[dict[str, Any]], seen: Seen, size: int) -> dict[str, Any]:
    query = _query(seen)
    after = query.get("after", [None])[0]
    start = 0
    if after:
        ids = [i["id"] for i in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    chunk = items[start : start + size]
    return {"object": "list", "data": chunk, "has_more": start + size < len(items),
            "last_id": chunk[-1]["id"] if chunk else None, "first_id": chunk[0]["id"] if chunk else None}


def audit_event(event_id: str, action: str, data: dict[str, Any], *, at: str, email: str = "admin@acme.example",
                ip: str = "203.0.113.7") -> dict[str, Any]:
    return {"event_id": event_id, "type": "AUDIT_LOG", "timestamp": at,
            "actor": {"type": "ACCOUNT_USER", "user_id": "user-1", "user_email": email},
            "action": action, "action_result": "SUCCESS", "action_privilege": "ADMIN",
            "action_data": data, "request_metadata": {"client_ip": ip, "client_user_agent": "Mozilla/5.0"}}


@dataclass
class FakeCompliance:
    web: FakeWeb
    workspace_id: str = "f7f33107-0000-4000-8000-000000000001"
    key: str = "ck-test-compliance-key"
    page_size: int = 2
    gpts: list[dict[str, Any]] = field(default_factory=list)
    plugins: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # id, end_time, body, sha (optional override)
    rate_limit_once: set[str] = field(default_factory=set)  # path suffixes answering 429 once
    signed_with_auth: list[str] = field(default_factory=list)
    stall: dict[str, float] = field(default_factory=dict)  # file id -> seconds its download hangs
    stalled: threading.Event = field(default_factory=threading.Event)  # set when a stalled download starts

    def __post_init__(self) -> None:
        self.web.handle("/v1/compliance/", self._api)
        self.web.handle("/signed/", self._signed)

    @property
    def base_url(self) -> str:
        return self.web.url("/v1")

    def add_file(self, file_id: str, end_time: str, events: list[dict[str, Any]], *, corrupt: bool = False,
                 bad_lines: list[str] = (), fail_downloads: int = 0) -> None:
        """A log file; ``corrupt`` serves bytes that do not match the listed sha256 (until repaired),
        ``bad_lines`` are appended as they are (not JSON), ``fail_downloads`` makes the signed URL
        answer 404 that many times."""
        body = "".join(json.dumps(e) + "\n" for e in events).encode()
        body += "".join(line + "\n" for line in bad_lines).encode()
        self.files.append({"id": file_id, "end_time": end_time, "body": body, "sha": hashlib.sha256(body).hexdigest(),
                           "fail_downloads": fail_downloads, "corrupt": corrupt})
        self.files.sort(key=lambda f: f["end_time"])

    def repair(self, file_id: str) -> None:
        """The file downloads intact from now on."""
        entry = self.file(file_id)
        entry["corrupt"] = False
        entry["fail_downloads"] = 0

    def file(self, file_id: str) -> dict[str, Any]:
        return next(f for f in self.files if f["id"] == file_id)

    def _api(self, seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {self.key}":
            return _json(401, {"detail": "Invalid API key"})
        path = urlsplit(seen.path).path
        prefix = f"/v1/compliance/workspaces/{self.workspace_id}/"
        if not path.startswith(prefix):
            return _json(404, {"detail": "Not Found"})
        rest = path[len(prefix):]
        if rest in self.rate_limit_once:
            self.rate_limit_once.discard(rest)
            return _json(429, {"detail": "Too Many Requests"}, {"Retry-After": "1"})
        if rest == "gpts":
            return _json(200, _page(self.gpts, seen, self.page_size))
        if rest == "users":
            return _json(200, _page(self.users, seen, self.page_size))
        if rest == "plugins":
            query = _query(seen)
            start = int(query.get("cursor", ["0"])[0])
            chunk = self.plugins[start : start + self.page_size]
            more = start + self.page_size < len(self.plugins)
            return _json(200, {"data": chunk, "has_more": more, "cursor": str(start + self.page_size) if more else None})
        if rest == "logs":
            query = _query(seen)
            if query.get("event_type") != ["AUDIT_LOG"] or "after" not in query:
                return _json(422, {"detail": [{"loc": ["query", "after"], "msg": "field required"}]})
            after = query["after"][0]
            later = [f for f in self.files if f["end_time"] > after]
            chunk = later[: self.page_size]
            return _json(200, {
                "data": [{"id": f["id"], "event_type": "AUDIT_LOG", "end_time": f["end_time"],
                          "file_name": f"{f['id']}.jsonl", "file_size": len(f["body"]), "file_sha256": f["sha"]}
                         for f in chunk],
                "has_more": len(later) > self.page_size,
                "last_end_time": chunk[-1]["end_time"] if chunk else after,
            })
        if rest.startswith("logs/"):
            file_id = rest.split("/", 1)[1]
            if not any(f["id"] == file_id for f in self.files):
                return _json(404, {"detail": "file not found"})
            return Reply(307, b"", {"Location": self.web.url(f"/signed/{file_id}?sig=abc")}, etag=False)
        return _json(404, {"detail": "Not Found"})

    def _signed(self, seen: Seen) -> Reply:
        if "authorization" in seen.headers:
            self.signed_with_auth.append(seen.path)
            return Reply(400, b"Only one auth mechanism allowed", etag=False)
        file_id = urlsplit(seen.path).path.rsplit("/", 1)[1]
        entry = self.file(file_id)
        if entry["fail_downloads"]:
            entry["fail_downloads"] -= 1
            return Reply(404, b"<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"}, etag=False)
        body = entry["body"] + (b'{"event_id": "injected"}\n' if entry["corrupt"] else b"")
        if file_id in self.stall:
            self.stalled.set()
            return Reply(200, body, {"Content-Type": "application/jsonl"}, delay=self.stall[file_id], etag=False)
        return Reply(200, body, {"Content-Type": "application/jsonl"}, etag=False)


@dataclass
class FakeAdmin:
    web: FakeWeb
    key: str = "sk-admin-test-key-0000"
    page_size: int = 2
    projects: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    audit_logging: bool = True
    retention: str = "default"

    def __post_init__(self) -> None:
        self.web.handle("/v1/organization/", self._api)

    @property
    def base_url(self) -> str:
        return self.web.url("/v1")

    def _api(self, seen: Seen) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {self.key}":
            return _json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
        path = urlsplit(seen.path).path.removeprefix("/v1/organization/")
        if path == "projects":
            return _json(200, _page(self.projects, seen, self.page_size))
        if path.startswith("projects/") and path.endswith("/hosted_tool_permissions"):
            project = path.split("/")[1]
            return _json(200, self.tools.get(project, {"mcp": {"enabled": True}, "web_search": {"enabled": True},
                                                        "file_search": {"enabled": True}}))
        if path == "data_retention":
            return _json(200, {"retention_type": self.retention})
        if path == "admin_api_keys":
            return _json(200, _page([{"id": "key_1"}, {"id": "key_2"}, {"id": "key_3"}], seen, self.page_size))
        if path == "users":
            return _json(200, _page([{"id": "u1", "role": "owner"}, {"id": "u2", "role": "reader"}], seen, self.page_size))
        if path == "audit_logs":
            if not self.audit_logging:
                return _json(400, {"error": {"message": "Audit logging is not enabled for this organization."}})
            query = _query(seen)
            since = int(query.get("effective_at[gte]", ["0"])[0])
            items = [e for e in self.events if e["effective_at"] >= since]
            return _json(200, _page(items, seen, self.page_size))
        return _json(404, {"error": {"message": "not found"}})
