"""Recording a snapshot: merge collector results, evaluate, compare, store drift changes.

One transaction per snapshot. Used by the watchers after they collected, and
by the Slack attest modal, whose attestation becomes a snapshot like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from driftwatch.config import Settings
from driftwatch.store import Store
from driftwatch.timeutil import iso

from .catalogue import load_baseline, load_catalogue
from .changes import drift_changes
from .drift import compare
from .evaluate import evaluate
from .report import evaluate_snapshot, waivers_of
from .snapshot import CollectorResult, Observation, merge

EVENT_COLLECTORS = ("compliance", "platform_admin")


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


def record_snapshot(store: Store, settings: Settings, workspace: str, results: list[CollectorResult]) -> SnapshotOutcome:
    catalogue = load_catalogue()
    controls = load_baseline(settings.config.controls)
    now = store.clock()
    run_id = store.start_run("snapshot")
    status = "failed"
    try:
        with store.transaction():
            for result in results:
                if result.events:
                    store.add_setting_events(workspace, result.events)
                if result.ok and result.name in EVENT_COLLECTORS:
                    store.set_cursor(workspace, result.name, result.cursor)
                    for row in store.latest_setting_events(workspace, result.name):
                        result.observations.append(Observation(
                            row["key"], row["value"], row["observed_at"], result.name, actor=row["actor"],
                            ip=row["ip"], event_id=row["event_id"], detail=row["detail"]))
            merged = merge(results, catalogue)
            previous = store.snapshots(workspace, 1)
            snapshot_id = store.add_snapshot(workspace, values=merged.values, provenance=merged.provenance,
                                             complete=merged.complete, errors=merged.errors, run_id=run_id)
            current = evaluate(controls, merged.values, merged.provenance, workspace=workspace,
                               waivers=waivers_of(settings), today=now.date())
            before = evaluate_snapshot(settings, previous[0]) if previous else None
            drift = compare(before, current, previous[0]["settings"] if previous else None, merged.values)
            refs = []
            for change in drift_changes(workspace, drift, {r.id: r for r in current},
                                        {c.id: c for c in controls}, catalogue, merged.provenance, snapshot_id):
                ref = store.add_change(change, run_id)
                if ref:
                    refs.append(ref)
        status = "ok"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status, {"workspace": workspace})
    counts = {s: sum(1 for r in current if r.status == s) for s in ("pass", "fail", "unknown", "waived")}
    return SnapshotOutcome(
        workspace=workspace, snapshot_id=snapshot_id, taken_at=iso(now), complete=merged.complete,
        errors=merged.errors, warnings=[w for r in results for w in r.warnings], counts=counts,
        drift=drift.counts(), change_refs=refs,
    )


def attest(store: Store, settings: Settings, workspace: str, values: dict[str, Any], *, actor: str,
           via: str) -> SnapshotOutcome:
    """Record an attestation made outside the file (the Slack modal) as a new snapshot.

    Everything the previous snapshot knew is carried with its original time and
    provenance; the attested values are newer, so they win.
    """
    catalogue = load_catalogue()
    clean = {k: v for k, v in values.items() if k in catalogue}
    store.add_attestation(workspace, clean, actor, via)
    carried = CollectorResult("carried")
    previous = store.snapshots(workspace, 1)
    if previous:
        provenance = previous[0].get("provenance") or {}
        for key, value in (previous[0]["settings"] or {}).items():
            prov = provenance.get(key) or {}
            carried.observations.append(Observation(
                key, value, prov.get("observed_at", "1970-01-01T00:00:00Z"), prov.get("collector", "carried"),
                actor=prov.get("actor"), ip=prov.get("ip"), event_id=prov.get("event_id"), detail=prov.get("detail")))
    now = iso(store.clock())
    attested = CollectorResult("attested", [Observation(k, v, now, "attested", actor=actor, detail=f"via {via}")
                                            for k, v in clean.items()])
    return record_snapshot(store, settings, workspace, [carried, attested])
