"""Collecting a workspace's settings evidence (collectors), then letting the core record the snapshot.

Network and file work happens first. Compliance log files are applied as they
are verified, each in its own transaction (a file is the unit of audit
evidence, see :mod:`driftwatch.posture.ledger`); everything else the snapshot
writes (the snapshot, its drift changes, control states) is one transaction in
:func:`driftwatch.posture.record.record_snapshot`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable

from driftwatch.config import Settings, WorkspaceConfig
from driftwatch.posture import load_catalogue
from driftwatch.posture.ledger import AuditLedger
from driftwatch.posture.record import SnapshotOutcome, record_snapshot
from driftwatch.posture.evidence import CollectorResult, Observation
from driftwatch.store import Store
from driftwatch.timeutil import iso

from .collectors.anthropic import ANTHROPIC_VERSION, collect_anthropic
from .collectors.attested import collect_attested
from .collectors.codex_policy import collect_codex_policy
from .collectors.compliance import collect_compliance
from .collectors.http import ApiClient, CollectorError
from .collectors.platform_admin import collect_platform_admin

log = logging.getLogger("driftwatch.snapshot")
ENTERPRISE_NOTES = "10128477"


def _api_collector(name: str, make: Callable[[], CollectorResult]) -> CollectorResult:
    """Run one collector; whatever goes wrong (an API error, an answer of the wrong shape) is its error.

    Its keys are then unknown, never pass or fail, and the other collectors and workspaces go on.
    """
    try:
        return make()
    except CollectorError as exc:
        return CollectorResult(name, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - valid JSON of an unexpected shape must not stop the snapshot
        log.debug("collector %s failed", name, exc_info=True)
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        return CollectorResult(name, error=f"unexpected answer from the API ({detail})")


def collect_evidence(store: Store, settings: Settings, workspace: WorkspaceConfig, now: dt.datetime,
                   sleep: Callable[[float], None] = time.sleep) -> list[CollectorResult]:
    catalogue = load_catalogue()
    if workspace.vendor == "anthropic":
        def anthropic() -> CollectorResult:
            with ApiClient(workspace.anthropic_base_url, settings.secrets.get("ANTHROPIC_COMPLIANCE_API_KEY"),
                           api_name="Anthropic Compliance API", key_env="ANTHROPIC_COMPLIANCE_API_KEY",
                           key_header="x-api-key", extra_headers={"anthropic-version": ANTHROPIC_VERSION},
                           sleep=sleep) as client:
                return collect_anthropic(client, workspace.anthropic_organization_id or "", catalogue, now)
        return [_api_collector("anthropic", anthropic)]
    results: list[CollectorResult] = []
    if workspace.attested:
        results.append(collect_attested(settings.resolve(workspace.attested), catalogue))
    stored = store.latest_attestation(workspace.name)
    if stored:  # made in Slack with /driftwatch attest
        results.append(CollectorResult("attested", [
            Observation(key, value, stored["attested_at"], "attested", actor=stored["attested_by"],
                        detail=f"via {stored['via']}")
            for key, value in (stored["settings"] or {}).items() if key in catalogue]))
    if workspace.codex_requirements:
        base = settings.config_path.parent if settings.config_path else None
        results.append(collect_codex_policy(list(workspace.codex_requirements), base, iso(now)))
    if workspace.compliance_workspace_id:
        ledger = AuditLedger(store, workspace.name, "compliance",
                             max_attempts=settings.config.posture.log_file_max_attempts)

        def compliance() -> CollectorResult:
            with ApiClient(workspace.compliance_base_url, settings.secrets.get("CHATGPT_COMPLIANCE_API_KEY"),
                           api_name="ChatGPT Compliance API", key_env="CHATGPT_COMPLIANCE_API_KEY",
                           sleep=sleep) as client:
                return collect_compliance(client, workspace.compliance_workspace_id or "", ledger, now)
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


def take_snapshot(store: Store, settings: Settings, workspace: WorkspaceConfig, *,
                  sleep: Callable[[float], None] = time.sleep) -> SnapshotOutcome:
    """Collect (network and files first), then record the snapshot and its drift in one transaction."""
    results = collect_evidence(store, settings, workspace, store.clock(), sleep)
    return record_snapshot(store, settings, workspace.name, results)
