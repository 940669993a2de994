"""Everything the HTML report shows, gathered from the database in one place.

The template only lays out what this module returns (plain dicts and lists), so
the numbers in the report are the numbers ``driftwatch posture --json`` prints:
both come from :func:`driftwatch.posture.report.posture_report`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable
from urllib.parse import urlsplit

from driftwatch import __version__
from driftwatch.config import Settings
from driftwatch.posture.report import evaluate_snapshot, posture_report
from driftwatch.store import Store
from driftwatch.timeutil import iso, parse_iso

from .chart import timeline_chart
from .words import RECOMMENDATION_ORDER, expected_words, recommendation_key, recommendation_label, value_words

STATUSES = ("fail", "unknown", "waived", "pass", "not_applicable")
VENDOR_KINDS = ("new_entry", "edited_entry", "removed_entry")
DRIFT_KINDS = ("control_failing", "control_fixed", "setting_changed")
EXPIRING_DAYS = 14
EVIDENCE_KNOWN = ("setting", "collector", "observed_at", "actor", "ip", "event_id", "detail")


def when(text: str | None) -> str:
    """A stored ISO timestamp as a short, unambiguous UTC string."""
    if not text:
        return ""
    try:
        return parse_iso(str(text)).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(text)


def safe_href(url: str | None) -> str | None:
    """Only plain http(s) links become hrefs; anything else (javascript:, data:) stays text."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url).strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in url for c in "\"'<> \n\r\t"):
        return None
    return str(url).strip()


