"""Workspace posture: catalogue and baseline, each collector against its loopback fake, drift."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.config import load_settings
from driftwatch.posture import load_baseline, load_catalogue
from driftwatch.store import Store
from driftwatch.timeutil import iso
from driftwatch.watchers.collectors.attested import collect_attested, render_template
from driftwatch.watchers.collectors.codex_policy import summarise
from driftwatch.posture.report import evaluate_snapshot
from driftwatch.bot.notifier import SlackOutbox
from driftwatch.watchers.collect import take_snapshot

from .fake_anthropic import FakeAnthropic
from .fake_openai import FakeAdmin, FakeCompliance, audit_event

ATTESTED = """attested_by = "alice@acme.example"
attested_at = 2026-01-10T09:00:00Z
[settings]
"apps.box.write_actions" = false
"gpts.publish_external" = false
"agent_mode.enabled" = "restricted"
"""


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


def setup(tmp_path: Path, workspace_toml: str, *, env: dict[str, str] | None = None, extra: str = ""):
    (tmp_path / "acme.toml").write_text(ATTESTED)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "p.db"\n[[workspaces]]\nname = "acme"\n{workspace_toml}\n{extra}')
    settings = load_settings(str(config), env=env or {})
    clock = Clock()
    store = Store.open(tmp_path / "p.db", clock=clock)
    return settings, store, clock


def statuses(settings, store) -> dict[str, str]:
    snap = store.snapshots("acme", 1)[0]
    return {r.id: r.status for r in evaluate_snapshot(settings, snap, today=store.clock().date())}


# --- data ------------------------------------------------------------------------------------


def test_catalogue_and_baseline_cover_the_article() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) >= 35
    for key in ("apps.google_drive.write_actions", "gpts.publish_external", "workspace.ip_allowlist.enabled",
                "codex.local.device_code_auth", "api.audit_logging.enabled", "api.hosted_tools.mcp"):
        assert key in catalogue
    for setting in catalogue.values():
        assert setting.title and setting.where and setting.observed
    controls = load_baseline()
    assert len(controls) >= 30
    assert {c.recommendation for c in controls} >= {1, 2, 3, 4, 5, 6, 7, 8, 9, "api"}
    for control in controls:
        assert control.id.startswith("DW-CTRL-") and control.version >= 1
        assert control.rationale and control.remediation
        assert all(key in catalogue for key in control.settings), control.id


def test_template_lists_every_attestable_key_and_reads_back_clean(tmp_path: Path) -> None:
    text = render_template(load_catalogue(), "acme")
    data = tomllib.loads(text)
    attestable = {k for k, s in load_catalogue().items() if "attested" in s.observed}
    assert set(data["settings"]) == attestable
    path = tmp_path / "t.toml"
    path.write_text(text)
    result = collect_attested(path, load_catalogue())
    assert result.ok and not result.warnings and len(result.observations) == len(attestable)
    cli_out = CliRunner().invoke(cli, ["settings", "template"])
    assert cli_out.exit_code == 0 and tomllib.loads(cli_out.stdout)["settings"] == data["settings"]


def test_codex_requirements_first_value_wins_and_empty_mcp_disables_all() -> None:
    values = summarise([
        {"allowed_approval_policies": ["untrusted", "on-request"], "mcp_servers": {}},
        {"allowed_approval_policies": ["never"], "allowed_sandbox_modes": ["danger-full-access"],
         "features": {"computer_use": False}},
    ])
    assert values["codex.requirements.allowed_approval_policies"] == ["untrusted", "on-request"]
    assert values["codex.requirements.allowed_sandbox_modes"] == ["danger-full-access"]
    assert values["codex.requirements.mcp_servers"] == []
    assert values["codex.requirements.features.computer_use"] is False
    assert summarise([])["codex.requirements.present"] is False


# --- attested and drift ------------------------------------------------------------------------


def test_attested_toggle_gives_exactly_one_drift_change(tmp_path: Path) -> None:
    settings, store, clock = setup(tmp_path, 'attested = "acme.toml"')
    first = take_snapshot(store, settings, settings.workspace("acme"))
    assert statuses(settings, store)["DW-CTRL-APPS-011"] == "pass"
    before = store.db["changes"].count

    clock.now += dt.timedelta(days=1)
    (tmp_path / "acme.toml").write_text(ATTESTED.replace('"apps.box.write_actions" = false',
                                                         '"apps.box.write_actions" = true')
                                        .replace("alice@", "bob@"))
    second = take_snapshot(store, settings, settings.workspace("acme"))
    assert second.drift["newly_failing"] == 1 and first.snapshot_id != second.snapshot_id
    new = store.changes()[: store.db["changes"].count - before]
    assert len(new) == 1
    change = new[0]
    assert change["kind"] == "control_failing" and change["control_id"] == "DW-CTRL-APPS-011"
    assert change["severity"] == "high" and "write_action" in change["categories"]
    assert any("bob@acme.example" in r for r in change["reasons"])

    clock.now += dt.timedelta(days=1)
    third = take_snapshot(store, settings, settings.workspace("acme"))  # nothing changed
    assert third.change_refs == [] and third.drift["still_failing"] >= 1


def test_waiver_then_expiry(tmp_path: Path) -> None:
    waiver = ('[[waivers]]\ncontrol = "DW-CTRL-AGT-001"\nworkspace = "acme"\nreason = "pilot"\n'
              'owner = "ciso@acme.example"\nexpires = 2026-02-03\n')
    settings, store, clock = setup(tmp_path, 'attested = "acme.toml"', extra=waiver)
    (tmp_path / "acme.toml").write_text(ATTESTED.replace('"restricted"', '"all"'))
    take_snapshot(store, settings, settings.workspace("acme"))
    assert statuses(settings, store)["DW-CTRL-AGT-001"] == "waived"
    clock.now = dt.datetime(2026, 2, 3, 8, 0, tzinfo=dt.timezone.utc)  # the day it expires
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    assert statuses(settings, store)["DW-CTRL-AGT-001"] == "fail"
    assert outcome.drift["waiver_expired"] == 1
    expired = store.change(outcome.change_refs[0])
    assert expired["control_id"] == "DW-CTRL-AGT-001" and "expired" in " ".join(expired["reasons"])


# --- compliance collector --------------------------------------------------------------------


def compliance_setup(tmp_path: Path, web, **fake_kw):
    fake = FakeCompliance(web, **fake_kw)
    fake.gpts = [{"id": f"g-{i}", "sharing": {"visibility": "anyone_with_link" if i == 3 else "private"}}
                 for i in range(5)]
    fake.plugins = [{"id": f"p-{i}"} for i in range(3)]
    fake.users = [{"id": "u-1", "role": "owner"}, {"id": "u-2", "role": "member"}, {"id": "u-3", "role": "admin"}]
    ws = (f'attested = "acme.toml"\ncompliance_workspace_id = "{fake.workspace_id}"\n'
          f'compliance_base_url = "{fake.base_url}"')
    settings, store, clock = setup(tmp_path, ws, env={"CHATGPT_COMPLIANCE_API_KEY": fake.key})
    return fake, settings, store, clock


def test_compliance_inventory_pagination_rate_limit_and_events(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    fake.rate_limit_once.add("gpts")
    box_on = audit_event("ev-1", "APP_SET_ENABLED_ACTIONS",
                         {"app_id": "connector_box", "app_name": "Box", "enabled_actions": None},
                         at="2026-01-20T10:00:00Z", email="mallory@acme.example")
    fake.add_file("f-1", "2026-01-20T10:15:00Z", [box_on])
    fake.add_file("f-2", "2026-01-21T10:15:00Z", [box_on])  # at-least-once delivery: a duplicate
    fake.add_file("f-3", "2026-01-22T10:15:00Z", [audit_event(
        "ev-2", "WORKSPACE_TOGGLE_FEATURE", {"feature": "codex_device_code_auth", "value": True},
        at="2026-01-22T09:00:00Z")])
    sleeps: list[float] = []
    outcome = take_snapshot(store, settings, settings.workspace("acme"), sleep=sleeps.append)
    assert outcome.complete, outcome.errors
    assert sleeps == [1.0]  # honoured Retry-After
    snap = store.snapshots("acme", 1)[0]
    assert snap["settings"]["gpts.externally_shared"] == 1
    assert snap["settings"]["apps.workspace_plugins_count"] == 3
    assert snap["settings"]["apps.box.write_actions"] is True  # the event is newer than the attestation
    assert snap["provenance"]["apps.box.write_actions"]["actor"] == "mallory@acme.example"
    assert snap["provenance"]["apps.box.write_actions"]["ip"] == "203.0.113.7"
    assert store.db["setting_events"].count_where("event_id = 'ev-1'") == 1
    assert len(web.hits("/v1/compliance/workspaces/" + fake.workspace_id + "/gpts")) == 4  # 429 + 3 pages
    assert fake.signed_with_auth == []  # the Authorization header never followed the 307
    st = statuses(settings, store)
    assert st["DW-CTRL-APPS-011"] == "fail" and st["DW-CTRL-CDX-001"] == "fail" and st["DW-CTRL-LOG-001"] == "pass"
    box = next(store.change(r) for r in outcome.change_refs if store.change(r)["control_id"] == "DW-CTRL-APPS-011")
    assert any("mallory@acme.example" in r for r in box["reasons"])
    assert not any("203.0.113.7" in r for r in box["reasons"])  # reasons go to the channel: no IP there
    assert box["details"]["actor_ip"] == "203.0.113.7" and box["details"]["actor_type"] == "ACCOUNT_USER"

    # the next run reads only files after the stored cursor
    listed = len(web.hits(f"/v1/compliance/workspaces/{fake.workspace_id}/logs"))
    clock.now += dt.timedelta(hours=1)
    again = take_snapshot(store, settings, settings.workspace("acme"))
    assert again.change_refs == []
    assert store.cursor("acme", "compliance") == "2026-01-22T10:15:00Z"
    downloads = [r for r in web.requests if r.path.startswith("/signed/")]
    assert len(downloads) == 3
    assert len(web.hits(f"/v1/compliance/workspaces/{fake.workspace_id}/logs")) == listed + 1


def test_audit_event_toggle_gives_exactly_one_drift_change(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    take_snapshot(store, settings, settings.workspace("acme"))
    assert statuses(settings, store)["DW-CTRL-GPT-001"] == "pass"
    count = store.db["changes"].count
    fake.add_file("f-9", "2026-02-01T13:00:00Z", [audit_event(
        "ev-9", "WORKSPACE_TOGGLE_FEATURE", {"feature": "gpt_publish_external", "value": True},
        at="2026-02-01T12:30:00Z", email="eve@acme.example")])
    clock.now += dt.timedelta(hours=2)
    take_snapshot(store, settings, settings.workspace("acme"))
    new = store.changes()[: store.db["changes"].count - count]
    assert [(c["kind"], c["control_id"]) for c in new] == [("control_failing", "DW-CTRL-GPT-001")]
    assert any("eve@acme.example" in r for r in new[0]["reasons"])


def test_bad_key_is_a_clear_error_and_keys_become_unknown(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    bad = load_settings(str(settings.config_path), env={"CHATGPT_COMPLIANCE_API_KEY": "ck-wrong"})
    outcome = take_snapshot(store, bad, bad.workspace("acme"))
    assert not outcome.complete
    assert "401" in outcome.errors["compliance"] and "CHATGPT_COMPLIANCE_API_KEY" in outcome.errors["compliance"]
    assert "ck-wrong" not in outcome.errors["compliance"]
    st = statuses(bad, store)
    # attested said Box write actions are off, but events we could not read may have changed that
    assert st["DW-CTRL-APPS-011"] == "unknown"
    assert st["DW-CTRL-GPT-005"] == "unknown" and st["DW-CTRL-LOG-001"] == "unknown"
    missing = load_settings(str(settings.config_path), env={})
    assert "CHATGPT_COMPLIANCE_API_KEY" in take_snapshot(store, missing, missing.workspace("acme")).errors["compliance"]


def test_bad_file_between_two_good_ones_is_retried_then_reported_once(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    store.on_change(SlackOutbox(settings, channel="C0ALERTS", floor="high").change_recorded)
    box_on = audit_event("ev-1", "APP_SET_ENABLED_ACTIONS",
                         {"app_id": "connector_box", "app_name": "Box", "enabled_actions": None},
                         at="2026-01-20T10:00:00Z", email="mallory@acme.example")
    agent_on = audit_event("ev-x", "WORKSPACE_TOGGLE_FEATURE", {"feature": "agent_mode", "value": True},
                           at="2026-01-21T09:00:00Z", email="eve@acme.example")
    odd = audit_event("ev-odd-1", "WORKSPACE_FROBNICATE", {"level": 3}, at="2026-01-22T08:00:00Z")
    fake.add_file("f-1", "2026-01-20T10:15:00Z", [box_on])
    fake.add_file("f-2", "2026-01-21T10:15:00Z", [agent_on], corrupt=True)
    fake.add_file("f-3", "2026-01-22T10:15:00Z", [box_on, odd, audit_event(
        "ev-2", "WORKSPACE_TOGGLE_FEATURE", {"feature": "codex_device_code_auth", "value": True},
        at="2026-01-22T09:00:00Z")], bad_lines=['{"event_id": "ev-trunc', "not json at all"])

    first = take_snapshot(store, settings, settings.workspace("acme"))
    assert "compliance" not in first.errors  # one bad file does not fail the collector
    assert not first.complete and any("f-2" in gap for gap in first.gaps)
    assert store.cursor("acme", "compliance") == "2026-01-22T10:15:00Z"  # past the good files (and the bad one)
    snap = store.snapshots("acme", 1)[0]["settings"]
    assert snap["apps.box.write_actions"] is True and snap["codex.local.device_code_auth"] is True
    assert snap["agent_mode.enabled"] == "restricted"  # f-2's event was never applied unverified
    assert store.db["setting_events"].count_where("event_id = 'ev-x'") == 0
    assert store.db["setting_events"].count_where("event_id = 'ev-1'") == 1  # in f-1 and f-3: once
    assert store.db["audit_events"].count_where("event_id = 'ev-1'") == 1
    f3 = store.audit_file("acme", "compliance", "f-3")
    assert f3["status"] == "applied" and f3["bad_lines"] == 2 and f3["events"] == 2
    f2 = store.audit_file("acme", "compliance", "f-2")
    assert f2["status"] == "retrying" and f2["attempts"] == 1 and "sha256" in f2["reason"]
    kinds = [c["kind"] for c in store.changes()]
    assert "audit_file_failed" not in kinds and kinds.count("audit_lines_skipped") == 1
    assert any("f-3" in w and "2 lines skipped" in w for w in first.warnings)

    listed = len(web.hits(f"/v1/compliance/workspaces/{fake.workspace_id}/logs/f-2"))
    clock.now += dt.timedelta(hours=1)
    second = take_snapshot(store, settings, settings.workspace("acme"))
    assert len(web.hits(f"/v1/compliance/workspaces/{fake.workspace_id}/logs/f-2")) == listed + 1  # retried
    assert store.audit_file("acme", "compliance", "f-2")["attempts"] == 2
    assert second.change_refs == []
    clock.now += dt.timedelta(hours=1)
    third = take_snapshot(store, settings, settings.workspace("acme"))
    reported = [store.change(r) for r in third.change_refs]
    assert [c["kind"] for c in reported] == ["audit_file_failed"]
    assert "f-2" in reported[0]["title"] and reported[0]["details"]["attempts"] == 3
    assert store.audit_file("acme", "compliance", "f-2")["status"] == "reported"
    clock.now += dt.timedelta(hours=1)
    fourth = take_snapshot(store, settings, settings.workspace("acme"))
    assert fourth.change_refs == [] and store.audit_file("acme", "compliance", "f-2")["attempts"] == 4  # once

    # status and doctor name the file while it waits
    runner = CliRunner()
    status = json.loads(runner.invoke(cli, ["--config", str(settings.config_path), "status", "--json"]).stdout)
    assert [(f["file_id"], f["status"], f["attempts"]) for f in status["audit_log_files"]] == [("f-2", "reported", 4)]
    doctor = runner.invoke(cli, ["--config", str(settings.config_path), "doctor", "--offline", "--json"])
    check = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "audit log files")
    assert not check["ok"] and "f-2" in check["detail"] and doctor.exit_code == 1
    posture = " ".join(runner.invoke(cli, ["--config", str(settings.config_path), "posture"]).stdout.split())
    assert "log file f-2 reported after 4 attempts" in posture and "INCOMPLETE" in posture

    # the platform repairs the file: its event is applied, once, with who changed it
    fake.repair("f-2")
    clock.now += dt.timedelta(hours=1)
    fifth = take_snapshot(store, settings, settings.workspace("acme"))
    assert fifth.complete and store.audit_file("acme", "compliance", "f-2")["status"] == "applied"
    agent = [store.change(r) for r in fifth.change_refs]
    assert [(c["kind"], c["control_id"]) for c in agent] == [("control_failing", "DW-CTRL-AGT-001")]
    assert agent[0]["details"]["actor"] == "eve@acme.example"
    assert store.db["setting_events"].count_where("event_id = 'ev-x'") == 1
    status = json.loads(runner.invoke(cli, ["--config", str(settings.config_path), "status", "--json"]).stdout)
    assert status["audit_log_files"] == []


def test_unmapped_action_is_stored_and_surfaced_once(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    fake.add_file("f-1", "2026-01-20T10:15:00Z", [
        audit_event("ev-a", "WORKSPACE_FROBNICATE", {"level": 1}, at="2026-01-20T08:00:00Z"),
        audit_event("ev-b", "WORKSPACE_FROBNICATE", {"level": 2}, at="2026-01-20T09:00:00Z"),
        audit_event("ev-c", "WORKSPACE_TOGGLE_FEATURE", {"feature": "canvas_code_network_access", "value": True},
                    at="2026-01-20T09:30:00Z")])
    take_snapshot(store, settings, settings.workspace("acme"))
    fake.add_file("f-2", "2026-01-21T10:15:00Z", [
        audit_event("ev-d", "WORKSPACE_FROBNICATE", {"level": 3}, at="2026-01-21T08:00:00Z")])
    clock.now += dt.timedelta(hours=1)
    take_snapshot(store, settings, settings.workspace("acme"))
    unmapped = [c for c in store.changes() if c["kind"] == "audit_unmapped"]
    titles = sorted(c["title"] for c in unmapped)
    assert titles == [
        "unmapped audit action WORKSPACE_FROBNICATE, 2 events since 2026-01-20T08:00:00Z in acme",
        "unmapped audit action WORKSPACE_TOGGLE_FEATURE feature=canvas_code_network_access, 1 events since "
        "2026-01-20T09:30:00Z in acme",
    ]
    stored = [r for r in store.db["audit_events"].rows_where("mapped = 0", order_by="event_id")]
    assert [r["event_id"] for r in stored] == ["ev-a", "ev-b", "ev-c", "ev-d"]
    assert json.loads(stored[0]["record"])["action_data"] == {"level": 1}  # kept as received
    report = json.loads(CliRunner().invoke(cli, ["--config", str(settings.config_path), "posture", "--json"]).stdout)
    frob = next(a for a in report["unmapped_actions"] if a["action"] == "WORKSPACE_FROBNICATE")
    assert frob["events"] == 3 and frob["since"] == "2026-01-20T08:00:00Z"


def test_settings_actions_of_the_notes_are_mapped(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    events = [
        audit_event("ev-1", "WORKSPACE_SET_IP_ALLOWLIST", {"allowed_ips": ["198.51.100.0/24"]}, at="2026-01-20T08:00:00Z"),
        audit_event("ev-2", "WORKSPACE_SET_COMPLIANCE_API_IP_ALLOWLIST", {"allowed_ips": []}, at="2026-01-20T08:01:00Z"),
        audit_event("ev-3", "WORKSPACE_SET_SHARING_PERMISSION", {"sharing_permission": "anyone_with_link"},
                    at="2026-01-20T08:02:00Z"),
        audit_event("ev-4", "DOMAIN_CREATE", {"domain": "acme-partner.example"}, at="2026-01-20T08:03:00Z"),
        audit_event("ev-5", "WORKSPACE_SET_SYSTEM_INSTRUCTION", {"length": 120}, at="2026-01-20T08:04:00Z"),
        audit_event("ev-6", "GPT_PUBLISH", {"gpt_name": "Sales helper", "visibility": "public"}, at="2026-01-20T08:05:00Z"),
        audit_event("ev-7", "UPDATE_SHARING", {"name": "Q3 plan", "visibility": "workspace"}, at="2026-01-20T08:06:00Z"),
        audit_event("ev-8", "PROJECT_UPDATE_SHARING", {"project_name": "M&A", "visibility": "anyone_with_link"},
                    at="2026-01-20T08:07:00Z"),
        audit_event("ev-9", "SKILL_SHARE", {"skill_name": "pdf", "discoverability": "workspace"}, at="2026-01-20T08:08:00Z"),
        audit_event("ev-10", "SESSION_REVOKE", {"user_email": "bob@acme.example"}, at="2026-01-20T08:09:00Z"),
    ]
    fake.add_file("f-1", "2026-01-20T10:15:00Z", events)
    take_snapshot(store, settings, settings.workspace("acme"))
    snap = store.snapshots("acme", 1)[0]["settings"]
    assert snap["workspace.ip_allowlist.enabled"] is True
    assert snap["workspace.ip_allowlist.ranges"] == ["198.51.100.0/24"]
    assert snap["compliance.ip_allowlist.enabled"] is False and snap["compliance.ip_allowlist.ranges"] == []
    assert snap["workspace.sharing_permission"] == "anyone_with_link"
    assert statuses(settings, store)["DW-CTRL-LOG-003"] == "fail"
    inventory = {c["details"]["action"]: c for c in store.changes() if c["kind"] == "audit_event"}
    assert set(inventory) == {"DOMAIN_CREATE", "WORKSPACE_SET_SYSTEM_INSTRUCTION", "GPT_PUBLISH", "UPDATE_SHARING",
                              "PROJECT_UPDATE_SHARING", "SKILL_SHARE", "SESSION_REVOKE"}
    assert inventory["GPT_PUBLISH"]["severity"] == "medium"  # published outside the workspace
    assert inventory["UPDATE_SHARING"]["severity"] == "low"
    assert inventory["DOMAIN_CREATE"]["title"] == "Domain added to the workspace: acme-partner.example in acme"
    assert not inventory["SESSION_REVOKE"]["security_relevant"]  # stored, not listed in the digest
    assert not [c for c in store.changes() if c["kind"] == "audit_unmapped"]
    published = next(c for c in json.loads(CliRunner().invoke(
        cli, ["--config", str(settings.config_path), "changes", "--json"]).stdout)["changes"] if c["title"].startswith("GPT"))
    assert published["actor"] == "admin@acme.example" and published["actor_ip"] == "203.0.113.7"


def test_actor_fields_in_changes_item_and_export(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    take_snapshot(store, settings, settings.workspace("acme"))
    fake.add_file("f-9", "2026-02-01T13:00:00Z", [audit_event(
        "ev-9", "WORKSPACE_TOGGLE_FEATURE", {"feature": "gpt_publish_external", "value": True},
        at="2026-02-01T12:30:00Z", email="eve@acme.example", ip="192.0.2.55")])
    clock.now += dt.timedelta(hours=2)
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    [ref] = outcome.change_refs
    runner = CliRunner()
    config = ["--config", str(settings.config_path)]
    listed = next(c for c in json.loads(runner.invoke(cli, [*config, "changes", "--json"]).stdout)["changes"]
                  if c["id"] == ref)
    expected = {"actor": "eve@acme.example", "actor_type": "ACCOUNT_USER", "changed_at": "2026-02-01T12:30:00Z",
                "actor_ip": "192.0.2.55"}
    assert {k: listed[k] for k in expected} == expected
    item = json.loads(runner.invoke(cli, [*config, "item", ref, "--json"]).stdout)
    assert {k: item[k] for k in expected} == expected
    text = " ".join(runner.invoke(cli, [*config, "item", ref]).stdout.split())  # the terminal wraps lines
    assert "changed by: eve@acme.example (ACCOUNT_USER) at 2026-02-01T12:30:00Z from 192.0.2.55" in text
    export = runner.invoke(cli, [*config, "export", "--since", "2026-01-01", "--what", "changes"]).stdout
    record = next(json.loads(line) for line in export.splitlines() if json.loads(line)["id"] == ref)
    assert {k: record[k] for k in expected} == expected
    assert not any("192.0.2.55" in r for r in item["reasons"])  # channel posts show reasons: never the IP
    assert any("eve@acme.example" in r for r in item["reasons"])
    # a change no audit event explains carries nulls, not guesses
    other = next(c for c in json.loads(runner.invoke(cli, [*config, "changes", "--json"]).stdout)["changes"]
                 if c["kind"] == "control_failing" and c["id"] != ref)
    assert other["actor"] is None and other["actor_ip"] is None


def test_attestation_changed_by_an_audit_event_is_stale(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    fake.add_file("f-1", "2026-01-20T10:15:00Z", [audit_event(
        "ev-1", "APP_SET_ENABLED_ACTIONS", {"app_name": "Box", "enabled_actions": ["search", "upload_file"]},
        at="2026-01-20T10:00:00Z", email="mallory@acme.example")])
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    [stale] = outcome.stale_attestations
    assert stale["setting"] == "apps.box.write_actions" and stale["attested_by"] == "alice@acme.example"
    assert stale["message"] == "re-attest: changed by mallory@acme.example on 2026-01-20"
    runner = CliRunner()
    config = ["--config", str(settings.config_path)]
    report = json.loads(runner.invoke(cli, [*config, "posture", "--json"]).stdout)
    assert [s["setting"] for s in report["stale_attestations"]] == ["apps.box.write_actions"]
    text = " ".join(runner.invoke(cli, [*config, "posture"]).stdout.split())
    assert "apps.box.write_actions: re-attest: changed by mallory@acme.example on 2026-01-20" in text
    digest = json.loads(runner.invoke(cli, [*config, "digest", "--json"]).stdout)
    [ws] = digest["posture"]
    assert ws["stale_attestations"][0]["changed_by"] == "mallory@acme.example" and ws["complete"] is True
    # attesting again (newer than the event) clears it
    (tmp_path / "acme.toml").write_text(ATTESTED.replace("2026-01-10T09:00:00Z", "2026-01-25T09:00:00Z"))
    clock.now += dt.timedelta(hours=1)
    assert take_snapshot(store, settings, settings.workspace("acme")).stale_attestations == []


# --- platform admin collector ----------------------------------------------------------------


def test_platform_admin_projects_tools_and_audit_log(tmp_path: Path, web) -> None:
    fake = FakeAdmin(web)
    fake.projects = [{"id": f"proj_{i}", "status": "active"} for i in range(3)]
    fake.tools = {"proj_1": {"mcp": {"enabled": False}, "web_search": {"enabled": True}, "file_search": {"enabled": False}}}
    fake.events = [
        {"id": "audit_log-1", "type": "ip_allowlist.config.activated", "effective_at": 1769900000,
         "actor": {"type": "session", "session": {"user": {"id": "user-9", "email": "owner@acme.example"},
                                                  "ip_address": "198.51.100.4"}}},
        {"id": "audit_log-2", "type": "role.updated", "effective_at": 1769900100, "actor": {"type": "session", "session": {}}},
        {"id": "audit_log-3", "type": "login.succeeded", "effective_at": 1769900200, "actor": {}},
        {"id": "audit_log-4", "type": "workload_identity.bound", "effective_at": 1769900300, "actor": {}},
        {"id": "audit_log-5", "type": "workload_identity.bound", "effective_at": 1769900400, "actor": {}},
    ]
    ws = f'platform_admin = true\nplatform_base_url = "{fake.base_url}"'
    settings, store, clock = setup(tmp_path, ws, env={"OPENAI_ADMIN_KEY": fake.key})
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    assert outcome.complete, outcome.errors
    snap = store.snapshots("acme", 1)[0]["settings"]
    assert snap["api.hosted_tools.mcp"] == "selected_projects"
    assert snap["api.hosted_tools.web_search"] == "all_projects"
    assert snap["api.audit_logging.enabled"] is True and snap["api.ip_allowlist.enabled"] is True
    assert snap["api.admin_keys_count"] == 3
    st = statuses(settings, store)
    assert st["DW-CTRL-API-001"] == "pass" and st["DW-CTRL-API-002"] == "fail" and st["DW-CTRL-API-007"] == "pass"
    unmapped = [c for c in store.changes() if c["kind"] == "audit_unmapped"]  # login.succeeded is known
    assert [c["title"] for c in unmapped] == [
        "unmapped audit action event type workload_identity.bound, 2 events since 2026-01-31T22:58:20Z in acme"]

    fake.audit_logging = False
    clock.now += dt.timedelta(hours=1)
    take_snapshot(store, settings, settings.workspace("acme"))
    assert statuses(settings, store)["DW-CTRL-LOG-002"] == "fail"


# --- CLI --------------------------------------------------------------------------------------


def test_posture_and_baseline_json(tmp_path: Path) -> None:
    (tmp_path / "acme.toml").write_text(ATTESTED)
    (tmp_path / "driftwatch.toml").write_text(
        '[storage]\npath = "dw.db"\n[[workspaces]]\nname = "acme"\nattested = "acme.toml"\n'
        '[controls."DW-CTRL-AGT-001"]\nseverity = "low"\n')
    runner = CliRunner()
    assert runner.invoke(cli, ["snapshot", "--json"]).exit_code == 0
    result = runner.invoke(cli, ["posture", "--json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["workspace"] == "acme" and report["taken_at"].endswith("Z")
    ids = {c["id"]: c for c in report["controls"]}
    assert ids["DW-CTRL-AGT-001"]["severity"] == "low"  # the config override
    assert ids["DW-CTRL-APPS-011"]["status"] == "pass"
    assert {"id", "status", "severity", "observed", "expected", "evidence", "remediation"} <= set(ids["DW-CTRL-APPS-011"])
    assert ids["DW-CTRL-APPS-011"]["evidence"][0]["collector"] == "attested"
    assert ids["DW-CTRL-ID-004"]["status"] == "unknown"
    assert {c["status"] for c in report["controls"]} <= {"pass", "fail", "unknown", "waived"}
    baseline = json.loads(runner.invoke(cli, ["baseline", "--json"]).stdout)
    first = baseline["controls"][0]
    assert {"id", "title", "settings", "expected", "severity", "recommendation"} <= set(first)
    bad = tmp_path / "bad.toml"
    bad.write_text('[controls."DW-CTRL-NOPE-1"]\nseverity = "low"\n')
    assert runner.invoke(cli, ["--config", str(bad), "baseline", "--json"]).exit_code == 2


# --- drift as a state machine ------------------------------------------------------------------


def failing_attestation(count: int) -> dict[str, bool]:
    """Attested values that make ``count`` controls fail (single-setting boolean controls)."""
    catalogue = load_catalogue()
    values: dict[str, bool] = {}
    for control in load_baseline(vendor="openai"):
        key = control.settings[0]
        if (control.rule == "equals" and isinstance(control.expected, bool) and len(control.settings) == 1
                and "attested" in catalogue[key].observed and key != "gpts.publish_external"):
            values[key] = not control.expected
        if len(values) == count:
            return values
    raise AssertionError("not enough controls")


def write_attested(path: Path, values: dict[str, bool]) -> None:
    lines = ['attested_by = "alice@acme.example"', "attested_at = 2026-01-10T09:00:00Z", "[settings]"]
    lines += [f'"{k}" = {"true" if v else "false"}' for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")


def test_outage_neither_repeats_nor_invents_changes(tmp_path: Path) -> None:
    settings, store, clock = setup(tmp_path, 'attested = "acme.toml"')
    store.on_change(SlackOutbox(settings, channel="C0ALERTS", floor="high").change_recorded)
    values = {**failing_attestation(20), "gpts.publish_external": False}
    attested = tmp_path / "acme.toml"
    write_attested(attested, values)
    ws = settings.workspace("acme")

    def alerts() -> int:
        return store.db["outbox"].count_where("kind = 'alert'")

    first = take_snapshot(store, settings, ws)
    assert first.counts["fail"] == 20 and first.drift["newly_failing"] == 20
    assert store.db["changes"].count_where("kind = 'control_failing'") == 20  # one per failing control
    high = alerts()
    assert high == sum(1 for c in store.changes() if c["severity"] == "high")  # alerted like any other

    attested.unlink()  # the attested file is briefly missing: everything it told us is unknown
    clock.now += dt.timedelta(hours=1)
    outage = take_snapshot(store, settings, ws)
    assert outage.counts["fail"] == 0 and outage.counts["unknown"] >= 21 and not outage.complete
    assert outage.change_refs == [] and outage.drift["newly_unknown"] == 21

    write_attested(attested, values)  # back
    clock.now += dt.timedelta(hours=1)
    back = take_snapshot(store, settings, ws)
    assert back.counts["fail"] == 20 and back.change_refs == []
    assert back.drift["still_failing"] == 20 and back.drift["newly_failing"] == 0
    assert store.db["changes"].count_where("kind = 'control_failing'") == 20 and alerts() == high
    digest = json.loads(CliRunner().invoke(cli, ["--config", str(settings.config_path), "digest", "--json"]).stdout)
    assert digest["posture"][0]["newly_failing"] == 0 and digest["posture"][0]["complete"] is True

    # pass -> unknown -> fail is newly failing, once
    attested.unlink()
    clock.now += dt.timedelta(hours=1)
    take_snapshot(store, settings, ws)
    write_attested(attested, {**values, "gpts.publish_external": True})
    clock.now += dt.timedelta(hours=1)
    flipped = take_snapshot(store, settings, ws)
    assert [(store.change(r)["kind"], store.change(r)["control_id"]) for r in flipped.change_refs] == [
        ("control_failing", "DW-CTRL-GPT-001")]
    assert alerts() == high + 1
    clock.now += dt.timedelta(hours=1)
    assert take_snapshot(store, settings, ws).change_refs == []

    # fixed, then failing again: a new change
    write_attested(attested, values)
    clock.now += dt.timedelta(hours=1)
    fixed = take_snapshot(store, settings, ws)
    assert [store.change(r)["kind"] for r in fixed.change_refs] == ["control_fixed"]
    write_attested(attested, {**values, "gpts.publish_external": True})
    clock.now += dt.timedelta(hours=1)
    again = take_snapshot(store, settings, ws)
    assert [store.change(r)["kind"] for r in again.change_refs] == ["control_failing"]
    assert store.db["changes"].count_where("control_id = 'DW-CTRL-GPT-001' and kind = 'control_failing'") == 2
    state = store.control_states("acme")["DW-CTRL-GPT-001"]
    assert state["status"] == "fail" and state["episode"] == 2 and state["change_ref"] == again.change_refs[0]


def test_posture_shows_whether_the_snapshot_was_complete(tmp_path: Path) -> None:
    settings, store, clock = setup(tmp_path, 'attested = "acme.toml"')
    take_snapshot(store, settings, settings.workspace("acme"))
    (tmp_path / "acme.toml").unlink()
    clock.now += dt.timedelta(hours=1)
    take_snapshot(store, settings, settings.workspace("acme"))
    runner = CliRunner()
    config = ["--config", str(settings.config_path)]
    report = json.loads(runner.invoke(cli, [*config, "posture", "--json"]).stdout)
    assert report["complete"] is False and "attested" in report["errors"]
    text = " ".join(runner.invoke(cli, [*config, "posture"]).stdout.split())
    assert "INCOMPLETE" in text and "collector attested failed" in text
    digest = runner.invoke(cli, [*config, "digest"]).stdout
    assert "INCOMPLETE" in digest


# --- Claude Enterprise --------------------------------------------------------------------------


def claude_setup(tmp_path: Path, web, key: str | None = None):
    fake = FakeAnthropic(web)
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "p.db"\n[[workspaces]]\nname = "claude"\nvendor = "anthropic"\n'
                      f'anthropic_organization_id = "{fake.organization_id}"\nanthropic_base_url = "{fake.base_url}"\n')
    settings = load_settings(str(config), env={"ANTHROPIC_COMPLIANCE_API_KEY": key or fake.key})
    clock = Clock()
    return fake, settings, Store.open(tmp_path / "p.db", clock=clock), clock


def claude_statuses(settings, store) -> dict[str, str]:
    snap = store.snapshots("claude", 1)[0]
    return {r.id: r.status for r in evaluate_snapshot(settings, snap, today=store.clock().date())}


def test_claude_collector_not_applicable_new_setting_rate_limit_and_drift(tmp_path: Path, web) -> None:
    fake, settings, store, clock = claude_setup(tmp_path, web)
    del fake.settings["web_search_enabled"]  # admins of this organization cannot change it
    fake.settings["claude_design_enabled"] = True  # a name the catalogue does not know
    fake.rate_limited = 1
    sleeps: list[float] = []
    first = take_snapshot(store, settings, settings.workspace("claude"), sleep=sleeps.append)
    assert first.complete, first.errors
    assert sleeps == [2.0]  # Retry-After honoured
    [hit] = [r for r in web.requests if r.path.endswith("/settings")][-1:]
    assert hit.headers["x-api-key"] == fake.key and "authorization" not in hit.headers
    st = claude_statuses(settings, store)
    assert set(st) == {c.id for c in load_baseline(vendor="anthropic")}  # only Claude controls for a Claude workspace
    assert st["DW-CTRL-CLA-007"] == "not_applicable"  # omitted: neither off nor failing
    assert {s for cid, s in st.items() if cid != "DW-CTRL-CLA-007"} == {"pass"}
    snap = store.snapshots("claude", 1)[0]
    assert snap["settings"]["api_keys.active_count"] == 1 and snap["settings"]["api_keys.write_scopes"] == []
    assert snap["provenance"]["web_search_enabled"]["not_applicable"] is True
    new = [store.change(r) for r in first.change_refs if store.change(r)["kind"] == "setting_new"]
    assert [c["details"]["setting"] for c in new] == ["claude_design_enabled"]
    assert first.counts["fail"] == 0 and not [r for r in first.change_refs if store.change(r)["kind"] == "control_failing"]

    clock.now += dt.timedelta(hours=1)
    assert take_snapshot(store, settings, settings.workspace("claude")).change_refs == []  # reported once

    fake.settings["code_execution_network_egress_enabled"] = True
    fake.settings["web_search_enabled"] = True
    fake.api_keys[1]["is_active"] = True  # an old key with a delete scope is active again
    clock.now += dt.timedelta(hours=1)
    drift = take_snapshot(store, settings, settings.workspace("claude"))
    failing = sorted((store.change(r)["control_id"], store.change(r)["severity"]) for r in drift.change_refs
                     if store.change(r)["kind"] == "control_failing")
    assert failing == [("DW-CTRL-CLA-007", "low"), ("DW-CTRL-CLA-009", "high"), ("DW-CTRL-CLA-015", "high")]
    egress = next(store.change(r) for r in drift.change_refs if store.change(r)["control_id"] == "DW-CTRL-CLA-009")
    assert egress["details"]["vendor"] == "anthropic" and egress["title"].startswith("Code execution cannot reach")

    runner = CliRunner()
    config = ["--config", str(settings.config_path)]
    report = json.loads(runner.invoke(cli, [*config, "posture", "--json"]).stdout)
    assert report["vendor"] == "anthropic" and {c["vendor"] for c in report["controls"]} == {"anthropic"}
    cla9 = next(c for c in report["controls"] if c["id"] == "DW-CTRL-CLA-009")
    assert cla9["status"] == "fail" and cla9["settings"] == ["code_execution_network_egress_enabled"]
    baseline = json.loads(runner.invoke(cli, [*config, "baseline", "--json"]).stdout)["controls"]
    assert {c["vendor"] for c in baseline} == {"openai", "anthropic"}
    sso = next(c for c in baseline if c["id"] == "DW-CTRL-CLA-001")
    assert sso["settings"] == ["sso_enabled", "sso_claude_ai_enforced"]


def test_claude_key_rejected_or_missing_is_a_clear_error(tmp_path: Path, web) -> None:
    fake, settings, store, clock = claude_setup(tmp_path, web, key="sk-ant-wrong")
    outcome = take_snapshot(store, settings, settings.workspace("claude"))
    error = outcome.errors["anthropic"]
    assert "401" in error and "ANTHROPIC_COMPLIANCE_API_KEY" in error and "sk-ant-wrong" not in error
    assert set(claude_statuses(settings, store).values()) == {"unknown"}  # not "off", not failing
    missing = load_settings(str(settings.config_path), env={})
    assert "ANTHROPIC_COMPLIANCE_API_KEY" in take_snapshot(store, missing, missing.workspace("claude")).errors["anthropic"]
    assert "ANTHROPIC_COMPLIANCE_API_KEY" in repr(missing.secrets)  # listed with the other secrets


def test_claude_workspace_config_is_checked(tmp_path: Path) -> None:
    config = tmp_path / "driftwatch.toml"
    config.write_text('[[workspaces]]\nname = "claude"\nvendor = "anthropic"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "baseline", "--json"])
    assert result.exit_code == 2 and "anthropic_organization_id" in result.stderr
    config.write_text('[[workspaces]]\nname = "acme"\nanthropic_organization_id = "x"\n')
    result = CliRunner().invoke(cli, ["--config", str(config), "baseline", "--json"])
    assert result.exit_code == 2 and 'vendor = "anthropic"' in result.stderr


# --- the tool's own rules are evidence ---------------------------------------------------------


def test_waivers_overrides_and_baseline_versions_are_changes(tmp_path: Path) -> None:
    waiver = ('[[waivers]]\ncontrol = "DW-CTRL-AGT-001"\nworkspace = "acme"\nreason = "pilot"\n'
              'owner = "ciso@acme.example"\nexpires = {expires}\n')
    override = '[controls."DW-CTRL-MAC-001"]\nseverity = "low"\n'
    settings, store, clock = setup(tmp_path, 'attested = "acme.toml"',
                                   extra=waiver.format(expires="2026-03-01") + override)
    config = settings.config_path
    text = config.read_text()

    def snapshot_rules(new_text: str | None = None) -> list[dict]:
        if new_text is not None:
            config.write_text(new_text)
        current = load_settings(str(config), env={})
        clock.now += dt.timedelta(hours=1)
        outcome = take_snapshot(store, current, current.workspace("acme"))
        return [c for c in (store.change(r) for r in outcome.change_refs) if c["kind"] == "rule_changed"]

    first = snapshot_rules()
    assert sorted(c["title"] for c in first) == [
        "Override: severity of DW-CTRL-MAC-001 set to low", "Waiver added: DW-CTRL-AGT-001 for acme until 2026-03-01"]
    assert all(c["severity"] == "medium" and c["security_relevant"] for c in first)
    assert not any(c["title"].startswith("Baseline") for c in store.changes())  # the shipped baseline is not news
    assert snapshot_rules() == []  # nothing changed: nothing said
    extended = snapshot_rules(text.replace("2026-03-01", "2026-06-30"))
    assert [c["title"] for c in extended] == ["Waiver extended: DW-CTRL-AGT-001 for acme from 2026-03-01 to 2026-06-30"]
    assert extended[0]["details"]["before"]["expires"] == "2026-03-01"
    removed = snapshot_rules(text.replace(waiver.format(expires="2026-03-01"), "")
                             .replace('severity = "low"', 'expected = true'))
    assert sorted(c["title"] for c in removed) == [
        "Override removed: severity of DW-CTRL-MAC-001", "Override: expected of DW-CTRL-MAC-001 set to true",
        "Waiver removed: DW-CTRL-AGT-001 for acme"]
    digest = json.loads(CliRunner().invoke(cli, ["--config", str(config), "digest", "--json"]).stdout)
    assert {i["title"] for i in digest["items"]} >= {c["title"] for c in first + extended}


def test_a_new_baseline_version_is_one_change_per_control() -> None:
    from dataclasses import replace

    from driftwatch.posture.rules import FIRST_SEEN, rule_changes, rule_state_of

    baseline = load_baseline()
    before = {**rule_state_of([], {}, baseline), FIRST_SEEN: True}
    bumped = [replace(c, version=c.version + 1) if c.id == "DW-CTRL-APPS-002" else c for c in baseline]
    bumped.append(replace(baseline[0], id="DW-CTRL-NEW-001"))
    changes = rule_changes(before, rule_state_of([], {}, bumped), {c.id: c for c in bumped}, "2026-02-01T00:00:00Z")
    assert sorted(c.title for c in changes) == ["Baseline: DW-CTRL-APPS-002 is now version 2",
                                                "Baseline: new control DW-CTRL-NEW-001 (version 1)"]
    assert len({c.dedupe_key for c in changes}) == 2


def test_log_file_attempts_before_a_report_are_configurable(tmp_path: Path, web) -> None:
    fake = FakeCompliance(web)
    ws = f'compliance_workspace_id = "{fake.workspace_id}"\ncompliance_base_url = "{fake.base_url}"'
    settings, store, clock = setup(tmp_path, ws, env={"CHATGPT_COMPLIANCE_API_KEY": fake.key},
                                   extra="[posture]\nlog_file_max_attempts = 1\n")
    fake.add_file("f-gone", "2026-01-25T00:00:00Z", [audit_event(
        "ev-g", "WORKSPACE_TOGGLE_FEATURE", {"feature": "web_search", "value": True}, at="2026-01-24T00:00:00Z")],
        fail_downloads=5)
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    [reported] = [store.change(r) for r in outcome.change_refs if store.change(r)["kind"] == "audit_file_failed"]
    assert "f-gone" in reported["title"] and "404" in reported["reasons"][0]
    bad = tmp_path / "bad.toml"
    bad.write_text("[posture]\nlog_file_max_attempts = 0\n")
    result = CliRunner().invoke(cli, ["--config", str(bad), "baseline"])
    assert result.exit_code == 2 and "posture.log_file_max_attempts" in result.stderr


def test_slack_cards_name_the_actor_never_the_ip_and_show_claude_controls(tmp_path: Path, web) -> None:
    from driftwatch.bot import blocks
    from driftwatch.bot.service import posture_summaries
    from driftwatch.posture.report import posture_report

    fake, settings, store, clock = compliance_setup(tmp_path, web)
    fake.add_file("f-1", "2026-01-20T10:15:00Z", [audit_event(
        "ev-1", "WORKSPACE_TOGGLE_FEATURE", {"feature": "gpt_publish_external", "value": True},
        at="2026-01-20T10:00:00Z", email="eve@acme.example", ip="192.0.2.55")])
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    change = next(store.change(r) for r in outcome.change_refs if store.change(r)["control_id"] == "DW-CTRL-GPT-001")
    card = json.dumps(blocks.item_blocks(change))
    assert "eve@acme.example" in card and "192.0.2.55" not in card
    [summary] = posture_summaries(settings, store, clock())
    assert summary["complete"] is True and summary["vendor"] == "openai"
    assert [(s["setting"], s["changed_by"]) for s in summary["stale_attestations"]] == [
        ("gpts.publish_external", "eve@acme.example")]  # the attested file said false
    assert summary["newly_failing"] >= 1
    blocks.digest_parent({"counts": {}, "items": []}, [summary], [])  # the digest still renders

    (tmp_path / "c").mkdir()
    claude, csettings, cstore, _ = claude_setup(tmp_path / "c", web)
    del claude.settings["memory_enabled"]
    take_snapshot(cstore, csettings, csettings.workspace("claude"))
    report = posture_report(csettings, cstore.snapshots("claude", 1)[0], "claude", clock().date())
    rendered = json.dumps(blocks.posture_blocks(report))
    assert "DW-CTRL-CLA-006" in rendered and ":heavy_minus_sign:" in rendered  # not applicable, shown as such


# --- a restart in the middle of a run ---------------------------------------------------------

def test_sigkill_mid_snapshot_applies_no_log_file_twice(tmp_path: Path, web) -> None:
    """Kills as tests/test_crash.py does: a child snapshot is killed while one file's download hangs."""
    fake = FakeCompliance(web, page_size=3)
    now = dt.datetime.now(dt.timezone.utc)
    at = lambda hours: iso(now - dt.timedelta(hours=hours))  # noqa: E731
    box_on = audit_event("ev-1", "APP_SET_ENABLED_ACTIONS", {"app_name": "Box", "enabled_actions": None},
                         at=at(50), email="mallory@acme.example")
    fake.add_file("f-1", at(49), [box_on, audit_event("ev-g", "GPT_PUBLISH", {"gpt_name": "Deals", "visibility": "public"},
                                                      at=at(49.5))])
    fake.add_file("f-bad", at(30), [audit_event("ev-x", "WORKSPACE_TOGGLE_FEATURE",
                                                {"feature": "agent_mode", "value": True}, at=at(31))], corrupt=True)
    fake.add_file("f-3", at(10), [box_on, audit_event("ev-2", "WORKSPACE_TOGGLE_FEATURE",
                                                      {"feature": "codex_device_code_auth", "value": True}, at=at(11))])
    fake.stall["f-3"] = 20.0
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "crash.db"\n[[workspaces]]\nname = "acme"\n'
                      f'compliance_workspace_id = "{fake.workspace_id}"\ncompliance_base_url = "{fake.base_url}"\n')
    env = {**os.environ, "CHATGPT_COMPLIANCE_API_KEY": fake.key}
    child = subprocess.Popen([sys.executable, "-m", "tests.crashing_snapshot", str(config)], cwd=Path(__file__).resolve().parent.parent, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not fake.stalled.wait(0.05):
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "child never reached the stalled download"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    with Store.open(tmp_path / "crash.db") as store:
        assert store.integrity() == "ok"
        # what the killed run finished is there: f-1 applied, f-bad in the retry list; no snapshot yet
        assert store.audit_file("acme", "compliance", "f-1")["status"] == "applied"
        assert store.audit_file("acme", "compliance", "f-bad")["attempts"] == 1
        assert store.audit_file("acme", "compliance", "f-3") is None and store.db["snapshots"].count == 0

        fake.stall.clear()
        settings = load_settings(str(config), env={"CHATGPT_COMPLIANCE_API_KEY": fake.key})
        outcome = take_snapshot(store, settings, settings.workspace("acme"))
        assert store.cursor("acme", "compliance") == at(10)
        assert [r.path for r in web.requests if r.path.startswith("/signed/f-1")].__len__() == 1  # not fetched again
        assert store.db["audit_events"].count_where("event_id = 'ev-1'") == 1
        assert store.db["setting_events"].count_where("event_id = 'ev-1'") == 1
        assert store.db["changes"].count_where("kind = 'audit_event'") == 1  # the GPT published once
        failing = [store.change(r)["control_id"] for r in outcome.change_refs
                   if store.change(r)["kind"] == "control_failing"]
        assert sorted(failing) == ["DW-CTRL-APPS-011", "DW-CTRL-CDX-001"]
        assert store.audit_file("acme", "compliance", "f-bad")["attempts"] == 2
        assert store.db["setting_events"].count_where("event_id = 'ev-x'") == 0  # never applied unverified
        take_snapshot(store, settings, settings.workspace("acme"))
        take_snapshot(store, settings, settings.workspace("acme"))
        assert store.db["changes"].count_where("kind = 'audit_file_failed'") == 1
        assert store.db["changes"].count_where("kind = 'control_failing'") == 2
        assert {r["status"] for r in store.db["runs"].rows} == {"ok"}  # the killed run had not started recording


def test_a_file_past_the_platforms_retention_is_no_longer_retried(tmp_path: Path) -> None:
    from driftwatch.posture.ledger import AuditLedger, LogFile

    clock = Clock()
    store = Store.open(tmp_path / "l.db", clock=clock)
    ledger = AuditLedger(store, "acme", "compliance", max_attempts=2)
    old = LogFile("f-old", "2026-01-05T00:00:00Z", "ab" * 32)
    assert ledger.fail_file(old, "failed its sha256 check").status == "retrying"
    assert [r["file_id"] for r in ledger.retries(clock())] == ["f-old"]
    clock.now = dt.datetime(2026, 2, 10, tzinfo=dt.timezone.utc)  # more than 30 days after its end_time
    assert ledger.retries(clock()) == []
    assert store.audit_file("acme", "compliance", "f-old")["status"] == "expired"
    assert ledger.apply_file(old, []).status == "applied"  # a late copy is still accepted, once
    assert ledger.apply_file(old, []).status == "already_applied"
