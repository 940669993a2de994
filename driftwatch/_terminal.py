"""Rich rendering for the terminal: tables for lists, colour by severity.

Untrusted text (titles from vendor pages) is printed with Rich markup off, so
a title like "[bold]x[/]" is shown as typed and cannot restyle the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

SEVERITY_STYLE = {"high": "bold red", "medium": "dark_orange", "low": "yellow", "info": "dim"}
STATUS_STYLE = {
    "blocked": "bold magenta", "partial": "yellow", "failed": "bold red", "interrupted": "yellow",
    "ok": "green", "unchanged": "dim green", "broken": "bold red", "error": "red", "new": "cyan",
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


@dataclass
class Column:
    """A column of a :class:`FitTable`: fixed ones keep their width, the flexible one takes the rest."""

    name: str
    priority: int = 5  # lowest is dropped first when the table does not fit
    flexible: bool = False  # titles: truncated with an ellipsis instead of dropped
    min_width: int = 12
    max_width: int | None = None
    justify: str = "left"


class FitTable:
    """A table that stays one line per row at any width (80 columns, a pipe, a wide terminal).

    At render time it measures its cells, drops the lowest-priority columns until the rest
    fit, and truncates the flexible column (a title) with an ellipsis; no cell ever wraps.
    """

    def __init__(self, columns: list[Column], title: str | None = None, caption: str | None = None) -> None:
        self.columns = columns
        self.title = title
        self.caption = caption
        self.rows: list[list[Text]] = []

    def add_row(self, *cells: Any) -> None:
        self.rows.append([cell if isinstance(cell, Text) else plain(cell) for cell in cells])

    def _natural(self, index: int) -> int:
        column = self.columns[index]
        width = max([len(column.name)] + [row[index].cell_len for row in self.rows])
        return min(width, column.max_width) if column.max_width else width

    def fit(self, width: int) -> list[int]:
        """Indexes of the columns that fit in ``width`` characters, in display order."""
        shown = list(range(len(self.columns)))

        def needed(indexes: list[int]) -> int:
            cells = sum(min(self._natural(i), self.columns[i].min_width) if self.columns[i].flexible
                        else self._natural(i) for i in indexes)
            return cells + 3 * len(indexes) + 1  # borders and padding of a boxed table

        while len(shown) > 1 and needed(shown) > width:
            shown.remove(min(shown, key=lambda i: (self.columns[i].priority, -i)))
        return shown

    def table(self, width: int) -> Table:
        shown = self.fit(width)
        natural = sum(self._natural(i) for i in shown) + 3 * len(shown) + 1
        squeeze = natural > width  # then the flexible columns share what the fixed ones leave
        table = Table(title=self.title, title_justify="left", caption=self.caption, caption_justify="left",
                      expand=squeeze)
        for i in shown:
            column = self.columns[i]
            if column.flexible and squeeze:
                table.add_column(column.name, no_wrap=True, overflow="ellipsis", ratio=1,
                                 justify=column.justify)  # type: ignore[arg-type]
            else:
                table.add_column(column.name, no_wrap=True, overflow="ellipsis", width=self._natural(i),
                                 justify=column.justify)  # type: ignore[arg-type]
        for row in self.rows:
            table.add_row(*[row[i] for i in shown])
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)


def check_table(sources: Iterable[dict[str, Any]], title: str = "Sources") -> FitTable:
    table = FitTable([Column("source", 9, max_width=30), Column("status", 10), Column("entries", 4, justify="right"),
                      Column("new", 8, justify="right"), Column("edited", 7, justify="right"),
                      Column("removed", 3, justify="right"), Column("restored", 3, justify="right"),
                      Column("error", 6, flexible=True)], title=title)
    for row in sources:
        table.add_row(
            plain(row["name"]), status_text(row["status"]), plain(row["entries"]), plain(row["new"]),
            plain(row["edited"]), plain(row["removed"]), plain(row.get("restored", 0)), plain(row.get("error") or ""),
        )
    return table


def ack_state(change: dict[str, Any]) -> str:
    who = change.get("acked_by_name") or change.get("acked_by")
    if who:
        return f"acked by {who}"
    return "snoozed" if change.get("snoozed_until") else "open"


def changes_table(changes: Iterable[dict[str, Any]], title: str = "Changes") -> FitTable:
    table = FitTable([
        Column("id", 10), Column("severity", 9), Column("kind", 2), Column("source", 4, max_width=24),
        Column("date", 6), Column("title", 10, flexible=True, min_width=20), Column("categories", 3, max_width=30),
        Column("state", 7, max_width=28),
    ], title=title)
    for change in changes:
        table.add_row(
            plain(change.get("ref") or change.get("id")),
            severity_text(change.get("severity")),
            plain(change.get("kind")),
            plain(change.get("source") or change.get("workspace")),
            plain(change.get("date")),
            plain(change.get("title")),
            plain(", ".join(change.get("categories") or [])),
            plain(ack_state(change)),
        )
    return table


def sources_table(rows: Iterable[dict[str, Any]]) -> FitTable:
    table = FitTable([Column("name", 10, max_width=30), Column("kind", 2), Column("status", 9),
                      Column("entries", 4, justify="right"), Column("last success", 6),
                      Column("reason", 5, flexible=True)], title="Sources")
    for row in rows:
        table.add_row(plain(row["name"]), plain(row["kind"]), status_text(row["status"]), plain(row["entries"]),
                      plain(row["last_success_at"] or "never"), plain(row["reason"] or ""))
    return table


def status_sources_table(rows: Iterable[dict[str, Any]]) -> FitTable:
    table = FitTable([Column("source", 10, max_width=30), Column("status", 9), Column("last success", 6),
                      Column("failures", 4, justify="right"), Column("reason", 5, flexible=True)], title="Sources")
    for row in rows:
        table.add_row(plain(row["name"]), status_text(row["status"]), plain(row["last_success_at"] or "never"),
                      plain(row["consecutive_failures"]), plain(row["reason"] or ""))
    return table


def jobs_table(jobs: Iterable[dict[str, Any]]) -> FitTable:
    table = FitTable([Column("job", 10, flexible=True, min_width=14), Column("last run", 8),
                      Column("status", 9), Column("next run", 7)], title="Jobs")
    for job in jobs:
        table.add_row(plain(job["job"]), plain(job["last_run"] or "never"), status_text(job["status"]),
                      plain(job["next_run"] or "-"))
    return table


def outbox_counts_table(counts: dict[str, int], delivery: str | None = None) -> FitTable:
    table = FitTable([Column("pending", 9, justify="right"), Column("sending", 8, justify="right"),
                      Column("sent", 7, justify="right"), Column("failed", 9, justify="right"),
                      Column("delivery", 5, flexible=True)], title="Slack outbox")
    table.add_row(plain(counts.get("pending", 0)), plain(counts.get("sending", 0)), plain(counts.get("sent", 0)),
                  plain(counts.get("failed", 0)), plain(delivery or ""))
    return table


def outbox_table(rows: Iterable[dict[str, Any]]) -> FitTable:
    table = FitTable([Column("id", 9, justify="right"), Column("kind", 7), Column("message", 6, flexible=True),
                      Column("attempts", 3, justify="right"), Column("next attempt", 5),
                      Column("last error", 4, flexible=True)], title="Waiting")
    for row in rows:
        table.add_row(plain(row["id"]), plain(row["kind"]), plain(row["dedupe_key"]), plain(row["attempts"]),
                      plain(row.get("next_attempt_at")), plain(row.get("last_error") or ""))
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


def posture_table(report: dict[str, Any]) -> FitTable:
    from driftwatch.posture.wording import expected_words, value_words

    title = f"Posture of {report['workspace']} ({report.get('vendor', 'openai')})"
    if report.get("taken_at"):
        title += f" · snapshot {report['taken_at']} · " + ("complete" if report.get("complete") else "INCOMPLETE")
    table = FitTable([
        Column("control", 10), Column("status", 9), Column("severity", 6), Column("observed", 7, max_width=24),
        Column("expected", 8, max_width=30), Column("title", 8, flexible=True, min_width=16),
        Column("evidence", 2, max_width=36),
    ], title=title, caption=report.get("note"))
    for control in report["controls"]:
        evidence = "; ".join(
            f"{e.get('collector', '?')} {str(e.get('observed_at', ''))[:10]}" + (f" by {e['actor']}" if e.get("actor") else "")
            for e in control["evidence"] if "collector" in e
        )
        key = (control.get("settings") or [None])[0]
        table.add_row(
            plain(control["id"].removeprefix("DW-CTRL-")), status_text(control["status"]),
            severity_text(control["severity"]), plain(value_words(control["observed"], key)),
            plain(expected_words(control["expected"], None, key)), plain(control["title"]), plain(evidence),
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
