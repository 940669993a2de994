"""The compliance collector: ChatGPT Compliance API inventories and AUDIT_LOG files.

Inventories (GPTs and their sharing, workspace plugins, users) give current
counts. Settings changes arrive only as AUDIT_LOG events in the Logs Platform:
files are listed after a stored cursor, each is downloaded from its pre-signed
URL without our Authorization header, checked against its ``file_sha256``, and
every event is deduplicated on ``event_id`` (delivery is at least once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from functools import lru_cache
from typing import Any, Iterator

from driftwatch.paths import data_file
from driftwatch.posture.snapshot import CollectorResult, Observation
from driftwatch.timeutil import iso, parse_iso

from .http import ApiClient, CollectorError

EXTERNAL_VISIBILITY = {"public", "anyone_with_link", "external", "link", "everyone", "anyone"}
WRITE_PREFIXES = ("create", "update", "delete", "send", "post", "write", "edit", "move", "upload",
                  "rename", "share", "remove", "batch_update", "reply", "comment", "add")


@lru_cache(maxsize=1)
def audit_map() -> dict[str, Any]:
    with data_file("audit_map.toml").open("rb") as handle:
        return tomllib.load(handle)


def _actor(record: dict[str, Any]) -> str | None:
    actor = record.get("actor") or {}
    return actor.get("user_email") or actor.get("user_id") or actor.get("redacted_id") or actor.get("type")


def _ip(record: dict[str, Any]) -> str | None:
    return (record.get("request_metadata") or {}).get("client_ip")


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


def map_audit_event(record: dict[str, Any]) -> list[Observation]:
    """Setting observations carried by one AUDIT_LOG record (pure)."""
    if record.get("action_result", "SUCCESS") != "SUCCESS":
        return []
    action = record.get("action") or ""
    data = record.get("action_data") or {}
    when = record.get("timestamp") or ""
    try:
        when = iso(parse_iso(when))
    except ValueError:
        return []
    base = dict(observed_at=when, collector="compliance", actor=_actor(record), ip=_ip(record),
                event_id=record.get("event_id"), detail=action)
    out: list[Observation] = []
    if action == "WORKSPACE_TOGGLE_FEATURE":
        rule = audit_map().get("features", {}).get(str(data.get("feature")))
        if rule:
            on = bool(data.get("value"))
            value = rule.get("on" if on else "off", on)
            out.append(Observation(rule["key"], value, **base))
        else:
            out.append(Observation(f"feature.{data.get('feature')}", data.get("value"), **base))
    elif action == "APP_SET_ENABLED_ACTIONS":
        app = _app_name(data)
        if app:
            out.append(Observation(f"apps.{app}.write_actions", _has_write(data.get("enabled_actions")), **base))
        policy = data.get("action_policy")
        if isinstance(policy, str) and policy:
            mapped = {"disable_new_actions": "disabled", "enable_new_read_actions": "read_only",
                      "enable_all": "all", "allow_all": "all"}.get(policy.lower(), policy.lower())
            out.append(Observation("apps.new_actions_policy", mapped, **base))
    elif action == "APP_UPDATE_ACCESS_POLICY":
        if "allow_all_in_workspace" in data:
            out.append(Observation("apps.enabled_for_members", bool(data["allow_all_in_workspace"]), **base))
    elif action in ("DELETE_AND_DISABLE_WORKSPACE_MEMORY",):
        out.append(Observation("workspace.memory.allowed", False, **base))
    elif action == "WORKSPACE_SET_POLICY":
        paths = sorted({
            change.get("path")
            for policy in data.get("policy_changes") or []
            for toml in policy.get("toml_changes") or []
            for change in toml.get("key_changes") or []
            if change.get("path")
        })
        label = str(data.get("workspace_policy") or "policy")
        out.append(Observation(f"policy.{label}", f"changed {', '.join(paths) or 'policy'} ({record.get('event_id')})", **base))
    elif action.startswith("ROLE_") or action in ("USER_ROLE_UPDATED", "PLUGIN_SHARE", "APP_PUBLISH"):
        out.append(Observation(f"rbac.{action.lower()}", f"{action} ({record.get('event_id')})", **base))
    return out


def _paged(client: ApiClient, path: str, style: str, limit: int = 100) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {"limit": limit}
    for _page in range(1000):
        page = client.get_json(path, params=params)
        items = page.get("data") or []
        yield from items
        if not page.get("has_more") or not items:
            return
        if style == "cursor":
            params["cursor"] = page.get("cursor") or page.get("next_cursor") or page.get("last_id")
        else:
            params["after"] = page.get("last_id") or items[-1].get("id")
    raise CollectorError(f"{client.api_name}: {path} paginated for more than 1000 pages; stopped")


def collect_compliance(
    client: ApiClient, workspace_id: str, cursor: str | None, now: dt.datetime
) -> CollectorResult:
    result = CollectorResult("compliance", cursor=cursor)
    scope = "organizations" if workspace_id.startswith("org-") else "workspaces"
    base = f"compliance/{scope}/{workspace_id}"
    stamp = iso(now)
    try:
        if scope == "workspaces":
            shared = 0
            gpts = 0
            for gpt in _paged(client, f"{base}/gpts", "after"):
                gpts += 1
                sharing = gpt.get("sharing") or {}
                visibility = str(sharing.get("visibility") or gpt.get("visibility") or "").lower()
                shared += visibility in EXTERNAL_VISIBILITY
            plugins = sum(1 for _ in _paged(client, f"{base}/plugins", "cursor"))
            admins = sum(1 for u in _paged(client, f"{base}/users", "after")
                         if str(u.get("role", "")).lower() in ("owner", "admin", "account-owner", "account-admin"))
            result.observations += [
                Observation("gpts.externally_shared", shared, stamp, "compliance", detail=f"{gpts} GPTs in inventory"),
                Observation("apps.workspace_plugins_count", plugins, stamp, "compliance"),
                Observation("workspace.admins_count", admins, stamp, "compliance"),
            ]
        result.events, result.cursor = _audit_events(client, base, cursor, now)
        result.observations.append(Observation("compliance.logs_platform.enabled", True, stamp, "compliance",
                                               detail="AUDIT_LOG files listed"))
    except CollectorError as exc:
        result.error = str(exc)
    return result


def _audit_events(client: ApiClient, base: str, cursor: str | None, now: dt.datetime) -> tuple[list[Observation], str]:
    after = cursor or iso(now - dt.timedelta(days=30))
    seen: set[str] = set()
    events: list[Observation] = []
    for _page in range(1000):
        page = client.get_json(f"{base}/logs", params={"event_type": "AUDIT_LOG", "after": after, "limit": 100})
        for entry in page.get("data") or []:
            body = _download(client, base, entry)
            for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    raise CollectorError(f"compliance logs: file {entry.get('id')} line {number} is not JSON") from None
                event_id = record.get("event_id")
                if not event_id or event_id in seen:
                    continue
                seen.add(event_id)
                events.extend(map_audit_event(record))
        after = page.get("last_end_time") or after
        if not page.get("has_more"):
            return events, after
    raise CollectorError("compliance logs: more than 1000 pages of files; stopped")


def _download(client: ApiClient, base: str, entry: dict[str, Any]) -> bytes:
    file_id = entry.get("id")
    response = client.get(f"{base}/logs/{file_id}")
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location")
        if not location:
            raise CollectorError(f"compliance logs: file {file_id} redirect without a Location")
        body = client.download(location)
    else:
        body = response.content
    expected = entry.get("file_sha256")
    if expected and hashlib.sha256(body).hexdigest() != expected.lower():
        raise CollectorError(
            f"compliance logs: file {file_id} failed its sha256 check (expected {expected[:12]}…); not used"
        )
    return body
