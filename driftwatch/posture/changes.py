"""Turning drift into change items the team sees and acknowledges (pure).

One setting toggle gives exactly one change: a control that newly fails (or
is fixed) carries the setting change that caused it, with who and when when the
audit log says so; other security-relevant setting changes become
``setting_changed`` items. The actor's IP is kept in the change's details
(``actor_ip``) for the CLI, the export and the SIEM, never in the reasons,
which Slack posts to the channel.
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
    ("sso_", "", ["identity_access"]),
    ("ip_allowlist", "", ["identity_access"]),
    ("account_session", "", ["identity_access"]),
    ("allowed_invite_domains", "", ["identity_access"]),
    ("directory_sync", "", ["identity_access"]),
    ("api_keys.", "", ["identity_access"]),
    ("code_execution", "", ["agent_autonomy"]),
    ("web_search_enabled", "", ["agent_autonomy"]),
    ("connector_tools", "", ["connector", "write_action"]),
    ("claude_code", "", ["agent_autonomy"]),
    ("memory_enabled", "", ["data_handling"]),
    ("public_projects", "", ["data_handling"]),
    ("data_retention", "", ["data_handling"]),
)


def categories_for(key: str) -> list[str]:
    for prefix, needle, categories in CATEGORY_PREFIXES:
        if key.startswith(prefix) and needle in key:
            return list(categories)
    return ["other"]


def show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def who(provenance: Mapping[str, Any]) -> str | None:
    """A reason line saying where a value came from (never the IP: reasons are posted to Slack)."""
    if not provenance or "collector" not in provenance:
        return None
    parts = [f"seen by {provenance['collector']} at {provenance.get('observed_at')}"]
    if provenance.get("actor"):
        verb = "attested by" if provenance["collector"] == "attested" else "changed by"
        parts.append(f"{verb} {provenance['actor']}")
        if provenance.get("actor_type") and provenance["collector"] != "attested":
            parts.append(f"({provenance['actor_type']})")
    if provenance.get("detail") and provenance.get("event_id"):
        parts.append(f"({provenance['detail']} {provenance['event_id']})")
    return " ".join(parts)


ACTOR_FIELDS = ("actor", "actor_type", "changed_at", "actor_ip")


def actor_fields(provenances: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Who changed it, from the newest audit event among ``provenances`` (empty when none explains it)."""
    events = [p for p in provenances if p and p.get("event_id") and p.get("collector") != "attested"]
    if not events:
        return {}
    newest = max(events, key=lambda p: str(p.get("observed_at") or ""))
    return {"actor": newest.get("actor"), "actor_type": newest.get("actor_type"),
            "changed_at": newest.get("observed_at"), "actor_ip": newest.get("ip"),
            "event_id": newest.get("event_id"), "action": newest.get("detail")}


def drift_changes(
    workspace: str,
    drift: Drift,
    results: Mapping[str, ControlResult],
    controls: Mapping[str, Control],
    catalogue: Mapping[str, Setting],
    provenance: Mapping[str, Mapping[str, Any]],
    snapshot_id: int,
    episodes: Mapping[str, int] | None = None,
) -> list[NewChange]:
    """Changes for this snapshot's drift; ``episodes`` numbers each control's failing episode.

    A failing control's change is keyed on its episode, so however many snapshots see it
    failing (with outages between), it is one change until it is fixed.
    """
    changes: list[NewChange] = []
    explained: set[str] = set()
    episodes = episodes or {}
    for bucket in ("newly_failing", "waiver_expired", "fixed"):
        for control_id in drift.buckets[bucket]:
            control, result = controls[control_id], results[control_id]
            explained.update(control.settings)
            key = control.settings[0]
            actor = actor_fields([provenance.get(k, {}) for k in control.settings])
            if actor:
                key = next(k for k in control.settings if provenance.get(k, {}).get("event_id") == actor["event_id"])
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
            episode = episodes.get(control_id)
            dedupe = (f"control:{workspace}:{control_id}:{'failing' if failing else 'fixed'}:episode-{episode}"
                      if episode else f"control:{workspace}:{control_id}:{bucket}:{snapshot_id}")
            changes.append(NewChange(
                kind="control_failing" if failing else "control_fixed",
                title=f"{control.title}: {verb} in {workspace}",
                dedupe_key=dedupe,
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
                         "expected": result.expected, "evidence": result.evidence, "vendor": control.vendor,
                         "episode": episode, **actor},
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
            details={"setting": key, **change, "provenance": dict(provenance.get(key, {})),
                     **actor_fields([provenance.get(key, {})])},
        ))
    return changes
