"""The anthropic collector: a Claude Enterprise organization's effective settings.

``GET /v1/compliance/organizations/{id}/settings`` of Anthropic's Compliance API
(a Compliance Access Key with ``read:compliance_org_data``, sent as
``x-api-key``) answers every setting the organization's admins can change. A
catalogued setting the answer omits is *not applicable* to this organization
(recorded as such, never as "off"); a name the catalogue does not know is
reported as a new setting. The ``api_keys`` list gives the count of active
keys and any scope beyond read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping
from urllib.parse import quote

from driftwatch.posture.catalogue import Setting
from driftwatch.posture.evidence import CollectorResult, Observation
from driftwatch.timeutil import iso

from .http import ApiClient, CollectorError

KEY_SETTINGS = ("api_keys.active_count", "api_keys.write_scopes")
ANTHROPIC_VERSION = "2023-06-01"


def settings_path(organization_id: str) -> str:
    return f"v1/compliance/organizations/{quote(organization_id, safe='')}/settings"


def summarise_keys(api_keys: list[Any]) -> dict[str, Any]:
    """Active keys and the scopes they hold beyond read (pure)."""
    active = [k for k in api_keys if isinstance(k, dict) and k.get("is_active")]
    scopes = {str(s) for k in active for s in (k.get("scopes") or [])}
    return {"api_keys.active_count": len(active),
            "api_keys.write_scopes": sorted(s for s in scopes if not s.startswith("read:")),
            "names": sorted(str(k.get("name") or k.get("id")) for k in active)}


def collect_anthropic(client: ApiClient, organization_id: str, catalogue: Mapping[str, Setting],
                      now: dt.datetime) -> CollectorResult:
    result = CollectorResult("anthropic")
    stamp = iso(now)
    try:
        data = client.get_json(settings_path(organization_id))
    except CollectorError as exc:
        result.error = str(exc)
        return result
    if not isinstance(data, dict) or not isinstance(data.get("settings"), list):
        result.error = f"{client.api_name}: the settings answer has no 'settings' list; not used"
        return result
    answered: dict[str, tuple[Any, str | None]] = {}
    for item in data["settings"]:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name or len(name) > 120:
            result.warnings.append(f"{client.api_name}: a setting without a usable name was ignored")
            continue
        answered[name] = (item.get("value"), item.get("type"))
    ours = {key: s for key, s in catalogue.items() if s.vendor == "anthropic" and key not in KEY_SETTINGS}
    for key, setting in ours.items():
        if key in answered:
            value, kind = answered[key]
            if setting.values and value not in setting.values:
                result.warnings.append(f"{client.api_name}: {key} = {value!r} is not one of {list(setting.values)}")
            result.observations.append(Observation(key, value, stamp, "anthropic", detail=f"type {kind}"))
        else:
            result.observations.append(Observation(key, None, stamp, "anthropic", not_applicable=True,
                                                   detail="omitted by the API: not changeable in this organization"))
    for name in sorted(set(answered) - set(catalogue)):
        value, kind = answered[name]
        result.observations.append(Observation(name, value, stamp, "anthropic", detail=f"type {kind}; not in the catalogue"))
        result.new_settings.append({"name": name, "value": value, "type": kind})
    if isinstance(data.get("api_keys"), list):
        keys = summarise_keys(data["api_keys"])
        detail = f"active keys: {', '.join(keys['names']) or 'none'}"
        for key in KEY_SETTINGS:
            result.observations.append(Observation(key, keys[key], stamp, "anthropic", detail=detail))
    else:
        for key in KEY_SETTINGS:
            result.observations.append(Observation(key, None, stamp, "anthropic", not_applicable=True,
                                                   detail="the answer lists no api_keys"))
    return result
