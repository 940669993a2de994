"""Findings in OCSF 1.3 for SIEMs that already parse it (Security Lake, Splunk, Sentinel...).

Mapping (documented in the README):

* a control that fails, is waived or is fixed in a snapshot becomes a Compliance Finding
  (class 2003). Its ``finding_info.uid`` is stable per workspace and control, so a SIEM
  follows one finding through its life: Create when it starts failing (or is waived),
  Update while it stays so, Close when the snapshot shows it fixed. A waived control keeps
  ``compliance.status`` "Fail" (the setting is still off-baseline) with the finding's
  ``status_id`` Suppressed and the waiver in ``compliance.status_detail``.
* a vendor change (new, edited or removed release-note entry) and a workspace setting change
  become a Detection Finding (class 2004): the generic Finding class is abstract in 1.3, and
  a detection is what the classifier reports. Categories go to ``finding_info.types``,
  reasons to ``risk_details``, both also unabridged in ``unmapped.driftwatch``; an
  acknowledgement, undo or snooze is an Update of that finding (status Resolved, New,
  Suppressed).

Drift items about controls (``control_failing`` / ``control_fixed``) are not exported twice:
when snapshots are in the stream their Compliance Findings carry them; with ``--what changes``
alone each becomes a Compliance Finding (Create or Close). Fetches and source health have no
finding.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from driftwatch import __version__
from driftwatch.config import Settings
from driftwatch.posture.catalogue import load_baseline
from driftwatch.posture.evaluate import ControlResult
from driftwatch.posture.report import evaluate_snapshot
from driftwatch.store import Store
from driftwatch.timeutil import parse_iso

from .words import expected_words, requirement_label, value_words

OCSF_VERSION = "1.3.0"
COMPLIANCE_FINDING = 2003
DETECTION_FINDING = 2004
FINDINGS_CATEGORY = 2
SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4}
SEVERITY_NAME = {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal"}
ACTIVITY = {1: "Create", 2: "Update", 3: "Close"}
STATUS = {1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved"}
COMPLIANCE_STATUS = {1: "Pass", 2: "Warning", 3: "Fail"}
CLASS_NAME = {COMPLIANCE_FINDING: "Compliance Finding", DETECTION_FINDING: "Detection Finding"}
STANDARD = "Securing ChatGPT Enterprise (driftwatch baseline)"
VENDOR_KINDS = {"new_entry": 1, "edited_entry": 2, "removed_entry": 3}
SETTING_KINDS = {"setting_changed": 1}
ACK_STATUS = {"ack": 4, "undo": 1, "snooze": 3, "unsnooze": 1}
PRODUCT = {"name": "driftwatch", "vendor_name": "driftwatch", "version": __version__}


def epoch_ms(text: str) -> int:
    return int(parse_iso(text).timestamp() * 1000)


def _base(class_uid: int, activity_id: int, severity: str | None, at: str, record_uid: str, log_name: str) -> dict[str, Any]:
    severity_id = SEVERITY_ID.get(severity or "", 0)
    return {
        "class_uid": class_uid, "class_name": CLASS_NAME[class_uid],
        "category_uid": FINDINGS_CATEGORY, "category_name": "Findings",
        "activity_id": activity_id, "activity_name": ACTIVITY[activity_id],
        "type_uid": class_uid * 100 + activity_id, "type_name": f"{CLASS_NAME[class_uid]}: {ACTIVITY[activity_id]}",
        "severity_id": severity_id, "severity": SEVERITY_NAME[severity_id],
        "time": epoch_ms(at),
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "uid": record_uid, "log_name": log_name,
                     "original_time": at},
    }


# --- controls -> Compliance Findings ----------------------------------------------------------


def _control_info(_settings: Settings) -> dict[str, tuple[str, int]]:
    """Rationale and version per control (overrides change severity and expected value only)."""
    return {c.id: (c.rationale, c.version) for c in load_baseline()}


def compliance_finding(result: ControlResult, *, workspace: str, at: str, record_uid: str, activity_id: int,
                       info: dict[str, tuple[str, int]], snapshot: dict[str, Any] | None = None) -> dict[str, Any]:
    fixed = activity_id == 3
    waived = result.status == "waived"
    expected = expected_words(result.rule, result.expected, result.settings)
    observed = value_words(result.observed)
    detail = f"observed {observed}; expected {expected}"
    if result.waiver and waived:
        detail += (f"; waived by {result.waiver['owner']} until {result.waiver['expires']}: "
                   f"{result.waiver['reason']}")
    elif result.waiver and result.waiver_expired:
        detail += f"; waiver by {result.waiver['owner']} expired {result.waiver['expires']}"
    compliance_status = 1 if fixed else 3
    status_id = 4 if fixed else 3 if waived else 1
    rationale, version = info.get(result.id, ("", 1))
    record = _base(COMPLIANCE_FINDING, activity_id, result.severity, at, record_uid, "posture")
    state = "fixed" if fixed else "waived" if waived else "failing"
    record.update({
        "status_id": status_id, "status": STATUS[status_id],
        "message": f"{result.title}: {state} in {workspace}",
        "finding_info": {
            "uid": f"driftwatch:{workspace}:{result.id}", "title": result.title, "desc": rationale,
            "types": ["Workspace posture"],
            "analytic": {"type_id": 1, "type": "Rule", "uid": result.id, "name": result.title, "version": str(version)},
        },
        "compliance": {
            "control": result.id, "standards": [STANDARD],
            "requirements": [requirement_label(result.recommendation)],
            "status_id": compliance_status, "status": COMPLIANCE_STATUS[compliance_status], "status_detail": detail,
        },
        "remediation": {"desc": result.remediation},
        "resources": [{"type": "ChatGPT workspace", "uid": workspace, "name": workspace}] + [
            {"type": "Workspace setting", "uid": f"{workspace}/{key}", "name": key,
             "data": {"observed": result.observed if len(result.settings) == 1 else (result.observed or {}).get(key),
                      "expected": result.expected}}
            for key in result.settings],
        "unmapped": {"driftwatch": {
            "schema": "driftwatch.export.v1", "snapshot": f"snapshot-{snapshot['id']}" if snapshot else None,
            "state": state, "posture_status": result.status,
            "complete": bool(snapshot.get("complete")) if snapshot else None,
            "evidence": result.evidence, "waiver": result.waiver, "waiver_expired": result.waiver_expired,
        }},
    })
    return record


def _previous_snapshot(store: Store, snapshot: dict[str, Any]) -> dict[str, Any] | None:
    return store.snapshot_before(snapshot["workspace"], snapshot["id"])


def snapshot_findings(settings: Settings, store: Store, snapshot: dict[str, Any],
                      seen: dict[int, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Compliance Findings of one snapshot: failing and waived controls, and those it shows fixed.

    ``seen`` caches each evaluated snapshot's statuses, so a stream of consecutive snapshots
    evaluates each one once instead of twice.
    """
    seen = {} if seen is None else seen
    info = _control_info(settings)
    current = evaluate_snapshot(settings, snapshot)
    seen[snapshot["id"]] = {r.id: r.status for r in current}
    previous = _previous_snapshot(store, snapshot)
    before: dict[str, str] = {}
    if previous is not None:
        if previous["id"] not in seen:
            seen[previous["id"]] = {r.id: r.status for r in evaluate_snapshot(settings, previous)}
        before = seen[previous["id"]]
    out = []
    for result in current:
        was = before.get(result.id)
        if result.status in ("fail", "waived"):
            activity = 2 if was in ("fail", "waived") else 1
        elif result.status == "pass" and was in ("fail", "waived"):
            activity = 3
        else:
            continue
        out.append(compliance_finding(result, workspace=snapshot["workspace"], at=snapshot["taken_at"],
                                      record_uid=f"snapshot-{snapshot['id']}:{result.id}", activity_id=activity,
                                      info=info, snapshot=snapshot))
    return out


