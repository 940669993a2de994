"""One snapshot of a workspace: run its collectors, merge, evaluate, compare, store.

Network and file work happens first; everything the snapshot writes (events,
cursors, the snapshot, its drift changes) is one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from driftwatch.config import Settings, WorkspaceConfig
from driftwatch.posture import compare, evaluate, load_baseline, load_catalogue
from driftwatch.posture.changes import drift_changes
from driftwatch.posture.evaluate import ControlResult, Waiver
from driftwatch.posture.snapshot import CollectorResult, Observation, merge
from driftwatch.store import Store
from driftwatch.timeutil import iso, parse_iso

from .collectors.attested import collect_attested
from .collectors.codex_policy import collect_codex_policy
from .collectors.compliance import collect_compliance
from .collectors.http import ApiClient, CollectorError
from .collectors.platform_admin import collect_platform_admin

ENTERPRISE_NOTES = "10128477"


@dataclass
class SnapshotOutcome:
    workspace: str
    snapshot_id: int
    taken_at: str
    complete: bool
    errors: dict[str, str]
    warnings: list[str]
    counts: dict[str, int]
    drift: dict[str, int]
    change_refs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "snapshot_id": self.snapshot_id, "taken_at": self.taken_at,
                "complete": self.complete, "errors": self.errors, "warnings": self.warnings,
                "controls": self.counts, "drift": self.drift, "changes": self.change_refs}


def waivers_of(settings: Settings) -> list[Waiver]:
    return [Waiver(w.control, w.workspace, w.reason, w.owner, w.expires) for w in settings.config.waivers]


def _api_collector(name: str, make: Callable[[], CollectorResult]) -> CollectorResult:
    try:
        return make()
    except CollectorError as exc:
        return CollectorResult(name, error=str(exc))


def run_collectors(store: Store, settings: Settings, workspace: WorkspaceConfig, now: dt.datetime,
                   sleep: Callable[[float], None] = time.sleep) -> list[CollectorResult]:
    catalogue = load_catalogue()
    results: list[CollectorResult] = []
    if workspace.attested:
        results.append(collect_attested(settings.resolve(workspace.attested), catalogue))
    if workspace.codex_requirements:
        base = settings.config_path.parent if settings.config_path else None
        results.append(collect_codex_policy(list(workspace.codex_requirements), base, iso(now)))
    if workspace.compliance_workspace_id:
        def compliance() -> CollectorResult:
            with ApiClient(workspace.compliance_base_url, settings.secrets.get("CHATGPT_COMPLIANCE_API_KEY"),
                           api_name="ChatGPT Compliance API", key_env="CHATGPT_COMPLIANCE_API_KEY",
                           sleep=sleep) as client:
                return collect_compliance(client, workspace.compliance_workspace_id,
                                          store.cursor(workspace.name, "compliance"), now)
        results.append(_api_collector("compliance", compliance))
    if workspace.platform_admin:
        def platform() -> CollectorResult:
            with ApiClient(workspace.platform_base_url, settings.secrets.get("OPENAI_ADMIN_KEY"),
                           api_name="OpenAI Admin API", key_env="OPENAI_ADMIN_KEY", sleep=sleep) as client:
                return collect_platform_admin(client, store.cursor(workspace.name, "platform_admin"), now)
        results.append(_api_collector("platform_admin", platform))
    watched = any(ENTERPRISE_NOTES in s.url and s.enabled for s in settings.sources)
    results.append(CollectorResult("driftwatch", [
        Observation("driftwatch.enterprise_release_notes", watched, iso(now), "driftwatch")]))
    return results


def evaluate_snapshot(settings: Settings, snapshot: dict[str, Any], today: dt.date | None = None) -> list[ControlResult]:
    when = today or parse_iso(snapshot["taken_at"]).date()
    return evaluate(load_baseline(settings.config.controls), snapshot["settings"] or {},
                    snapshot.get("provenance") or {}, workspace=snapshot["workspace"],
                    waivers=waivers_of(settings), today=when)


def take_snapshot(store: Store, settings: Settings, workspace: WorkspaceConfig, *,
                  sleep: Callable[[float], None] = time.sleep) -> SnapshotOutcome:
    now = store.clock()
    results = run_collectors(store, settings, workspace, now, sleep)
    catalogue = load_catalogue()
    controls = load_baseline(settings.config.controls)
    run_id = store.start_run("snapshot")
    status = "failed"
    try:
        with store.transaction():
            for result in results:
                if result.events:
                    store.add_setting_events(workspace.name, result.events)
                if result.ok and result.name in ("compliance", "platform_admin"):
                    store.set_cursor(workspace.name, result.name, result.cursor)
                    for row in store.latest_setting_events(workspace.name, result.name):
                        result.observations.append(Observation(
                            row["key"], row["value"], row["observed_at"], result.name, actor=row["actor"],
                            ip=row["ip"], event_id=row["event_id"], detail=row["detail"]))
            merged = merge(results, catalogue)
            previous = store.snapshots(workspace.name, 1)
            snapshot_id = store.add_snapshot(workspace.name, values=merged.values, provenance=merged.provenance,
                                             complete=merged.complete, errors=merged.errors, run_id=run_id)
            current = evaluate(controls, merged.values, merged.provenance, workspace=workspace.name,
                               waivers=waivers_of(settings), today=now.date())
            before = evaluate_snapshot(settings, previous[0]) if previous else None
            drift = compare(before, current, previous[0]["settings"] if previous else None, merged.values)
            refs = []
            for change in drift_changes(workspace.name, drift, {r.id: r for r in current},
                                        {c.id: c for c in controls}, catalogue, merged.provenance, snapshot_id):
                ref = store.add_change(change, run_id)
                if ref:
                    refs.append(ref)
        status = "ok"
    finally:
        store.finish_run(run_id, status, {"workspace": workspace.name})
    counts = {s: sum(1 for r in current if r.status == s) for s in ("pass", "fail", "unknown", "waived")}
    return SnapshotOutcome(
        workspace=workspace.name, snapshot_id=snapshot_id, taken_at=iso(now), complete=merged.complete,
        errors=merged.errors, warnings=[w for r in results for w in r.warnings], counts=counts,
        drift=drift.counts(), change_refs=refs,
    )
