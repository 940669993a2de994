"""Verify, then parse: what the HTTP app checks before any Slack request reaches Bolt.

In order: the body's size (from Content-Length, before reading it), then the
signature and timestamp (over the raw bytes), and only then the body's shape
(UTF-8, JSON or a form with a JSON ``payload``). Each refusal is a status and a
one-line reason for the log; nothing here raises on hostile input.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qs

MAX_BODY = 1_000_000  # Slack's payloads are a few kB
MAX_SKEW = 300  # seconds, as Slack recommends


@dataclass(frozen=True)
class Refusal:
    status: str  # WSGI status line
    reason: str  # one line for the log


def content_length(value: str | None) -> int | Refusal:
    """The declared body size, or why the request is refused before reading anything."""
    text = (value or "").strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit():
        return Refusal("400 Bad Request", f"bad Content-Length {text[:20]!r}")
    size = int(text)
    if size > MAX_BODY:
        return Refusal("413 Content Too Large", f"body of {size} bytes is over the {MAX_BODY}-byte limit")
    return size


def signature_problem(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> Refusal | None:
    """None if the request is signed by Slack with our secret within the time window."""
    stamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not stamp or not signature:
        return Refusal("401 Unauthorized", "unsigned request")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return Refusal("401 Unauthorized", f"bad timestamp {stamp[:20]!r}")
    if abs((now if now is not None else time.time()) - int(stamp)) > MAX_SKEW:
        return Refusal("401 Unauthorized", "stale or future timestamp")
    # Slack's scheme (v0=HMAC-SHA256 of "v0:{timestamp}:{body}"), over the raw bytes, so a
    # signed body that is not even UTF-8 is verified first and refused as malformed after.
    expected = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Refusal("401 Unauthorized", "bad signature")
    return None


def parse(content_type: str, body: bytes) -> dict[str, Any] | Refusal:
    """The request as a dict (signed input only), or a 400 for a body Bolt could not read."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal("400 Bad Request", "signed body is not UTF-8")
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(text)
        except ValueError:
            return Refusal("400 Bad Request", "signed JSON body does not parse")
        if not isinstance(data, dict):
            return Refusal("400 Bad Request", "signed JSON body is not an object")
        return data
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True, strict_parsing=bool(text)).items()}
        except ValueError:
            return Refusal("400 Bad Request", "signed form body does not parse")
        if "payload" in form:
            try:
                payload = json.loads(form["payload"])
            except ValueError:
                return Refusal("400 Bad Request", "signed form payload is not JSON")
            if not isinstance(payload, dict):
                return Refusal("400 Bad Request", "signed form payload is not an object")
            return {"payload": payload}
        return form
    return Refusal("400 Bad Request", f"unexpected Content-Type {kind[:40]!r}")
