"""Merging what the collectors observed into one snapshot (pure).

The newest observation of a key wins (an audit event after the attestation
overrides it). Keys a failed collector is responsible for become unknown,
because events it could not read may have changed them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .catalogue import Setting


@dataclass(frozen=True)
class Observation:
    key: str
    value: Any
    observed_at: str  # ISO-8601 UTC
    collector: str
    actor: str | None = None
    ip: str | None = None
    event_id: str | None = None
    detail: str | None = None

    def provenance(self) -> dict[str, Any]:
        out = {"collector": self.collector, "observed_at": self.observed_at}
        for name in ("actor", "ip", "event_id", "detail"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass
class CollectorResult:
    name: str
    observations: list[Observation] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    cursor: str | None = None  # where the next run resumes (audit logs)
    events: list[Observation] = field(default_factory=list)  # audit-log deltas, stored and deduped

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class MergedSnapshot:
    values: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    complete: bool
    errors: dict[str, str]


COLLECTOR_SOURCES = {
    "attested": "attested",
    "compliance": ("compliance_audit_log", "compliance_inventory"),
    "platform_admin": "platform_admin",
    "codex_policy": "codex_policy",
    "driftwatch": "driftwatch",
}


def merge(results: Iterable[CollectorResult], catalogue: Mapping[str, Setting]) -> MergedSnapshot:
    values: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    newest: dict[str, str] = {}
    errors: dict[str, str] = {}
    failed_sources: set[str] = set()
    for result in results:
        if not result.ok:
            errors[result.name] = result.error or "failed"
            sources = COLLECTOR_SOURCES.get(result.name, result.name)
            failed_sources.update((sources,) if isinstance(sources, str) else sources)
            continue
        for obs in result.observations:
            if obs.key not in newest or obs.observed_at >= newest[obs.key]:
                newest[obs.key] = obs.observed_at
                values[obs.key] = obs.value
                provenance[obs.key] = obs.provenance()
    for key, setting in catalogue.items():
        if key in values and failed_sources & set(setting.observed):
            del values[key]
            provenance[key] = {"unknown": "collector failed: " + ", ".join(sorted(failed_sources & set(setting.observed)))}
    return MergedSnapshot(values, provenance, complete=not errors, errors=errors)
