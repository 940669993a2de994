"""Rich rendering for the terminal: tables for lists, colour by severity.

Untrusted text (titles from vendor pages) is printed with Rich markup off, so
a title like "[bold]x[/]" is shown as typed and cannot restyle the output.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

SEVERITY_STYLE = {"high": "bold red", "medium": "dark_orange", "low": "yellow", "info": "dim"}
STATUS_STYLE = {
    "ok": "green", "unchanged": "dim green", "broken": "bold red", "blocked": "bold magenta", "error": "red", "new": "cyan",
    "pass": "green", "fail": "bold red", "unknown": "yellow", "waived": "magenta", "not_applicable": "dim",
    "retrying": "yellow", "reported": "bold red", "expired": "red",
}


def severity_text(severity: str | None) -> Text:
    severity = severity or "info"
    return Text(severity, style=SEVERITY_STYLE.get(severity, ""))


def status_text(status: str | None) -> Text:
    status = status or "-"
    return Text(status, style=STATUS_STYLE.get(status, ""))


def plain(value: Any) -> Text:
    return Text("" if value is None else str(value))


def check_table(sources: Iterable[dict[str, Any]], title: str = "Sources") -> Table:
    table = Table(title=title, title_justify="left")
    counts = ("entries", "new", "edited", "removed", "restored")
    for column in ("source", "status", *counts, "error"):
        table.add_column(column, justify="right" if column in counts else "left", overflow="fold")
    for row in sources:
        table.add_row(
            plain(row["name"]), status_text(row["status"]), plain(row["entries"]), plain(row["new"]),
            plain(row["edited"]), plain(row["removed"]), plain(row.get("restored", 0)), plain(row.get("error") or ""),
        )
    return table


def changes_table(changes: Iterable[dict[str, Any]], title: str = "Changes") -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("id", "severity", "kind", "source", "date", "title", "categories", "state"):
        table.add_column(column, overflow="fold")
    for change in changes:
        state = "acked by " + change["acked_by"] if change.get("acked_by") else (
            "snoozed" if change.get("snoozed_until") else "open"
        )
        table.add_row(
            plain(change.get("ref") or change.get("id")),
            severity_text(change.get("severity")),
            plain(change.get("kind")),
            plain(change.get("source") or change.get("workspace")),
            plain(change.get("date")),
            plain(change.get("title")),
            plain(", ".join(change.get("categories") or [])),
            plain(state),
        )
    return table


def print_digest(console: Console, digest: dict[str, Any]) -> None:
    counts = digest["counts"]
    header = Text.assemble(
        ("Digest ", "bold"),
        (f"{digest['period_start'] or 'beginning'} → {digest['period_end']}  ", "dim"),
        (f"high {counts.get('high', 0)}", SEVERITY_STYLE["high"]), "  ",
        (f"medium {counts.get('medium', 0)}", SEVERITY_STYLE["medium"]), "  ",
        (f"low {counts.get('low', 0)}", SEVERITY_STYLE["low"]), "  ",
        (f"carried over {digest['carried_over']}", "cyan"), "  ",
        (f"informational (not listed) {digest['informational']}", "dim"),
    )
    console.print(header)
    if not digest["items"]:
        console.print(Text("Nothing security-relevant is open.", style="green"))
    for item in digest["items"]:
        line = Text.assemble(
            (f"{item['id']:>7} ", "bold"),
            severity_text(item["severity"]), " ",
            ("(carried over) " if item["carried_over"] else "", "cyan"),
            item["title"],
        )
        console.print(line)
        meta = f"        {item.get('source') or item.get('workspace') or ''} · {item.get('date') or ''}"
        meta += f" · {', '.join(item['categories'])}"
        console.print(Text(meta, style="dim"))
        for reason in item["reasons"][:4]:
            console.print(Text(f"        why: {reason}", style="italic"))
        if item.get("link"):
            console.print(Text(f"        {item['link']}", style="blue"))
    for ws in digest.get("posture") or []:
        posture_digest_line(console, ws)


def posture_digest_line(console: Console, ws: dict[str, Any]) -> None:
    """One workspace's posture in the digest: counts, how complete the snapshot was, what to re-attest."""
    c = ws["counts"]
    console.print(Text.assemble(
        ("Posture ", "bold"), (f"{ws['workspace']} ({ws.get('vendor', 'openai')}) ", "bold"),
        (f"snapshot {ws.get('taken_at')} ", "dim"),
        ("complete" if ws.get("complete") else "INCOMPLETE", "green" if ws.get("complete") else "bold yellow"),
        f" · fail {c.get('fail', 0)} ({ws.get('newly_failing', 0)} newly) · unknown {c.get('unknown', 0)}"
        f" · waived {c.get('waived', 0)}",
    ))
    for collector, error in (ws.get("errors") or {}).items():
        console.print(Text(f"        collector {collector} failed: {error}", style="red"))
    for gap in ws.get("gaps") or []:
        console.print(Text(f"        gap: {gap}", style="yellow"))
    for stale in ws.get("stale_attestations") or []:
        console.print(Text(f"        {stale['setting']}: {stale['message']}", style="yellow"))
    for action in ws.get("unmapped_actions") or []:
        console.print(Text(f"        unmapped audit action {action['action']}: {action['events']} events since "
                           f"{action['since']}", style="dim"))


