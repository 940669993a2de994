"""Parsing ``/driftwatch`` text and thread replies into requests (pure).

A tiny, tolerant grammar; anything it cannot read becomes a :class:`UsageError`
whose message is shown with the help, never a stack trace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from driftwatch.acks import normalise_ref
from driftwatch.classify.lexicon import CATEGORIES
from driftwatch.timeutil import parse_since

from . import ids

from driftwatch.models import SEVERITIES
SPAN = re.compile(r"^[0-9]+[hdw]$", re.I | re.ASCII)
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_TEXT = 3000  # a slash command or thread reply longer than this is not a command


class UsageError(Exception):
    pass


@dataclass
class Request:
    name: str
    refs: list[str] = field(default_factory=list)
    text: str = ""
    since: str | None = None
    category: str | None = None
    severity: str | None = None
    workspace: str | None = None
    area: str | None = None
    duration: str | None = None


@dataclass(frozen=True)
class Subcommand:
    """One ``/driftwatch`` subcommand: its usage line, its parser, and whether it changes state."""

    name: str
    usage: str
    summary: str
    parse: Callable[[list[str]], Request]
    changes_state: bool = False


def _bare(name: str) -> Callable[[list[str]], Request]:
    return lambda rest: Request(name)


def _posture(rest: list[str]) -> Request:
    return Request("posture", workspace=rest[0] if rest else None, area=rest[1] if len(rest) > 1 else None)


def _attest(rest: list[str]) -> Request:
    return Request("attest", workspace=rest[0] if rest else None)


def _search(rest: list[str]) -> Request:
    if not rest:
        raise UsageError("search needs some text: `/driftwatch search write actions`")
    return Request("search", text=" ".join(rest)[:200])


def _item(rest: list[str]) -> Request:
    ref = normalise_ref(rest[0]) if rest else None
    if not ref or len(rest) != 1:
        raise UsageError("item needs one id: `/driftwatch item DW-42`")
    return Request("item", refs=[ref])


def _ack(rest: list[str]) -> Request:
    refs, note = split_refs(rest)
    if not refs:
        raise UsageError("ack needs at least one id: `/driftwatch ack DW-42 checked with IT`")
    return Request("ack", refs=refs, text=note)


def _snooze(rest: list[str]) -> Request:
    if len(rest) != 2 or not normalise_ref(rest[0]):
        raise UsageError("snooze needs an id and a duration: `/driftwatch snooze DW-42 7d`")
    return Request("snooze", refs=[normalise_ref(rest[0]) or ""], duration=rest[1])


SUBCOMMANDS: dict[str, Subcommand] = {c.name: c for c in (
    Subcommand("help", "help", "this list", _bare("help")),
    Subcommand("posture", "posture [workspace] [area]", "failing controls first, with remediation", _posture),
    Subcommand("changes", "changes [since DATE|7d] [category] [severity]", "stored changes", lambda r: _changes(r)),
    Subcommand("item", "item DW-42", "one change: versions and acknowledgements", _item),
    Subcommand("ack", "ack DW-42 [note]", "acknowledge (several ids allowed)", _ack, changes_state=True),
    Subcommand("snooze", "snooze DW-42 7d", "hide until then (1d, 1w, next)", _snooze, changes_state=True),
    Subcommand("search", "search TEXT", "full-text search over entries and changes", _search),
    Subcommand("sources", "sources", "health of every watcher", _bare("sources")),
    Subcommand("digest", "digest", "preview the next digest (only you see it)", _bare("digest")),
    Subcommand("attest", "attest [workspace]", "record the settings no API can read", _attest, changes_state=True),
)}
assert tuple(SUBCOMMANDS) == ids.SUBCOMMANDS


def parse_command(text: str) -> Request:
    if len(text or "") > MAX_TEXT:
        raise UsageError(f"that command is too long ({len(text)} characters)")
    words = CONTROL.sub(" ", text or "").strip().split()
    if not words:
        return Request("help")
    subcommand = SUBCOMMANDS.get(words[0].lower())
    if subcommand is None:
        raise UsageError(f"unknown command {words[0][:40]!r}")
    return subcommand.parse(words[1:])


def changes_state(text: str) -> bool:
    """Whether this slash text asks to change something (only allowed users may)."""
    words = text.strip().split()
    subcommand = SUBCOMMANDS.get(words[0].lower()) if words else None
    return bool(subcommand and subcommand.changes_state)


def _changes(rest: list[str]) -> Request:
    request = Request("changes")
    words = list(rest)
    while words:
        word = words.pop(0)
        low = word.lower()
        if low == "since":
            if not words:
                raise UsageError("since needs a date (2025-11-20) or a span (7d)")
            value = words.pop(0)
            if not (SPAN.match(value) or DATE.match(value)):
                raise UsageError(f"cannot read {value[:40]!r} as a date (2025-11-20) or a span (7d)")
            request.since = _checked_since(value)
        elif SPAN.match(low) or DATE.match(low):
            request.since = _checked_since(low)
        elif low in CATEGORIES:
            request.category = low
        elif low in SEVERITIES:
            request.severity = low
        else:
            raise UsageError(f"cannot read {word[:40]!r}: use since DATE|7d, a category or a severity")
    return request


def _checked_since(value: str) -> str:
    """The since value if it is a real date or a bounded span (checked here, used later)."""
    try:
        parse_since(value)
    except ValueError as exc:
        raise UsageError(f"since: {exc}") from None
    return value


def split_refs(words: list[str]) -> tuple[list[str], str]:
    """Leading change ids, then the note: ``DW-42 DW-43 checked with IT``."""
    refs: list[str] = []
    index = 0
    for index, word in enumerate(words):
        ref = normalise_ref(word.rstrip(",")) if word.upper().startswith("DW-") else None
        if ref is None:
            break
        refs.append(ref)
    else:
        index = len(words)
    return refs, " ".join(words[index:]).strip()


THREAD_ACK = re.compile(r"^\s*(ack|acknowledge|undo|snooze)\b\s*(.*)$", re.I | re.S)


def parse_thread_reply(text: str) -> Request | None:
    """``ack DW-42 DW-43 note``, ``undo DW-42``, ``snooze DW-42 1w`` in a digest thread; else None."""
    if len(text or "") > MAX_TEXT:
        return None
    match = THREAD_ACK.match(CONTROL.sub(" ", text or ""))
    if not match:
        return None
    verb = match.group(1).lower()
    words = match.group(2).split()
    refs, rest = split_refs(words)
    if not refs:
        return None
    if verb == "snooze":
        return Request("snooze", refs=refs, duration=rest.split()[0] if rest else "")
    return Request("undo" if verb == "undo" else "ack", refs=refs, text=rest)
