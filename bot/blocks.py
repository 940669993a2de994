"""Block Kit rendering (pure): escaping, size limits, digest, items, App Home, modals.

Every untrusted string (titles, bodies, reasons, setting values, actor names
from audit logs) passes through :func:`escape` (or :func:`title` / :func:`plain`)
here and nowhere else, so a release note saying ``<!channel>`` renders as text
and pings no one. Neutralising happens at this sink only: the database keeps
the vendor's text as written. What it does to untrusted text:

* ``&``, ``<`` and ``>`` become entities (no mentions, no links, no fake markup);
* bidi controls and zero-width characters are removed (no reordered or hidden text);
* mrkdwn markers (``*`` ``_`` ``~`` `````) become look-alikes that format nothing;
* bare URLs are defanged (``https[:]//``) and mrkdwn fields are ``verbatim`` so Slack
  links nothing by itself; the only links are the ones :func:`safe_link` builds;
* titles are one line, so a card cannot grow a fake "Acknowledged by" line.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable

from driftwatch.posture.wording import expected_words, value_words

from . import ids

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION = 2800  # Slack allows 3000; keep a margin for the suffix
MAX_TOTAL = 12000  # Slack rejects messages past about 13k characters of blocks
SEVERITY_EMOJI = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":large_yellow_circle:",
                  "info": ":white_circle:"}
STATUS_EMOJI = {"pass": ":white_check_mark:", "fail": ":x:", "unknown": ":grey_question:", "waived": ":zzz:",
                "not_applicable": ":heavy_minus_sign:"}
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")

# Slack's Block Kit limits (characters) for the fields driftwatch fills.
LIMITS = {"header": 150, "button": 75, "option_text": 75, "option_value": 150, "value": 2000, "label": 2000,
          "hint": 2000, "placeholder": 150, "initial_value": 3000, "modal_title": 24, "modal_button": 24,
          "private_metadata": 3000, "block_id": 255, "action_id": 255, "text": 3000, "message_text": 4000}

# Bidi embeddings, overrides and isolates, marks, zero-width characters, soft hyphen, BOM,
# and the C0/C1 controls other than tab and newline.
_INVISIBLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u200b-\u200d\u2060-\u2064\ufeff\u180e\u00ad"
    "\u034f\u115f\u1160\u3164\uffa0\U000e0000-\U000e007f\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\r\n\t\v\f\x85\u2028\u2029]+")
_MARKERS = (("*", "\u2217"), ("_", "\u02cd"), ("~", "\u223c"), ("`", "\u02cb"))
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,20}):(?=//)")
_EMOJI = re.compile(r":([a-z][a-z0-9+\-\u02cd']{0,40}|[+-]1):", re.I)  # not times like 10:00:00


def clean(text: Any) -> str:
    """The text without invisible and direction-changing characters (nothing else changes)."""
    return _INVISIBLE.sub("", str("" if text is None else text))


def escape(text: Any) -> str:
    """Untrusted text made inert for any Slack field: entities, no invisibles, no markup, no links.

    Emoji shortcodes lose their colons' meaning too (``:white_check_mark:`` from a release
    note must not draw the check mark of a real acknowledgement).
    """
    out = clean(str("" if text is None else text)[:MAX_TOTAL])  # nothing longer can be sent
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for marker, inert in _MARKERS:
        out = out.replace(marker, inert)
    out = _EMOJI.sub(lambda m: "\u2236" + m.group(1) + "\u2236", out)
    return _SCHEME.sub(lambda m: m.group(1) + "[:]", out)


_IPV4 = re.compile(r"(?<![\w.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![\w.])", re.ASCII)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])", re.ASCII)
IP_HIDDEN = "[IP hidden]"


def hide_ips(text: Any) -> str:
    """An actor's IP address has no place in a channel post (it stays in ``item`` and the database)."""
    import ipaddress

    def hidden(match: re.Match[str]) -> str:
        try:
            ipaddress.ip_address(match.group(0).split("%", 1)[0])
        except ValueError:
            return match.group(0)  # a time like 10:00:00 or a version like 1.2.3.4.5
        return IP_HIDDEN

    out = _IPV4.sub(hidden, str("" if text is None else text))
    return _IPV6.sub(hidden, out)


def one_line(text: Any) -> str:
    return " ".join(_LINE_BREAKS.sub(" ", clean(text)).split())


