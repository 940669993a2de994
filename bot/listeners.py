"""Bolt listeners: thin wrappers that parse a request, check who asked, and call the service.

Everything answers within Slack's 3 seconds by acknowledging first; answers to
the slash command are ephemeral. Changing anything requires an allowed user
(``SlackService.allowed``); reading does not.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from slack_bolt import App

from driftwatch.posture import load_catalogue
from driftwatch.posture.record import attest
from driftwatch.posture.report import posture_report
from driftwatch.timeutil import iso, parse_since

from . import blocks, ids
from .commands import Request, UsageError, parse_command, parse_thread_reply
from .service import SlackService, posture_summaries

log = logging.getLogger("driftwatch.slack")
REFUSAL = ":no_entry: You are not allowed to change driftwatch items. Ask a security team admin."


def register(app: App, service: SlackService) -> None:
    # --- buttons ---------------------------------------------------------------------------

    def on_button(body: dict[str, Any], ack: Callable, respond: Callable, name: str) -> None:
        ack()
        if not service.allowed(body["user"]["id"]):
            respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        action = body["actions"][0]
        value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
        ref, _, duration = value.partition("|")
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message = body.get("message") or {}
        service.act(Request(name, refs=[ref], duration=duration or None), user=user, via="button",
                    channel=channel, thread_ts=message.get("thread_ts") or message.get("ts"))

    app.action(ids.ACK)(lambda body, ack, respond: on_button(body, ack, respond, "ack"))
    app.action(ids.UNDO)(lambda body, ack, respond: on_button(body, ack, respond, "undo"))
    app.action(ids.SNOOZE)(lambda body, ack, respond: on_button(body, ack, respond, "snooze"))

    # --- thread replies --------------------------------------------------------------------

    @app.event("message")
    def on_message(event: dict[str, Any], client: Any) -> None:
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
        if not service.allowed(user):
            client.chat_postEphemeral(channel=channel, user=user, text=REFUSAL)
            return
        service.act(request, user=user, via="thread", channel=channel, thread_ts=thread_ts)

    # --- slash command ---------------------------------------------------------------------

    @app.command(ids.COMMAND)
    def on_command(ack: Callable, command: dict[str, Any], respond: Callable, client: Any) -> None:
        ack()
        user = command.get("user_id", "")
        try:
            request = parse_command(command.get("text") or "")
            reply = answer(service, request, user=user, trigger_id=command.get("trigger_id"), client=client)
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
        if not service.allowed(user):
            ack(response_action="errors", errors={
                view["blocks"][1]["block_id"] if len(view["blocks"]) > 1 else "x": "You may not attest settings."})
            return
        workspace = json.loads(view.get("private_metadata") or "{}").get("workspace")
        if workspace not in [w.name for w in service.settings.config.workspaces]:
            ack()
            return
        values = attested_values(view)
        ack()
        with service.store() as store:
            outcome = attest(store, service.settings, workspace, values, actor=user, via="slack")
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
    with service.store() as store:
        postures = posture_summaries(service.settings, store, service.clock())
        open_changes = [c for c in store.changes(limit=500)
                        if c.get("severity") in ("high", "medium") and not c.get("acked_by")
                        and not c.get("snoozed_until")]
        sources = store.sources()
    return blocks.home_view(postures, open_changes, sources)


def answer(service: SlackService, request: Request, *, user: str, trigger_id: str | None, client: Any) -> list[dict[str, Any]] | None:
    settings = service.settings
    if request.name == "help":
        return blocks.help_blocks()
    if request.name in ("ack", "snooze"):
        if not service.allowed(user):
            return [blocks.section(REFUSAL)]
        lines = service.act(request, user=user, via="slash")
        return [blocks.section("\n".join(blocks.escape(line) for line in lines))]
    with service.store() as store:
        if request.name == "posture":
            names = [w.name for w in settings.config.workspaces]
            if not names:
                return blocks.usage("no workspaces are configured")
            chosen = [request.workspace] if request.workspace else names
            if request.workspace and request.workspace not in names:
                return blocks.usage(f"unknown workspace {request.workspace!r}; known: {', '.join(names)}")
            out: list[dict[str, Any]] = []
            for name in chosen:
                snaps = store.snapshots(name, 1)
                out += blocks.posture_blocks(posture_report(settings, snaps[0] if snaps else None, name,
                                                            service.clock().date()), request.area)
            return blocks.fit(out)
        if request.name == "changes":
            since = iso(parse_since(request.since, service.clock)) if request.since else None
            rows = store.changes(since=since, limit=2000)
            if request.category:
                rows = [r for r in rows if request.category in (r.get("categories") or [])]
            if request.severity:
                rows = [r for r in rows if r.get("severity") == request.severity]
            title = "Changes" + (f" since {request.since}" if request.since else "")
            return blocks.changes_list(rows, title + (f" · {request.category}" if request.category else "")
                                       + (f" · {request.severity}" if request.severity else ""))
        if request.name == "item":
            change = store.change(request.refs[0])
            if change is None:
                return blocks.usage(f"no change {request.refs[0]}")
            versions = store.entry_versions(change["entry_id"]) if change.get("entry_id") else []
            return blocks.item_detail(change, versions, store.acks(change["id"]))
        if request.name == "search":
            return blocks.changes_list(store.search_changes(request.text), f"Search: {request.text}")
        if request.name == "sources":
            return blocks.sources_blocks(store.sources())
        if request.name == "digest":
            from driftwatch.digest import digest_since

            last = store.last_digest()
            since = last["period_end"] if last else None
            digest = digest_since(store, since, store.now()).as_dict(limit=settings.config.slack.digest_max_items)
            _text, parent = blocks.digest_parent(digest, [], [s for s in store.sources() if s["status"] in ("broken", "blocked")])
            return parent
        if request.name == "attest":
            names = [w.name for w in settings.config.workspaces]
            workspace = request.workspace or (names[0] if len(names) == 1 else None)
            if workspace not in names:
                return blocks.usage("name the workspace: " + ", ".join(names) if names else "no workspaces are configured")
            if not service.allowed(user):
                return [blocks.section(REFUSAL)]
            snaps = store.snapshots(workspace, 1)
            current = dict(snaps[0]["settings"]) if snaps else {}
            attestable = [s for s in load_catalogue().values() if "attested" in s.observed]
            client.views_open(trigger_id=trigger_id, view=blocks.attest_modal(workspace, attestable, current))
            return None
    raise UsageError(f"unknown command {request.name!r}")

