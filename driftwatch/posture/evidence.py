"""The evidence types (observations, collector results) and merging them into one snapshot (pure).

The newest observation of a key wins (an audit event after the attestation
overrides it, and marks that attestation stale). Keys a failed collector is
responsible for become unknown, because events it could not read may have
changed them. A collector that worked but saw only part of the evidence (a log
file waiting for a retry) leaves a *gap*: the snapshot is then incomplete.
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
    actor_type: str | None = None
    not_applicable: bool = False  # the vendor's API omits this setting for this organization

    def provenance(self) -> dict[str, Any]:
        out: dict[str, Any] = {"collector": self.collector, "observed_at": self.observed_at}
        for name in ("actor", "actor_type", "ip", "event_id", "detail", "not_applicable"):
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
    gaps: list[str] = field(default_factory=list)  # evidence this run could not see (snapshot incomplete)
    new_settings: list[dict[str, Any]] = field(default_factory=list)  # names the catalogue does not know
    unmapped: list[Any] = field(default_factory=list)  # audit events no mapping knows (stored once each)
    change_refs: list[str] = field(default_factory=list)  # changes already stored while collecting (log files)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class MergedSnapshot:
    values: dict[str, Any]
    provenance: dict[str, dict[str, Any]]
    complete: bool
    errors: dict[str, str]
    gaps: list[str] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)


COLLECTOR_SOURCES = {
    "attested": "attested",
    "compliance": ("compliance_audit_log", "compliance_inventory"),
    "platform_admin": "platform_admin",
    "codex_policy": "codex_policy",
    "driftwatch": "driftwatch",
    "anthropic": "anthropic_settings",
}


def stale_entry(key: str, attested: Observation, event: Observation, title: str | None = None) -> dict[str, Any]:
    """An attestation an audit event overrode: the admin should look again."""
    who = event.actor or "an unknown actor"
    return {
        "setting": key, "title": title or key, "attested_by": attested.actor, "attested_at": attested.observed_at,
        "attested_value": attested.value, "value": event.value, "changed_by": event.actor,
        "changed_at": event.observed_at, "event_id": event.event_id, "action": event.detail,
        "message": f"re-attest: changed by {who} on {event.observed_at[:10]}",
    }


def merge(results: Iterable[CollectorResult], catalogue: Mapping[str, Setting]) -> MergedSnapshot:
    values: dict[str, Any] = {}
    provenance: dict[str, dict[str, Any]] = {}
    winner: dict[str, Observation] = {}
    attested: dict[str, Observation] = {}
    errors: dict[str, str] = {}
    gaps: list[str] = []
    failed_sources: set[str] = set()
    for result in results:
        if not result.ok:
            errors[result.name] = result.error or "failed"
            sources = COLLECTOR_SOURCES.get(result.name, result.name)
            failed_sources.update((sources,) if isinstance(sources, str) else sources)
            continue
        gaps.extend(f"{result.name}: {gap}" for gap in result.gaps)
        for obs in result.observations:
            if obs.collector == "attested" and (obs.key not in attested or obs.observed_at >= attested[obs.key].observed_at):
                attested[obs.key] = obs
            if obs.key not in winner or obs.observed_at >= winner[obs.key].observed_at:
                winner[obs.key] = obs
                values[obs.key] = obs.value
                provenance[obs.key] = obs.provenance()
    stale = []
    for key, obs in sorted(winner.items()):
        base = attested.get(key)
        if base is not None and obs.event_id and obs.collector != "attested" and obs.observed_at > base.observed_at:
            setting = catalogue.get(key)
            stale.append(stale_entry(key, base, obs, setting.title if setting else None))
    for key, setting in catalogue.items():
        if key in values and failed_sources & set(setting.observed):
            del values[key]
            provenance[key] = {"unknown": "collector failed: " + ", ".join(sorted(failed_sources & set(setting.observed)))}
            stale = [s for s in stale if s["setting"] != key]
    return MergedSnapshot(values, provenance, complete=not errors and not gaps, errors=errors, gaps=gaps, stale=stale)
