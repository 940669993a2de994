"""The HTML posture report and the OCSF export, on the demo database.

The demo pipeline builds the database; on top of it the tests add what a real deployment
accumulates: a hostile release-note title, an acknowledgement, waivers (one expired), and a
snapshot where an audit event shows an admin fixing a control.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from driftwatch.cli import cli
from driftwatch.models import Classification, NewChange
from driftwatch.report.ocsf import check_record, required_spec
from driftwatch.report.words import expected_words, requirement_label, value_words
from driftwatch.store import Store

HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">Box: write actions"
HOSTILE_REASON = "<iframe src=https://evil.example/></iframe> reason"
ACK_NOTE = "checked with IT <b>not bold</b>"
TODAY = dt.datetime.now(dt.timezone.utc).date()


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from driftwatch.demo import run_demo

    folder = tmp_path_factory.mktemp("report-demo")
    db = folder / "demo.db"
    result = run_demo(db)
    store = Store.open(db)
    try:
        hostile_ref = store.add_change(NewChange(
            kind="new_entry", title=HOSTILE, dedupe_key="test:hostile", source="demo-enterprise-release-notes",
            link="javascript:window.__pwned=3", summary="<b>summary</b>", date=TODAY.isoformat(),
            classification=Classification(True, "high", ["write_action", "connector"], [HOSTILE_REASON], "test"),
        ))
        acked = next(c for c in store.changes(ascending=True)
                     if c["kind"] == "new_entry" and c["severity"] in ("high", "medium") and c["ref"] != hostile_ref)
        store.record_ack(acked["id"], action="ack", actor="U0ACKER1", via="slack", note=ACK_NOTE)
        latest = store.snapshots("acme", 1)[0]
        values = {**latest["settings"], "agent_mode.enabled": "off"}
        provenance = {**latest["provenance"], "agent_mode.enabled": {
            "collector": "compliance", "observed_at": store.now(), "actor": "carol@acme.example",
            "ip": "203.0.113.9", "event_id": "evt_fix_agent", "detail": "WORKSPACE_TOGGLE_FEATURE"}}
        store.add_snapshot("acme", values=values, provenance=provenance, complete=True, errors={}, run_id=None)
        store.add_setting_events("acme", [SimpleNamespace(
            collector="compliance", event_id="evt_box_<1>", key="apps.box.write_actions", value=True,
            observed_at="2025-11-21T16:00:00Z", actor="dave<script>@acme.example", ip="198.51.100.7",
            detail="APP_SET_ENABLED_ACTIONS"), SimpleNamespace(
            collector="compliance", event_id="evt_fix_agent", key="agent_mode.enabled", value="off",
            observed_at=store.now(), actor="carol@acme.example", ip="203.0.113.9", detail="WORKSPACE_TOGGLE_FEATURE")])
    finally:
        store.close()
    config = folder / "driftwatch.toml"
    config.write_text(
        f'[storage]\npath = "{db}"\n'
        '[[workspaces]]\nname = "acme"\n'
        '[[waivers]]\ncontrol = "DW-CTRL-DATA-002"\nworkspace = "acme"\n'
        f'reason = "Memory pilot <i>approved</i>"\nowner = "ciso@acme.example"\nexpires = {TODAY + dt.timedelta(days=60)}\n'
        '[[waivers]]\ncontrol = "DW-CTRL-ID-006"\nworkspace = "*"\n'
        f'reason = "VPN rollout"\nowner = "it@acme.example"\nexpires = {TODAY - dt.timedelta(days=10)}\n'
    )
    html = folder / "report.html"
    made = run("--config", str(config), "report", "--html", str(html), "--json")
    assert made.exit_code == 0, made.output
    posture = run("--config", str(config), "posture", "--json")
    assert posture.exit_code == 0, posture.output
    return {"db": db, "config": config, "html": html, "summary": json.loads(made.stdout),
            "posture": json.loads(posture.stdout), "hostile": hostile_ref, "acked": acked["ref"], "demo": result}


def soup_of(demo: dict) -> BeautifulSoup:
    return BeautifulSoup(demo["html"].read_text(encoding="utf-8"), "lxml")


# --- the HTML, without a browser ---------------------------------------------------------------


def test_report_is_self_contained_with_nothing_to_run_or_load(demo: dict) -> None:
    text = demo["html"].read_text(encoding="utf-8")
    soup = soup_of(demo)
    assert soup.find_all("script") == [] and "<script" not in text.replace("&lt;script", "")
    for tag in ("link", "img", "iframe", "object", "embed", "base", "form", "input", "video", "audio", "use", "image"):
        assert soup.find_all(tag) == [], tag
    assert not [t for t in soup.find_all(True) if t.has_attr("src") or t.has_attr("srcset") or t.has_attr("xlink:href")]
    assert not [t for t in soup.find_all(True) if any(a.lower().startswith("on") for a in t.attrs)]
    for style in soup.find_all("style"):
        assert "url(" not in style.text and "@import" not in style.text and "@font-face" not in style.text
    hrefs = [(t.name, t["href"]) for t in soup.find_all(href=True)]
    assert hrefs, "the contents and vendor links are there"
    for name, href in hrefs:
        assert name == "a" and (href.startswith("#") or re.match(r"^https?://[^\s\"'<>]+$", href)), href
    external = [href for _name, href in hrefs if not href.startswith("#")]
    vendor_links = {a["href"] for a in soup.select("tr.vendor-change a[href]")}
    assert external and set(external) == vendor_links, "the only external hrefs are plain links to vendor pages"
    assert "javascript:" not in " ".join(h for _n, h in hrefs)
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp and "default-src 'none'" in csp["content"]


def test_untrusted_text_is_escaped(demo: dict) -> None:
    text = demo["html"].read_text(encoding="utf-8")
    soup = soup_of(demo)
    row = soup.find("tr", attrs={"data-change": demo["hostile"]})
    assert row is not None and row.select_one(".change-title").get_text() == HOSTILE
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=" in text
    assert HOSTILE_REASON in row.get_text() and "<iframe" not in text
    assert "javascript:window.__pwned=3" in row.get_text(), "a non-http link stays visible as text"
    assert "Memory pilot &lt;i&gt;approved&lt;/i&gt;" in text and "<i>approved" not in text


def test_header_counts_match_posture_json(demo: dict) -> None:
    posture = demo["posture"]
    soup = soup_of(demo)
    header = soup.find("tr", attrs={"data-workspace": "acme"})
    shown = {td["data-status"]: int(td.get_text()) for td in header.find_all("td", attrs={"data-status": True})}
    assert shown == posture["summary"]
    assert demo["summary"]["workspaces"][0]["summary"] == posture["summary"]
    assert posture["summary"]["waived"] == 1 and posture["summary"]["fail"] >= 5
    rows = soup.select("section.workspace tr.control")
    assert len(rows) == len(posture["controls"])
    by_status = {s: sum(1 for r in rows if r["data-status"] == s) for s in posture["summary"]}
    assert by_status == posture["summary"]
    taken = dt.datetime.fromisoformat(posture["taken_at"].replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    assert "complete" in header.get_text() and taken in header.get_text()


def test_controls_grouped_by_recommendation_failing_first(demo: dict) -> None:
    soup = soup_of(demo)
    groups = soup.select("section.workspace section.recommendation")
    assert [g["data-recommendation"] for g in groups] == [str(n) for n in range(1, 10)] + ["api"]
    assert groups[5].find("h3").get_text().startswith("6. Restrict Agent Mode")
    order = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3}
    for group in groups:
        statuses = [order[r["data-status"]] for r in group.select("tr.control")]
        assert statuses == sorted(statuses), group["data-recommendation"]
    api = next(g for g in groups if g["data-recommendation"] == "api")
    assert api.select("tr.control"), "the API Platform section has its controls"


def test_control_rows_say_what_is_expected_in_words_with_evidence_and_waivers(demo: dict) -> None:
    soup = soup_of(demo)
    agent = soup.find("tr", attrs={"data-control": "DW-CTRL-AGT-001"})
    assert agent["data-status"] == "pass"
    assert "Expected: restricted or off" in agent.get_text(" ", strip=True)
    assert "one_of" not in agent.get_text()
    evidence = agent.select_one(".evidence").get_text(" ", strip=True)
    assert "compliance" in evidence and "changed by carol@acme.example" in evidence
    assert "203.0.113.9" in evidence and "evt_fix_agent" in evidence
    box = soup.find("tr", attrs={"data-control": "DW-CTRL-APPS-011"})
    assert box["data-status"] == "fail" and "attested by bob@acme.example" in box.get_text(" ", strip=True)
    audit = box.select_one(".audit").get_text(" ", strip=True)
    assert "Audit log: set to on by dave<script>@acme.example" in audit
    assert "198.51.100.7" in audit and "evt_box_<1>" in audit and "APP_SET_ENABLED_ACTIONS" in audit
    assert agent.select_one(".audit") is None, "an event already shown as evidence is not repeated"
    assert "Observed: on" in box.get_text(" ", strip=True) and "Expected: off" in box.get_text(" ", strip=True)
    retention = soup.find("tr", attrs={"data-control": "DW-CTRL-DATA-003"})
    assert "not infinite" in retention.get_text()
    waived = soup.find("tr", attrs={"data-control": "DW-CTRL-DATA-002"})
    waiver = waived.select_one(".waiver")
    assert waived["data-status"] == "waived" and "expired" not in waiver["class"]
    assert "ciso@acme.example" in waiver.get_text() and str(TODAY + dt.timedelta(days=60)) in waiver.get_text()
    expired = soup.find("tr", attrs={"data-control": "DW-CTRL-ID-006"})
    stale = expired.select_one(".waiver")
    assert expired["data-status"] == "fail" and "expired" in stale["class"]
    assert "EXPIRED" in stale.get_text() and "it@acme.example" in stale.get_text()


def test_timeline_vendor_changes_and_sources(demo: dict) -> None:
    soup = soup_of(demo)
    svg = soup.select_one("#timeline svg")
    assert svg is not None and svg.find("polyline") is not None
    markers = svg.find_all("circle")
    assert len(markers) == 3, "one marker per snapshot in the period"
    failing = [int(m.find("title").get_text().split(": ")[1].split(" ")[0]) for m in markers]
    assert failing[-1] == demo["posture"]["summary"]["fail"]
    assert failing[1] - failing[2] == 1, "the last snapshot fixed agent mode"
    # each snapshot is judged on its own day: 14 days ago the IP allowlist waiver (expired 10 days
    # ago) still held, a week ago it no longer did, and two more settings drifted
    assert failing[1] - failing[0] == 3
    drift = soup.select("tr.drift-event")
    assert drift and all(r.find_all("td")[2].get_text() == "acme" for r in drift)
    vendor = soup.select("tr.vendor-change")
    severities = {r.select_one("td").get_text(" ", strip=True).split()[1] for r in vendor}
    assert severities == {"high", "medium"}
    states = [r["data-state"] for r in vendor]
    assert states == sorted(states, key=lambda s: s != "open"), "open changes first"
    acked = soup.find("tr", attrs={"data-change": demo["acked"]})
    ack_text = acked.get_text(" ", strip=True)
    assert acked["data-state"] == "acknowledged" and "U0ACKER1" in ack_text and ACK_NOTE in ack_text
    assert "via slack" in ack_text
    sources = {r["data-source"]: r["data-status"] for r in soup.select("tr.source")}
    assert sources == {"demo-enterprise-release-notes": "ok", "demo-codex-changelog": "ok"}


def test_report_command_options_and_errors(demo: dict, tmp_path: Path) -> None:
    config = str(demo["config"])
    default = run("--config", config, "report", "--html", str(tmp_path / "a.html"), "--json")
    since = dt.datetime.fromisoformat(json.loads(default.stdout)["since"].replace("Z", "+00:00")).date()
    assert since == TODAY - dt.timedelta(days=90)
    dated = json.loads(run("--config", config, "report", "--html", str(tmp_path / "b.html"), "--since",
                           "2025-11-20", "--workspace", "acme", "--json").stdout)
    assert dated["since"] == "2025-11-20T00:00:00Z" and [w["workspace"] for w in dated["workspaces"]] == ["acme"]
    recent = run("--config", config, "report", "--html", str(tmp_path / "c.html"), "--since", "1h")
    assert recent.exit_code == 0 and "Wrote" in recent.stdout
    assert len(BeautifulSoup((tmp_path / "c.html").read_text(), "lxml").select("#timeline circle")) == 1
    bad = run("--config", config, "report", "--html", str(tmp_path / "d.html"), "--since", "last week")
    assert bad.exit_code == 2 and "--since" in bad.stderr and not (tmp_path / "d.html").exists()
    assert run("--config", config, "report", "--html", str(tmp_path / "e.html"), "--workspace", "nope").exit_code == 2
    missing = run("--config", config, "report", "--html", str(tmp_path / "no" / "such" / "r.html"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    assert run("--config", config, "report").exit_code == 2, "--html is required"


def test_expected_values_in_words() -> None:
    assert expected_words("in", {"one_of": ["restricted", "off"]}) == "restricted or off"
    assert expected_words("equals", False) == "off" and expected_words("equals", True) == "on"
    assert expected_words("not_equals", {"not": "infinite"}) == "not infinite"
    assert expected_words("at_least", 90, ["workspace.chat_retention_days"]) == "at least 90 days"
    assert expected_words(None, {"at_least": 90}, ["api.data_retention"]) == "at least 90 days"
    assert expected_words("not_contains", {"list_without": "danger-full-access"}) == "without danger-full-access"
    assert expected_words("in", ["selected_projects", "disabled", "off"]) == "selected projects, disabled or off"
    assert value_words(None) == "not observed" and value_words([]) == "none"
    assert requirement_label(6).startswith("Securing ChatGPT Enterprise, recommendation 6: Restrict Agent Mode")
    assert "API Platform section" in requirement_label("api")


def test_the_digest_parent_links_to_nothing_external(demo: dict) -> None:
    from driftwatch.bot.blocks import digest_parent

    digest = demo["demo"].digest
    assert any(item.get("link") for item in digest["items"]), "the items themselves have vendor links"
    text, blocks = digest_parent(digest, [], [])
    payload = json.dumps(blocks) + text
    assert "http://" not in payload and "https://" not in payload and "<http" not in payload


# --- the report in a real browser --------------------------------------------------------------


def test_report_in_headless_chromium_and_printed_to_pdf(demo: dict, chromium: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from driftwatch.browser import LAUNCH_ARGS

    url = demo["html"].resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()  # JavaScript on: an injected script would run, so this proves none is there
            errors: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")
            assert errors == [] and requests == [url], (errors, requests)

            shown = page.eval_on_selector_all(
                "tr.workspace-summary[data-workspace='acme'] td[data-status]",
                "cells => Object.fromEntries(cells.map(c => [c.dataset.status, Number(c.textContent)]))")
            assert shown == demo["posture"]["summary"]
            rows = page.eval_on_selector_all("tr.control", "rows => rows.map(r => r.dataset.status)")
            assert {s: rows.count(s) for s in shown} == demo["posture"]["summary"]

            title = page.locator(f"tr[data-change='{demo['hostile']}'] .change-title")
            assert title.inner_text() == HOSTILE and title.is_visible()
            assert page.evaluate("document.scripts.length") == 0
            assert page.evaluate("document.images.length") == 0
            assert page.evaluate("document.querySelectorAll('iframe, img, script').length") == 0
            assert page.evaluate("window.__pwned") is None

            no_js = browser.new_context(java_script_enabled=False).new_page()
            no_js.goto(url, wait_until="load")
            assert no_js.locator("tr.control").count() == len(demo["posture"]["controls"])
            assert no_js.locator("#vendor-changes").is_visible(), "everything reads with JavaScript off"

            page.emulate_media(media="print")
            assert page.eval_on_selector("tr.control", "r => getComputedStyle(r).breakInside") == "avoid"
            assert page.eval_on_selector("table.controls thead",
                                         "t => getComputedStyle(t).display") == "table-header-group"
            pdf_path = tmp_path / "report.pdf"
            page.pdf(path=str(pdf_path), format="A4", print_background=True)
        finally:
            browser.close()
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 20_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 3, "the report spans several printed pages"


# --- OCSF --------------------------------------------------------------------------------------


def ocsf_records(demo: dict, *extra: str) -> list[dict]:
    result = run("--config", str(demo["config"]), "export", "--format", "ocsf", *extra)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_ocsf_records_pass_the_required_attribute_check(demo: dict) -> None:
    records = ocsf_records(demo, "--since", "30d")
    assert records
    for record in records:
        assert check_record(record) == [], (record["metadata"]["uid"], check_record(record))
        assert record["type_uid"] == record["class_uid"] * 100 + record["activity_id"]
        assert isinstance(record["time"], int) and record["metadata"]["version"].startswith("1.")
    assert {r["class_uid"] for r in records} == {2003, 2004}
    assert len({r["metadata"]["uid"] for r in records}) == len(records), "each record has its own uid"
    assert required_spec()["ocsf_version"] == records[0]["metadata"]["version"] == "1.3.0"


def test_ocsf_compliance_findings_follow_each_control(demo: dict) -> None:
    records = [r for r in ocsf_records(demo, "--since", "30d") if r["class_uid"] == 2003]
    agent = [r for r in records if r["compliance"]["control"] == "DW-CTRL-AGT-001"]
    assert [(r["activity_name"], r["compliance"]["status"]) for r in agent] == [
        ("Create", "Fail"), ("Update", "Fail"), ("Close", "Pass")]
    assert len({r["finding_info"]["uid"] for r in agent}) == 1, "one finding followed through its life"
    closed = agent[-1]
    assert closed["status"] == "Resolved" and closed["severity_id"] == 4
    assert closed["compliance"]["requirements"][0].startswith("Securing ChatGPT Enterprise, recommendation 6")
    assert closed["remediation"]["desc"].startswith("Permissions & roles")
    assert {"type": "ChatGPT workspace", "uid": "acme", "name": "acme"} in closed["resources"]
    assert any(r["name"] == "agent_mode.enabled" for r in closed["resources"])
    assert closed["unmapped"]["driftwatch"]["evidence"][0]["actor"] == "carol@acme.example"
    waived = [r for r in records if r["compliance"]["control"] == "DW-CTRL-DATA-002"]
    assert waived and all(r["status"] == "Suppressed" and r["compliance"]["status"] == "Fail" for r in waived)
    assert "ciso@acme.example" in waived[-1]["compliance"]["status_detail"]
    expired = [r for r in records if r["compliance"]["control"] == "DW-CTRL-ID-006"][-1]
    assert expired["status"] == "New" and "expired" in expired["compliance"]["status_detail"]
    assert all(r["compliance"]["status"] in ("Fail", "Pass") for r in records)


def test_ocsf_vendor_changes_are_detection_findings(demo: dict) -> None:
    records = [r for r in ocsf_records(demo, "--since", "30d") if r["class_uid"] == 2004]
    by_uid: dict[str, list[dict]] = {}
    for record in records:
        by_uid.setdefault(record["finding_info"]["uid"], []).append(record)
    hostile = by_uid[f"driftwatch:{demo['hostile']}"][0]
    assert hostile["finding_info"]["title"] == HOSTILE and hostile["severity_id"] == 4
    assert hostile["finding_info"]["types"] == ["write_action", "connector"]
    assert hostile["unmapped"]["driftwatch"]["reasons"] == [HOSTILE_REASON] and HOSTILE_REASON in hostile["risk_details"]
    created, update = by_uid[f"driftwatch:{demo['acked']}"]
    assert created["activity_name"] == "Create" and created["status"] == "Resolved", "its current state: acked"
    assert update["activity_name"] == "Update" and update["comment"] == ACK_NOTE
    assert update["unmapped"]["driftwatch"]["ack"]["actor"] == "U0ACKER1"
    assert not [r for r in records if r["unmapped"]["driftwatch"]["kind"].startswith("control_")]


def test_ocsf_export_honours_since_and_what(demo: dict) -> None:
    everything = ocsf_records(demo, "--since", "30d")
    recent = ocsf_records(demo, "--since", "1h")
    assert 0 < len(recent) < len(everything)
    cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1, minutes=5)).timestamp() * 1000
    assert all(r["time"] >= cutoff for r in recent)
    assert ocsf_records(demo, "--since", "2099-01-01") == []
    only_changes = ocsf_records(demo, "--since", "30d", "--what", "changes")
    assert {r["class_uid"] for r in only_changes} == {2003, 2004}
    drift = [r for r in only_changes if r["class_uid"] == 2003]
    assert drift and all(check_record(r) == [] for r in only_changes)
    assert {(r["activity_name"], r["compliance"]["status"]) for r in drift} == {("Create", "Fail")}
    assert {r["metadata"]["uid"] for r in drift} == {r["unmapped"]["driftwatch"]["id"] for r in drift}
    box = next(r for r in drift if r["compliance"]["control"] == "DW-CTRL-APPS-011")
    assert box["unmapped"]["driftwatch"]["evidence"][0]["actor"] == "bob@acme.example"
    assert box["finding_info"]["uid"] == "driftwatch:acme:DW-CTRL-APPS-011", "the same finding as from snapshots"
    only_snapshots = ocsf_records(demo, "--since", "30d", "--what", "snapshots")
    assert {r["class_uid"] for r in only_snapshots} == {2003}
    v1 = run("--config", str(demo["config"]), "export", "--since", "30d", "--what", "changes")
    assert all(json.loads(line)["schema"] == "driftwatch.export.v1" for line in v1.stdout.splitlines())


def test_the_checker_catches_what_a_record_lacks(demo: dict) -> None:
    good = ocsf_records(demo, "--since", "30d")[0]
    assert check_record(good) == []
    broken = json.loads(json.dumps(good))
    del broken["finding_info"]["uid"]
    broken["type_uid"] += 1
    broken["time"] = "2026-01-01T00:00:00Z"
    broken["severity_id"] = 99
    broken["metadata"]["product"] = {"name": "driftwatch"}
    problems = " | ".join(check_record(broken))
    for expected in ("finding_info.uid", "type_uid", "time", "severity_id", "metadata.product.vendor_name"):
        assert expected in problems, expected
    compliance = next(r for r in ocsf_records(demo, "--since", "30d") if r["class_uid"] == 2003)
    del compliance["compliance"]["status"]
    del compliance["compliance"]["standards"]
    assert {"missing compliance.status", "missing required compliance.standards"} <= set(check_record(compliance))


def test_incomplete_snapshots_and_several_workspaces(tmp_path: Path) -> None:
    from driftwatch.config import load_settings
    from driftwatch.report import build_report, render_html

    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "w.db"}"\n[[workspaces]]\nname = "acme"\n'
                      '[[workspaces]]\nname = "beta"\n')
    settings = load_settings(str(config), env={})
    with Store.open(tmp_path / "w.db") as store:
        seen = {"collector": "attested", "observed_at": store.now()}
        store.add_snapshot("acme", values={"agent_mode.enabled": "all"}, provenance={"agent_mode.enabled": seen},
                           complete=False, errors={"compliance": "401 <b>check CHATGPT_COMPLIANCE_API_KEY</b>"},
                           run_id=None)
        store.add_snapshot("beta", values={"agent_mode.enabled": "off", "apps.enabled_for_members": True},
                           provenance={}, complete=True, errors={}, run_id=None)
        data = build_report(settings, store, workspaces=["acme", "beta"],
                            since=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    soup = BeautifulSoup(render_html(data), "lxml")
    acme = soup.find("tr", attrs={"data-workspace": "acme"})
    assert "incomplete" in acme.get_text() and "401 <b>check CHATGPT_COMPLIANCE_API_KEY</b>" in acme.get_text()
    assert acme.find("b") is None
    totals = {td["data-status"]: int(td.get_text()) for td in soup.select("tr.totals td[data-status]")}
    assert totals["fail"] == 2 and totals == {s: data["workspaces"][0]["summary"][s] + data["workspaces"][1]["summary"][s]
                                              for s in ("fail", "unknown", "waived", "pass", "not_applicable")}
    assert len(soup.select("section.workspace")) == 2 and len(soup.select("#timeline svg")) == 2


def test_ocsf_follow_appends_findings_as_they_are_stored(demo: dict, tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys

    copy = tmp_path / "follow.db"
    with sqlite3.connect(demo["db"]) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    config = tmp_path / "follow.toml"
    config.write_text(demo["config"].read_text().replace(str(demo["db"]), str(copy)))
    env = {**os.environ, "DRIFTWATCH_CONFIG": str(config)}
    follow = subprocess.Popen([sys.executable, "-m", "driftwatch", "export", "--format", "ocsf", "--since",
                               "2000-01-01", "--what", "acks", "--follow", "--interval", "0.2"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(follow.stdout.readline())
        assert first["finding_info"]["uid"] == f"driftwatch:{demo['acked']}" and first["status"] == "Resolved"
        with Store.open(copy) as store:
            hostile = store.change(demo["hostile"])
            store.record_ack(hostile["id"], action="snooze", actor="U0SNOOZE", via="slack",
                             snooze_until="2999-01-01T00:00:00Z")
        line = json.loads(follow.stdout.readline())
        assert line["finding_info"]["uid"] == f"driftwatch:{demo['hostile']}"
        assert (line["activity_name"], line["status"]) == ("Update", "Suppressed") and check_record(line) == []
    finally:
        follow.send_signal(signal.SIGINT)
        follow.wait(timeout=10)
