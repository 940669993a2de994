"""Bolt listeners: thin wrappers that parse a request and call the use cases.

Everything answers within Slack's 3 seconds by acknowledging first; answers to
the slash command are ephemeral. Who may change things is decided once, by the
middleware in :mod:`driftwatch.bot.middleware`, before any listener runs.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from slack_bolt import App

from driftwatch import app as use_cases
from driftwatch.posture import load_catalogue

from . import blocks, ids
from .commands import Request, UsageError, parse_command, parse_thread_reply
from .middleware import authorization
from .service import SlackService, posture_summaries
from .slash import HANDLERS, Asked

log = logging.getLogger("driftwatch.slack")


def register(app: App, service: SlackService) -> None:
    app.middleware(authorization(service))

    # --- buttons ---------------------------------------------------------------------------

    def on_button(body: dict[str, Any], ack: Callable, name: str) -> None:
        ack()
        action = body["actions"][0]
        value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        ref, _, duration = value.partition("|")
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message = body.get("message") or {}
        service.act(Request(name, refs=[ref], duration=duration or None), user=user, via="button",
                    channel=channel, thread_ts=message.get("thread_ts") or message.get("ts"))

    app.action(ids.ACK)(lambda body, ack: on_button(body, ack, "ack"))
    app.action(ids.UNDO)(lambda body, ack: on_button(body, ack, "undo"))
    app.action(ids.SNOOZE)(lambda body, ack: on_button(body, ack, "snooze"))

    # --- thread replies --------------------------------------------------------------------

    @app.event("message")
    def on_message(event: dict[str, Any]) -> None:
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if not thread_ts or thread_ts == ts or event.get("subtype") or event.get("bot_id"):
            return
        request = parse_thread_reply(event.get("text") or "")
        if request is None:
            return
        channel, user = event["channel"], event.get("user") or ""
        with service.store() as store:
            parent = store.message_at(channel, thread_ts)
            if parent is None or parent["kind"] not in ("digest_parent", "alert"):
                return  # not one of our threads
            if not store.record_message(kind="thread_command", channel=channel, ts=ts,
                                        dedupe_key=f"thread:{channel}:{ts}", thread_ts=thread_ts):
                return  # Slack retried the event: already handled
        service.act(request, user=user, via="thread", channel=channel, thread_ts=thread_ts)

    # --- slash command ---------------------------------------------------------------------

    @app.command(ids.COMMAND)
    def on_command(ack: Callable, command: dict[str, Any], respond: Callable, client: Any) -> None:
        ack()
        user = command.get("user_id", "")
        try:
            request = parse_command(command.get("text") or "")
            reply = HANDLERS[request.name](Asked(service, request, user, command.get("trigger_id"), client))
        except UsageError as exc:
            reply = blocks.usage(str(exc))
        except Exception:  # never a stack trace in Slack
            log.exception("slash command failed")
            reply = blocks.usage("something went wrong; the error is in driftwatch's log")
        if reply is not None:
            respond(blocks=reply, text="driftwatch", response_type="ephemeral")

    # --- App Home --------------------------------------------------------------------------

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=home(service))

    # --- attest modal ----------------------------------------------------------------------

    @app.view(ids.ATTEST_VIEW)
    def on_attest(ack: Callable, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        user = body["user"]["id"]
        workspace = json.loads(view.get("private_metadata") or "{}").get("workspace")
        if workspace not in [w.name for w in service.settings.config.workspaces]:
            ack()
            return
        values = attested_values(view)
        ack()
        outcome = use_cases.attest(service.app, workspace, values, actor=user, via="slack")
        client.chat_postEphemeral(channel=service.channel, user=user, text=blocks.escape(
            f"Attestation of {workspace} saved: snapshot {outcome.snapshot_id}, "
            f"{outcome.counts['fail']} failing, {len(outcome.change_refs)} new changes"))


def attested_values(view: dict[str, Any]) -> dict[str, Any]:
    by_block = {blocks.setting_block_id(s.key): s for s in load_catalogue().values()}
    values: dict[str, Any] = {}
    for block_id, inputs in (view.get("state") or {}).get("values", {}).items():
        setting = by_block.get(block_id)
        element = (inputs or {}).get("value") or {}
        if setting is None:
            continue
        raw = (element.get("selected_option") or {}).get("value") if element.get("type") == "static_select" else element.get("value")
        if raw is None:
            continue
        if setting.type == "bool":
            values[setting.key] = raw == "true"
        elif setting.type == "int":
            try:
                values[setting.key] = int(raw)
            except ValueError:
                continue
        else:
            values[setting.key] = raw
    return values


def home(service: SlackService) -> dict[str, Any]:
    open_changes = use_cases.open_changes(service.app)
    with service.store() as store:
        postures = posture_summaries(service.settings, store, service.clock())
        sources = store.sources()
    return blocks.home_view(postures, open_changes, sources)
