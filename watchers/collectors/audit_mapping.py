"""What an AUDIT_LOG record means, from data/audit_map.toml (pure).

A record becomes setting observations (``apps.box.write_actions`` is now
true), inventory items (a GPT was published, a domain added), both, or
nothing. A record whose action (or event type) no mapping knows is marked
``unmapped``: the ledger stores it and surfaces the action once, because the
vendor's lists of actions are not exhaustive and a new one may change a setting.
"""

from __future__ import annotations

import fnmatch
import tomllib
from functools import lru_cache
from typing import Any

from driftwatch.paths import data_file
from driftwatch.posture.ledger import AuditEvent, InventoryItem
from driftwatch.posture.evidence import Observation
from driftwatch.timeutil import iso, parse_iso

EXTERNAL_VISIBILITY = {"public", "anyone_with_link", "external", "link", "everyone", "anyone", "marketplace"}
WRITE_PREFIXES = ("create", "update", "delete", "send", "post", "write", "edit", "move", "upload",
                  "rename", "share", "remove", "batch_update", "reply", "comment", "add")
KNOWN_EVENT_TYPES = ("AUDIT_LOG",)


@lru_cache(maxsize=1)
def audit_map() -> dict[str, Any]:
    with data_file("audit_map.toml").open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=512)
def action_rule(action: str) -> dict[str, Any] | None:
    """The mapping of an action: an exact entry, else the first glob entry (file order) that matches."""
    rules = audit_map().get("actions", {})
    if action in rules:
        return rules[action]
    for pattern, rule in rules.items():
        if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(action, pattern):
            return rule
    return None


def actor_of(record: dict[str, Any]) -> tuple[str | None, str | None]:
    """(who, what kind): an email for people, the key's name for API keys."""
    actor = record.get("actor") or {}
    key = actor.get("api_key") if isinstance(actor.get("api_key"), dict) else {}
    who = (actor.get("user_email") or actor.get("email") or actor.get("api_key_name") or actor.get("key_name")
           or key.get("name") or actor.get("name") or actor.get("user_id") or actor.get("redacted_id"))
    return who, actor.get("type")


def _app_name(data: dict[str, Any]) -> str | None:
    label = str(data.get("app_name") or data.get("app_id") or "").lower()
    for needle, name in audit_map().get("apps", {}).items():
        if needle in label:
            return name
    return None


def _has_write(actions: Any) -> bool:
    if actions is None:
        return True  # null = unrestricted: every action, write included
    return any(str(a).lower().startswith(WRITE_PREFIXES) for a in actions)


def _first(data: dict[str, Any], fields: list[str]) -> tuple[bool, Any]:
    for name in fields:
        if name in data:
            return True, data[name]
    return False, None


def _is_external(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_external(v) for v in value.values())
    if isinstance(value, list):
        return any(_is_external(v) for v in value)
    return str(value).lower() in EXTERNAL_VISIBILITY


def _apply_rule(rule: dict[str, Any], data: dict[str, Any], base: dict[str, Any], action: str,
                event: AuditEvent) -> None:
    for target in rule.get("set", []):
        if "value" in target:
            event.observations.append(Observation(target["key"], target["value"], **base))
            continue
        found, value = _first(data, list(target.get("from", [])))
        if found:
            value = bool(value) if target.get("as") == "bool" else value
            event.observations.append(Observation(target["key"], value, **base))
    inventory = rule.get("inventory")
    if inventory:
        _, subject = _first(data, list(inventory.get("subject", [])))
        found, visibility = _first(data, list(inventory.get("visibility", [])))
        severity = inventory.get("severity", "low")
        if found and _is_external(visibility) and inventory.get("external_severity"):
            severity = inventory["external_severity"]
        details = {"visibility": visibility} if found else {}
        if action == "WORKSPACE_SET_POLICY":
            paths = sorted({c.get("path") for p in data.get("policy_changes") or [] for t in p.get("toml_changes") or []
                            for c in t.get("key_changes") or [] if c.get("path")})
            details["changed_paths"] = paths
            subject = f"{data.get('workspace_policy') or 'policy'} ({', '.join(paths) or 'paths not logged'})"
        event.inventory.append(InventoryItem(inventory["title"], severity, list(inventory.get("categories", ["other"])),
                                             None if subject is None else str(subject)[:200], details))


def map_audit_event(record: dict[str, Any], file_id: str | None = None) -> AuditEvent | None:
    """One JSONL record as an audit event; None when it has no event_id (it cannot be deduplicated)."""
    event_id = record.get("event_id")
    if not event_id or not isinstance(event_id, str):
        return None
    action = str(record.get("action") or "")
    event_type = record.get("type")
    data = record.get("action_data") if isinstance(record.get("action_data"), dict) else {}
    try:
        when: str | None = iso(parse_iso(str(record.get("timestamp") or "")))
    except ValueError:
        when = None
    actor, actor_type = actor_of(record)
    ip = (record.get("request_metadata") or {}).get("client_ip")
    event = AuditEvent(event_id=event_id, event_type=event_type, action=action or None, occurred_at=when,
                       actor=actor, actor_type=actor_type, actor_ip=ip, record=record)
    if event_type and event_type not in KNOWN_EVENT_TYPES:
        event.unmapped = f"event type {event_type}"
        return event
    if when is None:
        event.unmapped = f"{action or 'no action'} (no timestamp)"
        return event
    base = dict(observed_at=when, collector="compliance", actor=actor, ip=ip, event_id=event_id, detail=action,
                actor_type=actor_type)
    succeeded = record.get("action_result", "SUCCESS") == "SUCCESS"
    if action == "WORKSPACE_TOGGLE_FEATURE":
        feature = str(data.get("feature"))
        rule = audit_map().get("features", {}).get(feature)
        if rule is None:
            event.unmapped = f"WORKSPACE_TOGGLE_FEATURE feature={feature}"
        elif succeeded:
            on = bool(data.get("value"))
            event.observations.append(Observation(rule["key"], rule.get("on" if on else "off", on), **base))
    elif action == "APP_SET_ENABLED_ACTIONS":
        app = _app_name(data)
        if succeeded and app:
            event.observations.append(Observation(f"apps.{app}.write_actions", _has_write(data.get("enabled_actions")),
                                                  **base))
        policy = data.get("action_policy")
        if succeeded and isinstance(policy, str) and policy:
            mapped = {"disable_new_actions": "disabled", "enable_new_read_actions": "read_only",
                      "enable_all": "all", "allow_all": "all"}.get(policy.lower(), policy.lower())
            event.observations.append(Observation("apps.new_actions_policy", mapped, **base))
        if not app and not policy:
            event.unmapped = f"APP_SET_ENABLED_ACTIONS app={data.get('app_name') or data.get('app_id')}"
    elif action == "APP_UPDATE_ACCESS_POLICY":
        if succeeded and "allow_all_in_workspace" in data:
            event.observations.append(Observation("apps.enabled_for_members", bool(data["allow_all_in_workspace"]),
                                                  **base))
    else:
        rule = action_rule(action)
        if rule is None:
            event.unmapped = action or "no action"
        elif succeeded and not rule.get("ignore"):
            _apply_rule(rule, data, base, action, event)
    return event