def evidence_lines(evidence: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who saw or changed each setting: collector and time, and the actor where the log names one."""
    lines = []
    for item in evidence:
        collector = item.get("collector") or "unknown collector"
        actor = item.get("actor")
        verb = "attested by" if collector == "attested" else "changed by"
        extra = {k: v for k, v in item.items()
                 if k not in EVIDENCE_KNOWN and v not in (None, "", [], {}) and not isinstance(v, (dict, list))}
        lines.append({
            "setting": item.get("setting"), "collector": collector, "at": when(item.get("observed_at")),
            "actor": actor, "verb": verb, "ip": item.get("ip"), "event_id": item.get("event_id"),
            "detail": item.get("detail"), "extra": extra,
        })
    return lines


def waiver_view(control: dict[str, Any], today: dt.date) -> dict[str, Any] | None:
    waiver = control.get("waiver")
    if not waiver:
        return None
    expires = waiver.get("expires")
    days_left = None
    try:
        days_left = (dt.date.fromisoformat(str(expires)[:10]) - today).days
    except ValueError:
        pass
    expired = bool(control.get("waiver_expired")) or (days_left is not None and days_left <= 0)
    return {**waiver, "expired": expired, "days_left": days_left,
            "expiring": (not expired and days_left is not None and days_left <= EXPIRING_DAYS)}


def audit_events(store: Store, workspace: str) -> dict[str, dict[str, Any]]:
    """The newest audit-log event per setting, whichever collector stored it."""
    return store.newest_setting_events(workspace)


def audit_lines(control: dict[str, Any], events: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit-log changes of the control's settings not already shown as its evidence."""
    shown = {e.get("event_id") for e in control.get("evidence") or [] if e.get("event_id")}
    lines = []
    for key in control.get("settings") or []:
        event = events.get(key)
        if event and event.get("event_id") not in shown:
            lines.append({"setting": key, "value": value_words(event.get("value")), "actor": event.get("actor"),
                          "at": when(event.get("observed_at")), "ip": event.get("ip"),
                          "event_id": event.get("event_id"), "collector": event.get("collector"),
                          "detail": event.get("detail")})
    return lines


def control_view(control: dict[str, Any], today: dt.date,
                 events: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    settings = list(control.get("settings") or [])
    return {
        **control,
        "expected_words": expected_words(control.get("rule"), control.get("expected"), settings),
        "observed_words": value_words(control.get("observed")),
        "evidence_lines": evidence_lines(control.get("evidence") or []),
        "audit_lines": audit_lines(control, events or {}),
        "waiver_view": waiver_view(control, today),
    }


def grouped(controls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Controls by recommendation (1-9, then api), each group failing first as posture sorts them."""
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in RECOMMENDATION_ORDER}
    for control in controls:
        groups.setdefault(recommendation_key(control.get("recommendation")), []).append(control)
    out = []
    for key, items in groups.items():
        counts = {s: sum(1 for c in items if c["status"] == s) for s in STATUSES}
        out.append({"key": key, "label": recommendation_label(key), "controls": items, "counts": counts})
    return out


def timeline(settings: Settings, store: Store, workspace: str, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    points = []
    for snap in store.snapshots_since(workspace, iso(since)):
        results = evaluate_snapshot(settings, snap)
        points.append({"at": snap["taken_at"], "label": when(snap["taken_at"]), "complete": bool(snap["complete"]),
                       **{s: sum(1 for r in results if r.status == s) for s in STATUSES}})
    return {"points": points, "chart": timeline_chart(points, since, until)}


def _changes(store: Store, since: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    return store.changes_of_kinds_since(since, kinds)


def change_view(row: dict[str, Any], now: str) -> dict[str, Any]:
    """A change with its acknowledgement state in words (a snooze that has run out is open again)."""
    state = "open"
    if row.get("acked_by"):
        state = "acknowledged"
    elif row.get("snoozed_until") and str(row["snoozed_until"]) > now:
        state = "snoozed"
    return {**row, "href": safe_href(row.get("link")), "state": state, "detected": when(row.get("detected_at")),
            "acked": when(row.get("acked_at")), "snoozed": when(row.get("snoozed_until"))}


SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2, "info": 3}


def vendor_changes(store: Store, since: str, now: str) -> list[dict[str, Any]]:
    """High and medium vendor changes of the period: open ones first, then by severity, newest first."""
    rows = [change_view(r, now) for r in _changes(store, since, VENDOR_KINDS) if r.get("severity") in ("high", "medium")]
    rows.sort(key=lambda r: r["id"], reverse=True)
    rows.sort(key=lambda r: (r["state"] != "open", SEVERITY_RANK.get(r.get("severity") or "info", 9)))
    return rows


def drift_events(store: Store, since: str, workspaces: list[str], now: str) -> list[dict[str, Any]]:
    wanted = set(workspaces)
    return [change_view(r, now) for r in _changes(store, since, DRIFT_KINDS) if r.get("workspace") in wanted]


def source_health(settings: Settings, store: Store) -> list[dict[str, Any]]:
    known = {row["name"]: row for row in store.sources()}
    names = list(known)
    if not settings.sources_are_default:
        names += [s.name for s in settings.sources if s.name not in known]
    rows = []
    for name in names:
        row = known.get(name, {})
        configured = next((s for s in settings.sources if s.name == name), None)
        rows.append({
            "name": name, "kind": row.get("kind") or (configured.kind if configured else ""),
            "url": row.get("url") or (configured.url if configured else ""),
            "status": row.get("status") or "new", "reason": row.get("status_reason"),
            "entries": row.get("entry_count") or 0, "last_checked": when(row.get("last_checked_at")) or "never",
            "last_success": when(row.get("last_success_at")) or "never",
            "failures": row.get("consecutive_failures") or 0,
        })
    return rows


def report_workspaces(settings: Settings, store: Store, name: str | None) -> list[str]:
    """The configured workspaces, else those the database has snapshots of."""
    configured = [w.name for w in settings.config.workspaces]
    stored = store.snapshot_workspaces()
    if name:
        if name in configured or name in stored:
            return [name]
        known = ", ".join(configured or stored) or "none"
        raise LookupError(f"unknown workspace {name!r} (known: {known})")
    return configured or stored


def build_report(settings: Settings, store: Store, *, workspaces: list[str], since: dt.datetime,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or store.clock()
    today = now.date()
    since_iso = iso(since)
    posture = []
    for name in workspaces:
        latest = store.snapshots(name, 1)
        report = posture_report(settings, latest[0] if latest else None, name, today)
        events = audit_events(store, name)
        controls = [control_view(c, today, events) for c in report["controls"]]
        posture.append({**report, "taken": when(report.get("taken_at")), "groups": grouped(controls),
                        "timeline": timeline(settings, store, name, since, now),
                        "expired_waivers": sum(1 for c in controls if (c["waiver_view"] or {}).get("expired"))})
    totals = {s: sum(ws["summary"].get(s, 0) for ws in posture) for s in STATUSES}
    vendor = vendor_changes(store, since_iso, iso(now))
    return {
        "generated_at": iso(now), "generated": when(iso(now)), "since": since_iso, "since_label": when(since_iso),
        "version": __version__, "database": str(settings.db_path), "workspaces": posture, "totals": totals,
        "vendor_changes": vendor, "vendor_open": sum(1 for c in vendor if c["state"] == "open"),
        "drift_events": drift_events(store, since_iso, workspaces, iso(now)), "sources": source_health(settings, store),
    }
