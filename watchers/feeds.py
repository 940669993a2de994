"""RSS 2.0 and Atom feeds to dated entries (feedparser does the format work).

Item HTML is reduced to text here: nothing a feed carries is ever rendered or run.
A source with ``split_items = true`` has items that bundle a day of unrelated
notes under sub-headings (a daily digest); each note then becomes its own entry,
keyed by the item's guid and the note's heading so the key is the same on the
next fetch. Off by default: the sections of one release belong together.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from driftwatch.models import ParsedEntry, normalise_title

from .dates import parse_date_heading, parse_full_date, split_heading_date, split_title_date
from .release_notes import MAX_TITLE, SUBSECTION_TITLES, ParseResult, title_from_body
from .text import Element, element_lines, html_to_text, is_tag, load_html, spaced_text, squash
from .widgets import clean_lines, is_label_text, label_like

HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BLOCKS = frozenset(("p", "ul", "ol", "pre", "table", "blockquote", "dl", "figure", "img", "video"))
# WordPress's feed footer: "The post <title> appeared first on <blog>." (no part of the post)
_WORDPRESS_FOOTER = re.compile(r"(?:^|\n)The post .{1,400}? appeared first on [^\n]{1,200}\s*$")
MIN_INTRO = 200  # a digest's own introduction ("Today's updates:") is dropped below this length


@dataclass
class _Note:
    title: str
    anchor: str | None = None
    lines: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    key: str | None = None  # what names the note in its entry key, when not its title
    titled_by_text: bool = False  # the heading is only the note's type: its first sentence titles it


def _date(item: dict) -> str | None:
    """The day the publisher printed, in the publisher's own zone.

    feedparser's ``*_parsed`` values are in UTC, which moves an item posted at 22:15 -0800
    to the next day: the raw stamp is read first, and its own offset kept.
    """
    for key in ("published", "updated", "created"):
        raw = dict.get(item, key)  # plain lookup: feedparser's own maps "updated" to "published" with a warning
        if isinstance(raw, str) and raw.strip():
            local = _local_day(raw.strip())
            if local is not None:
                return local.isoformat()
    for key in ("published", "updated", "created"):
        raw = dict.get(item, key)
        if isinstance(raw, str) and (day := parse_full_date(raw.strip())) is not None:
            return day.isoformat()  # "Thursday, November 26, 2026", "11/26/2026": no RFC stamp at all
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday).isoformat()
    return None


# "Deprecation: November 1, 2026", "Maintenance window - 2026-11-18": the day something ends or happens
_DEADLINE = re.compile(r"retir|deprecat|remov|end of|ends|expir|sunset|deadline|due|effective|until|enforc|"
                       r"schedul|maintenance|webinar|event|outage|incident", re.I)
TITLE_DAY_LAG = 45  # days a release's notes may be published after the day their title names


def _title_day(title: str, published: str | None) -> str | None:
    """The day an item's title names ("Release notes for November 24, 2026") over its publication day.

    Digests and release posts go out a day or weeks after the day they describe. Only a day at or
    before the publication (and not long before) counts: "Retiring on March 1" names another day,
    and so does a date after the item was published.
    """
    if not title or not any(ch.isdigit() for ch in title):
        return published
    named = None
    heading = parse_date_heading(title)
    if heading is not None and heading[0] == "day" and isinstance(heading[1], dt.date):
        named = heading[1]
    else:
        split = split_heading_date(title) or split_title_date(title)
        if split is not None and isinstance(split[1], dt.date) and not _DEADLINE.search(split[0]):
            named = split[1]
    if named is None:
        return published
    if published is None:
        return named.isoformat()
    lag = (dt.date.fromisoformat(published) - named).days
    return named.isoformat() if 0 <= lag <= TITLE_DAY_LAG else published


def _local_day(raw: str) -> dt.date | None:
    """The calendar day of an RFC 822 (RSS) or RFC 3339 (Atom) stamp, before any conversion to UTC."""
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(raw).date()
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
    except ValueError:
        return None


MAX_CATEGORIES = 8


def _categories(item: dict) -> list[str]:
    """The item's categories (RSS ``<category>``, Atom ``<category term>``): its labels."""
    found: list[str] = []
    for tag in item.get("tags") or []:
        term = squash(str((tag.get("label") or tag.get("term") or "") if isinstance(tag, dict) else ""))
        if term and len(term) <= 40 and term not in found:
            found.append(term)
    return found[:MAX_CATEGORIES]


