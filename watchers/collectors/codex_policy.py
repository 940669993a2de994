"""The codex_policy collector: admin-enforced Codex requirements.toml files (paths or URLs).

Sources are read in the configured order and, as Codex does, the first value
wins per field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from driftwatch._httpx import httpx

from driftwatch.posture.evidence import CollectorResult, Observation

UNCONSTRAINED = "unconstrained"


def _load(source: str, base: Path | None) -> dict[str, Any]:
    if source.startswith(("http://", "https://")):
        from driftwatch.netguard import get_bytes  # guarded: no metadata addresses, bounded body

        return tomllib.loads(get_bytes(source, timeout=20).decode("utf-8", "replace"))
    path = Path(source).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    with path.open("rb") as handle:
        return tomllib.load(handle)


def summarise(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Settings keys from requirements layers, first layer winning per field (pure)."""
    def first(getter) -> Any:
        for layer in layers:
            value = getter(layer)
            if value is not None:
                return value
        return None

    def sandbox_modes(layer: dict[str, Any]) -> list[str] | None:
        if "allowed_sandbox_modes" in layer:
            return list(layer["allowed_sandbox_modes"])
        profiles = layer.get("allowed_permission_profiles")
        if isinstance(profiles, dict):
            return [name.lstrip(":").replace("workspace", "workspace-write") for name, allowed in profiles.items() if allowed is True]
        return None

    def mcp(layer: dict[str, Any]) -> list[str] | None:
        servers = layer.get("mcp_servers")
        return sorted(servers) if isinstance(servers, dict) else None

    def feature(name: str):
        return lambda layer: layer.get("features", {}).get(name) if isinstance(layer.get("features"), dict) else None

    values: dict[str, Any] = {"codex.requirements.present": bool(layers)}
    fields = {
        "codex.requirements.allowed_approval_policies": lambda l: l.get("allowed_approval_policies"),
        "codex.requirements.allowed_sandbox_modes": sandbox_modes,
        "codex.requirements.allowed_web_search_modes": lambda l: l.get("allowed_web_search_modes"),
        "codex.requirements.mcp_servers": mcp,
        "codex.requirements.features.computer_use": feature("computer_use"),
        "codex.requirements.features.browser_use": feature("browser_use"),
    }
    for key, getter in fields.items():
        value = first(getter)
        values[key] = UNCONSTRAINED if value is None else value
    return values


def collect_codex_policy(sources: list[str], base: Path | None, now: str) -> CollectorResult:
    result = CollectorResult("codex_policy")
    layers: list[dict[str, Any]] = []
    for source in sources:
        try:
            layers.append(_load(source, base))
        except FileNotFoundError:
            result.warnings.append(f"requirements file not found: {source}")
        except (OSError, httpx.HTTPError, tomllib.TOMLDecodeError) as exc:
            result.error = f"cannot read Codex requirements {source}: {exc}"
            return result
    for key, value in summarise(layers).items():
        result.observations.append(Observation(key, value, now, "codex_policy",
                                               detail=", ".join(sources) if layers else None))
    return result
