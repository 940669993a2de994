"""An admin API answering valid JSON of the wrong shape is that collector's error, nothing more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftwatch.config import load_settings
from driftwatch.store import Store
from driftwatch.watchers.collect import take_snapshot

from .fakeweb import Reply


@pytest.mark.parametrize("body", [
    [1, 2],                                            # a list where an object was expected
    None,                                              # null
    "2026-01-01",                                      # a bare string
    {"data": [{"name": "no id", "status": "active"}], "has_more": False},  # a project without id
    {"data": [{"id": "p1", "created_at": 99999999999999}], "has_more": "sometimes"},  # nonsense values
])
def test_wrong_shaped_answer_is_the_collectors_error(tmp_path: Path, web, body) -> None:
    web.route("/v1/organization/projects", Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"}))
    (tmp_path / "acme.toml").write_text('[settings]\n"apps.box.write_actions" = false\n')
    (tmp_path / "driftwatch.toml").write_text(
        '[storage]\npath = "s.db"\n'
        f'[[workspaces]]\nname = "broken-api"\nplatform_admin = true\nplatform_base_url = "{web.url("/v1")}"\n'
        '[[workspaces]]\nname = "acme"\nattested = "acme.toml"\n')
    settings = load_settings(str(tmp_path / "driftwatch.toml"), env={"OPENAI_ADMIN_KEY": "sk-admin-test"})
    with Store.open(settings.db_path) as store:
        broken = take_snapshot(store, settings, settings.workspace("broken-api"))
        assert not broken.complete and "platform_admin" in broken.errors
        assert "\n" not in broken.errors["platform_admin"]
        fine = take_snapshot(store, settings, settings.workspace("acme"))  # the next workspace is unaffected
        assert fine.complete and store.snapshots("acme", 1)[0]["settings"]["apps.box.write_actions"] is False