def _item_html(item: dict) -> str:
    contents = item.get("content") or []
    if contents and isinstance(contents, list) and contents[0].get("value"):
        return str(contents[0]["value"])
    return str(item.get("summary") or item.get("description") or "")


def _flat(node: Element):
    """Headings and blocks in document order, descending into wrappers."""
    for child in node:
        if not is_tag(child):
            continue
        if child.tag in HEADINGS or child.tag in _BLOCKS:
            yield child
        elif any(is_tag(c) and (c.tag in HEADINGS or c.tag in _BLOCKS or c.tag in ("div", "section")) for c in child):
            yield from _flat(child)
        else:
            yield child


def _html_notes(html: str) -> tuple[list[str], list[_Note]]:
    """The introduction lines and the notes of an item, cut at its most frequent top heading level."""
    doc = load_html(html) if "<" in html else None
    body = doc.find("body") if doc is not None else None
    if body is None:
        return [], []
    headings = [h for h in body.iter(*HEADINGS) if spaced_text(h)]
    levels = sorted({int(h.tag[1]) for h in headings})
    level = next((lv for lv in levels if sum(1 for h in headings if int(h.tag[1]) == lv) >= 2), None)
    if level is None and len(headings) == 1:
        level = int(headings[0].tag[1])  # a day with one note: still that note, titled by its heading
    if level is None:
        return [], []
    type_level = _type_level(headings, levels)
    if type_level is not None:
        return _typed_notes(body, type_level)
    intro: list[str] = []
    notes: list[_Note] = []
    for block in _flat(body):
        if block.tag in HEADINGS and int(block.tag[1]) == level and spaced_text(block):
            badges = [d for d in block.iterdescendants() if is_tag(d) and label_like(d, inside_title=True)]
            title = spaced_text(block, frozenset(badges)) or spaced_text(block)
            notes.append(_Note(title, block.get("id"), labels=[spaced_text(b) for b in badges]))
            continue
        lines = element_lines(block)
        (notes[-1].lines if notes else intro).extend(lines)
    return intro, notes


def _type_level(headings: list[Element], levels: list[int]) -> int | None:
    """The level of note-type headings ("Feature", "Fixed", "Changed") under product headings, if any.

    Google Cloud's daily digest prints ``<h2>Cloud Run</h2><h3>Feature</h3><p>...</p><h3>Changed</h3>``:
    each type heading opens one note, and one product may have several on a day.
    """
    for lv in levels:
        at = [h for h in headings if int(h.tag[1]) == lv]
        above = any(int(h.tag[1]) < lv for h in headings)
        if (above or len(at) >= 2) and all(is_label_text(spaced_text(h)) for h in at):
            return lv
    return None


def _typed_notes(body: Element, type_level: int) -> tuple[list[str], list[_Note]]:
    intro: list[str] = []
    notes: list[_Note] = []
    product: str | None = None
    untyped = False  # a product heading with text before any type heading: a note of its own
    for block in _flat(body):
        if block.tag in HEADINGS and spaced_text(block):
            depth = int(block.tag[1])
            if depth < type_level:
                product, untyped = spaced_text(block), True
                continue
            if depth == type_level:
                kind = spaced_text(block)
                labels = [product, kind] if product else [kind]
                key = f"{product} {kind}" if product else kind
                notes.append(_Note(kind, block.get("id"), labels=labels, key=key, titled_by_text=True))
                untyped = False
                continue
        lines = element_lines(block)
        if untyped and lines and product:
            notes.append(_Note(product, block.get("id"), labels=[product], key=product))
            untyped = False
        (notes[-1].lines if notes else intro).extend(lines)
    for note in notes:
        text = "\n".join(clean_lines(note.lines)).strip()
        if text and note.titled_by_text:
            note.title = title_from_body(text)
    return intro, notes


