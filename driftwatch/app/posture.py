"""Use cases of the posture side: collect evidence and record snapshots, attest, report."""

from __future__ import annotations

from typing import Any

from driftwatch.store import Store

from .context import Driftwatch


def take_snapshots(dw: Driftwatch, workspace: str | None = None, *, store: Store | None = None) -> list[Any]:
    """Run each workspace's collectors and record one snapshot each, with its drift changes."""
    settings = dw.settings
    targets = [settings.workspace(workspace)] if workspace else list(settings.config.workspaces)
    if not targets and store is not None:
        return []  # no workspace configured: the collectors are not even imported
    from driftwatch.watchers.collect import take_snapshot

    if store is not None:
        return [take_snapshot(store, settings, ws) for ws in targets]
    with dw.store() as opened:
        outcomes = [take_snapshot(opened, settings, ws) for ws in targets]
    dw.notifier.deliver(30.0)
    return outcomes


def attest(dw: Driftwatch, workspace: str, values: dict[str, Any], *, actor: str, via: str) -> Any:
    """Record settings an admin attests outside the file (the Slack modal) as a new snapshot."""
    from driftwatch.posture.record import attest as record_attestation

    with dw.store() as store:
        outcome = record_attestation(store, dw.settings, workspace, values, actor=actor, via=via)
    dw.notifier.deliver(10.0)
    return outcome


def posture_report(dw: Driftwatch, store: Store, workspace: str) -> dict[str, Any]:
    """One workspace's controls, evaluated on its latest snapshot as of today."""
    from driftwatch.posture.report import posture_report as report

    latest = store.snapshots(workspace, 1)
    return report(dw.settings, latest[0] if latest else None, workspace, dw.clock().date(), store=store)
