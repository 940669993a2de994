"""Parsing ``/driftwatch`` text and thread replies into requests (pure).

A tiny, tolerant grammar; anything it cannot read becomes a :class:`UsageError`
whose message is shown with the help, never a stack trace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from driftwatch.acks import normalise_ref
from driftwatch.classify.lexicon import CATEGORIES

from . import ids

SEVERITIES = ("high", "medium", "low", "info")
SPAN = re.compile(r"^\d+[hdw]$", re.I)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def parse_command(text: str) -> Request:
    words = text.strip().split()
    if not words:
        return Request("help")
    name, rest = words[0].lower(), words[1:]
    if name not in ids.SUBCOMMANDS:
        raise UsageError(f"unknown command {words[0]!r}")
    if name in ("help", "sources", "digest"):
        return Request(name)
    if name == "posture":
        return Request(name, workspace=rest[0] if rest else None, area=rest[1] if len(rest) > 1 else None)
    if name == "attest":
        return Request(name, workspace=rest[0] if rest else None)
    if name == "search":
        if not rest:
            raise UsageError("search needs some text: `/driftwatch search write actions`")
        return Request(name, text=" ".join(rest)[:200])
    if name == "item":
        ref = normalise_ref(rest[0]) if rest else None
        if not ref or len(rest) != 1:
            raise UsageError("item needs one id: `/driftwatch item DW-42`")
        return Request(name, refs=[ref])
    if name == "ack":
        refs, note = split_refs(rest)
        if not refs:
            raise UsageError("ack needs at least one id: `/driftwatch ack DW-42 checked with IT`")
        return Request(name, refs=refs, text=note)
    if name == "snooze":
        if len(rest) != 2 or not normalise_ref(rest[0]):
            raise UsageError("snooze needs an id and a duration: `/driftwatch snooze DW-42 7d`")
        return Request(name, refs=[normalise_ref(rest[0]) or ""], duration=rest[1])
    return _changes(rest)


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
                raise UsageError(f"cannot read {value!r} as a date (2025-11-20) or a span (7d)")
            request.since = value
        elif SPAN.match(low) or DATE.match(low):
            request.since = low
        elif low in CATEGORIES:
            request.category = low
        elif low in SEVERITIES:
            request.severity = low
        else:
            raise UsageError(f"cannot read {word!r}: use since DATE|7d, a category or a severity")
    return request


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
    match = THREAD_ACK.match(text or "")
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