def title(text: Any) -> str:
    """An untrusted title: escaped and on one line."""
    return escape(one_line(text))


def plain(text: Any, limit: int) -> str:
    """Untrusted text for a ``plain_text`` field: escaped (Slack shows entities as characters), cut."""
    return truncate(escape(one_line(text)), limit) or " "


def truncate(escaped: str, limit: int = MAX_SECTION) -> str:
    """Cut already-escaped text without splitting an entity such as ``&amp;``."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def mention(actor: str | None) -> str:
    """A Slack user id becomes a mention; anything else is escaped text."""
    if actor and SLACK_USER.match(actor):
        return f"<@{actor}>"
    return escape(actor or "someone")


def safe_link(url: str | None, label: str) -> str:
    if not url or not re.match(r"^https?://", url) or any(c in url for c in "<>| \n"):
        return escape(label)
    return f"<{url.replace('&', '&amp;')}|{escape(label)}>"


def _bid(*parts: Any) -> str:
    """Fresh block ids for each rendering, as Slack advises for chat.update."""
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(truncate(text) or " ")}
    if block_id:
        block["block_id"] = block_id
    return block


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack renders as given: no automatic links or mentions."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(truncate(text, 2900) or " ")]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text[:LIMITS["button"]]},
                               "action_id": action_id, "value": value[:LIMITS["value"]]}
    if style:
        element["style"] = style
    return element


def snooze_select(ref: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": ids.SNOOZE,
        "placeholder": {"type": "plain_text", "text": "Snooze"},
        "options": [{"text": {"type": "plain_text", "text": label}, "value": f"{ref}|{code}"}
                    for code, label in ids.SNOOZE_CHOICES],
    }


# --- one change -----------------------------------------------------------------------------


def change_headline(change: dict[str, Any]) -> str:
    severity = change.get("severity") or "info"
    return (f"{SEVERITY_EMOJI.get(severity, '')} *{escape(change['ref'])}* · {escape(severity.upper())} · "
            f"{truncate(title(change['title']), 600)}")


def item_blocks(change: dict[str, Any], *, carried_over: bool = False, nonce: str = "",
                show_ip: bool = False) -> list[dict[str, Any]]:
    """The card for one change: what, why, where from, and the buttons that fit its state.

    Cards go to the channel, so actors' IP addresses are hidden unless ``show_ip`` (the
    ephemeral ``item`` answer to a permitted reader).
    """
    ref = change["ref"]
    if not show_ip:
        change = {**change, "title": hide_ips(change.get("title")),
                  "reasons": [hide_ips(r) for r in change.get("reasons") or []]}
    lines = [change_headline(change)]
    where = change.get("source") or change.get("workspace") or ""
    meta = " · ".join(part for part in (
        escape(where), escape(change.get("date") or ""), escape(", ".join(change.get("categories") or [])),
        "carried over" if carried_over else "",
    ) if part)
    for reason in (change.get("reasons") or [])[:6]:
        lines.append(f"• {truncate(escape(one_line(reason)), 400)}")
    if change.get("link"):
        lines.append(safe_link(change["link"], "source"))
    blocks = [section("\n".join(lines), _bid("item", ref, nonce, change.get("acked_by"))), context(meta or " ")]
    state = ack_state_line(change)
    if state:
        blocks.append(context(state))
    if change.get("acked_by"):
        elements = [button("Undo", ids.UNDO, ref)]
    else:
        elements = [button("Acknowledge", ids.ACK, ref, "primary"), snooze_select(ref)]
    blocks.append({"type": "actions", "block_id": _bid("act", ref, nonce, change.get("acked_by")), "elements": elements})
    return blocks


def ack_state_line(change: dict[str, Any]) -> str:
    if change.get("acked_by"):
        who = escape(change["acked_by_name"]) if change.get("acked_by_name") else mention(change["acked_by"])
        line = f":white_check_mark: Acknowledged by {who} · {escape(change.get('acked_at'))}"
        if change.get("ack_via"):
            line += f" (via {escape(change['ack_via'])})"
        if change.get("ack_note"):
            line += f" · “{escape(change['ack_note'])}”"
        return line
    if change.get("snoozed_until"):
        return (f":zzz: Snoozed until {escape(change['snoozed_until'])} by "
                f"{mention(change.get('snoozed_by'))}")
    return ""


def fallback_text(change: dict[str, Any]) -> str:
    return truncate(title(hide_ips(f"{change['ref']} [{change.get('severity') or 'info'}] {change['title']}")), 3000)


# --- the digest ----------------------------------------------------------------------------


def _since(period_start: str | None) -> str:
    """The first digest covers everything: say so rather than showing the store's 1970 placeholder."""
    if not period_start or period_start.startswith("1970-01-01"):
        return "the beginning"
    return period_start


