"""Who can read: [slack] readers gate the read answers; channel posts never show an actor's IP."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from driftwatch.bot import blocks, ids
from driftwatch.bot.app import create_app, http_server
from driftwatch.config import load_settings
from driftwatch.errors import ConfigError
from driftwatch.store import Store

from .fake_slack import BOT_TOKEN, FakeSlack
from .test_slack import SECRET, signed


@pytest.fixture
def gated(tmp_path: Path, web):
    fake = FakeSlack(web)
    fake.usergroups["SREADERS"] = ["UGROUPIE"]
    config = tmp_path / "driftwatch.toml"
    config.write_text('[storage]\npath = "r.db"\n[slack]\nchannel = "C1"\nallowed_users = ["UADMIN"]\n'
                      'readers = ["UREADER", "SREADERS"]\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                               "SLACK_API_URL": fake.base_url})
    app, service = create_app(settings, process_before_response=True)
    server = http_server(app, settings, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield {"fake": fake, "url": f"http://127.0.0.1:{server.server_port}", "settings": settings}
    server.shutdown()
    server.server_close()


def ask(gated, user: str, text: str) -> httpx.Response:
    body = urlencode({"token": "x", "team_id": "T1", "channel_id": "C1", "user_id": user, "command": ids.COMMAND,
                      "text": text, "response_url": gated["fake"].response_url(user), "trigger_id": "t"})
    return httpx.post(gated["url"] + "/slack/events", content=body.encode(),
                      headers=signed(body, "application/x-www-form-urlencoded"), timeout=10)


@pytest.mark.parametrize("text", ["posture", "item DW-1", "search audit", "changes since 7d"])
def test_non_readers_are_refused_read_answers(gated, text: str) -> None:
    answer = ask(gated, "UOTHER", text)
    assert answer.status_code == 200 and "not among" in answer.text
    assert gated["fake"].webhooks == []  # no answer went to the response URL


@pytest.mark.parametrize("user", ["UREADER", "UGROUPIE", "UADMIN"])
def test_readers_group_members_and_actors_may_read(gated, user: str) -> None:
    answer = ask(gated, user, "changes")
    assert "not among" not in answer.text
    assert gated["fake"].webhooks and "Changes" in json.dumps(gated["fake"].webhooks[-1])


def test_help_stays_open_and_home_is_gated(gated) -> None:
    assert "not among" not in ask(gated, "UOTHER", "help").text
    body = json.dumps({"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "EvH",
                       "event_time": 1, "event": {"type": "app_home_opened", "user": "UOTHER", "tab": "home"}})
    httpx.post(gated["url"] + "/slack/events", content=body.encode(), headers=signed(body, "application/json"),
               timeout=10)
    home = gated["fake"].views["UOTHER"]
    assert "not among" in json.dumps(home) and "Posture" not in json.dumps(home)


def test_readers_must_be_slack_ids(tmp_path: Path) -> None:
    config = tmp_path / "driftwatch.toml"
    config.write_text('[slack]\nreaders = ["alice@example.com"]\n')
    with pytest.raises(ConfigError, match="readers"):
        load_settings(str(config), env={})


def test_channel_cards_hide_the_actors_ip_and_item_shows_it() -> None:
    change = {"ref": "DW-9", "title": "Box write actions enabled", "severity": "high", "categories": [],
              "reasons": ["seen by compliance at 2026-01-20T10:00:00Z changed by mallory@acme.example from 203.0.113.7",
                          "also from 2001:db8::7 at 10:00:00"]}
    card = json.dumps(blocks.item_blocks(change)) + blocks.fallback_text(change)
    assert "203.0.113.7" not in card and "2001:db8::7" not in card
    assert "mallory@acme.example" in card and "[IP hidden]" in card and "10:00:00" in card
    detail = json.dumps(blocks.item_detail(change, [], []))
    assert "203.0.113.7" in detail  # the ephemeral item answer to a reader keeps it


def test_posted_alerts_of_setting_changes_carry_no_ip(tmp_path: Path, web) -> None:
    from driftwatch.bot.service import SlackService, make_client

    fake = FakeSlack(web)
    config = tmp_path / "driftwatch.toml"
    config.write_text('[storage]\npath = "p.db"\n[slack]\nchannel = "C1"\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.base_url})
    with Store.open(settings.db_path) as store, store.transaction():
        change_id = store.db["changes"].insert({
            "kind": "setting_drift", "workspace": "acme", "title": "Box write actions enabled from 198.51.100.4",
            "severity": "high", "security_relevant": 1, "categories": '["write_action"]',
            "reasons": '["changed by mallory@acme.example from 198.51.100.4"]', "detected_at": store.now(),
            "dedupe_key": "x"}).last_pk
        store.enqueue("alert", f"alert:{change_id}", channel="C1", change_id=change_id)
    SlackService(make_client(settings), settings).deliver()
    sent = json.dumps([c.params for c in fake.of("chat.postMessage")])
    assert "mallory@acme.example" in sent and "198.51.100.4" not in sent
