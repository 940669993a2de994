"""Recording a snapshot: merge collector results, evaluate, compare, store drift changes.

One transaction per snapshot. Used by the watchers after they collected, and
by the Slack attest modal, whose attestation becomes a snapshot like any other.
Each control's last known state is kept in ``control_states``, so an outage
(everything unknown for a while) neither closes nor reopens a failing control.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from driftwatch.config import Settings
from driftwatch.models import Classification, NewChange
from driftwatch.store import Store
from driftwatch.timeutil import iso

from .catalogue import load_baseline, load_catalogue
from .changes import categories_for, drift_changes, show
from .drift import ControlState, advance, carry_known, compare
from .evaluate import STATUSES, evaluate
from .ledger import AuditLedger
from .report import evaluate_snapshot, vendor_of, waivers_of
from .rules import FIRST_SEEN, rule_changes, rule_state_of
from .evidence import CollectorResult, Observation, merge

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
    gaps: list[str] = field(default_factory=list)
    stale_attestations: list[dict[str, Any]] = field(default_factory=list)
    vendor: str = "openai"

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "vendor": self.vendor, "snapshot_id": self.snapshot_id,
                "taken_at": self.taken_at, "complete": self.complete, "errors": self.errors, "gaps": self.gaps,
                "warnings": self.warnings, "controls": self.counts, "drift": self.drift, "changes": self.change_refs,
                "stale_attestations": self.stale_attestations}


def record_rules(store: Store, settings: Settings) -> list[str]:
    """Store one change per waiver, override or baseline version that differs from the last recorded."""
    baseline = load_baseline()
    after = rule_state_of(list(settings.config.waivers), settings.config.controls, baseline)
    before = store.rule_state()
    refs = []
    for change in rule_changes(before, after, {c.id: c for c in baseline}, store.now()):
        ref = store.add_change(change)
        if ref:
            refs.append(ref)
    for key in set(before) - set(after) - {FIRST_SEEN}:
        store.delete_rule_state(key)
    for key, value in after.items():
        if before.get(key) != value:
            store.set_rule_state(key, value)
    if FIRST_SEEN not in before:
        store.set_rule_state(FIRST_SEEN, True)
    return refs


def _new_setting_change(workspace: str, item: dict[str, Any], collector: str) -> NewChange:
    name = item["name"]
    return NewChange(
        kind="setting_new",
        title=f"New setting {name} in {workspace}: {show(item.get('value'))}",
        dedupe_key=f"newsetting:{workspace}:{collector}:{name}",
        workspace=workspace,
        summary=("The vendor's API reports a setting driftwatch's catalogue does not know yet. Its value is kept "
                 "in every snapshot; add it to data/settings.toml (and a control, if it matters)."),
        classification=Classification(True, "low", categories_for(name),
                                      [f"{collector}: {name} ({item.get('type')}) = {show(item.get('value'))}"],
                                      "catalogue"),
        details={"setting": name, "value": item.get("value"), "type": item.get("type"), "collector": collector},
    )


def record_snapshot(store: Store, settings: Settings, workspace: str, results: list[CollectorResult]) -> SnapshotOutcome:
    catalogue = load_catalogue()
    vendor = vendor_of(settings, workspace)
    controls = load_baseline(settings.config.controls, vendor)
    now = store.clock()
    run_id = store.start_run("snapshot")
    status = "failed"
    try:
        with store.transaction():
            refs = record_rules(store, settings)
            for result in results:
                refs += result.change_refs
                if result.events:
                    store.add_setting_events(workspace, result.events)
                if result.unmapped:
                    _, unmapped_refs = AuditLedger(store, workspace, result.name).store_events(result.unmapped)
                    refs += unmapped_refs
                if result.ok and result.name in EVENT_COLLECTORS:
                    store.set_cursor(workspace, result.name, result.cursor)
                    for row in store.latest_setting_events(workspace, result.name):
                        result.observations.append(Observation(
                            row["key"], row["value"], row["observed_at"], result.name, actor=row["actor"],
                            ip=row["ip"], event_id=row["event_id"], detail=row["detail"],
                            actor_type=row.get("actor_type")))
            merged = merge(results, catalogue)
            previous = store.snapshots(workspace, 1)
            prev = previous[0] if previous else None
            known_values = (prev.get("known") or prev["settings"] or {}) if prev else None
            snapshot_id = store.add_snapshot(workspace, values=merged.values, provenance=merged.provenance,
                                             complete=merged.complete, errors=merged.errors, run_id=run_id,
                                             gaps=merged.gaps, stale=merged.stale,
                                             known=carry_known(known_values, merged.values))
            current = evaluate(controls, merged.values, merged.provenance, workspace=workspace,
                               waivers=waivers_of(settings), today=now.date())
            before = evaluate_snapshot(settings, prev) if prev else None
            states = {cid: ControlState(r["status"], r["since"] or "", int(r["episode"] or 0), r["change_ref"])
                      for cid, r in store.control_states(workspace).items()}
            known = {r.id: r.status for r in before or [] if r.status != "unknown"}
            known.update({cid: s.status for cid, s in states.items()})
            drift = compare(before, current, known_values, merged.values, known=known)
            new_states = advance(states, drift, current, store.now())
            episodes = {cid: s.episode for cid, s in {**states, **new_states}.items()}
            for change in drift_changes(workspace, drift, {r.id: r for r in current},
                                        {c.id: c for c in controls}, catalogue, merged.provenance, snapshot_id,
                                        episodes):
                ref = store.add_change(change, run_id)
                if ref:
                    refs.append(ref)
                    if change.kind == "control_failing" and change.control_id in new_states:
                        new_states[change.control_id] = replace(new_states[change.control_id], change_ref=ref)
            for result in results:
                for item in result.new_settings:
                    ref = store.add_change(_new_setting_change(workspace, item, result.name), run_id)
                    if ref:
                        refs.append(ref)
            for cid, state in new_states.items():
                store.set_control_state(workspace, cid, status=state.status, since=state.since,
                                        episode=state.episode, change_ref=state.change_ref)
            store.set_snapshot_drift(snapshot_id, drift.counts())
        status = "ok"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        store.finish_run(run_id, status, {"workspace": workspace})
    counts = {s: sum(1 for r in current if r.status == s) for s in STATUSES}
    return SnapshotOutcome(
        workspace=workspace, snapshot_id=snapshot_id, taken_at=iso(now), complete=merged.complete,
        errors=merged.errors, warnings=[w for r in results for w in r.warnings], counts=counts,
        drift=drift.counts(), change_refs=refs, gaps=merged.gaps, stale_attestations=merged.stale, vendor=vendor,
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
                actor=prov.get("actor"), ip=prov.get("ip"), event_id=prov.get("event_id"), detail=prov.get("detail"),
                actor_type=prov.get("actor_type"), not_applicable=bool(prov.get("not_applicable"))))
    now = iso(store.clock())
    attested = CollectorResult("attested", [Observation(k, v, now, "attested", actor=actor, detail=f"via {via}")
                                            for k, v in clean.items()])
    return record_snapshot(store, settings, workspace, [carried, attested])