def digest_parent(digest: dict[str, Any], posture: list[dict[str, Any]], broken_sources: list[dict[str, Any]],
                  *, stale_attestations: list[str] = (), top: int = 8) -> tuple[str, list[dict[str, Any]]]:
    counts = digest["counts"]
    items = digest["items"]
    header = {"type": "header", "text": {"type": "plain_text", "text": "driftwatch digest"}}
    summary = (f":red_circle: high {counts.get('high', 0)} · :large_orange_circle: medium {counts.get('medium', 0)}"
               f" · :large_yellow_circle: low {counts.get('low', 0)} · :hourglass: carried over "
               f"{digest.get('carried_over', 0)} · {digest.get('informational', 0)} informational not listed")
    blocks: list[dict[str, Any]] = [header, section(summary), context(
        f"Changes since {escape(_since(digest.get('period_start')))} · one reply per item in the thread")]
    if items:
        lines = [f"{SEVERITY_EMOJI.get(i['severity'], '')} *{escape(i['id'])}* {truncate(title(hide_ips(i['title'])), 300)}"
                 + (" _(carried over)_" if i.get("carried_over") else "") for i in items[:top]]
        if len(items) > top:
            lines.append(f"…and {len(items) - top} more in the thread")
        if digest.get("not_listed"):
            lines.append(f"{digest['not_listed']} more open changes are not listed here: `/driftwatch changes` "
                         "or the App Home")
        blocks.append(section("\n".join(lines)))
    else:
        blocks.append(section(":white_check_mark: Nothing security-relevant is open."))
    posture_lines = []
    for ws in posture:
        c = ws["counts"]
        line = (f"*{escape(ws['workspace'])}*: {c.get('fail', 0)} failing"
                f" ({ws.get('newly_failing', 0)} newly), {c.get('unknown', 0)} unknown, {c.get('waived', 0)} waived")
        if ws.get("vendor") and ws["vendor"] != "openai":
            line = line.replace("*: ", f"* ({escape(ws['vendor'])}): ", 1)
        if ws.get("expiring"):
            line += f" · waivers expiring soon: {escape(', '.join(ws['expiring']))}"
        if "complete" in ws and not ws["complete"]:
            missing = ", ".join(sorted(ws.get("errors") or {})) or "some collectors"
            line += f" · :warning: INCOMPLETE snapshot ({escape(missing)} failed)"
        for item in (ws.get("stale_attestations") or [])[:3]:
            line += f"\n    :memo: {escape(item.get('setting') or '')}: {truncate(title(item.get('message') or 're-attest'), 200)}"
        posture_lines.append(line)
    if posture_lines:
        blocks.append(section("*Posture*\n" + "\n".join(posture_lines)))
    if broken_sources:
        blocks.append(section("*Broken sources*\n" + "\n".join(
            f":warning: {escape(s['name'])} ({escape(s.get('status'))}): {truncate(title(s.get('status_reason') or s.get('status')), 300)}"
            for s in broken_sources)))
    for workspace in stale_attestations:
        blocks.append(context(f":memo: *{escape(workspace)}* has not been attested in the last 30 days: "
                              f"`/driftwatch attest {escape(workspace)}`"))
    text = escape(f"driftwatch digest: {counts.get('high', 0)} high, {counts.get('medium', 0)} medium, "
                  f"{counts.get('low', 0)} low, {digest.get('carried_over', 0)} carried over")
    return text, fit(blocks)


def fit(blocks: list[dict[str, Any]], max_blocks: int = MAX_BLOCKS, max_total: int = MAX_TOTAL) -> list[dict[str, Any]]:
    """Keep a message inside Slack's limits: block count and total size."""
    blocks = blocks[:max_blocks]
    while len(json.dumps(blocks)) > max_total and len(blocks) > 1:
        blocks = blocks[:-1]
    return blocks


