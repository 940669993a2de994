"""Turning drift into change items the team sees and acknowledges (pure).

One setting toggle gives exactly one change: a control that newly fails (or
is fixed) carries the setting change that caused it, with who, when and from
where when the audit log says so; other security-relevant setting changes
become ``setting_changed`` items.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from driftwatch.models import Classification, NewChange

from .catalogue import Control, Setting
from .drift import Drift
from .evaluate import ControlResult
from .wording import expected_words, value_words

CATEGORY_PREFIXES = (
    ("apps.", "write_actions", ["write_action", "connector"]),
    ("apps.", "", ["connector"]),
    ("gpts.", "", ["data_handling"]),
    ("workspace.ip_allowlist", "", ["identity_access"]),
    ("workspace.blocking_header", "", ["identity_access"]),
    ("workspace.", "", ["data_handling"]),
    ("desktop.", "", ["data_handling"]),
    ("identity.", "", ["identity_access"]),
    ("rbac.", "", ["identity_access"]),
    ("agent_mode", "", ["agent_autonomy"]),
    ("web_search", "", ["agent_autonomy"]),
    ("deep_research", "", ["agent_autonomy"]),
    ("codex.", "", ["agent_autonomy"]),
    ("policy.codex", "", ["agent_autonomy"]),
    ("macos.", "", ["data_handling"]),
    ("api.sharing", "", ["data_handling"]),
    ("api.data_retention", "", ["data_handling"]),
    ("api.hosted_tools", "", ["agent_autonomy", "connector"]),
    ("api.ip_allowlist", "", ["identity_access"]),
    ("api.audit_logging", "", ["audit_logging"]),
    ("compliance.", "", ["audit_logging"]),
    ("api.event.", "", ["identity_access"]),
)


def categories_for(key: str) -> list[str]:
    for prefix, needle, categories in CATEGORY_PREFIXES:
        if key.startswith(prefix) and needle in key:
            return list(categories)
    return ["other"]


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def who(provenance: Mapping[str, Any]) -> str | None:
    if not provenance or "collector" not in provenance:
        return None
    parts = [f"seen by {provenance['collector']} at {provenance.get('observed_at')}"]
    if provenance.get("actor"):
        verb = "attested by" if provenance["collector"] == "attested" else "changed by"
        parts.append(f"{verb} {provenance['actor']}")
    if provenance.get("ip"):
        parts.append(f"from {provenance['ip']}")
    if provenance.get("detail") and provenance.get("event_id"):
        parts.append(f"({provenance['detail']} {provenance['event_id']})")
    return " ".join(parts)


def drift_changes(
    workspace: str,
    drift: Drift,
    results: Mapping[str, ControlResult],
    controls: Mapping[str, Control],
    catalogue: Mapping[str, Setting],
    provenance: Mapping[str, Mapping[str, Any]],
    snapshot_id: int,
) -> list[NewChange]:
    changes: list[NewChange] = []
    explained: set[str] = set()
    for bucket in ("newly_failing", "waiver_expired", "fixed"):
        for control_id in drift.buckets[bucket]:
            control, result = controls[control_id], results[control_id]
            explained.update(control.settings)
            key = control.settings[0]
            failing = bucket != "fixed"
            reasons = [f"{control_id}: expected {expected_words(result.expected, None, key)}, "
                       f"observed {value_words(result.observed, key)}"]
            if bucket == "waiver_expired" and result.waiver:
                reasons.append(f"waiver by {result.waiver['owner']} expired {result.waiver['expires']}")
            trail = who(provenance.get(key, {}))
            if trail:
                reasons.append(trail)
            verb = {"newly_failing": "now failing", "waiver_expired": "failing again (waiver expired)",
                    "fixed": "fixed"}[bucket]
            changes.append(NewChange(
                kind="control_failing" if failing else "control_fixed",
                title=f"{control.title}: {verb} in {workspace}",
                dedupe_key=f"control:{workspace}:{control_id}:{bucket}:{snapshot_id}",
                workspace=workspace,
                control_id=control_id,
                summary=control.remediation if failing else control.rationale,
                date=str(provenance.get(key, {}).get("observed_at", ""))[:10] or None,
                classification=Classification(
                    security_relevant=failing,
                    severity=control.severity if failing else "info",
                    categories=categories_for(key),
                    reasons=reasons,
                    version="baseline",
                ),
                details={"bucket": bucket, "setting": key, "observed": result.observed,
                         "expected": result.expected, "evidence": result.evidence},
            ))
    for change in drift.setting_changes:
        key = change["key"]
        if key in explained:
            continue
        setting = catalogue.get(key)
        related = [c for c in controls.values() if key in c.settings]
        title = setting.title if setting else key
        reasons = [f"{key}: {show(change['before'])} -> {show(change['after'])}"]
        if related:
            reasons.append("controls still " + ", ".join(f"{c.id} {results[c.id].status}" for c in related))
        trail = who(provenance.get(key, {}))
        if trail:
            reasons.append(trail)
        changes.append(NewChange(
            kind="setting_changed",
            title=f"{title} changed in {workspace}: {show(change['before'])} → {show(change['after'])}",
            dedupe_key=f"setting:{workspace}:{key}:{snapshot_id}",
            workspace=workspace,
            control_id=related[0].id if related else None,
            summary=setting.where if setting else "",
            date=str(provenance.get(key, {}).get("observed_at", ""))[:10] or None,
            classification=Classification(True, "low", categories_for(key), reasons, "baseline"),
            details={"setting": key, **change, "provenance": dict(provenance.get(key, {}))},
        ))
    return changes