def _baseline(settings: Settings) -> dict[str, Any]:
    try:
        return {c.id: c for c in load_baseline(settings.config.controls)}
    except KeyError:  # an unknown control in the config: `driftwatch baseline` reports it
        return {c.id: c for c in load_baseline()}


def drift_finding(settings: Settings, change: dict[str, Any]) -> dict[str, Any] | None:
    """A ``control_failing`` / ``control_fixed`` drift item as a Compliance Finding (Create / Close).

    Used when the export does not include snapshots, whose findings already carry these.
    """
    control = _baseline(settings).get(change.get("control_id") or "")
    if control is None or not change.get("workspace"):
        return None
    details = change.get("details") or {}
    failing = change["kind"] == "control_failing"
    result = ControlResult(
        id=control.id, title=control.title, status="fail" if failing else "pass",
        severity=control.severity, observed=details.get("observed"), expected=details.get("expected"),
        rule=control.rule, settings=list(control.settings), evidence=list(details.get("evidence") or []),
        remediation=control.remediation, recommendation=control.recommendation,
        waiver_expired=details.get("bucket") == "waiver_expired",
    )
    record = compliance_finding(result, workspace=change["workspace"], at=change["detected_at"],
                                record_uid=change["ref"], activity_id=1 if failing else 3,
                                info=_control_info(settings))
    record["unmapped"]["driftwatch"].update({"id": change["ref"], "bucket": details.get("bucket"),
                                             "reasons": list(change.get("reasons") or [])})
    return record