def chunk_blocks(blocks: list[dict[str, Any]], max_blocks: int = MAX_BLOCKS,
                 max_total: int = MAX_TOTAL) -> list[list[dict[str, Any]]]:
    """Split a long list of blocks into messages that each fit."""
    out: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        block_size = len(json.dumps(block))
        if out[-1] and (len(out[-1]) >= max_blocks or size + block_size > max_total):
            out.append([])
            size = 0
        out[-1].append(block)
        size += block_size
    return [chunk for chunk in out if chunk]


# --- slash command answers -----------------------------------------------------------------


def changes_list(changes: Iterable[dict[str, Any]], title: str, limit: int = 20) -> list[dict[str, Any]]:
    changes = list(changes)
    blocks = [section(f"*{escape(title)}*")]
    if not changes:
        blocks.append(section("Nothing matches."))
    lines = []
    for change in changes[:limit]:
        state = " · acknowledged" if change.get("acked_by") else (" · snoozed" if change.get("snoozed_until") else "")
        lines.append(change_headline({**change, "title": hide_ips(change.get("title"))}) + escape(state))
    for start in range(0, len(lines), 10):
        blocks.append(section("\n".join(lines[start : start + 10])))
    if len(changes) > limit:
        blocks.append(context(f"{len(changes) - limit} more; narrow with a date, category or severity"))
    return fit(blocks)


def item_detail(change: dict[str, Any], versions: list[dict[str, Any]], acks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks = item_blocks(change, show_ip=True)  # an ephemeral answer to a permitted reader
    if change.get("summary"):
        blocks.insert(1, section(escape(change["summary"])))
    for version in versions[-3:]:
        text = f"*Version {version['version']}* seen {escape(version['seen_at'])}"
        if version.get("diff"):
            text += "\n```" + escape(version["diff"]).replace("```", "'''") + "```"
        blocks.append(section(text))
    if acks:
        blocks.append(context("\n".join(
            f"{escape(a['at'])} {escape(a['action'])} by {mention(a['actor'])} via {escape(a['via'])}"
            + (f": {escape(a['note'])}" if a.get("note") else "") for a in acks[-10:])))
    return fit(blocks)


def _key(control: dict[str, Any]) -> str | None:
    return (control.get("settings") or [None])[0]


def posture_blocks(report: dict[str, Any], area: str | None = None, limit: int = 15) -> list[dict[str, Any]]:
    controls = report["controls"]
    if area:
        needle = area.lower()
        controls = [c for c in controls if needle in c["id"].lower() or any(needle in s for s in c["settings"])]
    counts = {s: sum(1 for c in controls if c["status"] == s) for s in ("pass", "fail", "unknown", "waived")}
    blocks = [section(
        f"*Posture of {escape(report['workspace'])}*" + (f" · {escape(area)}" if area else "")
        + f"\nsnapshot {escape(report.get('taken_at') or 'none yet')} · "
        + " · ".join(f"{STATUS_EMOJI[s]} {s} {n}" for s, n in counts.items()))]
    for control in [c for c in controls if c["status"] != "pass"][:limit]:
        blocks.append(section(
            f"{STATUS_EMOJI[control['status']]} *{escape(control['id'])}* {SEVERITY_EMOJI.get(control['severity'], '')} "
            f"{escape(control['title'])}\nobserved `{escape(value_words(control['observed'], _key(control)))}` · "
            f"expected `{escape(expected_words(control['expected'], None, _key(control)))}`"
            f"\n_{escape(control['remediation'])}_"))
    return fit(blocks)


def sources_blocks(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for s in sources:
        icon = {"ok": ":large_green_circle:", "broken": ":red_circle:", "blocked": ":no_entry:",
                "error": ":warning:"}.get(s["status"], ":white_circle:")
        line = f"{icon} *{escape(s['name'])}* {escape(s['status'])} · last success {escape(s.get('last_success_at') or 'never')}"
        if s.get("status_reason"):
            line += f"\n      {escape(s['status_reason'])}"
        lines.append(line)
    blocks = [section("*Sources*")]
    for start in range(0, len(lines), 12):
        blocks.append(section("\n".join(lines[start : start + 12])))
    return fit(blocks)


def help_blocks() -> list[dict[str, Any]]:
    from .commands import SUBCOMMANDS

    lines = [f"`{c.usage}` · {c.summary}" for c in SUBCOMMANDS.values()]
    return [section("*`/driftwatch` commands*\n" + "\n".join(lines))]


def usage(problem: str) -> list[dict[str, Any]]:
    return [section(f":warning: {escape(problem)}")] + help_blocks()


# --- App Home ------------------------------------------------------------------------------


def home_view(postures: list[dict[str, Any]], open_changes: list[dict[str, Any]], sources: list[dict[str, Any]]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "driftwatch"}}]
    blocks.append(section("*Posture at a glance*"))
    if not postures:
        blocks.append(context("No workspace snapshots yet."))
    for ws in postures:
        c = ws["counts"]
        blocks.append(section(
            f"*{escape(ws['workspace'])}* · {STATUS_EMOJI['pass']} {c.get('pass', 0)} · {STATUS_EMOJI['fail']} "
            f"{c.get('fail', 0)} · {STATUS_EMOJI['unknown']} {c.get('unknown', 0)} · {STATUS_EMOJI['waived']} "
            f"{c.get('waived', 0)}"))
    blocks.append({"type": "divider"})
    blocks.append(section(f"*Open high and medium changes* ({len(open_changes)})"))
    budget = MAX_HOME_BLOCKS - len(blocks) - 4
    shown = 0
    for change in open_changes:
        card = item_blocks(change, nonce="home")
        if budget < len(card):
            break
        blocks.extend(card)
        budget -= len(card)
        shown += 1
    if shown < len(open_changes):
        blocks.append(context(f"{len(open_changes) - shown} more: `/driftwatch changes`"))
    blocks.append({"type": "divider"})
    broken = [s for s in sources if s["status"] in ("broken", "blocked", "error")]
    blocks.append(section("*Sources* · " + (f"{len(sources) - len(broken)} healthy, {len(broken)} need attention"
                                            if sources else "none checked yet")))
    for s in broken[: max(0, MAX_HOME_BLOCKS - len(blocks))]:
        blocks.append(context(f":warning: {escape(s['name'])}: {title(s.get('status_reason') or s['status'])}"))
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