def _markdown_notes(text: str) -> tuple[list[str], list[_Note]]:
    """The same for items whose text carries Markdown headings ("## Title")."""
    lines = text.splitlines()
    marks = [(i, _MARKDOWN_HEADING.match(line)) for i, line in enumerate(lines)]
    found = [(i, m) for i, m in marks if m]
    levels = sorted({len(m.group(1)) for _i, m in found})
    level = next((lv for lv in levels if sum(1 for _i, m in found if len(m.group(1)) == lv) >= 2), None)
    if level is None:
        return [], []
    intro: list[str] = []
    notes: list[_Note] = []
    for line, (_index, match) in zip(lines, marks):
        if match and len(match.group(1)) == level:
            notes.append(_Note(squash(match.group(2))))
        else:
            (notes[-1].lines if notes else intro).append(line)
    return intro, notes


def _split(item_html: str, body_text: str) -> tuple[list[str], list[_Note]]:
    intro, notes = _html_notes(item_html)
    if len(notes) == 1 and len(" ".join(intro)) < MIN_INTRO and not SUBSECTION_TITLES.match(notes[0].title):
        return intro, notes  # one note under a short "Today's notes cover 1 change" line
    if len(notes) < 2:
        intro, notes = _markdown_notes(body_text)
    return (intro, notes) if len(notes) >= 2 else ([], [])


def _note_entries(item_entry: ParsedEntry, intro: list[str], notes: list[_Note]) -> list[ParsedEntry]:
    """One entry per note; the key is the item's guid (or link) plus the note's heading."""
    base = item_entry.guid or f"{item_entry.link}@{item_entry.date or 'undated'}"
    entries: list[ParsedEntry] = []
    intro_text = "\n".join(clean_lines(intro)).strip()
    if len(intro_text) >= MIN_INTRO:
        entries.append(ParsedEntry(item_entry.date, item_entry.title, intro_text, item_entry.link,
                                   guid=f"{base}#intro"))
    seen: dict[str, int] = {}
    for note in notes:
        slug = normalise_title(note.key or note.title).replace(" ", "-") or "note"
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        link = item_entry.link
        if note.anchor and "#" not in link:
            link = f"{link}#{note.anchor}"
        entries.append(ParsedEntry(
            date=item_entry.date,
            title=note.title[:MAX_TITLE],
            body="\n".join(clean_lines(note.lines)).strip(),
            link=link,
            guid=f"{base}#{slug}",
            labels=list(dict.fromkeys(note.labels)),
        ))
    return entries


def parse_feed(body: bytes, feed_url: str, *, split_items: bool = False) -> ParseResult:
    import feedparser  # imported on first use: a check of HTML pages alone never pays for it

    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=False)
    warnings: list[str] = []
    if parsed.get("bozo") and not parsed.entries:
        error = parsed.get("bozo_exception")
        warnings.append(f"not a readable RSS/Atom feed: {error}")
    entries: list[ParsedEntry] = []
    dates_found = 0
    for item in parsed.entries:
        title = squash(html_to_text(item.get("title") or ""))
        item_html = _item_html(item)
        body_text = html_to_text(item_html)
        if "appeared first on" in body_text:
            body_text = _WORDPRESS_FOOTER.sub("", body_text).rstrip()
        if not title and not body_text:
            continue
        day = _title_day(title, _date(item))
        if day:
            dates_found += 1
        link = item.get("link") or feed_url
        guid = item.get("id") or item.get("guid") or None
        entry = ParsedEntry(
            date=day,
            title=(title or body_text.split("\n", 1)[0])[:MAX_TITLE],
            body=body_text,
            link=link,
            guid=str(guid) if guid else None,
            labels=_categories(item),
        )
        if split_items:
            intro, notes = _split(item_html, body_text)
            if notes:
                entries.extend(_note_entries(entry, intro, notes))
                continue
        entries.append(entry)
    feed_title = parsed.feed.get("title") if parsed.get("feed") else None
    return ParseResult(entries=entries, dates_found=dates_found, page_title=feed_title, warnings=warnings)
