"""Who may change things: one Bolt middleware in front of every listener.

Reading (posture, changes, search...) is open to the workspace; acknowledging,
snoozing and attesting need an allowed user (``[slack] allowed_users`` /
``allowed_usergroup``). Listeners never re-check: a refused request never reaches them.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from slack_bolt import BoltResponse

from . import ids
from .commands import changes_state, parse_thread_reply
from .service import SlackService

log = logging.getLogger("driftwatch.slack")
REFUSAL = ":no_entry: You are not allowed to change driftwatch items. Ask a security team admin."


def _asks_to_change(body: dict[str, Any], service: SlackService) -> bool:
    kind = body.get("type")
    if kind == "block_actions":
        return any(a.get("action_id") in ids.ACTIONS for a in body.get("actions") or [])
    if kind == "view_submission":
        return (body.get("view") or {}).get("callback_id") == ids.ATTEST_VIEW
    if body.get("command") == ids.COMMAND:
        return changes_state(body.get("text") or "")
    event = body.get("event") or {}
    if kind == "event_callback" and event.get("type") == "message":
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts") or event.get("subtype") or event.get("bot_id"):
            return False
        if parse_thread_reply(event.get("text") or "") is None:
            return False
        with service.store() as store:
            parent = store.message_at(event.get("channel") or "", thread_ts)
        return parent is not None and parent["kind"] in ("digest_parent", "alert")
    return False


def _user(body: dict[str, Any]) -> str:
    return ((body.get("user") or {}).get("id") or body.get("user_id")
            or (body.get("event") or {}).get("user") or "")


def authorization(service: SlackService) -> Callable[..., Any]:
    def authorize(body: dict[str, Any], context: Any, ack: Callable, respond: Callable, client: Any,
                  next: Callable[[], Any]) -> Any:
        user = _user(body)
        if not _asks_to_change(body, service) or service.allowed(user):
            context["may_change"] = True
            return next()
        log.info("refused a change from %s (%s)", user, body.get("type") or body.get("command"))
        kind = body.get("type")
        if kind == "view_submission":
            view = body.get("view") or {}
            blocks = view.get("blocks") or []
            block_id = blocks[1]["block_id"] if len(blocks) > 1 else "x"
            return ack(response_action="errors", errors={block_id: "You may not attest settings."})
        if kind == "event_callback":
            client.chat_postEphemeral(channel=body["event"]["channel"], user=user, text=REFUSAL)
            return BoltResponse(status=200, body="")
        response = ack()
        respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
        return response

    return authorize
