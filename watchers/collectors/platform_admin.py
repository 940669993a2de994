"""The platform_admin collector: the API Platform Admin API (projects, retention, keys, audit logs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from driftwatch.posture.ledger import AuditEvent
from driftwatch.posture.evidence import CollectorResult, Observation
from driftwatch.timeutil import iso

from .audit_mapping import audit_map
from .compliance import _paged
from .http import ApiClient, CollectorError

TOOLS = {"mcp": "api.hosted_tools.mcp", "web_search": "api.hosted_tools.web_search",
         "file_search": "api.hosted_tools.file_search"}


def _tool_enabled(permissions: dict[str, Any], tool: str) -> bool | None:
    value = permissions.get(tool)
    if value is None:
        for item in permissions.get("data") or permissions.get("tools") or []:
            if isinstance(item, dict) and (item.get("tool") == tool or item.get("type") == tool):
                value = item
                break
    if isinstance(value, dict):
        value = value.get("enabled", value.get("allowed"))
    return None if value is None else bool(value)


def hosted_tool_scope(per_project: list[bool]) -> str:
    if per_project and all(per_project):
        return "all_projects"
    if any(per_project):
        return "selected_projects"
    return "disabled"


def map_platform_event(event: dict[str, Any]) -> list[Observation]:
    kind = str(event.get("type") or "")
    when = iso(dt.datetime.fromtimestamp(int(event.get("effective_at") or 0), dt.timezone.utc))
    actor_info = event.get("actor") or {}
    session = actor_info.get("session") or {}
    user = session.get("user") or (actor_info.get("api_key") or {}).get("user") or {}
    base = dict(observed_at=when, collector="platform_admin", actor=user.get("email") or user.get("id"),
                ip=session.get("ip_address"), event_id=event.get("id"), detail=kind,
                actor_type=actor_info.get("type"))
    if kind == "ip_allowlist.config.activated":
        return [Observation("api.ip_allowlist.enabled", True, **base)]
    if kind == "ip_allowlist.config.deactivated":
        return [Observation("api.ip_allowlist.enabled", False, **base)]
    if kind.startswith(("ip_allowlist.", "scim.", "organization.updated", "role.", "tenant.", "api_key.",
                        "service_account.", "certificate", "external_key.", "group.")):
        return [Observation(f"api.event.{kind}", f"{kind} ({event.get('id')})", **base)]
    return []


def collect_platform_admin(client: ApiClient, cursor: str | None, now: dt.datetime) -> CollectorResult:
    result = CollectorResult("platform_admin", cursor=cursor)
    stamp = iso(now)
    try:
        per_tool: dict[str, list[bool]] = {tool: [] for tool in TOOLS}
        projects = 0
        for project in _paged(client, "organization/projects", "after"):
            if project.get("status", "active") != "active":
                continue
            projects += 1
            permissions = client.get_json(f"organization/projects/{project['id']}/hosted_tool_permissions")
            for tool in TOOLS:
                enabled = _tool_enabled(permissions or {}, tool)
                per_tool[tool].append(True if enabled is None else enabled)  # documented default: on
        for tool, key in TOOLS.items():
            result.observations.append(Observation(key, hosted_tool_scope(per_tool[tool]), stamp, "platform_admin",
                                                   detail=f"{projects} active projects"))
        retention = client.get_json("organization/data_retention")
        if isinstance(retention, dict) and retention.get("retention_type"):
            result.observations.append(Observation("api.data_retention", retention["retention_type"], stamp,
                                                   "platform_admin"))
        keys = sum(1 for _ in _paged(client, "organization/admin_api_keys", "after"))
        owners = sum(1 for u in _paged(client, "organization/users", "after") if u.get("role") == "owner")
        result.observations += [
            Observation("api.admin_keys_count", keys, stamp, "platform_admin"),
            Observation("api.owners_count", owners, stamp, "platform_admin"),
        ]
        result.events, result.cursor, enabled, result.unmapped = _audit_log(client, cursor, now)
        result.observations.append(Observation("api.audit_logging.enabled", enabled, stamp, "platform_admin"))
    except CollectorError as exc:
        result.error = str(exc)
    return result


def unmapped_event(event: dict[str, Any]) -> AuditEvent | None:
    """An event type neither mapped nor known to be irrelevant: stored and surfaced once per type."""
    kind = str(event.get("type") or "")
    if not event.get("id") or map_platform_event(event) or kind in audit_map().get("platform", {}).get("known_types", []):
        return None
    actor_info = event.get("actor") or {}
    session = actor_info.get("session") or {}
    user = session.get("user") or (actor_info.get("api_key") or {}).get("user") or {}
    when = iso(dt.datetime.fromtimestamp(int(event.get("effective_at") or 0), dt.timezone.utc))
    return AuditEvent(event_id=str(event["id"]), event_type=kind, action=kind, occurred_at=when,
                      actor=user.get("email") or user.get("id"), actor_type=actor_info.get("type"),
                      actor_ip=session.get("ip_address"), record=event, unmapped=f"event type {kind or '(none)'}")


def _audit_log(client: ApiClient, cursor: str | None,
               now: dt.datetime) -> tuple[list[Observation], str | None, bool, list[Any]]:
    since = int(cursor) if cursor and cursor.isdigit() else int((now - dt.timedelta(days=30)).timestamp())
    params: dict[str, Any] = {"effective_at[gte]": since, "limit": 100}
    events: list[Observation] = []
    unmapped: list[Any] = []
    newest = since
    for _page in range(1000):
        try:
            page = client.get_json("organization/audit_logs", params=params)
        except CollectorError as exc:
            if "audit log" in str(exc).lower() and ("400" in str(exc) or "403" in str(exc)):
                return events, cursor, False, unmapped  # audit logging is not enabled for the organization
            raise
        for event in page.get("data") or []:
            newest = max(newest, int(event.get("effective_at") or 0))
            events.extend(map_platform_event(event))
            odd = unmapped_event(event)
            if odd is not None:
                unmapped.append(odd)
        if not page.get("has_more"):
            return events, str(newest), True, unmapped
        params["after"] = page.get("last_id")
    raise CollectorError("platform audit logs: more than 1000 pages; stopped")