def snapshot_lines(console: Console, outcome: dict[str, Any]) -> None:
    counts = outcome["controls"]
    drift = outcome["drift"]
    line = Text.assemble(
        (f"Snapshot {outcome['workspace']} ", "bold"), (f"{outcome['taken_at']}  ", "dim"),
        (f"pass {counts['pass']}", STATUS_STYLE["pass"]), "  ", (f"fail {counts['fail']}", STATUS_STYLE["fail"]), "  ",
        (f"unknown {counts['unknown']}", STATUS_STYLE["unknown"]), "  ", (f"waived {counts['waived']}", STATUS_STYLE["waived"]),
        (f"  not applicable {counts['not_applicable']}" if counts.get("not_applicable") else "", STATUS_STYLE["not_applicable"]),
        ("" if outcome.get("complete", True) else "  · INCOMPLETE", "bold yellow"),
        (f"  · newly failing {drift['newly_failing']}, fixed {drift['fixed']}", ""),
    )
    console.print(line)
    for collector, error in outcome["errors"].items():
        console.print(Text(f"  collector {collector} failed: {error}", style="red"))
    for gap in outcome.get("gaps") or []:
        console.print(Text(f"  incomplete: {gap}", style="yellow"))
    for stale in outcome.get("stale_attestations") or []:
        console.print(Text(f"  {stale['setting']}: {stale['message']}", style="yellow"))
    for warning in outcome["warnings"]:
        console.print(Text(f"  warning: {warning}", style="yellow"))


def _short(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def posture_table(report: dict[str, Any]) -> Table:
    title = f"Posture of {report['workspace']} ({report.get('vendor', 'openai')})"
    if report.get("taken_at"):
        title += f" · snapshot {report['taken_at']} · " + ("complete" if report.get("complete") else "INCOMPLETE")
    table = Table(title=title, title_justify="left", caption=report.get("note"))
    for column in ("control", "status", "severity", "observed", "expected", "title", "evidence"):
        table.add_column(column, overflow="fold")
    for control in report["controls"]:
        evidence = "; ".join(
            f"{e.get('collector', '?')} {str(e.get('observed_at', ''))[:10]}" + (f" by {e['actor']}" if e.get("actor") else "")
            for e in control["evidence"] if "collector" in e
        )
        table.add_row(
            plain(control["id"].removeprefix("DW-CTRL-")), status_text(control["status"]),
            severity_text(control["severity"]), plain(_short(control["observed"])),
            plain(_short(control["expected"])), plain(control["title"]), plain(evidence),
        )
    return table


def print_posture(console: Console, report: dict[str, Any], *, only_problems: bool = False) -> None:
    shown = dict(report)
    if only_problems:
        shown["controls"] = [c for c in report["controls"] if c["status"] in ("fail", "waived")]
    console.print(posture_table(shown))
    statuses = ("pass", "fail", "unknown", "waived", "not_applicable")
    counts = {s: sum(1 for c in report["controls"] if c["status"] == s) for s in statuses}
    parts: list[Any] = []
    for status in statuses:
        if status != "not_applicable" or counts[status]:
            parts += [(f"{status.replace('_', ' ')} {counts[status]}", STATUS_STYLE[status]), "  "]
    console.print(Text.assemble(*parts, ("(control ids without the DW-CTRL- prefix)", "dim")))
    if report.get("taken_at"):
        console.print(Text("snapshot complete" if report.get("complete") else
                           "snapshot INCOMPLETE: controls below may rest on partial evidence",
                           style="green" if report.get("complete") else "bold yellow"))
    for collector, error in (report.get("errors") or {}).items():
        console.print(Text(f"collector {collector} failed: {error}", style="red"))
    for gap in report.get("gaps") or []:
        console.print(Text(f"gap: {gap}", style="yellow"))
    for stale in report.get("stale_attestations") or []:
        console.print(Text(f"{stale['setting']}: {stale['message']} (attested by {stale.get('attested_by') or '?'} "
                           f"on {str(stale.get('attested_at'))[:10]})", style="yellow"))
    for action in report.get("unmapped_actions") or []:
        console.print(Text(f"unmapped audit action {action['action']}: {action['events']} events since "
                           f"{action['since']} (stored, not applied)", style="dim"))
    for log in report.get("pending_files") or []:
        console.print(Text(f"log file {log['file_id']} {log['status']} after {log['attempts']} attempts: "
                           f"{log['reason']}", style="yellow"))
    for control in report["controls"]:
        if control["status"] == "fail":
            console.print(Text.assemble(("fix ", "bold"), (control["id"], "bold"), ": ", control["remediation"]))
