"""``/driftwatch`` subcommands: one small handler each, looked up by name.

Parsing (and each usage line) lives in :mod:`driftwatch.bot.commands`; who may run the
subcommands that change state is decided by the middleware before a handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from driftwatch import app as use_cases
from driftwatch.posture import load_catalogue
from driftwatch.posture.report import stale_attestations
from driftwatch.timeutil import iso, parse_since

from . import blocks
from .commands import Request, UsageError
from .service import SlackService

Blocks = list[dict[str, Any]]


@dataclass
class Asked:
    service: SlackService
    request: Request
    user: str
    trigger_id: str | None
    client: Any

    @property
    def workspaces(self) -> list[str]:
        return [w.name for w in self.service.settings.config.workspaces]


def _help(asked: Asked) -> Blocks:
    return blocks.help_blocks()


def _act(asked: Asked) -> Blocks:
    lines = asked.service.act(asked.request, user=asked.user, via="slash")
    return [blocks.section("\n".join(blocks.escape(line) for line in lines))]


def _posture(asked: Asked) -> Blocks:
    names, wanted = asked.workspaces, asked.request.workspace
    if not names:
        return blocks.usage("no workspaces are configured")
    if wanted and wanted not in names:
        return blocks.usage(f"unknown workspace {wanted!r}; known: {', '.join(names)}")
    out: Blocks = []
    with asked.service.store() as store:
        for name in [wanted] if wanted else names:
            out += blocks.posture_blocks(use_cases.posture_report(asked.service.app, store, name), asked.request.area)
    return blocks.fit(out)


def _changes(asked: Asked) -> Blocks:
    request = asked.request
    try:
        since = iso(parse_since(request.since, asked.service.clock)) if request.since else None
    except ValueError as exc:
        raise UsageError(f"since: {exc}") from None
    with asked.service.store() as store:
        rows = store.changes(since=since, limit=2000)
    if request.category:
        rows = [r for r in rows if request.category in (r.get("categories") or [])]
    if request.severity:
        rows = [r for r in rows if r.get("severity") == request.severity]
    title = "Changes" + (f" since {request.since}" if request.since else "")
    title += (f" · {request.category}" if request.category else "") + (f" · {request.severity}" if request.severity else "")
    return blocks.changes_list(rows, title)


def _item(asked: Asked) -> Blocks:
    ref = asked.request.refs[0]
    with asked.service.store() as store:
        change = store.change(ref)
        if change is None:
            return blocks.usage(f"no change {ref}")
        versions = store.entry_versions(change["entry_id"]) if change.get("entry_id") else []
        return blocks.item_detail(change, versions, store.acks(change["id"]))


def _search(asked: Asked) -> Blocks:
    with asked.service.store() as store:
        rows = store.search_changes(asked.request.text)
    return blocks.changes_list(rows, f"Search: {asked.request.text}")


def _sources(asked: Asked) -> Blocks:
    with asked.service.store() as store:
        return blocks.sources_blocks(store.sources())


def _digest(asked: Asked) -> Blocks:
    limit = asked.service.settings.config.slack.digest_max_items
    with asked.service.store() as store:
        digest = use_cases.build_digest(asked.service.app, store, limit=limit)
        broken = [s for s in store.sources() if s["status"] in ("broken", "blocked")]
    _text, parent = blocks.digest_parent(digest, [], broken)
    return parent


def _attest(asked: Asked) -> Blocks | None:
    names = asked.workspaces
    workspace = asked.request.workspace or (names[0] if len(names) == 1 else None)
    if workspace not in names:
        return blocks.usage("name the workspace: " + ", ".join(names) if names else "no workspaces are configured")
    with asked.service.store() as store:
        snaps = store.snapshots(workspace, 1)
    current = dict(snaps[0]["settings"]) if snaps else {}
    attestable = [s for s in load_catalogue().values() if "attested" in s.observed]
    stale = stale_attestations(snaps[0] if snaps else None)
    asked.client.views_open(trigger_id=asked.trigger_id,
                            view=blocks.attest_modal(workspace, attestable, current, stale))
    return None


HANDLERS: dict[str, Callable[[Asked], Blocks | None]] = {
    "help": _help,
    "posture": _posture,
    "changes": _changes,
    "item": _item,
    "ack": _act,
    "snooze": _act,
    "search": _search,
    "sources": _sources,
    "digest": _digest,
    "attest": _attest,
}
