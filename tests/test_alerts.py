"""Every path that creates a change at or above the alert severity alerts it exactly once.

The use cases hand their changes to the notifier (the Slack outbox here), whichever face
called them; each path below runs twice and must still give one alert per high change.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from driftwatch import app as use_cases
from driftwatch.bot import blocks
from driftwatch.bot.app import create_app
from driftwatch.config import load_settings
from driftwatch.models import Classification, NewChange, ParsedEntry

from .conftest import copy_of
from .fake_slack import BOT_TOKEN, FakeSlack
from .test_slack import SECRET, Clock, post

HOT = ('<div class="article-content"><h1>March 3, 2026</h1><h2>Agent mode for everyone</h2>'
       '<p>Agent mode is now enabled by default for all members.</p></div>')
CALM = ('<div class="article-content"><h1>March 3, 2026</h1><h2>Canvas gets a new colour picker</h2>'
        '<p>Pick colours faster in canvas.</p></div>')


@pytest.fixture
def world(tmp_path: Path, web, migrated_db: Path):
    fake = FakeSlack(web)
    web.page("/hot", HOT)
    (tmp_path / "acme.toml").write_text('[settings]\n"apps.box.write_actions" = false\n')
    config = tmp_path / "driftwatch.toml"
    config.write_text(
        '[storage]\npath = "dw.db"\n'
        '[slack]\nchannel = "C1"\nallowed_users = ["UADMIN"]\nalert_severity = "high"\n'
        f'[[sources]]\nname = "hot"\nkind = "release_notes"\nurl = "{web.url("/hot")}"\n'
        '[fetch]\nretries = 0\n'
        '[[workspaces]]\nname = "acme"\nattested = "acme.toml"\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                               "SLACK_API_URL": fake.base_url})
    clock = Clock()
    copy_of(migrated_db, settings.db_path)
    dw = use_cases.Driftwatch(settings, clock=clock)
    return {"dw": dw, "fake": fake, "settings": settings, "clock": clock, "web": web, "tmp": tmp_path}


def alerts(world) -> list[str]:
    """The change id of every alert Slack received (an alert's metadata names it)."""
    refs = []
    for call in world["fake"].of("chat.postMessage"):
        if "rotating_light" in call.params.get("text", ""):
            refs.append(json.dumps(call.params.get("blocks")))
    return refs


def high_changes(world) -> list[dict]:
    with world["dw"].store() as store:
        return [c for c in store.changes() if c.get("severity") == "high" and c.get("security_relevant")]


def test_check_alerts_each_high_change_once(world) -> None:
    for _ in range(2):
        use_cases.check_sources(world["dw"], ["hot"], snapshots=False)
    highs = high_changes(world)
    assert len(highs) == 1 and highs[0]["kind"] == "new_entry"
    assert len(alerts(world)) == 1 and highs[0]["title"] in alerts(world)[0]


def test_snapshot_alerts_each_newly_failing_high_control_once(world) -> None:
    (world["tmp"] / "acme.toml").write_text('[settings]\n"apps.box.write_actions" = true\n')
    for _ in range(2):
        use_cases.take_snapshots(world["dw"], "acme")
    highs = [c for c in high_changes(world) if c["kind"] == "control_failing"]
    assert highs and len(alerts(world)) == len(highs)
    assert any("DW-CTRL-APPS-011" in (c.get("control_id") or "") for c in highs)


def test_replay_alerts_what_the_stored_body_reveals_once(world) -> None:
    with world["dw"].store() as store:  # a body stored earlier (say, before a parser fix), never applied
        store.sync_source("hot", "release_notes", world["web"].url("/hot"))
        store.store_body("hot", world["web"].url("/hot"), "text/html; charset=utf-8", HOT.encode(), "sha-hot")
    for _ in range(2):
        use_cases.replay(world["dw"], "hot")
    assert len(high_changes(world)) == 1 and len(alerts(world)) == 1


def test_reclassify_alerts_a_change_newly_rated_high_once(world) -> None:
    with world["dw"].store() as store:
        store.sync_source("s", "feed", "https://e.test/f")
        entry_id = store.insert_entry("s", ParsedEntry("2026-03-01", "Agent mode on by default",
                                                       "Agent mode is enabled by default for all members.", "l"))
        stale = Classification(False, "info", ["other"], ["old model"], "old-model")
        store.add_change(NewChange(kind="new_entry", title="Agent mode on by default", dedupe_key="e",
                                   entry_id=entry_id, classification=stale))
    assert alerts(world) == []  # info when stored: no alert
    first = use_cases.reclassify(world["dw"])
    again = use_cases.reclassify(world["dw"], everything=True)
    assert first["moved"] == [{"id": "DW-1", "title": "Agent mode on by default", "old": "info", "new": "high"}]
    assert again["moved"] == []
    assert len(alerts(world)) == 1


def test_attest_modal_alerts_a_newly_failing_high_control_once(world) -> None:
    import threading

    from driftwatch.bot.app import http_server

    # the attested file's time is its mtime: attest after it, as an admin would
    world["clock"].now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    use_cases.take_snapshots(world["dw"], "acme")  # passing so far
    before = len(alerts(world))
    app, service = create_app(world["settings"], clock=world["clock"], process_before_response=True)
    server = http_server(app, world["settings"], "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    env = {"url": f"http://127.0.0.1:{server.server_port}"}
    try:
        view = blocks.attest_modal("acme", [], {})
        box = blocks.setting_block_id("apps.box.write_actions")
        state = {"values": {box: {"value": {"type": "static_select", "selected_option": {"value": "true"}}}}}
        for view_id in ("V1", "V2"):  # submitted twice: the control is still failing, not newly
            payload = {"type": "view_submission", "user": {"id": "UADMIN"}, "team": {"id": "T1"},
                       "api_app_id": "A1", "view": {**view, "id": view_id, "state": state}}
            assert post(env, "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded").status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    failing = [c for c in high_changes(world) if c["control_id"] == "DW-CTRL-APPS-011"]
    assert len(failing) == 1
    assert len(alerts(world)) - before == 1


def test_alerts_wait_in_the_outbox_without_a_token(world, tmp_path: Path) -> None:
    settings = load_settings(str(world["tmp"] / "driftwatch.toml"), env={"SLACK_API_URL": world["fake"].base_url})
    dw = use_cases.Driftwatch(settings, clock=world["clock"])
    result = use_cases.check_sources(dw, ["hot"], snapshots=False)
    assert result.delivery is None  # nothing can be sent yet
    with dw.store() as store:
        assert dw.notifier.waiting(store) == 1
    use_cases.check_sources(world["dw"], ["hot"], snapshots=False)  # now with a token: delivered
    assert len(alerts(world)) == 1