# --- attest modal ---------------------------------------------------------------------------


def setting_block_id(key: str) -> str:
    return "s_" + hashlib.sha1(key.encode()).hexdigest()[:12]


def attest_modal(workspace: str, settings: list[Any], current: dict[str, Any],
                 stale: list[dict[str, Any]] = ()) -> dict[str, Any]:
    """One input per attestable setting, preset to its last attested (else default) value.

    Settings an audit event changed since they were attested are named first, so the admin
    looks again at exactly those.
    """
    intro = f"Record what the admin UI shows for *{escape(workspace)}*. Saving stores an attested snapshot with your name."
    for item in list(stale)[:10]:
        intro += f"\n:memo: {escape(item.get('setting') or '')}: {truncate(title(item.get('message') or 're-attest'), 200)}"
    blocks: list[dict[str, Any]] = [context(intro[:2900])]
    for setting in settings[: MAX_HOME_BLOCKS - 1]:
        value = current.get(setting.key, setting.default)
        label = {"type": "plain_text", "text": plain(setting.title, 150)}
        hint = {"type": "plain_text", "text": plain(setting.where, 150)}
        block_id = setting_block_id(setting.key)
        if setting.type == "bool" or setting.values:
            choices = ["true", "false"] if setting.type == "bool" else [str(v) for v in setting.values]
            choices = [c for c in choices if len(c) <= LIMITS["option_value"]][:100]
            options = [{"text": {"type": "plain_text", "text": plain(c, LIMITS["option_text"])}, "value": c}
                       for c in choices]
            element: dict[str, Any] = {"type": "static_select", "action_id": "value", "options": options}
            shown = json.dumps(value) if setting.type == "bool" else str(value)
            if shown in choices:
                element["initial_option"] = options[choices.index(shown)]
        else:
            element = {"type": "plain_text_input", "action_id": "value", "max_length": LIMITS["initial_value"]}
            initial = clean(str(value))
            if initial and len(initial) <= LIMITS["initial_value"]:
                element["initial_value"] = initial  # a longer value is left out, not cut into a wrong one
        blocks.append({"type": "input", "block_id": block_id, "label": label, "hint": hint, "element": element,
                       "optional": True})
    return {
        "type": "modal",
        "callback_id": ids.ATTEST_VIEW,
        "private_metadata": json.dumps({"workspace": workspace[:200]}),
        "title": {"type": "plain_text", "text": "Attest settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
