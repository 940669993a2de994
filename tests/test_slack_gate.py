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


@pytest.mark.parametrize("stamp", ["abc", "99999999999999999999", "-1", "an hour ago", "1e9"])
def test_bad_timestamps_are_refused(env, stamp: str) -> None:  # noqa: F811
    if stamp == "an hour ago":  # taken when the test runs: parallel workers must collect the same ids
        stamp = str(int(time.time()) - 3600)
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


# --- replays -------------------------------------------------------------------------------------

from driftwatch.bot import ids  # noqa: E402

from .test_slack import item_message, post_digest, relevant_refs, store_of  # noqa: E402


def _click_request(env, action_id: str, value: str, message_ts: str, *, selected: bool = False,  # noqa: F811
                   action_ts: str = "1700000099.000001") -> tuple[bytes, dict[str, str]]:
    action = {"action_id": action_id, "block_id": "b1", "type": "button", "action_ts": action_ts}
    if selected:
        action.update(type="static_select", selected_option={"value": value})
    else:
        action["value"] = value
    payload = {"type": "block_actions", "user": {"id": "UADMIN"}, "team": {"id": "T1"}, "api_app_id": "A1",
               "channel": {"id": "C1"}, "container": {"type": "message", "message_ts": message_ts, "channel_id": "C1"},
               "message": {"ts": message_ts}, "trigger_id": "trig",
               "response_url": env["fake"].response_url("click"), "actions": [action]}
    body = "payload=" + quote(json.dumps(payload))
    return body.encode(), signed(body, "application/x-www-form-urlencoded")


def test_a_replayed_ack_click_is_applied_and_answered_once(env) -> None:  # noqa: F811
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, change = item_message(env, ref)
    fake = env["fake"]
    posts_before = len(fake.of("chat.postMessage"))
    body, headers = _click_request(env, ids.ACK, ref, ts)
    for _ in range(3):
        assert raw_post(env, body, headers).status_code == 200
    with store_of(env) as store:
        assert [a["action"] for a in store.acks(change["id"])] == ["ack"]
    assert len(fake.of("chat.postMessage")) == posts_before + 1  # one confirmation, not three
    assert len(fake.of("chat.update")) == 1
    assert not [w for w in fake.webhooks if "already" in json.dumps(w)]


def test_an_ack_replayed_after_undo_does_nothing(env) -> None:  # noqa: F811
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, change = item_message(env, ref)
    ack = _click_request(env, ids.ACK, ref, ts)
    assert raw_post(env, *ack).status_code == 200
    undo = _click_request(env, ids.UNDO, ref, ts, action_ts="1700000099.000002")
    assert raw_post(env, *undo).status_code == 200
    assert raw_post(env, *ack).status_code == 200  # the captured ack, sent again
    with store_of(env) as store:
        assert store.change(ref)["acked_by"] is None
        assert [a["action"] for a in store.acks(change["id"])] == ["ack", "undo"]


def test_a_replayed_snooze_adds_one_snooze(env) -> None:  # noqa: F811
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, change = item_message(env, ref)
    snooze = _click_request(env, ids.SNOOZE, f"{ref}|1d", ts, selected=True)
    for _ in range(3):
        raw_post(env, *snooze)
    with store_of(env) as store:
        assert [a["action"] for a in store.acks(change["id"])] == ["snooze"]


def test_an_event_retried_by_slack_is_applied_once(env) -> None:  # noqa: F811
    result = post_digest(env)
    ref = relevant_refs(env)[0]
    reply = {"type": "message", "channel": "C1", "user": "UADMIN", "ts": "1700000500.000001",
             "thread_ts": result["ts"], "text": f"ack {ref}"}
    outer = {"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "EvR1",
             "event_time": 1, "event": reply, "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]}
    body = json.dumps(outer)
    assert raw_post(env, body.encode(), signed(body, "application/json")).status_code == 200
    time.sleep(1.1)  # a retry is signed anew, with a new timestamp
    retry = {**signed(body, "application/json"), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert raw_post(env, body.encode(), retry).status_code == 200
    with store_of(env) as store:
        assert [a["action"] for a in store.acks(store.change(ref)["id"])] == ["ack"]
    confirmations = [c for c in env["fake"].of("chat.postMessage") if "acknowledged" in c.params.get("text", "")]
    assert len(confirmations) == 1
