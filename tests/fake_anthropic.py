"""A loopback fake of Anthropic's Compliance API effective-settings route.

``GET /v1/compliance/organizations/{organization_id}/settings`` with the key in
``x-api-key``; it answers the documented ``effective_organization_settings``
shape (no pagination), 401 for a wrong key (Anthropic's error envelope), 404
for another organization, and 429 with Retry-After when told to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .fakeweb import FakeWeb, Reply, Seen


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})}, etag=False)


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return _json(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)


TYPES = {bool: "boolean", int: "integer", list: "string_list", dict: "data_retention"}


@dataclass
class FakeAnthropic:
    web: FakeWeb
    organization_id: str = "8b1f5c2e-1111-4a2b-9c3d-000000000042"
    key: str = "sk-ant-admin-compliance-test"
    settings: dict[str, Any] = field(default_factory=lambda: {
        "sso_enabled": True,
        "sso_claude_ai_enforced": True,
        "sso_provisioning_mode": "scim_advanced",
        "directory_sync_enabled": True,
        "allowed_invite_domains": ["acme.example"],
        "account_session_duration_seconds": 43200,
        "ip_allowlist_enabled": True,
        "ip_allowlist_ip_ranges": ["198.51.100.0/24"],
        "memory_enabled": False,
        "web_search_enabled": False,
        "code_execution_enabled": True,
        "code_execution_network_egress_enabled": False,
        "connector_tools_default_always_allow": False,
        "claude_code_desktop_bypass_permissions_enabled": False,
        "public_projects_enabled": False,
        "skills_enabled": True,
        "claude_in_slack_enabled": False,
        "data_retention_periods": {"conversations_days": 365},
    })
    api_keys: list[dict[str, Any]] = field(default_factory=lambda: [
        {"id": "apikey_01", "created_at": "2026-06-01T00:00:00Z", "created_by_id": "user_01", "is_active": True,
         "name": "siem-collector", "scopes": ["read:compliance_org_data"]},
        {"id": "apikey_02", "created_at": "2026-01-01T00:00:00Z", "created_by_id": "user_02", "is_active": False,
         "name": "old", "scopes": ["read:compliance_org_data", "delete:compliance_user_data"]},
    ])
    rate_limited: int = 0  # answer 429 this many times first

    def __post_init__(self) -> None:
        self.web.handle("/v1/compliance/organizations/", self._api)

    @property
    def base_url(self) -> str:
        return self.web.base_url

    def _api(self, seen: Seen) -> Reply:
        if seen.headers.get("x-api-key") != self.key:
            return _error(401, "authentication_error", "invalid x-api-key")
        path = urlsplit(seen.path).path
        if path != f"/v1/compliance/organizations/{self.organization_id}/settings":
            return _error(404, "not_found_error", "Not found")
        if self.rate_limited:
            self.rate_limited -= 1
            return _error(429, "rate_limit_error", "Too many requests", {"Retry-After": "2"})
        settings = [{"name": name, "value": value,
                     "type": "provisioning_mode" if name == "sso_provisioning_mode" else TYPES[type(value)]}
                    for name, value in self.settings.items()]
        return _json(200, {"type": "effective_organization_settings", "organization_id": self.organization_id,
                           "api_keys": self.api_keys, "settings": settings})