# --- changes -> Detection Findings ------------------------------------------------------------


def _change_resources(change: dict[str, Any]) -> list[dict[str, Any]]:
    if change.get("workspace"):
        resources = [{"type": "ChatGPT workspace", "uid": change["workspace"], "name": change["workspace"]}]
        setting = (change.get("details") or {}).get("setting")
        if setting:
            resources.append({"type": "Workspace setting", "uid": f"{change['workspace']}/{setting}", "name": setting})
        return resources
    resource = {"type": "Vendor release notes", "name": change.get("source") or "unknown source"}
    if change.get("link"):
        resource["uid"] = change["link"]
    return [resource]


def detection_finding(change: dict[str, Any], *, activity_id: int, at: str, record_uid: str,
                      ack: dict[str, Any] | None = None) -> dict[str, Any]:
    if ack is not None:
        status_id = ACK_STATUS.get(ack["action"], 2)
    elif change.get("acked_by"):
        status_id = 4
    else:
        status_id = 1
    categories = list(change.get("categories") or [])
    reasons = list(change.get("reasons") or [])
    record = _base(DETECTION_FINDING, activity_id, change.get("severity"), at, record_uid, "changes")
    info: dict[str, Any] = {
        "uid": f"driftwatch:{change['ref']}", "title": change["title"], "types": categories or ["other"],
        "first_seen_time": epoch_ms(change["detected_at"]),
        "analytic": {"type_id": 1, "type": "Rule", "uid": "driftwatch-classifier", "name": "driftwatch classifier"},
    }
    if change.get("summary"):
        info["desc"] = change["summary"]
    if change.get("link"):
        info["src_url"] = change["link"]
    record.update({
        "status_id": status_id, "status": STATUS[status_id], "message": change["title"],
        "finding_info": info, "risk_details": "; ".join(reasons) or "no reason recorded",
        "resources": _change_resources(change),
        "unmapped": {"driftwatch": {
            "schema": "driftwatch.export.v1", "id": change["ref"], "kind": change["kind"],
            "source": change.get("source"), "workspace": change.get("workspace"), "date": change.get("date"),
            "security_relevant": bool(change.get("security_relevant")), "categories": categories, "reasons": reasons,
        }},
    })
    note = (ack or {}).get("note") if ack is not None else change.get("ack_note")
    if note:
        record["comment"] = note
    if ack is not None:
        record["unmapped"]["driftwatch"]["ack"] = {k: ack.get(k) for k in ("action", "actor", "via", "note", "snooze_until")}
    elif change.get("acked_by"):
        record["unmapped"]["driftwatch"]["ack"] = {"action": "ack", "actor": change["acked_by"],
                                                   "at": change.get("acked_at"), "via": change.get("ack_via"),
                                                   "note": change.get("ack_note")}
    return record


# --- the export stream ----------------------------------------------------------------------


def from_export(settings: Settings, store: Store, records: Iterable[dict[str, Any]], *,
                with_snapshots: bool = True) -> list[dict[str, Any]]:
    """OCSF findings for a batch of ``driftwatch.export.v1`` records (fetches map to none).

    With snapshots in the stream, controls' findings come from each snapshot (failing, waived,
    fixed); without them, from the drift items that say a control started failing or was fixed.
    """
    out: list[dict[str, Any]] = []
    seen: dict[int, dict[str, str]] = {}
    for record in records:
        kind = record["type"]
        if kind == "snapshot":
            snap = store.snapshot(record["seq"])
            if snap is not None:
                out.extend(snapshot_findings(settings, store, snap, seen))
        elif kind == "change":
            activity = VENDOR_KINDS.get(record["kind"]) or SETTING_KINDS.get(record["kind"])
            if record["kind"] in ("control_failing", "control_fixed") and not with_snapshots:
                finding = drift_finding(settings, store.change(record["id"]) or {})
                if finding:
                    out.append(finding)
            elif activity:
                change = store.change(record["id"]) or {}
                if change:
                    out.append(detection_finding(change, activity_id=activity, at=change["detected_at"],
                                                 record_uid=change["ref"]))
        elif kind == "ack":
            change = store.change(record["change"])
            if change and change["kind"] in {**VENDOR_KINDS, **SETTING_KINDS}:
                out.append(detection_finding(change, activity_id=2, at=record["at"], record_uid=record["id"],
                                             ack=record))
    return out


