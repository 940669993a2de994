"""The Slack app over real HTTP: signed requests in, a recording fake Web API out."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
import yaml
from hypothesis import given, settings as hsettings, strategies as st
from slack_sdk.signature import SignatureVerifier

from driftwatch.bot import blocks, ids
from driftwatch.bot.app import create_app, http_server
from driftwatch.bot.commands import UsageError, parse_command, parse_thread_reply
from driftwatch.classify import classify
from driftwatch.config import SourceConfig, load_settings
from driftwatch.store import Store
from driftwatch.watchers.check import run_check
from driftwatch.watchers.fetch import Fetcher

from .conftest import copy_of, fixture_text
from .fake_slack import BOT_TOKEN, FakeSlack

SECRET = "test-signing-secret"
ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.timezone.utc)  # a Tuesday

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def env(tmp_path: Path, web, migrated_db: Path):
    fake = FakeSlack(web)
    web.page("/notes", fixture_text("release-notes-current.html"))
    web.page("/evil.xml", fixture_text("feed-hostile.xml"), "application/rss+xml")
    (tmp_path / "acme.toml").write_text('[settings]\n"agent_mode.enabled" = "all"\n"apps.box.write_actions" = false\n')
    config = tmp_path / "driftwatch.toml"
    config.write_text(
        '[storage]\npath = "dw.db"\n'
        '[slack]\nchannel = "C1"\nallowed_users = ["UADMIN"]\ntimezone = "Europe/Paris"\n'
        '[[workspaces]]\nname = "acme"\nattested = "acme.toml"\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                               "SLACK_API_URL": fake.base_url})
    clock = Clock()
    with Store.open(copy_of(migrated_db, settings.db_path), clock=clock) as store, Fetcher(retries=0) as fetcher:
        run_check(store, [SourceConfig(name="notes", kind="release_notes", url=web.url("/notes")),
                          SourceConfig(name="evil", kind="feed", url=web.url("/evil.xml"))], fetcher, classify)
        store.change("DW-1")  # sanity
    app, service = create_app(settings, clock=clock, process_before_response=True)
    service.sleep = clock.sleep  # waiting out Retry-After moves the test's clock, not the wall clock
    server = http_server(app, settings, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield {"fake": fake, "settings": settings, "service": service, "clock": clock, "app": app,
           "url": f"http://127.0.0.1:{server.server_port}", "tmp": tmp_path}
    server.shutdown()
    server.server_close()


def store_of(env) -> Store:
    return Store.open(env["settings"].db_path, clock=env["clock"], migrate=False)


def signed(body: str, content_type: str, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    return {"X-Slack-Request-Timestamp": stamp, "Content-Type": content_type,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)}


def post(env, body: str, content_type: str, **kw) -> httpx.Response:
    return httpx.post(env["url"] + "/slack/events", content=body.encode(), headers=signed(body, content_type, **kw),
                      timeout=10)


def slash(env, text: str, user: str = "UADMIN") -> httpx.Response:
    body = urlencode({"token": "x", "team_id": "T1", "channel_id": "C1", "user_id": user, "command": ids.COMMAND,
                      "text": text, "response_url": env["fake"].response_url(), "trigger_id": "trig-1"})
    return post(env, body, "application/x-www-form-urlencoded")


def click(env, action_id: str, value: str, *, user: str = "UADMIN", message_ts: str, selected: bool = False,
          action_ts: str = "1700000099.000001") -> httpx.Response:
    action = {"action_id": action_id, "block_id": "b1", "type": "button", "action_ts": action_ts}
    if selected:
        action.update(type="static_select", selected_option={"value": value})
    else:
        action["value"] = value
    payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1",
               "channel": {"id": "C1"}, "container": {"type": "message", "message_ts": message_ts, "channel_id": "C1"},
               "message": {"ts": message_ts, "thread_ts": "1700000000.000001"}, "trigger_id": "trig",
               "response_url": env["fake"].response_url("click"), "actions": [action]}
    return post(env, "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded")


def event(env, inner: dict, event_id: str = "Ev1") -> httpx.Response:
    body = json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": 1, "event": inner,
                       "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]})
    return post(env, body, "application/json")


def post_digest(env, **kw) -> dict:
    return env["service"].post_digest(**kw)


# --- pure rendering ----------------------------------------------------------------------------


def test_digest_parent_and_items_stay_inside_slack_limits() -> None:
    items = [{"id": f"DW-{i}", "title": "T" * 500, "severity": "high", "carried_over": i % 2 == 0}
             for i in range(300)]
    digest = {"counts": {"high": 300}, "items": items, "carried_over": 150, "informational": 3, "period_start": None}
    posture = [{"workspace": f"ws{i}", "counts": {"fail": 3}, "newly_failing": 1, "expiring": ["DW-CTRL-A"]} for i in range(60)]
    text, parent = blocks.digest_parent(digest, posture, [{"name": "s", "status": "broken", "status_reason": "x" * 5000}])
    assert len(parent) <= 50 and len(json.dumps(parent)) <= 12000
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in parent)
    assert "300 high" in text and "150 carried over" in text
    change = {"ref": "DW-1", "title": "x&" * 4000, "severity": "high", "reasons": ["r" * 5000] * 10,
              "categories": ["write_action"], "link": "https://e.test/a?b=1&c=2"}
    card = blocks.item_blocks(change)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in card)
    assert "&amp" in card[0]["text"]["text"] and not card[0]["text"]["text"].endswith("&am…")
    chunks = blocks.chunk_blocks([blocks.section("y" * 2500) for _ in range(30)])
    assert len(chunks) > 1 and all(len(json.dumps(c)) <= 12000 and len(c) <= 50 for c in chunks)


TOKENS = list("<>&!@#^|*_~`ab \n") + ["<!channel>", "<!here>", "<@U123>", "<#C1>", "<!subteam^S1>",
                                       "<https://x|y>", "&lt;", "&amp;"]
HOSTILE = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=20).map("".join), st.text(max_size=60))


@hsettings(max_examples=150, deadline=None)
@given(title=HOSTILE, reason=HOSTILE, source=HOSTILE, actor=HOSTILE, note=HOSTILE)
def test_untrusted_text_never_pings_or_links(title: str, reason: str, source: str, actor: str, note: str) -> None:
    change = {"ref": "DW-7", "title": title, "severity": "high", "reasons": [reason], "source": source,
              "categories": ["other"], "date": "2026-01-01", "link": "javascript:alert(1)" + title,
              "acked_by": actor or None, "acked_at": "t", "ack_note": note, "ack_via": "button"}
    rendered = json.dumps(blocks.item_blocks(change)) + blocks.fallback_text(change)
    rendered += json.dumps(blocks.digest_parent({"counts": {}, "items": [{"id": "DW-7", "title": title, "severity": "high"}],
                                                 "period_start": source}, [], [{"name": source, "status_reason": reason}])[1])
    if blocks.SLACK_USER.match(actor or ""):
        rendered = rendered.replace(f"<@{actor}>", "")  # a real user id we stored becomes a mention
    for marker in ("<!", "<#", "<@", "<http", "<javascript"):
        assert marker not in rendered


def test_command_grammar() -> None:
    assert parse_command("").name == "help"
    req = parse_command("changes since 7d write_action high")
    assert (req.since, req.category, req.severity) == ("7d", "write_action", "high")
    req = parse_command("ack DW-42 dw-43 checked with IT")
    assert req.refs == ["DW-42", "DW-43"] and req.text == "checked with IT"
    for bad in ("frobnicate", "item", "item nope", "snooze DW-1", "changes since", "changes sometime", "search"):
        with pytest.raises(UsageError):
            parse_command(bad)
    reply = parse_thread_reply("ack DW-3 DW-4 looked at it")
    assert reply.name == "ack" and reply.refs == ["DW-3", "DW-4"] and reply.text == "looked at it"
    assert parse_thread_reply("thanks!") is None and parse_thread_reply("ack nothing") is None


def test_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [ids.COMMAND]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands"} <= scopes and "chat:write.public" not in scopes and "admin" not in scopes
    assert scopes == set(ids.BOT_SCOPES)  # what doctor checks is exactly what the manifest asks for
    assert {"app_home_opened", "message.channels"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


# --- digest -------------------------------------------------------------------------------------


def test_digest_posts_parent_and_one_reply_per_item_once(env) -> None:
    fake = env["fake"]
    result = post_digest(env)
    assert result["status"] == "posted" and result["items"] >= 2
    posts = fake.of("chat.postMessage")
    parent, replies = posts[0], posts[1:]
    assert "thread_ts" not in parent.params and parent.params["channel"] == "C1"
    assert len(replies) == result["items"]
    parent_ts = result["ts"]
    assert all(r.params["thread_ts"] == parent_ts for r in replies)
    assert all(str(p.params.get("unfurl_links")).lower() in ("false", "0") for p in posts)
    severities = [json.dumps(r.params["blocks"]) for r in replies]
    ranks = [0 if "HIGH" in s else 1 if "MEDIUM" in s else 2 for s in severities]
    assert ranks == sorted(ranks)  # highest severity first
    assert all(any(b["type"] == "actions" for b in r.params["blocks"]) for r in replies)
    with store_of(env) as store:
        assert store.db["slack_messages"].count_where("kind = 'digest_item'") == len(replies)
        assert store.digest(result["digest_id"])["ts"] == parent_ts

    again = post_digest(env)
    assert again["status"] == "already_posted" and len(fake.of("chat.postMessage")) == len(posts)
    forced = post_digest(env, force=True)
    assert forced["status"] == "posted" and len(fake.of("chat.postMessage")) == 2 * len(posts)


def test_digest_carries_over_unacknowledged_items(env) -> None:
    first = post_digest(env)
    with store_of(env) as store:
        items = first["items"]
        refs = [c["ref"] for c in store.changes() if c.get("security_relevant")]
        from driftwatch.acks import acknowledge

        acknowledge(store, refs[0], actor="UADMIN", via="cli")
    env["clock"].now += dt.timedelta(days=14)
    second = post_digest(env)
    assert second["status"] == "posted"
    with store_of(env) as store:
        summary = store.digest(second["digest_id"])["summary"]
    carried = [i for i in summary["items"] if i["carried_over"]]
    assert len(carried) == items - 1 and refs[0] not in [i["id"] for i in summary["items"]]


def test_rate_limited_then_server_error_still_posts_once(env) -> None:
    fake = env["fake"]
    fake.fail_next("chat.postMessage", 429, {"Retry-After": "1"})
    fake.fail_next("chat.postMessage", 503)
    result = post_digest(env)
    assert result["status"] == "posted"
    assert len(fake.messages) == result["items"] + 1  # each message stored once


def test_hostile_text_reaches_slack_escaped(env, web) -> None:
    page = ('<div class="article-content"><h1>March 2, 2026</h1><h2>Hi &lt;!channel&gt; and &lt;@U123&gt;</h2>'
            '<p>Write actions are now enabled by default &lt;!here&gt; &lt;https://evil.test|click&gt; &amp; more.</p></div>')
    web.page("/hostile", page)
    with env["service"].app.open_store() as store, Fetcher(retries=0) as fetcher:
        report = run_check(store, [SourceConfig(name="hostile", kind="release_notes", url=web.url("/hostile"))],
                           fetcher, classify)
    assert report.changes and "<!channel>" in report.changes[0]["title"]  # stored as the vendor wrote it
    post_digest(env)
    env["service"].flush()
    sent = json.dumps([c.params for c in env["fake"].of("chat.postMessage")])
    for raw in ("<!channel>", "<!here>", "<@U123>", "<https://evil.test|click>"):
        assert raw not in sent
    assert "&lt;!channel&gt;" in sent and "&lt;@U123&gt;" in sent
    with store_of(env) as store:
        change = store.change(report.changes[0]["id"])
    detail = json.dumps(blocks.item_detail(change, [], []))
    assert "&lt;!here&gt;" in detail and "<!here>" not in detail and "&amp; more" in detail
    assert any(c.params.get("text", "").count("&lt;!channel&gt;") for c in env["fake"].of("chat.postMessage"))


# --- acknowledgements ------------------------------------------------------------------------------


def item_message(env, ref: str) -> tuple[str, dict]:
    with store_of(env) as store:
        change = store.change(ref)
        message = store.messages_for_change(change["id"])[0]
    return message["ts"], change


def relevant_refs(env) -> list[str]:
    with store_of(env) as store:
        return [c["ref"] for c in store.changes(ascending=True) if c.get("security_relevant")]


def test_button_ack_updates_card_confirms_and_is_idempotent(env) -> None:
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, change = item_message(env, ref)
    fake = env["fake"]
    response = click(env, ids.ACK, ref, message_ts=ts)
    assert response.status_code == 200
    update = fake.of("chat.update")[-1]
    assert update.params["ts"] == ts
    text = json.dumps(update.params["blocks"])
    assert "Acknowledged by <@UADMIN>" in text and ids.UNDO in text and ids.ACK not in text
    confirm = fake.of("chat.postMessage")[-1]
    assert "<@UADMIN>" in confirm.params["text"] and ref in confirm.params["text"]
    with store_of(env) as store:
        state = store.change(ref)
        assert state["acked_by"] == "UADMIN" and state["ack_via"] == "button"
        acks = store.acks(state["id"])
    updates = len(fake.of("chat.update"))
    click(env, ids.ACK, ref, message_ts=ts, action_ts="1700000099.000002")  # double click
    with store_of(env) as store:
        assert len(store.acks(state["id"])) == len(acks) == 1
    assert len(fake.of("chat.update")) == updates

    click(env, ids.UNDO, ref, message_ts=ts)
    assert ids.ACK in json.dumps(fake.of("chat.update")[-1].params["blocks"])
    with store_of(env) as store:
        assert store.change(ref)["acked_by"] is None
        assert [a["action"] for a in store.acks(state["id"])] == ["ack", "undo"]


def test_user_not_allowed_is_refused_and_nothing_changes(env) -> None:
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, _ = item_message(env, ref)
    response = click(env, ids.ACK, ref, message_ts=ts, user="UOTHER")
    assert response.status_code == 200
    refusal = env["fake"].webhooks[-1]
    assert refusal["response_type"] == "ephemeral" and "not allowed" in refusal["text"]
    with store_of(env) as store:
        assert store.change(ref)["acked_by"] is None
    assert env["fake"].of("chat.update") == []


def test_usergroup_members_may_act(env) -> None:
    env["settings"].config.slack.__dict__["allowed_usergroup"] = "S1"  # frozen model: test-only tweak
    env["fake"].usergroups["S1"] = ["UGROUP"]
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, _ = item_message(env, ref)
    click(env, ids.ACK, ref, message_ts=ts, user="UGROUP")
    with store_of(env) as store:
        assert store.change(ref)["acked_by"] == "UGROUP"


def test_thread_reply_acks_several_ids_with_note(env) -> None:
    result = post_digest(env)
    refs = relevant_refs(env)[:2]
    reply = {"type": "message", "channel": "C1", "user": "UADMIN", "ts": "1700000500.000001",
             "thread_ts": result["ts"], "text": f"ack {refs[0]} {refs[1]} checked with IT"}
    assert event(env, reply).status_code == 200
    with store_of(env) as store:
        for ref in refs:
            change = store.change(ref)
            assert change["acked_by"] == "UADMIN" and change["ack_via"] == "thread"
            assert change["ack_note"] == "checked with IT"
    confirmations = [c for c in env["fake"].of("chat.postMessage") if c.params.get("thread_ts") == result["ts"]
                     and "acknowledged" in c.params.get("text", "")]
    assert len(confirmations) == 1
    event(env, reply, event_id="Ev1-retry")  # Slack retries the same message
    confirmations_after = [c for c in env["fake"].of("chat.postMessage") if "acknowledged" in c.params.get("text", "")]
    assert len(confirmations_after) == 1
    outsider = {**reply, "user": "UOTHER", "ts": "1700000600.000001", "text": f"undo {refs[0]}"}
    event(env, outsider, event_id="Ev2")
    assert env["fake"].of("chat.postEphemeral")
    with store_of(env) as store:
        assert store.change(refs[0])["acked_by"] == "UADMIN"


def test_snooze_hides_until_it_expires(env) -> None:
    post_digest(env)
    ref = relevant_refs(env)[0]
    ts, _ = item_message(env, ref)
    click(env, ids.SNOOZE, f"{ref}|1d", message_ts=ts, selected=True)
    with store_of(env) as store:
        change = store.change(ref)
        assert change["snoozed_until"] == "2026-03-04T10:00:00Z"
        from driftwatch.digest import build_digest

        during = build_digest(store.digest_candidates(None), period_start=None, now="2026-03-03T12:00:00Z")
        after = build_digest(store.digest_candidates(None), period_start=None, now="2026-03-04T10:00:01Z")
    assert ref not in [i["ref"] for i in during.items] and ref in [i["ref"] for i in after.items]
    assert "Snoozed until" in json.dumps(env["fake"].of("chat.update")[-1].params["blocks"])


# --- requests ----------------------------------------------------------------------------------------


def test_bad_signature_and_stale_timestamp_are_rejected(env) -> None:
    body = urlencode({"command": ids.COMMAND, "text": "help", "user_id": "UADMIN"})
    wrong = httpx.post(env["url"] + "/slack/events", content=body.encode(),
                       headers=signed(body, "application/x-www-form-urlencoded", secret="wrong"), timeout=5)
    assert wrong.status_code == 401
    stale = post(env, body, "application/x-www-form-urlencoded", ts=int(time.time()) - 301)
    assert stale.status_code == 401
    assert env["fake"].webhooks == []
    assert httpx.get(env["url"] + "/healthz", timeout=5).json()["status"] == "ok"


@pytest.mark.parametrize("text, expect", [
    ("help", "posture [workspace]"),
    ("posture", "Posture of"),
    ("posture acme agt", "DW-CTRL-AGT-001"),
    ("changes since 7d", "DW-1"),
    ("changes write_action", "Changes"),
    ("item DW-1", "DW-1"),
    ("search audit log", "Audit log export"),
    ("sources", "notes"),
    ("digest", "driftwatch digest"),
    ("frobnicate", "unknown command"),
    ("snooze DW-1", "snooze needs"),
    ("changes since tomorrowish", "cannot read"),
    ("changes since 2025-13-45", "no such day"),
    ("item DW-99999", "no change DW-99999"),
])
def test_slash_subcommands_answer_ephemerally(env, text: str, expect: str) -> None:
    from driftwatch.watchers.collect import take_snapshot

    with store_of(env) as store:
        take_snapshot(store, env["settings"], env["settings"].workspace("acme"))
    response = slash(env, text)
    assert response.status_code == 200
    answer = env["fake"].webhooks[-1]
    assert answer["response_type"] == "ephemeral"
    assert expect in json.dumps(answer["blocks"])
    assert "Traceback" not in json.dumps(answer)


def test_slash_ack_and_snooze(env) -> None:
    slash(env, "ack DW-1 reviewed by secops")
    slash(env, "snooze DW-2 7d")
    with store_of(env) as store:
        assert store.change("DW-1")["ack_note"] == "reviewed by secops"
        assert store.change("DW-1")["ack_via"] == "slash"
        assert store.change("DW-2")["snoozed_until"] == "2026-03-10T10:00:00Z"
    slash(env, "ack DW-3", user="UOTHER")
    assert "not allowed" in json.dumps(env["fake"].webhooks[-1])
    with store_of(env) as store:
        assert store.change("DW-3")["acked_by"] is None


def test_attest_opens_a_modal_and_saving_records_a_snapshot(env) -> None:
    slash(env, "attest acme")
    view = env["fake"].of("views.open")[-1].params["view"]
    assert view["callback_id"] == ids.ATTEST_VIEW and len(view["blocks"]) <= 100
    box = blocks.setting_block_id("apps.box.write_actions")
    state = {"values": {box: {"value": {"type": "static_select", "selected_option": {"value": "true"}}}}}
    payload = {"type": "view_submission", "user": {"id": "UADMIN"}, "team": {"id": "T1"}, "api_app_id": "A1",
               "view": {**view, "id": "V2", "state": state}}
    response = post(env, "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded")
    assert response.status_code == 200
    with store_of(env) as store:
        snap = store.snapshots("acme", 1)[0]
        assert snap["settings"]["apps.box.write_actions"] is True
        assert snap["provenance"]["apps.box.write_actions"]["actor"] == "UADMIN"
        failing = [c for c in store.changes() if c["control_id"] == "DW-CTRL-APPS-011"]
        assert failing and failing[0]["kind"] == "control_failing"


def test_app_home_shows_posture_open_changes_and_sources(env) -> None:
    from driftwatch.watchers.collect import take_snapshot

    with store_of(env) as store:
        take_snapshot(store, env["settings"], env["settings"].workspace("acme"))
    event(env, {"type": "app_home_opened", "user": "UADMIN", "channel": "D1", "tab": "home"}, event_id="EvHome")
    view = env["fake"].of("views.publish")[-1].params["view"]
    text = json.dumps(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "acme" in text and "Open high and medium changes" in text and "Sources" in text
    assert ids.ACK in text


def alert_posts(env) -> list:
    return [c for c in env["fake"].of("chat.postMessage") if "rotating_light" in c.params.get("text", "")]


def test_alerts_are_posted_once(env, web) -> None:
    env["service"].flush()
    assert alert_posts(env) == []  # the fixture's changes are medium at most
    web.page("/hot", '<div class="article-content"><h1>March 3, 2026</h1><h2>Agent mode for everyone</h2>'
                     '<p>Agent mode is now enabled by default for all members.</p></div>')
    for _ in range(2):  # the second check finds nothing new
        with env["service"].app.open_store() as store, Fetcher(retries=0) as fetcher:
            run_check(store, [SourceConfig(name="hot", kind="release_notes", url=web.url("/hot"))], fetcher, classify)
        env["service"].flush()
    assert len(alert_posts(env)) == 1


def test_digest_lists_at_most_the_configured_number_of_items(env) -> None:
    env["settings"].config.slack.__dict__["digest_max_items"] = 2  # frozen model: test-only tweak
    result = post_digest(env)
    with store_of(env) as store:
        summary = store.digest(result["digest_id"])["summary"]
    assert len(summary["items"]) == 2 and summary["not_listed"] >= 1
    assert len(env["fake"].of("chat.postMessage")) == 3  # parent + 2 replies
    parent = json.dumps(env["fake"].of("chat.postMessage")[0].params["blocks"])
    assert "more open changes are not listed" in parent


def test_a_snooze_hides_a_change_until_it_ends_in_app_home_and_the_digest(env) -> None:
    from driftwatch import app as use_cases
    from driftwatch.bot.listeners import home

    dw = env["service"].app
    with dw.store() as store:
        target = next(c for c in store.changes() if c.get("severity") in ("high", "medium"))["ref"]

    def shown() -> tuple[bool, bool]:
        in_home = target in json.dumps(home(env["service"]))
        with dw.store() as store:
            in_digest = target in [item["id"] for item in use_cases.build_digest(dw, store)["items"]]
        return in_home, in_digest

    assert shown() == (True, True)
    use_cases.snooze(dw, target, "1d", actor="UADMIN", via="test")
    assert shown() == (False, False)
    env["clock"].now += dt.timedelta(days=2)  # the snooze is over: back in both
    assert shown() == (True, True)
