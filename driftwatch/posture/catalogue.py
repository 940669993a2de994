"""The settings catalogue and the baseline of controls, read from data/ (plus config overrides)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Mapping

from driftwatch.paths import data_file

RULES = ("equals", "not_equals", "in", "not_contains", "constrained", "any", "at_most", "non_empty")
VENDORS = ("openai", "anthropic")


@dataclass(frozen=True)
class Setting:
    key: str
    title: str
    where: str
    default: Any
    observed: tuple[str, ...]
    type: str
    values: tuple[Any, ...] = ()
    vendor: str = "openai"


@dataclass(frozen=True)
class Control:
    id: str
    version: int
    title: str
    recommendation: int | str
    severity: str
    settings: tuple[str, ...]
    rule: str
    expected: Any
    rationale: str
    remediation: str
    vendor: str = "openai"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "vendor": self.vendor, "title": self.title,
            "settings": list(self.settings),
            "rule": self.rule, "expected": self.expected, "severity": self.severity,
            "recommendation": self.recommendation, "rationale": self.rationale, "remediation": self.remediation,
        }


@lru_cache(maxsize=1)
def load_catalogue() -> dict[str, Setting]:
    with data_file("settings.toml").open("rb") as handle:
        raw = tomllib.load(handle)["settings"]
    return {
        key: Setting(key=key, title=v["title"], where=v["where"], default=v["default"],
                     observed=tuple(v["observed"]), type=v["type"], values=tuple(v.get("values", ())),
                     vendor=v.get("vendor", "openai"))
        for key, v in raw.items()
    }


@lru_cache(maxsize=1)
def _baseline() -> tuple[Control, ...]:
    with data_file("baseline.toml").open("rb") as handle:
        raw = tomllib.load(handle)["controls"]
    controls = []
    for cid, v in raw.items():
        if v["rule"] not in RULES:
            raise ValueError(f"baseline.toml: {cid}: unknown rule {v['rule']!r}")
        controls.append(Control(
            id=cid, version=int(v["version"]), title=v["title"], recommendation=v["recommendation"],
            severity=v["severity"], settings=tuple(v["settings"]), rule=v["rule"], expected=v.get("expected"),
            rationale=v["rationale"], remediation=v["remediation"], vendor=v.get("vendor", "openai"),
        ))
        if controls[-1].vendor not in VENDORS:
            raise ValueError(f"baseline.toml: {cid}: unknown vendor {controls[-1].vendor!r}")
    return tuple(controls)


def load_baseline(overrides: Mapping[str, Any] | None = None, vendor: str | None = None) -> list[Control]:
    """Controls with the user's severity / expected overrides applied (unknown ids are an error).

    With ``vendor``, only the controls for that vendor's workspaces.
    """
    controls = [c for c in _baseline() if vendor is None or c.vendor == vendor]
    if not overrides:
        return controls
    known = {c.id for c in _baseline()}
    for cid in overrides:
        if cid not in known:
            raise KeyError(cid)
    out = []
    for control in controls:
        override = overrides.get(control.id)
        if override is not None:
            changes: dict[str, Any] = {}
            if getattr(override, "severity", None):
                changes["severity"] = override.severity
            if getattr(override, "expected", None) is not None:
                changes["expected"] = override.expected
                if control.rule in ("constrained", "any", "non_empty"):
                    changes["rule"] = "equals"
            control = replace(control, **changes)
        out.append(control)
    return out
