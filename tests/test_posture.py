"""Workspace posture: catalogue and baseline, each collector against its loopback fake, drift."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.config import load_settings
from driftwatch.posture import load_baseline, load_catalogue
from driftwatch.store import Store
from driftwatch.watchers.collectors.attested import collect_attested, render_template
from driftwatch.watchers.collectors.codex_policy import summarise
from driftwatch.posture.report import evaluate_snapshot
from driftwatch.watchers.snapshot import take_snapshot

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
    config.write_text(f'[[workspaces]]\nname = "acme"\n{workspace_toml}\n{extra}')
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


def test_sha256_mismatch_is_refused(tmp_path: Path, web) -> None:
    fake, settings, store, clock = compliance_setup(tmp_path, web)
    fake.add_file("f-bad", "2026-01-25T00:00:00Z", [audit_event(
        "ev-x", "WORKSPACE_TOGGLE_FEATURE", {"feature": "agent_mode", "value": True}, at="2026-01-24T00:00:00Z")],
        corrupt=True)
    outcome = take_snapshot(store, settings, settings.workspace("acme"))
    assert "sha256" in outcome.errors["compliance"]
    assert store.db["setting_events"].count == 0
    assert store.cursor("acme", "compliance") is None  # the file will be fetched again next time
    assert statuses(settings, store)["DW-CTRL-AGT-001"] == "unknown"


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
