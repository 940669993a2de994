"""A small threaded HTTP server on 127.0.0.1 for tests: pages, feeds, faults.

Routes answer with a queue of canned responses (the last one repeats), so a
test can say "503, then 429 with Retry-After, then the page". Every request is
recorded with its headers.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: bool = True  # answer 304 when If-None-Match matches


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "FakeWeb._Server"

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with fake.lock:
            fake.requests.append(seen)
            handler = fake.handler_for(self.path)
            reply = None if handler else fake.next_reply(self.path)
        if handler:
            reply = handler(seen)
        if reply is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if reply.delay:
            time.sleep(reply.delay)
        tag = '"' + hashlib.sha256(reply.body).hexdigest()[:16] + '"'
        if reply.status == 200 and reply.etag and seen.headers.get("if-none-match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(reply.status)
        if reply.status == 200 and reply.etag:
            self.send_header("ETag", tag)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if "Content-Length" not in reply.headers:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = _handle
    do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        return


class FakeWeb:
    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        fake: "FakeWeb"

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.handlers: dict[str, Any] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.httpd = self._Server(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Reply) -> str:
        with self.lock:
            self.routes[path] = list(replies)
        return self.url(path)

    def page(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", **kw: Any) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.route(path, Reply(200, data, {"Content-Type": content_type}, **kw))

    def handle(self, prefix: str, handler: Any) -> None:
        """Answer every request whose path starts with ``prefix`` with ``handler(seen) -> Reply``."""
        with self.lock:
            self.handlers[prefix] = handler

    def handler_for(self, path: str) -> Any:
        for prefix in sorted(self.handlers, key=len, reverse=True):
            if path.startswith(prefix):
                return self.handlers[prefix]
        return None

    def next_reply(self, path: str) -> Reply | None:
        queue = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        if not queue:
            return None
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def hits(self, path: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def start(self) -> "FakeWeb":
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd.fileno() != -1:
            self.httpd.shutdown()
            self.httpd.server_close()
