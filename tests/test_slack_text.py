"""Text that cannot spoof: every field driftwatch sends to Slack, for any untrusted input."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from hypothesis import given, settings as hsettings, strategies as st

from driftwatch.bot import blocks
from driftwatch.posture.catalogue import Setting

INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff\x00-\x08\x0b-\x1f]")
TOKENS = ["<!channel>", "<!here>", "<@U123>", "<#C1>", "<https://evil.test|click>", "https://evil.test/x",
          "http://10.0.0.1", "\n", "\r\n", "\u2028", "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "*bold*",
          "_it_", "~s~", "`code`", "```", "> quote", "&amp;", "&", "<", ">", "Acknowledged by @ciso", ":x:",
          "www.evil.test", "a", " ", "DW-1"]
HOSTILE = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join), st.text(max_size=80),
                    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8).map(lambda t: "".join(t) * 400))


def texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a Block Kit structure, with a path naming where it sits."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from texts(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from texts(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def limit_problems(node: Any, path: str = "") -> list[str]:
    """Fields past Slack's documented limits."""
    problems = []
    for where, value in texts(node, path):
        limit = 3000
        if where.endswith(".initial_value"):
            limit = 3000
        elif ".options[" in where and where.endswith(".value"):
            limit = 150
        elif ".options[" in where and where.endswith(".text.text"):
            limit = 75
        elif re.search(r"elements\[\d+\]\.text\.text$", where) and "context" not in where:
            limit = 3000
        elif where.endswith(("label.text", "hint.text")):
            limit = 2000
        elif where.endswith(("title.text", "submit.text", "close.text")) and ".blocks" not in where:
            limit = 24
        if len(value) > limit:
            problems.append(f"{where}: {len(value)} > {limit}")
    return problems


def _strip_own_markup(text: str, actor: str | None) -> str:
    if actor and blocks.SLACK_USER.match(actor):
        text = text.replace(f"<@{actor}>", "")
    return text.replace("<https://vendor.example/notes|source>", "")


@hsettings(max_examples=80, deadline=None)
@given(title=HOSTILE, reason=HOSTILE, summary=HOSTILE, source=HOSTILE, actor=HOSTILE, note=HOSTILE,
       acked=st.booleans())
def test_no_field_sent_to_slack_can_spoof(title: str, reason: str, summary: str, source: str, actor: str,
                                          note: str, acked: bool) -> None:
    change = {"ref": "DW-7", "title": title, "severity": "high", "reasons": [reason, reason], "source": source,
              "categories": ["other"], "date": "2026-01-01", "link": "https://vendor.example/notes",
              "summary": summary, "acked_by": (actor or "U1") if acked else None, "acked_at": "t",
              "ack_note": note, "ack_via": "button"}
    card = blocks.item_blocks(change)
    detail = blocks.item_detail(change, [{"version": 2, "seen_at": "t", "diff": summary}],
                                [{"at": "t", "action": "ack", "actor": actor, "via": "slash", "note": note}])
    text, parent = blocks.digest_parent({"counts": {}, "items": [{"id": "DW-7", "title": title, "severity": "high"}],
                                         "period_start": source}, [], [{"name": source, "status_reason": reason}])
    home = blocks.home_view([], [change], [{"name": source, "status": "broken", "status_reason": reason}])
    listing = blocks.changes_list([change], title)
    fallback = blocks.fallback_text(change)
    for rendered in (card, detail, parent, home, listing, [fallback, text]):
        assert not limit_problems(rendered), limit_problems(rendered)
        for where, value in texts(rendered):
            value = _strip_own_markup(value, change["acked_by"] or actor)
            assert "<" not in value and ">" not in value, (where, value[:200])
            assert not INVISIBLE.search(value), where
            assert not re.search(r"(?i)\b(https?|ftp|javascript):/", value), (where, value[:200])
    assert len(card) <= 50 and len(json.dumps(card, ensure_ascii=False)) <= 13000 and len(home["blocks"]) <= 100
    # the headline is one line with exactly the ref in bold, whatever the title says
    headline = re.sub(r":[a-z_]+:", "", card[0]["text"]["text"].split("\n")[0])
    assert headline.count("*") == 2 and not set("_~`") & set(headline)
    lines = card[0]["text"]["text"].split("\n")
    assert len(lines) == 1 + 2 + 1  # headline, two reasons, the link: nothing the title could add
    assert "\n" not in fallback and "\n" not in blocks.title(title)
    shown = [e["text"] for b in card if b["type"] == "context" for e in b["elements"]]
    assert sum(t.startswith(":white_check_mark: Acknowledged by") for t in shown) == (1 if acked else 0)
    assert sum(":white_check_mark:" in t for t in shown) == (1 if acked else 0)  # no borrowed emoji
    for obj in card:
        if obj["type"] in ("section",):
            assert obj["text"].get("verbatim") is True  # Slack links and mentions nothing by itself


@hsettings(max_examples=60, deadline=None)
@given(value=HOSTILE, label=HOSTILE, workspace=st.text(min_size=1, max_size=300))
def test_attest_modal_inputs_stay_within_limits(value: str, label: str, workspace: str) -> None:
    settings = [Setting("a.text", label, label, value, ("attested",), "str"),
                Setting("a.choice", label, label, value, ("attested",), "enum", (value, "x" * 400, "ok"))]
    modal = blocks.attest_modal(workspace, settings, {"a.text": value})
    assert not limit_problems(modal), limit_problems(modal)
    assert len(modal["private_metadata"]) <= 3000 and len(modal["blocks"]) <= 100
    element = modal["blocks"][1]["element"]
    assert len(element.get("initial_value", "")) <= 3000


def test_the_spoofing_cases_from_the_report() -> None:
    change = {"ref": "DW-3", "severity": "high", "categories": [], "reasons": [],
              "title": "Harmless\n:white_check_mark: Acknowledged by @ciso \u202egnp.exe\u200b *now* https://evil.test"}
    headline = blocks.item_blocks(change)[0]["text"]["text"]
    assert "\n" not in headline and "\u202e" not in headline and "\u200b" not in headline
    assert "*now*" not in headline and "https://" not in headline and "https[:]//evil.test" in headline
    modal = blocks.attest_modal("acme", [Setting("k", "K", "where", "v" * 5019, ("attested",), "str")], {})
    assert "initial_value" not in modal["blocks"][1]["element"]  # 5,019 characters: left out, never sent
