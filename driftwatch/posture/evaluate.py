"""Evaluate each control against a snapshot's values (pure).

A key missing from the snapshot is unknown, never assumed to hold its
default: a collector that failed must not make a control pass or fail. A key
the vendor's API says does not apply to this organization (Anthropic omits
settings its admins cannot change) is ``not_applicable``: neither off nor failing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .catalogue import Control


@dataclass(frozen=True)
class Waiver:
    control: str
    workspace: str
    reason: str
    owner: str
    expires: dt.date

    def applies(self, control_id: str, workspace: str) -> bool:
        return self.control == control_id and self.workspace in ("*", workspace)


@dataclass
class ControlResult:
    id: str
    title: str
    status: str  # pass, fail, unknown, waived, not_applicable
    severity: str
    observed: Any
    expected: Any
    rule: str
    settings: list[str]
    evidence: list[dict[str, Any]]
    remediation: str
    recommendation: int | str
    waiver: dict[str, Any] | None = None
    waiver_expired: bool = False
    raw_status: str = ""  # pass/fail/unknown before any waiver
    vendor: str = "openai"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "vendor": self.vendor, "title": self.title, "status": self.status,
            "severity": self.severity,
            "observed": self.observed, "expected": self.expected, "rule": self.rule,
            "settings": self.settings, "evidence": self.evidence, "remediation": self.remediation,
            "recommendation": self.recommendation, "waiver": self.waiver,
            "waiver_expired": self.waiver_expired,
        }


def check_rule(rule: str, value: Any, expected: Any) -> bool:
    if rule == "any":
        return True
    if rule == "equals":
        return value == expected
    if rule == "not_equals":
        return value != expected
    if rule == "in":
        return value in (expected or [])
    if rule == "not_contains":
        return isinstance(value, list) and expected not in value
    if rule == "constrained":
        return isinstance(value, list)
    if rule == "at_most":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value <= expected
    if rule == "non_empty":
        return bool(value) and isinstance(value, (list, dict, str))
    raise ValueError(f"unknown rule {rule!r}")


def describe_expected(control: Control) -> Any:
    if control.rule == "in":
        return {"one_of": control.expected}
    if control.rule == "not_contains":
        return {"list_without": control.expected}
    if control.rule == "not_equals":
        return {"not": control.expected}
    if control.rule == "constrained":
        return {"allowlist": "present"}
    if control.rule == "any":
        return {"any": True}
    if control.rule == "at_most":
        return {"at_most": control.expected}
    if control.rule == "non_empty":
        return {"non_empty": True}
    return control.expected


def evaluate(
    controls: Iterable[Control],
    values: Mapping[str, Any],
    provenance: Mapping[str, Mapping[str, Any]],
    *,
    workspace: str,
    waivers: Iterable[Waiver] = (),
    today: dt.date,
) -> list[ControlResult]:
    waivers = list(waivers)
    results = []
    for control in controls:
        keys = list(control.settings)
        evidence = [{"setting": k, **provenance[k]} for k in keys if k in provenance]
        applicable = [k for k in keys if not (provenance.get(k) or {}).get("not_applicable")]
        if not applicable:
            raw, observed = "not_applicable", None
        elif any(k not in values for k in applicable):
            raw = "unknown"
            observed: Any = {k: values.get(k) for k in keys} if len(keys) > 1 else None
        else:
            observed = values[keys[0]] if len(keys) == 1 else {k: values.get(k) for k in keys}
            ok = all(check_rule(control.rule, values[k], control.expected) for k in applicable)
            raw = "pass" if ok else "fail"
        status, waiver_info, expired = raw, None, False
        waiver = next((w for w in waivers if w.applies(control.id, workspace)), None)
        if waiver is not None and raw not in ("pass", "not_applicable"):
            waiver_info = {"reason": waiver.reason, "owner": waiver.owner, "expires": waiver.expires.isoformat()}
            if today < waiver.expires:
                status = "waived"
            else:
                expired = True  # the day it expires, it counts again
        results.append(ControlResult(
            id=control.id, title=control.title, status=status, severity=control.severity, observed=observed,
            expected=describe_expected(control), rule=control.rule, settings=keys, evidence=evidence,
            remediation=control.remediation, recommendation=control.recommendation, waiver=waiver_info,
            waiver_expired=expired, raw_status=raw, vendor=control.vendor,
        ))
    return results


STATUS_ORDER = {"fail": 0, "unknown": 1, "waived": 2, "pass": 3, "not_applicable": 4}
STATUSES = ("pass", "fail", "unknown", "waived", "not_applicable")
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2, "info": 3}


def failing_first(results: list[ControlResult]) -> list[ControlResult]:
    return sorted(results, key=lambda r: (STATUS_ORDER[r.status], SEVERITY_RANK.get(r.severity, 9), r.id))