# --- checking records against the schema's requirements ---------------------------------------


@lru_cache(maxsize=1)
def required_spec() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "ocsf_required.json").read_text(encoding="utf-8"))


_MISSING = object()


def _get(record: Any, path: str) -> Any:
    node = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _absent(value: Any) -> bool:
    return value is _MISSING or value is None or value == "" or value == [] or value == {}


def _class_required(spec: dict[str, Any], class_uid: int) -> list[str]:
    names: list[str] = []
    key: str | None = str(class_uid)
    while key:
        entry = spec["classes"].get(key)
        if entry is None:
            break
        names += entry.get("required", [])
        key = entry.get("extends")
    return names


def check_record(record: dict[str, Any], spec: dict[str, Any] | None = None) -> list[str]:
    """What a record lacks or gets wrong against OCSF 1.3's required attributes (empty when fine)."""
    spec = spec or required_spec()
    problems: list[str] = []
    class_uid = record.get("class_uid")
    if str(class_uid) not in spec["classes"] or not isinstance(class_uid, int):
        return [f"class_uid {class_uid!r} is not a class driftwatch exports"]
    entry = spec["classes"][str(class_uid)]
    for name in _class_required(spec, class_uid):
        if _absent(_get(record, name)):
            problems.append(f"missing required {name}")
    for name in spec["driftwatch_requires"]["all"] + spec["driftwatch_requires"].get(str(class_uid), []):
        if _absent(_get(record, name)):
            problems.append(f"missing {name}")
    if record.get("category_uid") != entry["category_uid"]:
        problems.append(f"category_uid {record.get('category_uid')!r} != {entry['category_uid']}")
    activity = record.get("activity_id")
    if str(activity) not in spec["classes"]["finding"]["activity_id"]:
        problems.append(f"activity_id {activity!r} not in the Finding enum")
    if isinstance(activity, int) and record.get("type_uid") != class_uid * 100 + activity:
        problems.append(f"type_uid {record.get('type_uid')!r} != class_uid * 100 + activity_id")
    severity = record.get("severity_id")
    if not isinstance(severity, int) or isinstance(severity, bool) or not 0 <= severity <= 6:
        problems.append(f"severity_id {severity!r} not an integer 0-6")
    moment = record.get("time")
    if not isinstance(moment, int) or isinstance(moment, bool) or moment < 10**12:
        problems.append(f"time {moment!r} is not integer epoch milliseconds")
    version = _get(record, "metadata.version")
    if not isinstance(version, str) or not re.fullmatch(r"1\.\d+\.\d+", version):
        problems.append(f"metadata.version {version!r} is not 1.x.y")
    status_id = record.get("status_id")
    if status_id is not None and str(status_id) not in spec["classes"]["finding"]["status_id"]:
        problems.append(f"status_id {status_id!r} not in the Finding enum")
    compliance_status = _get(record, "compliance.status_id")
    if compliance_status is not _MISSING and str(compliance_status) not in spec["objects"]["compliance"]["status_id"]:
        problems.append(f"compliance.status_id {compliance_status!r} not in the Compliance enum")
    for path, object_name in spec["attribute_objects"].items():
        rules = spec["objects"][object_name]
        many = path.endswith("[]")
        value = _get(record, path.removesuffix("[]"))
        if value is _MISSING:
            continue
        items = value if many else [value]
        if many and not isinstance(value, list):
            problems.append(f"{path.removesuffix('[]')} is not a list")
            continue
        for index, item in enumerate(items):
            where = f"{path.removesuffix('[]')}[{index}]" if many else path
            if not isinstance(item, dict):
                problems.append(f"{where} is not an object")
                continue
            for name in rules.get("required", []):
                if _absent(item.get(name)):
                    problems.append(f"missing required {where}.{name}")
            choices = rules.get("at_least_one")
            if choices and all(_absent(item.get(name)) for name in choices):
                problems.append(f"{where} needs one of {', '.join(choices)}")
    return problems
