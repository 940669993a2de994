"""The Slack HTTP app verifies before it parses, and applies a replayed request once."""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import quote

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from .test_slack import SECRET, env, signed  # noqa: F401  (env is a fixture)


def raw_post(env, body: bytes, headers: dict[str, str]) -> httpx.Response:  # noqa: F811
    return httpx.post(env["url"] + "/slack/events", content=body, headers=headers, timeout=10)


def sign_bytes(body: bytes, content_type: str, ts: str | None = None) -> dict[str, str]:
    stamp = ts or str(int(time.time()))
    base = f"v0:{stamp}:".encode() + body
    import hashlib
    import hmac

    digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "Content-Type": content_type, "X-Slack-Signature": f"v0={digest}"}


@pytest.mark.parametrize("body, content_type", [
    (b"this is not json", "application/json"),
    (b"\xff\xfe\x00 not utf-8 at all", "application/json"),
    (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    (b"[1, 2, 3]", "application/json"),
])
def test_unsigned_malformed_bodies_get_401_never_500(env, body: bytes, content_type: str, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.WARNING)
    answer = raw_post(env, body, {"Content-Type": content_type})
    assert answer.status_code == 401
    answer = raw_post(env, body, {"Content-Type": content_type, "X-Slack-Request-Timestamp": "not-a-number",
                                  "X-Slack-Signature": "v0=abc"})
    assert answer.status_code == 401
    assert "Traceback" not in caplog.text and "refused a Slack request" in caplog.text


@pytest.mark.parametrize("body, content_type", [
    (b"{this is not json", "application/json"),
    (b"\xff\xfe not utf-8", "application/json"),
    (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    (b"payload=" + quote(json.dumps([1, 2])).encode(), "application/x-www-form-urlencoded"),
    (b'"a string"', "application/json"),
    (b"<xml/>", "text/xml"),
])
def test_signed_malformed_bodies_get_400_and_a_log_line(env, body: bytes, content_type: str, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.WARNING)
    answer = raw_post(env, body, sign_bytes(body, content_type))
    assert answer.status_code == 400
    assert "Traceback" not in caplog.text
    assert any("refused a Slack request" in r.getMessage() for r in caplog.records)


def _raw_http(env, request: bytes) -> bytes:
    port = int(env["url"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(request)
        return conn.recv(4096)


@pytest.mark.parametrize("length", [b"abc", b"-5", b"1e9", "\uff11\uff12".encode()])
def test_bad_content_length_gets_400(env, length: bytes) -> None:  # noqa: F811
    answer = _raw_http(env, b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Content-Length: " + length + b"\r\n\r\n{}")
    assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"400", answer[:60]


@pytest.mark.parametrize("stamp", ["abc", "99999999999999999999", "-1", str(int(time.time()) - 3600), "1e9"])
def test_bad_timestamps_are_refused(env, stamp: str) -> None:  # noqa: F811
    body = "command=%2Fdriftwatch&text=help&user_id=UADMIN"
    headers = {"X-Slack-Request-Timestamp": stamp, "Content-Type": "application/x-www-form-urlencoded",
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)}
    assert raw_post(env, body.encode(), headers).status_code == 401
    assert env["fake"].webhooks == []


def test_a_good_request_still_passes_the_gate(env) -> None:  # noqa: F811
    body = "token=x&team_id=T1&channel_id=C1&user_id=UADMIN&command=%2Fdriftwatch&text=help&response_url=" + \
        quote(env["fake"].response_url()) + "&trigger_id=t"
    answer = raw_post(env, body.encode(), signed(body, "application/x-www-form-urlencoded"))
    assert answer.status_code == 200
    assert "posture" in json.dumps(env["fake"].webhooks) or "posture" in answer.text
