"""A tiny HTTP server on 127.0.0.1 that serves in-memory pages, with ETags.

The demo runs the real fetch path (httpx, conditional GET, parsing) against it,
so it shows exactly what a check does, without the internet.
"""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: "LoopbackServer._Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        page = self.server.pages.get(self.path.split("?", 1)[0])
        if page is None:
            self.send_error(404)
            return
        body, content_type = page
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class LoopbackServer:
    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        pages: dict[str, tuple[bytes, str]]

    def __init__(self) -> None:
        self.httpd = self._Server(("127.0.0.1", 0), _Handler)
        self.httpd.pages = {}
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, body: bytes, content_type: str) -> str:
        self.httpd.pages[path] = (body, content_type)
        return self.base_url + path

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
