"""Release-note pages (help-center articles, docs changelogs) to dated entries.

Two ways to cut a page, chosen by its structure rather than by vendor:

* when the page repeats an entry container (sibling elements sharing a class,
  an id pattern such as ``entry-123``, or one ``article``/``section``/``li``/``tr``
  per entry), each container is one entry, whatever headings it holds inside;
* otherwise date headings delimit entries, and each title heading under a date
  is one change (the help-center layout), including "Title (Mar 14)" headings,
  dates as bold paragraphs, month headings with day badges, and month headings
  with untitled blocks (month-precision entries);
* under a date with no title of its own, a list of self-contained changes is one
  entry per top-level bullet and bold-led paragraphs one entry each (a short list
  of fragments stays whole); the page's own heading never titles an entry.

Navigation, footers, cookie banners, rating and share widgets and code
line-number gutters are removed before either walk, so they never reach an entry.
"""

from __future__ import annotations

import datetime as dt
import json
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from driftwatch.models import ParsedEntry

from .dates import (infer_year, parse_bare_month, parse_date_heading, parse_full_date, parse_labelled_date, parse_month_day,
                    parse_month_year, parse_release_sentence, parse_year_heading, split_heading_date,
                    split_title_date)
from .segments import find_entry_group
from .text import (DROP_TAGS, NO_SKIP, Element, element_lines, is_tag, load_html, reveal_fallback_bodies, spaced_text,
                   squash, text_content)
from .widgets import (CHROME_HEADINGS, badge_class, clean_lines, drop_hidden, is_label_caption, is_label_text,
                      label_like, strip_chrome)

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_HEADINGS = frozenset(HEADINGS)
CONTENT_TAGS = frozenset(("p", "ul", "ol", "pre", "table", "blockquote", "dl", "figure", "img", "video"))
_WRAPPERS = frozenset(("div", "section", "article", "main", "span"))
MAX_TITLE = 160
SENTENCE_TITLE = 120
MAX_PILL = 32
# Section names that live inside one change, never start a new one.
SUBSECTION_TITLES = re.compile(
    r"^(what to do|what you need to do|what('s| is) (new|changing|changed|next)|more (context|details|information)|"
    r"why (is this|are we|we)|details|action required|how (it works|to (use|enable|get started))|availability|"
    r"who (is|are) (affected|impacted)|timeline|(additional|further) (resources|reading|information)|"
    r"known (issues|limitations)|learn more|next steps|before you begin|background|context|faq)\b", re.I)

_ARTICLE_CONTENT = etree.XPath('//*[contains(concat(" ", normalize-space(@class), " "), " article-content ")]')
_ROLE_MAIN = etree.XPath('//*[@role="main"]')
_ID_CONTENT = etree.XPath('//*[@id="content"]')
_TITLE_CLASS = re.compile(r"(?:^|[\s_-])[Tt]itle(?:$|[\s_-])|(?:^|[\s_-])TITLE(?:$|[\s_-])|[a-z]Title(?:$|[\s_A-Z-])")

Date = dt.date | tuple[int, int]
_BLANK = " \t\r\n\f\v\xa0\u200b"


@dataclass
class ParseResult:
    entries: list[ParsedEntry]
    dates_found: int
    page_title: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Item:
    title: str | None
    date: Date | None
    anchor: str | None
    level: int
    parts: list[str] = field(default_factory=list)
    precision: str = "day"
    labels: list[str] = field(default_factory=list)
    href: str | None = None  # the entry's own link (a container's title link)
    own_date: bool = False  # dated by its own heading or the line right below it, not by the section
    from_bold: bool = False  # started by a bold paragraph standing in for a heading
    blocks: list[Element] | None = None  # an untitled section's own blocks, while they may still be split
    sub_level: int = 0  # a dated release's first sub-heading, while it may still be a category of features
    sub_title: str = ""
    lead: bool = False  # untitled text right below a date heading, before anything else of that date
    row: bool = False  # one row of a table of changes


@dataclass
class _Context:
    """The date in force at a point of the walk (set by date and month headings)."""

    date: Date | None = None
    precision: str = "day"
    anchor: str | None = None
    month: tuple[int, int] | None = None
    dates_found: int = 0
    intro: bool = False  # dated by the post's byline: text before its first heading is the post's introduction
    posted: bool = False  # the whole walk is one post dated by its byline (its sections are categories)
    year: int | None = None  # a bare year heading ("2026") in force: the year of the days below it
    level: int = 99  # the heading level of the date in force (a date line or badge: below every heading)

    def set_day(self, date: Date, anchor: str | None) -> None:
        if isinstance(date, tuple) and self.month:
            date = infer_year(date[0], date[1], dt.date(self.month[0], self.month[1], 15))
        elif isinstance(date, tuple) and self.year:
            date = _in_year(self.year, date)
        self.date, self.precision, self.anchor = date, "day", anchor
        self.dates_found += 1

    def inner(self, *, posted: bool | None = None) -> "_Context":
        """A fresh walk's context inside a container: the date, month and year in force, no count yet."""
        return _Context(self.date, self.precision, self.anchor, self.month,
                        posted=self.posted if posted is None else posted, year=self.year)

    def set_year(self, year: int) -> None:
        self.year, self.month, self.date, self.precision, self.anchor = year, None, None, "day", None

    def set_bare_month(self, month: int, anchor: str | None) -> None:
        """"November" alone: of the year heading in force, else of the year nearest the page's other dates."""
        if self.year:
            self.set_month((self.year, month), anchor)
            return
        self.month, self.date, self.precision, self.anchor = None, (month, 1), "month", anchor
        self.dates_found += 1

    def set_month(self, month_year: tuple[int, int], anchor: str | None) -> None:
        self.month = month_year
        self.date, self.precision, self.anchor = dt.date(month_year[0], month_year[1], 1), "month", anchor
        self.dates_found += 1


# --- reading dates and anchors ------------------------------------------------------------


def _in_year(year: int, month_day: tuple[int, int]) -> Date:
    try:
        return dt.date(year, month_day[0], month_day[1])
    except ValueError:
        return month_day


def _anchor(el: Element) -> str | None:
    if el.get("id"):
        return str(el.get("id"))
    for inner in el.iter("a"):
        if inner.get("id") or inner.get("name"):
            return str(inner.get("id") or inner.get("name"))
    return None


def _time_date(el: Element) -> dt.date | None:
    """The date of a ``<time>`` or of any element carrying a ``datetime`` (GitHub's ``<relative-time>``)."""
    stamp = (el.get("datetime") or "").strip()[:10]
    found = parse_full_date(stamp) if stamp else None
    return found or parse_full_date(spaced_text(el))


def _is_date_text(text: str) -> bool:
    return len(text) <= 100 and (parse_date_heading(text) is not None or parse_year_heading(text) is not None
                                 or parse_bare_month(text) is not None)


def _split_heading(title: str) -> tuple[str, Date] | None:
    """A title carrying its date: "Title (Mar 14)", "Nov 20, 2025: Title", "Slack 4.47.69 February 17, 2026"."""
    return split_title_date(title) or split_heading_date(title)


# --- the page -----------------------------------------------------------------------------


def _root(doc: Element) -> Element | None:
    """The element holding the article: one ``article`` only when the page has one (several are entries)."""
    article_content = next(iter(_ARTICLE_CONTENT(doc)), None)
    all_articles = list(doc.iter("article"))
    main = next(doc.iter("main"), None)
    role_main = next(iter(_ROLE_MAIN(doc)), None)
    content = next(iter(_ID_CONTENT(doc)), None)
    articles = None
    outer = [a for a in all_articles if not any(p.tag == "article" for p in a.iterancestors())]
    if len(outer) == 1:
        articles = outer[0]
    for candidate in (article_content, articles, main, role_main, content, doc.find("body"), doc):
        if candidate is not None and any(t.strip(_BLANK) for t in candidate.itertext()):
            return candidate
    return None


def _next_data_html(doc: Element) -> str | None:
    """The older Intercom pages kept the article as JSON blocks; rebuild them as HTML."""
    script = next((s for s in doc.iter("script") if s.get("id") == "__NEXT_DATA__"), None)
    if script is None or not script.text:
        return None
    try:
        data = json.loads(script.text)
        blocks = data["props"]["pageProps"]["articleContent"]["blocks"]
    except (ValueError, KeyError, TypeError):
        return None
    html: list[str] = []
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        text = block.get("text") or ""
        if kind in ("subheading", "heading"):
            anchor = escape(str(block.get("idAttribute") or ""), quote=True)
            tag = "h2" if kind == "subheading" else "h1"
            html.append(f'<{tag} id="{anchor}">{text}</{tag}>')
        elif kind in ("unorderedList", "orderedList"):
            tag = "ul" if kind == "unorderedList" else "ol"
            items = "".join(f"<li>{item.get('text', '') if isinstance(item, dict) else item}</li>"
                            for item in block.get("items") or [])
            html.append(f"<{tag}>{items}</{tag}>")
        elif text:
            html.append(f"<p>{text}</p>")
    return "<html><body><article>" + "".join(html) + "</article></body></html>"


def parse_release_notes(
    body: bytes | str, page_url: str, *, today: dt.date | None = None, encoding: str | None = None
) -> ParseResult:
    """Entries of a release-notes page, newest first as the page lists them.

    ``encoding`` is the charset from the HTTP header; without it the page's own
    ``<meta charset>`` or a byte-level guess decides.
    """
    today = today or dt.date.today()
    doc = load_html(body, encoding)
    if doc is None:
        return ParseResult(entries=[], dates_found=0)
    title_el = doc.find(".//title")
    page_title = squash(text_content(title_el)) if title_el is not None else None
    rebuilt = _next_data_html(doc)
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "ignore")
    if b"noscript" in raw or b"text/template" in raw:  # the scans cost a walk each: only where they may apply
        reveal_fallback_bodies(doc)
    strip_chrome(doc)
    if b"hidden" in raw or b"author" in raw:
        drop_hidden(doc)
    root = _root(doc)
    result = _parse_root(root, page_url, today) if root is not None else None
    if (result is None or not result.entries) and root is not None and root.tag not in ("body", "html"):
        body_el = doc.find("body")
        if body_el is not None:
            wider = _parse_root(body_el, page_url, today)
            if wider.entries:
                result = wider
    if (result is None or not result.entries) and rebuilt:
        alt_doc = load_html(rebuilt)
        article = alt_doc.find(".//article") if alt_doc is not None else None
        if article is not None:
            alt = _parse_root(article, page_url, today)
            if alt.entries:
                result = alt
    if (result is None or not result.entries) and root is not None:
        body_el = doc.find("body")
        posted = _post_date(root) or (_post_date(body_el) if body_el is not None and body_el is not root else None)
        if posted is not None:
            dated = _parse_root(root, page_url, today, posted)
            if dated.entries:
                result = dated
    if result is None:
        result = ParseResult(entries=[], dates_found=0)
    result.page_title = page_title
    return result


def _parse_root(root: Element, page_url: str, today: dt.date, posted: dt.date | None = None) -> ParseResult:
    """The entries below ``root``; ``posted`` dates those of a post that prints no dates of its own."""
    ctx = _Context(date=posted, intro=posted is not None, posted=posted is not None)
    items = _segment(root, ctx, root)
    return ParseResult(entries=_entries(items, page_url, today), dates_found=ctx.dates_found + (posted is not None))


# "Posted on Feb 16, 2026", "Published: 2026-02-16": the byline of a post.
_POSTED = re.compile(r"^\s*(?:posted|published|released|written|dated?|release\s+date)\b\s*(?:on\b|:)?\s*", re.I)
_DATE_CAPTION = re.compile(r"^\s*(?:posted|published|released|written|dated?|updated|last\s+updated)\b\s*(?:on\b|:)?\s*$",
                           re.I)
_DATE_HINT = re.compile(r"date|publish|posted|byline|timestamp", re.I)


def _post_date(scope: Element) -> dt.date | None:
    """The one publication date a post prints in its byline, if it prints exactly one (never "Last updated")."""
    found: set[dt.date] = set()
    for el in scope.iter():
        if not is_tag(el) or el.tag in DROP_TAGS:
            continue
        day = None
        parent = el.getparent()
        if parent is not None and _PAGE_UPDATED.match(parent.text or "") or _PAGE_UPDATED.match(el.text or ""):
            continue  # "Last updated <time>...</time>": when the page was edited
        if el.tag == "time" or el.get("datetime"):
            day = _time_date(el)
        elif _DATE_HINT.search(el.get("class") or "") or _DATE_HINT.search(el.get("itemprop") or ""):
            text = spaced_text(el)
            if len(text) <= 60 and not _PAGE_UPDATED.match(text):
                day = parse_full_date(_POSTED.sub("", text, count=1))
        elif el.text and _POSTED.match(el.text):
            text = spaced_text(el)
            if len(text) <= 60:
                day = parse_full_date(_POSTED.sub("", text, count=1))
        if day is not None:
            found.add(day)
            if len(found) > 1:
                return None  # a listing of posts: each has its own date, none is the page's
    return next(iter(found)) if found else None


# --- segmentation -------------------------------------------------------------------------


def _segment(node: Element, ctx: _Context, root: Element | None = None) -> list[_Item]:
    """Containers when the node repeats them, else the heading walk."""
    group = find_entry_group(node)
    if group is None:
        return _walk(_blocks(node, frozenset(), frozenset()), ctx, root=root)
    members = frozenset(group)
    holders = frozenset(a for m in group for a in m.iterancestors())
    return _walk(_blocks(node, members, holders), ctx, in_containers=True)


def _has_block_children(el: Element) -> bool:
    return any(
        isinstance(c.tag, str) and (c.tag in _HEADINGS or c.tag in CONTENT_TAGS or c.tag in _WRAPPERS) for c in el
    )


# "Last updated: February 17, 2026": when the page was edited, never when any of its entries happened.
_PAGE_UPDATED = re.compile(r"^\s*(?:last\s+)?(?:updated|modified|reviewed|edited|revised)\b\s*(?:on)?\s*:?", re.I)
# The title bar of a collapsible block (Confluence's expand macro, accordions): a change's title.
_EXPAND_TITLE = re.compile(
    r"(?:^|\s)(?:expand|collapse|collapsible|accordion|toggle)[-_]{1,2}(?:control|header|heading|title|trigger)(?:$|\s)",
    re.I)
_EXPAND_TEXT = re.compile(r"(?:^|[\s_-])(?:text|title|label)(?:$|[\s_-])", re.I)


def _page_updated(el: Element) -> bool:
    """A wrapper reading "Last updated: <span>February 17, 2026</span>"."""
    lead = el.text
    if (lead is None or lead.isspace()) and is_tag(el[0]) and not len(el[0]):
        lead = el[0].text
    if not lead or len(lead) > 40 or not _PAGE_UPDATED.match(lead):
        return False
    text = spaced_text(el)
    return len(text) <= 80 and bool(_HAS_YEAR(text))


_HAS_YEAR = re.compile(r"\d{4}").search


def expand_title(el: Element) -> str:
    """The text of a collapsible block's title bar, without its icon."""
    for inner in el.iterdescendants():
        if is_tag(inner) and _EXPAND_TEXT.search(inner.get("class") or ""):
            text = spaced_text(inner)
            if text:
                return text
    return spaced_text(el)


def _blocks(root: Element, members: frozenset, holders: frozenset) -> Iterator[tuple[str, Element | str]]:
    """Headings, content blocks and entry containers in document order, descending into wrappers."""
    if root.text and root.text.strip():
        yield "content", root.text
    for child in root:
        tag = child.tag
        if isinstance(tag, str) and tag not in DROP_TAGS:
            if child in members:
                yield "container", child
            elif child in holders:
                yield from _blocks(child, members, holders)
            elif tag in _HEADINGS:
                yield "heading", child
            elif tag == "dl" and _dated_terms(child):
                for part in child:  # "<dt>19 November 2026 — 4.8.0</dt><dd>...</dd>": each term opens an entry
                    if is_tag(part) and part.tag in ("dt", "dd") and text_content(part).strip():
                        yield "content", part
            elif tag in CONTENT_TAGS:
                yield "content", child
            elif (tag == "div" or tag == "span") and _EXPAND_TITLE.search(child.get("class") or ""):
                yield "title", child
            elif len(child) >= 2 and tag in ("div", "span") and _pill_row(child):
                yield "content", child  # a row of tags ("Feature", "gpt-5"), whole: the note's labels
            elif _has_block_children(child):
                if not _page_updated(child):  # the page's own "Last updated" line is no date of an entry
                    yield from _blocks(child, members, holders)
            elif text_content(child).strip():
                yield "content", child
        if child.tail and child.tail.strip():
            yield "content", child.tail


def _heading_date(text: str, el: Element, ctx: _Context) -> bool:
    """Apply a date-only heading or short paragraph to the context; True when it was one.

    "Week of February 16, 2026" and "February 9, 2026 (Service release 2602)" are date headings too.
    """
    if el.tag in _HEADINGS and (year := parse_year_heading(text)) is not None:
        ctx.set_year(year)  # "2026" over "30 November", "Nov 26": the days below take this year
        ctx.level = int(el.tag[1])
        return True
    if el.tag in _HEADINGS and (month := parse_bare_month(text)) is not None:
        ctx.set_bare_month(month, _anchor(el))  # "November" over cards, on a page of one year
        ctx.level = int(el.tag[1])
        return True
    found = parse_date_heading(text)
    if found is None and el.tag in _HEADINGS and (released := parse_release_sentence(text)) is not None:
        found = ("day", released)  # "2026.11.0: Monthly Production release began deployment on November 10"
    if found is None:
        return False
    kind, value = found
    ctx.level = int(el.tag[1]) if el.tag in _HEADINGS else 99
    if kind == "month":
        assert isinstance(value, tuple)
        ctx.set_month(value, _anchor(el))
    else:
        ctx.set_day(value, _anchor(el))
    return True


def _date_of_title(current: _Item | None, text: str, el: Element, ctx: _Context, level: int) -> bool:
    """A date printed right below a title ("Release 4.2", then "November 20, 2025") is that title's date."""
    if current is None or not current.title or current.parts or current.own_date or level <= current.level \
            or el.tag == "dt":
        return False  # a dated definition term opens an entry of its own, under whatever heading
    if level <= 6 and not _VERSION.search(current.title):
        return False  # a date heading under "Release notes" or "Older releases" starts a section; it dates no title
    if level > 6:
        text = _DATE_LINE_PREFIX.sub("", text, count=1)  # "Published on November 20, 2025"
    full = parse_full_date(text) or (parse_labelled_date(text) if level > 6 else None)
    day: Date | None = full or parse_month_day(text)
    if day is None:
        return False
    if isinstance(day, tuple) and ctx.month:
        day = infer_year(day[0], day[1], dt.date(ctx.month[0], ctx.month[1], 15))
    current.date, current.precision, current.own_date = day, "day", True
    ctx.dates_found += 1
    return True


_SENTENCE_END = ".!?:;,"
_DATE_LINE_PREFIX = re.compile(r"^(?:posted|published|released|release date|date)\s*:?\s*(?:on\s+)?", re.I)
_VERSION = re.compile(r"\d+\.\d+")  # "Desktop 4.47.65", "v1.2": a release title may carry its date as a heading


# Headings that open a part of one change, never a change of their own under a category.
_SECTION_OF_ONE = re.compile(
    r"^(overview|summary|highlights|description|introduction|about|notes?|changes|improvements|fixes|bug fixes|"
    r"new features?|features|resolved issues|known issues|enhancements|updates|what'?s new)\b", re.I)


def _category_heading(item: _Item, posted: bool = False) -> bool:
    """A heading that can be a category: a label heading, or a short title that is no release ("v2.1").

    In a post dated by its byline (a release post), the post is the release: its section headings
    ("Key improvements released in 18.6") are categories of the features below them.
    """
    if item.own_date or item.from_bold:
        return False
    if not item.title:
        return bool(item.labels)
    if posted:
        return len(item.title.split()) <= 10 and item.title[-1] not in _SENTENCE_END \
            and not SUBSECTION_TITLES.match(item.title)
    return len(item.title.split()) <= 6 and not _VERSION.search(item.title) and item.title[-1] not in _SENTENCE_END \
        and not SUBSECTION_TITLES.match(item.title)


def _bold_line(el: Element) -> bool:
    """A paragraph that is one bold phrase and nothing else ("<p><strong>Features</strong></p>")."""
    return el.tag in ("p", "div") and (bold := _sole_bold(el)) is not None and not len(bold)


def _bold_title(el: Element, text: str) -> str | None:
    """A paragraph that is wholly bold and reads like a title (four words or more) stands in for a heading."""
    if el.tag not in ("p", "div") or len(el) != 1 or (el.text or "").strip() or len(text) > MAX_TITLE:
        return None
    child = el[0]
    if child.tag not in ("strong", "b") or (child.tail or "").strip():
        return None
    if len(text.split()) < 4 or text[-1] in _SENTENCE_END or _is_date_text(text):
        return None
    return text


def _title_and_labels(el: Element, text: str | None = None) -> tuple[str, list[str]]:
    """A heading's text without its badges, and the badges."""
    if len(el) == 0:
        return (text if text is not None else spaced_text(el)), []
    badges = [d for d in el.iterdescendants() if is_tag(d) and label_like(d, inside_title=True)]
    labels = [spaced_text(b) for b in badges]
    text = spaced_text(el, frozenset(badges)) if badges else spaced_text(el)
    return text, labels


def _page_heading(root: Element, heading: Element, level: int) -> bool:
    """The page's own heading ("Release notes"): no other title heading on the page outranks or matches it."""
    for other in root.iter(*HEADINGS[:level]):
        if other is not heading and not _is_date_text(spaced_text(other)):
            return False
    return True


def _sole_heading(root: Element, heading: Element) -> bool:
    """The only heading of a post dated by its byline: the post's one change, not a page title over others."""
    return all(other is heading for other in root.iter(*HEADINGS))


def _table_only(item: _Item) -> bool:
    """An untitled section holding nothing but a table: a summary of the changes below it, never one itself."""
    if item.title or not item.blocks:
        return False
    notes = list(itertools.takewhile(lambda block: block.tag == "p", item.blocks))
    tables = item.blocks[len(notes):]
    # "This is a major release; read the upgrade guide." over the release's table: the table's introduction
    return bool(tables) and all(block.tag == "table" for block in tables) and len(notes) <= 2 \
        and sum(len(spaced_text(note)) for note in notes) <= 300


def _walk(
    blocks: Iterator[tuple[str, Element | str]], ctx: _Context, *, in_containers: bool = False,
    root: Element | None = None,
) -> list[_Item]:
    items: list[_Item] = []
    current: _Item | None = None
    skipping = False
    first_heading = root is not None  # the first heading before any date may be the page's own
    categories: list[tuple[int, list[str]]] = []  # (level, names) of the category headings in force

    def close() -> None:
        nonlocal current
        if current is not None and current.date is not None and (current.title or current.parts):
            if _table_only(current):
                items.extend(_table_rows(current))  # a table of changes: one entry per row, if it is one
            else:
                pieces = _split_section(current) if current.blocks else None
                items.extend(pieces or [current])
        current = None

    def start(title: str | None, anchor: str | None, level: int, labels: list[str] | None = None) -> _Item:
        return _Item(title, ctx.date, anchor or ctx.anchor, level, precision=ctx.precision,
                     labels=category_labels() + (labels or []))

    def category_labels() -> list[str]:
        return [name for _level, names in categories for name in names]

    def push_category(item: _Item) -> None:
        """``item``'s heading names a category of what follows: its own labels and title label the entries."""
        inherited = category_labels()
        own = item.labels[len(inherited):] if item.labels[:len(inherited)] == inherited else item.labels
        categories.append((item.level, own + ([item.title] if item.title else [])))

    def open_category(level: int, title: str) -> None:
        """A heading right above a deeper one ("Device security" over its features) names a category."""
        nonlocal current
        if current is not None and current.date and not current.parts and level > current.level \
                and _category_heading(current, ctx.posted) and not _SECTION_OF_ONE.match(title) \
                and not SUBSECTION_TITLES.match(title):
            push_category(current)
            current = None

    for kind, el in blocks:
        if kind == "container":
            close()
            assert not isinstance(el, str)
            items.extend(_container_items(el, ctx))
            continue
        if isinstance(el, str):
            text = squash(el)
        elif kind == "content":
            lines = element_lines(el)  # rendered once: for the checks below and for the body
            if not lines:
                continue
            text = lines[0] if len(lines) == 1 else " ".join(lines)
        else:
            text = spaced_text(el)
        if not text:
            continue
        if kind == "title":  # a collapsible block's title bar: one change, below every heading
            assert not isinstance(el, str)
            ctx.intro = False
            if in_containers or skipping:
                continue
            title = expand_title(el)
            del categories[len([c for c in categories if c[0] < 7]):]
            open_category(7, title)
            close()
            current = start(title, _anchor(el), 7)
            continue
        if kind == "heading":
            assert not isinstance(el, str)
            level = int(el.tag[1])
            if first_heading:
                first_heading = False
                if root is not None and ctx.dates_found == 0 and not _is_date_text(text) \
                        and _page_heading(root, el, level) and not (ctx.intro and _sole_heading(root, el)):
                    close()
                    continue  # the page's title is never an entry's title, nor takes the first date
            ctx.intro = False
            if len(text) <= 40 and _date_of_title(current, text, el, ctx, level):
                continue
            if len(text) <= 100 and _heading_date(text, el, ctx):
                if current is not None and current.title and not current.parts and level > current.level:
                    current = None  # "Older releases" over the dates below it: a section, not a change
                close()
                categories.clear()
                skipping = False
                continue
            if in_containers:
                continue  # entries live in the containers; other headings only give dates
            if CHROME_HEADINGS.match(text):
                close()
                skipping = True  # "Related articles", "On this page": furniture until the next heading
                continue
            skipping = False
            if level < ctx.level and ctx.level <= 6 and not in_containers and ctx.date is not None \
                    and not _split_heading(text):
                close()  # "Notices" beside the week headings, not under the last one: no date of theirs
                ctx.date, ctx.level, ctx.anchor = None, 99, None
            while categories and categories[-1][0] >= level:
                categories.pop()
            title, labels = _title_and_labels(el, text)
            titled = _split_heading(title)
            if not titled:
                open_category(level, title)
            if not titled and current is not None and current.own_date and current.sub_level \
                    and current.parts == [current.sub_title] and level > current.sub_level:
                # "Chrome 143 (Nov 18)" > "Browser changes" > features: the release dates its features,
                # the release and the category name them
                assert isinstance(current.date, (dt.date, tuple))
                ctx.set_day(current.date, current.anchor)
                ctx.level = current.level
                categories.append((current.level, [current.title] if current.title else []))
                categories.append((current.sub_level, [current.sub_title]))
                current = start(title or None, _anchor(el), level, labels)
                continue
            if not titled and current is not None and current.date and current.title and (
                level > current.level or SUBSECTION_TITLES.match(title)
            ):
                if current.own_date and not current.parts and not SUBSECTION_TITLES.match(title) \
                        and not _SECTION_OF_ONE.match(title) and len(title.split()) <= 6:
                    current.sub_level, current.sub_title = level, text
                current.parts.append(text)  # a sub-heading inside one change
                continue
            if current is not None and _date_intro(current, level, ctx) and not titled and title \
                    and not is_label_text(title):
                current = None  # "Here is what we shipped this month." over the month's titled changes
            close()
            if titled:
                ctx.dates_found += 1
                current = _Item(titled[0], titled[1], _anchor(el), level, labels=category_labels() + labels,
                                own_date=True)
            elif is_label_text(title):
                current = start(None, _anchor(el), level, labels + [title])
                current.blocks = []  # a category heading ("API"): its list may hold several changes
            else:
                current = start(title or None, _anchor(el), level, labels)
                if not title and labels:
                    current.blocks = []  # a heading that is only a badge ("<span class=tag>New</span>")
            continue

        # content
        if skipping:
            continue
        if isinstance(el, str):
            if in_containers or current is None:
                continue
            current.parts.append(text)
            current.blocks = None  # loose text: the section is not a clean list of items
            continue
        if len(text) <= 60 and (el.get("datetime") or (len(el) == 1 and el[0].get("datetime"))):
            stamp = _time_date(el if el.get("datetime") else el[0])
            if stamp is not None and spaced_text(el if el.get("datetime") else el[0]).split() == text.split():
                text = stamp.isoformat()  # "<relative-time datetime=...>14 Feb 17:22</relative-time>"
        if len(text) <= 40 and not in_containers and _date_of_title(current, text, el, ctx, 8):
            continue
        if not in_containers and el.tag in ("ul", "ol") and (releases := _dated_list(el)) is not None:
            # "<li><b>v11.1.1, released 2026-11-25</b><ul>...</ul></li>" under "Release v11.1": one entry
            # per release; the sections after the list ("Improvements") go with the last one
            heading = current is not None and current.title and not current.own_date and not current.parts \
                and current.level <= 6
            level = current.level if heading and current is not None else 7
            if heading:
                current = None  # "Release 7.4" names the releases below it; it is none of them
            close()
            categories.clear()
            for title, day, anchor, lines in releases:
                ctx.set_day(day, anchor)
                ctx.level = 99
                close()
                current = _Item(title, day, anchor or ctx.anchor, level, ["\n".join(lines)] if lines else [],
                                own_date=True)
            continue
        if not in_containers and (dated := _dated_title_line(el, text)) is not None:
            # "Release v11.1" over bold "v11.1.1, released 2026-11-25" lines: the heading holds releases, and
            # the sections below them ("Improvements") go with the last one
            bold_line = _sole_bold(el) is not None
            heading = bold_line and current is not None and current.title and not current.own_date \
                and not current.parts and current.level <= 6
            sibling = bold_line and current is not None and current.from_bold and current.own_date \
                and current.level <= 6  # the next release under the same heading
            section = current.level if (heading or sibling) and current is not None else 7
            if heading:
                current = None  # "Release 7.4" names the releases below it; it is none of them
            close()  # "<p><b>2026-11-21</b> — Version 3.9.2 released</p>", "<dt>19 November 2026 — 4.8.0</dt>"
            title, day = dated
            ctx.set_day(day, _anchor(el))
            ctx.level = 99
            categories.clear()
            if title[-1:] in ".!?":  # "<b>October 20, 2026</b> We shipped a fix.": an untitled note of that day
                current = start(None, _anchor(el), 7)
                current.parts.append(title)
            else:
                current = start(title, _anchor(el), section)
                current.from_bold = True
                current.own_date = True
            continue
        if not in_containers and current is not None and current.title and not current.own_date \
                and not current.parts and (labelled := _labelled_date_block(el)) is not None:
            day, rest = labelled  # "<li><strong>Release date:</strong> 2026-11-20</li>" under the title
            current.date, current.precision, current.own_date = day, "day", True
            ctx.dates_found += 1
            if rest:
                current.parts.append("\n".join(rest))
            continue
        if len(text) <= 60 and _heading_date(text, el, ctx):
            if el.tag == "dt" and current is not None and current.title and not current.parts:
                categories.append((current.level, [current.title]))  # "Resolved issues" over dated terms
                current = None
            close()
            continue
        if in_containers:
            continue
        if len(el) >= 2 and (current is None or not current.parts) and _pill_row(el):
            pills = [spaced_text(pill) for pill in el]
            if current is not None:
                current.labels.extend(pills)
            elif ctx.date is not None:
                current = start(None, None, 7, pills)
                current.blocks = []
            continue
        if current is None or current.title is None or current.from_bold:
            bold = _bold_title(el, text)
            if bold:
                close()
                if ctx.date is not None:
                    current = start(bold, _anchor(el), 7)
                    current.from_bold = True
                continue
        if current is not None and current.title and not current.parts and current.date is not None \
                and current.level <= 6 and _bold_line(el) and _category_heading(current, ctx.posted) \
                and label_like(el, inside_title=False, standalone=True):
            push_category(current)  # "Support", then a bold "Features" line over its bullets
            current = None
        if (current is None or current.title is None) and label_like(el, inside_title=False, standalone=True):
            close()
            if ctx.date is not None:
                current = start(None, _anchor(el), 7, [text])
                current.blocks = []
            continue
        if current is None:
            if ctx.date is None or ctx.intro:
                continue  # introduction before the first date
            current = start(None, None, 7)
            current.blocks = []
            current.lead = not items or items[-1].date != ctx.date
        if current.blocks is not None:
            current.blocks.append(el)
        if (badge := _closing_badge(el)) is not None:
            # "Risk signals now cover service apps. <span class=badge>Early Access</span>": a label
            current.labels.append(spaced_text(badge))
            lines = element_lines(el, frozenset((badge,)))
        current.parts.append("\n".join(lines))
    close()
    return items


def _closing_badge(el: Element) -> Element | None:
    """A short badge that ends a paragraph of text, with nothing after it."""
    if el.tag != "p" or not len(el):
        return None
    last = el[-1]
    if not is_tag(last) or last.tag not in ("span", "em", "small", "mark") or (last.tail or "").strip() \
            or not badge_class(last) or len(last):
        return None
    text = spaced_text(last)
    before = spaced_text(el, frozenset((last,)))
    return last if text and len(text) <= 30 and before and before[-1:] in ".!?:)" else None


def _date_intro(item: _Item, level: int, ctx: _Context) -> bool:
    """Short untitled text between a date heading and the first titled change below it: its introduction.

    A vendor that titles its changes does not leave the first one untitled; a page that titles none
    keeps every untitled block (each is a change).
    """
    if item.title is not None or len(item.parts) > 2 or sum(len(p) for p in item.parts) > 300 \
            or any(b.tag in ("ul", "ol", "table", "pre", "dl") for b in item.blocks or []):
        return False
    if item.labels and item.level <= 6:
        return level > item.level  # "Coming soon" over "These changes are on the way." and its products
    return item.lead and not item.labels and ctx.level <= 6 and level > ctx.level and item.date == ctx.date


# --- an untitled date section holding several changes --------------------------------------

MIN_ITEM_WORDS = 6  # a list item this long reads as a change of its own, not a fragment of one
MAX_LEAD_IN = MAX_TITLE  # a whole bold first sentence can lead in too
ASIDE_WORDS = frozenset(("note", "important", "warning", "tip", "caution", "info", "example", "heads up", "reminder",
                         "update", "updated", "n.b", "nb", "please note", "fyi"))
_LEAD_IN_TRIM = " :.\u2013\u2014-"


def _lead_in(block: Element) -> Element | None:
    """The bold phrase opening a paragraph or list item ("<b>Audit logs:</b> Admins can ..."), if any."""
    if (block.text or "").strip() or not len(block):
        return None
    first = block[0]
    if not is_tag(first) or first.tag not in ("strong", "b"):
        return None
    lead = spaced_text(first)
    if not lead or len(lead) > MAX_LEAD_IN or not lead.strip(_LEAD_IN_TRIM):
        return None
    if lead.strip(_LEAD_IN_TRIM).lower() in ASIDE_WORDS:
        return None  # "Note:" adds to the change above it
    after = (first.tail or "").strip() or any(is_tag(c) and spaced_text(c) for c in list(block)[1:])
    return first if after else None


MIN_ROW_WORDS = 4  # a row whose cells hold fewer words is a summary's tick or a price, not a change


def _table_rows(section: _Item) -> list[_Item]:
    """An untitled date's table of changes ("Feature | Description"): one entry per row.

    The first cell titles its row (or dates it, when it is a date), the other cells are
    its body; the header row names the columns and is no entry. A table of short cells
    (a summary, a price list) gives nothing, as before.
    """
    found: list[_Item] = []
    for table in section.blocks or ():
        if _summary_table(table):
            continue
        rows = [r for r in table.iter("tr") if not any(a.tag == "table" and a is not table for a in r.iterancestors())]
        for row in rows:
            cells = [c for c in row if is_tag(c) and c.tag in ("td", "th")]
            if len(cells) < 2 or all(c.tag == "th" for c in cells) or row.getparent().tag == "thead":
                continue
            texts = [element_lines(c, as_block=True) for c in cells]
            if not texts[0] or sum(len(" ".join(t).split()) for t in texts) < MIN_ROW_WORDS:
                continue
            first = " ".join(texts[0])
            date: Date | None = section.date
            if (day := parse_full_date(first)) is not None and len(first) <= MAX_DATE_LINE:
                date, texts = day, texts[1:]
                first = " ".join(texts[0]) if texts else ""
            body = [line for cell in texts[1:] for line in cell]
            title = first if first and len(first) <= MAX_TITLE and body else None
            lines = body if title else [line for cell in texts for line in cell]
            if not lines and not title:
                continue
            found.append(_Item(title, date, row.get("id") or section.anchor, section.level, ["\n".join(lines)],
                               precision="day" if date is not section.date else section.precision,
                               labels=list(section.labels), row=True))
    return found


def _summary_table(table: Element) -> bool:
    """A table listing the changes described below it: its rows link to them, or name the page's headings."""
    if any((a.get("href") or "").strip().startswith("#") for a in table.iter("a")):
        return True
    page = table.getroottree().getroot()
    headings = {spaced_text(h) for h in page.iter(*HEADINGS)}
    firsts = [spaced_text(cell) for row in table.iter("tr") for cell in row[:1] if is_tag(cell) and cell.tag == "td"]
    return bool(firsts) and sum(1 for f in firsts if f in headings) * 2 >= len(firsts)


def _dated_title_line(el: Element, text: str) -> tuple[str, Date] | None:
    """A line opening with a date and going on with a title: a heading in all but tag.

    A definition term ("19 November 2026 — 4.8.0"), or a paragraph led by a bold date
    ("<b>2026-11-21</b> — Version 3.9.2 released"). A date inside a sentence is no such line.
    """
    if el.tag == "dt":
        if len(text) > MAX_TITLE or text[-1:] in ".!?":
            return None
    elif el.tag in ("p", "div"):
        lead = _lead_in(el)
        if lead is None and _sole_bold(el) is not None:
            return _release_line(text)  # "<p><strong>v11.1.1, released 2026-11-25</strong></p>"
        if lead is None or (day := parse_full_date(spaced_text(lead))) is None:
            return None
        rest = text[len(spaced_text(lead)):].lstrip(_LEAD_IN_TRIM + " ").rstrip()
        if rest and rest[-1:] in ".!?" or len(text) > MAX_TITLE:
            return (rest, day) if rest else None  # a dated sentence, not a title
    else:
        return None
    split = split_title_date(text)
    if split is None or not isinstance(split[1], dt.date) or not split[0].strip(_LEAD_IN_TRIM):
        return None
    return split[0].strip(_LEAD_IN_TRIM), split[1]


def _dated_list(el: Element) -> list[tuple[str, dt.date, str | None, list[str]]] | None:
    """A list whose every item opens with a bold title and its date: (title, day, anchor, body lines)."""
    releases = []
    for li in el:
        if not is_tag(li):
            continue
        if li.tag != "li":
            return None
        head = li[0] if len(li) and is_tag(li[0]) and li[0].tag == "p" and not (li.text or "").strip() else li
        lead = _sole_bold(head) if head is not li else _lead_in(li)
        if lead is None:
            return None
        release = _release_line(spaced_text(lead))
        if release is None:
            return None
        lines = [line.strip() for line in element_lines(li, frozenset((head if head is not li else lead,)),
                                                         as_block=True)]
        releases.append((*release, _anchor(li),
                         [line.lstrip(_LEAD_IN_TRIM) for line in lines if line.lstrip(_LEAD_IN_TRIM)]))
    return releases or None


def _dated_bold_lines(member: Element) -> int:
    """How many paragraphs of a container are nothing but a bold title with its date."""
    return sum(1 for p in member.iter("p") if _sole_bold(p) is not None and _release_line(spaced_text(p)))


def _releases_with_sections(found: list[_Item]) -> list[_Item]:
    """Undated sections after a release's bold title line ("Improvements") are parts of that release."""
    out: list[_Item] = []
    for item in found:
        if out and out[-1].own_date and not item.own_date:
            heading = item.title or (item.labels[-1] if item.labels else None)  # "Improvements" is a label
            out[-1].parts.extend(([heading] if heading else []) + item.parts)
            continue
        out.append(item)
    return out


def _release_line(text: str) -> tuple[str, dt.date] | None:
    """A release's title and its day on one bold line: "v11.1.1, released 2026-11-25" -> ("v11.1.1", day)."""
    split = split_heading_date(text) if len(text) <= MAX_TITLE else None
    if split is None or not split[0].strip(_LEAD_IN_TRIM):
        return None
    return split[0].strip(_LEAD_IN_TRIM), split[1]


def _sole_bold(el: Element) -> Element | None:
    """The one bold element that is all of a paragraph's text, if it is."""
    if len(el) != 1 or (el.text or "").strip() or not is_tag(el[0]) or el[0].tag not in ("strong", "b") \
            or (el[0].tail or "").strip():
        return None
    return el[0]


def _dated_terms(dl: Element) -> bool:
    """A definition list whose terms carry dates: a changelog, one term per release."""
    terms = [spaced_text(t) for t in dl if is_tag(t) and t.tag == "dt"]
    return bool(terms) and sum(1 for t in terms if _is_date_text(t) or _dated_title_line_text(t)) * 2 > len(terms)


def _dated_title_line_text(text: str) -> bool:
    split = split_title_date(text) if len(text) <= MAX_TITLE else None
    return split is not None and isinstance(split[1], dt.date)


def _labelled_date_block(el: Element) -> tuple[dt.date, list[str]] | None:
    """A "Release date: 2026-11-20" line (alone, or one item of a metadata list) right below a title."""
    if el.tag in ("p", "div"):
        text = spaced_text(el)
        day = parse_labelled_date(text) if len(text) <= MAX_DATE_LINE else None
        return (day, []) if day else None
    if el.tag not in ("ul", "ol"):
        return None
    items = [li for li in el if is_tag(li) and li.tag == "li"]
    for li in items[:4]:
        text = spaced_text(li)
        day = parse_labelled_date(text) if len(text) <= MAX_DATE_LINE else None
        if day:
            rest = [line for other in items if other is not li for line in element_lines(other, as_block=True)]
            return day, rest
    return None


def _sentence_like(line: str) -> bool:
    return len(line.split()) >= MIN_ITEM_WORDS


# An issue tracker's id leading a fixed issue: "OKTA-1012345", "PROJ-88", "#4521", "GH-120"
_ISSUE_ID = re.compile(r"^(?:[A-Z][A-Z0-9]{1,14}-\d{2,9}|#\d{2,7}|\(#\d{2,7}\))$")


def _piece(section: _Item, head: Element, extra: list[Element]) -> _Item | None:
    """One change of a split section: its lead-in (else its first sentence) titles it."""
    lead = _lead_in(head)
    lines = element_lines(head, frozenset((lead,)) if lead is not None else NO_SKIP, as_block=True)
    title = None
    labels = list(section.labels)
    lead_text = spaced_text(lead).strip(_LEAD_IN_TRIM) if lead is not None else ""
    if lead_text and (is_label_text(lead_text) or _ISSUE_ID.match(lead_text)):
        # "**New**: The server now ...": a type, no title; "**OKTA-1012345** Users who ...": a tracker's id
        labels.append(lead_text)
    elif lead is not None:
        title = lead_text or None
    if lead is not None and lines:
        lines[0] = lines[0].lstrip(_LEAD_IN_TRIM)
        if not lines[0]:
            lines.pop(0)
    for block in extra:
        lines.extend(element_lines(block))
    if not title and not lines:
        return None
    anchor = head.get("id") or section.anchor
    return _Item(title, section.date, anchor, section.level, ["\n".join(lines)], precision=section.precision,
                 labels=labels)


def _split_section(section: _Item) -> list[_Item] | None:
    """A date with no titles over a list of self-contained changes (or bold-led paragraphs): one entry each.

    A list of short fragments ("Fixed X", "Added Y") stays one entry: it reads as one release.
    A category label above the section ("API", "Admin console") is every piece's label.
    """
    blocks = section.blocks or []
    if section.title or not blocks:
        return None
    groups: list[tuple[Element, list[Element]]] = []
    wrapped = _note_wrappers(blocks)
    if wrapped is not None:
        pieces = [_piece(section, group[0], group[1:]) for group in wrapped]
        return [p for p in pieces if p is not None] or None
    if blocks[0].tag in ("ul", "ol"):
        for block in blocks:  # a code block or a note after a list belongs to its last item
            if block.tag in ("ul", "ol"):
                groups.extend((li, []) for li in block if is_tag(li) and li.tag == "li" and text_content(li).strip())
            elif groups:
                groups[-1][1].append(block)
        if len(groups) == 1:  # the same change as when a second one joins it later: no list marker
            one = _piece(section, groups[0][0], groups[0][1])
            return [one] if one is not None else None
        if not groups:
            return None
        firsts = [element_lines(li, as_block=True)[:1] for li, _extra in groups]
        long_ones = sum(1 for first in firsts if first and _sentence_like(first[0]))
        if long_ones * 2 < len(groups):  # mostly fragments: one release
            return None
    elif blocks[0].tag in ("p", "dd") and _lead_in(blocks[0]) is not None:
        for block in blocks:
            if block.tag in ("p", "dd") and _lead_in(block) is not None:
                groups.append((block, []))
            else:
                groups[-1][1].append(block)
        if len(groups) < 2 and blocks[0].tag != "dd":  # a dated term's definition, titled by its bold lead
            return None
    else:
        return None
    pieces = [_piece(section, head, extra) for head, extra in groups]
    found = [p for p in pieces if p is not None]
    return found or None


_FIX_LIST = re.compile(r"^(?:resolved|fixed|addressed)\s+issues$|^bug\s+fixes$|^fixes$", re.I)


def _note_wrappers(blocks: list[Element]) -> list[list[Element]] | None:
    """Blocks that sit in a run of sibling wrappers of one class (``div.release-note``): one note each.

    Blocks after the last wrapper (a closing link, a note) go with the last note.
    """
    first = blocks[0].getparent()
    if first is None or first.tag not in ("div", "li", "section") or not first.get("class"):
        return None
    kind = (first.tag, first.get("class"))
    grouped: dict[Element, list[Element]] = {}
    last: Element | None = None
    for block in blocks:
        parent = block.getparent()
        if parent is not None and (parent.tag, parent.get("class")) == kind:
            if last is not None and parent is not last and parent in grouped:
                return None  # a wrapper left and came back: not a run of notes
            grouped.setdefault(parent, []).append(block)
            last = parent
        elif last is None:
            return None
        else:
            grouped[last].append(block)
    return list(grouped.values()) if len(grouped) >= 2 else None


def _container_items(member: Element, ctx: _Context) -> list[_Item]:
    """One entry per container, unless it is a section (a date or month) holding several entries."""
    headings = [(h, spaced_text(h)) for h in member.iter(*HEADINGS)]
    titles = [h for h, text in headings if not _is_date_text(text)]
    dated_first = bool(headings) and _is_date_text(headings[0][1])
    inner_ctx = ctx.inner()
    found: list[_Item] = []
    inner = find_entry_group(member)
    if inner is not None:
        inner_set = set(inner)
        outside = [t for t in titles if all(a not in inner_set for a in t.iterancestors())]
        # an entry's own title outside the inner containers means they are parts of that one entry,
        # unless the page is one release post: then that title names a section of its features
        section = ctx.posted and len(outside) == 1 and len(inner) >= 2
        if not outside or section:
            holders = frozenset(a for m in inner for a in m.iterancestors())
            found = _walk(_blocks(member, frozenset(inner), holders), inner_ctx, in_containers=True)
            if section:
                name = _title_and_labels(outside[0])[0]
                for item in found:
                    item.labels = [name] + [label for label in item.labels if label != name]
    elif dated_first and titles:
        top = int(titles[0].tag[1])
        same = sum(1 for h in titles if int(h.tag[1]) == top)
        outranked = any(int(h.tag[1]) < top for h in titles)
        if same >= 2 and not outranked:
            found = _walk(_blocks(member, frozenset(), frozenset()), inner_ctx)
    elif not titles:
        labels = sum(1 for d in member.iter() if is_tag(d) and label_like(d, inside_title=False, standalone=True))
        if labels >= 2:
            found = _walk(_blocks(member, frozenset(), frozenset()), inner_ctx)
    elif sum(1 for h in titles if _split_heading(spaced_text(h))) >= 2:
        # a tab or section holding dated release headings ("5.4.2 – 2026-11-24"): a changelog of its own
        found = _walk(_blocks(member, frozenset(), frozenset()), inner_ctx, root=member)
    if not found and _dated_bold_lines(member) >= 1:
        # "Release v11.1" over bold "v11.1.1, released 2026-11-25" lines, then "Improvements", "Bug fixes":
        # one entry per release; the sections below the releases belong to the last of them
        inner_ctx = ctx.inner()
        found = _releases_with_sections(_walk(_blocks(member, frozenset(), frozenset()), inner_ctx, root=member))
        if len(found) == 1:
            ctx.dates_found += inner_ctx.dates_found
            return found
    if len(found) >= 2 or (len(found) == 1 and found[0].row):  # a release's table of one change is that change
        ctx.dates_found += inner_ctx.dates_found
        return found
    if ctx.posted and len(titles) >= 2 and all(int(t.tag[1]) > int(titles[0].tag[1]) for t in titles[1:]):
        # a release post's section ("Deprecations") over its own features: the heading walk cuts it
        walked = _walk(_blocks(member, frozenset(), frozenset()), ctx.inner(posted=True))
        if walked:
            return walked
    item = _single_entry(member, titles, ctx)
    if item is not None and item.title and _FIX_LIST.match(item.title):
        lists = [b for b in member.iter("ul", "ol") if not any(a.tag in ("ul", "ol", "li") for a in b.iterancestors()
                                                                  if _within(a, member))]
        section = _Item(None, item.date, item.anchor, item.level, precision=item.precision,
                        labels=item.labels + [item.title], blocks=lists)
        pieces = _split_section(section) if lists else None
        if pieces and len(pieces) >= 2:
            return pieces  # "Resolved Issues": one entry per fixed issue, each self-contained
    if item is not None and item.blocks:
        pieces = _split_section(item)  # an untitled dated card over a list of separate changes
        if pieces:
            return pieces
    return [item] if item is not None else []


def _own_blocks(member: Element, skip: set[Element]) -> list[Element] | None:
    """The content blocks of an untitled container, without its date and badges; None if loose text is among them."""
    found: list[Element] = []
    for kind, el in _blocks(member, frozenset(), frozenset()):
        if isinstance(el, str):
            return None
        if kind != "content" or el in skip or any(a in skip for a in el.iterancestors()):
            continue
        if any(d in skip for d in el.iterdescendants()) and not element_lines(el, frozenset(skip)):
            continue
        found.append(el)
    return found


def _single_entry(member: Element, titles: list[Element], ctx: _Context) -> _Item | None:
    skip: set[Element] = set()
    date: Date | None = None
    precision = "day"
    date_anchor: str | None = None
    for el in member.iter():
        if not is_tag(el) or el.tag in DROP_TAGS:
            continue
        if el.tag == "time" or el.get("datetime"):
            found = _time_date(el)
            if found:
                date, date_anchor = found, _anchor(el)
                skip.add(el)
                holder = el.getparent()
                if holder is not None and holder is not member and _DATE_CAPTION.match(holder.text or "") \
                        and len(spaced_text(holder)) <= 60 and not (el.tail or "").strip():
                    skip.add(holder)  # "Released on <time>": the caption goes with its date
                break
        if (tip := el.get("title")) and ":" in tip and (found := _tooltip_date(tip)):
            date = found  # a forum's "First post: Nov 26, 2026 2:05 pm" tooltip over a relative "4d"
            skip.update(d for d in el.iter() if is_tag(d))
            break
    if date is None:
        date, precision, date_anchor = _container_date(member, ctx, skip)
    if date is not None:
        ctx.dates_found += 1
    labels: list[str] = _pills_beside_date(member, skip)
    title: str | None = None
    title_el: Element | None = None
    if titles:
        titles = _before_own_title(member, titles)
    for heading in titles:
        text, badges = _title_and_labels(heading)
        if is_label_text(text):
            labels.append(text)
            skip.add(heading)
            continue
        if text:
            title, title_el, labels = text, heading, labels + badges
            skip.add(heading)
            break
    if title_el is None:
        for el in member.iter():
            if is_tag(el) and el not in skip and _TITLE_CLASS.search(el.get("class") or ""):
                text, badges = _title_and_labels(el)  # "Removes the sources parameter" + a "Breaking" badge
                if text and len(text) <= MAX_TITLE and not _is_date_text(text):
                    title, title_el = text, el
                    labels += badges
                    skip.add(el)
                    for row in el.itersiblings():  # the product pills beside a title block, even one alone
                        if _badge_row(row):
                            labels.extend(spaced_text(pill) for pill in row)
                            skip.add(row)
                    break
    if title_el is None and member.tag == "details":
        summary = next((c for c in member if is_tag(c) and c.tag == "summary"), None)
        text = spaced_text(summary, frozenset(skip)) if summary is not None else ""
        if text and len(text) <= MAX_TITLE and not _is_date_text(text):
            title, title_el = text, summary  # "<summary>App 4.12 <span>Nov 25, 2026</span></summary>"
            skip.add(summary)
    if title_el is None and member.tag == "tr":
        cells = [c for c in member if is_tag(c) and c.tag in ("td", "th") and c not in skip and spaced_text(c)]
        first = spaced_text(cells[0]) if cells else ""
        if cells and _GROUP_COLUMN.match(_column_header(member, cells[0])):
            labels.append(first)  # "Date | Area | What changed": the area is a label, the change untitled
            skip.add(cells[0])
            cells, first = cells[1:], ""
        if len(cells) >= 2 and len(first) <= MAX_TITLE and first[-1:] not in ".!?" and not _is_date_text(first):
            title, title_el = first, cells[0]  # "Date | Topic | Description": the topic names the row
            skip.add(cells[0])
    if title is not None:
        titled = _split_heading(title)
        if titled:
            title = titled[0]
            if date is None:
                date = titled[1]
                ctx.dates_found += 1
    if title_el is not None:  # a short "eyebrow" above the title ("AI Studio"): the product it belongs to
        for el in member.iter():
            if el is title_el or _within(title_el, el):
                if el is title_el:
                    break
                continue
            if is_tag(el) and el not in skip and el.tag in ("div", "p", "span") and not len(el) \
                    and _pill(spaced_text(el)) and not _is_date_text(spaced_text(el)) \
                    and _standalone(el, spaced_text(el), member):
                labels.append(spaced_text(el))
                skip.add(el)
    for row in member.iter():  # a row of tags beside an entry, titled or not ("Security", "Organization")
        if is_tag(row) and row not in skip and not (title_el is not None and _within(row, title_el)) \
                and _pill_row(row) and _standalone(row, spaced_text(row), member):
            labels.extend(spaced_text(pill) for pill in row)
            skip.add(row)
    for el in member.iter():
        if not is_tag(el) or el in skip or (title_el is not None and _within(el, title_el)):
            continue
        if any(a in skip for a in el.iterancestors()):
            continue
        if label_like(el, inside_title=False, standalone=True) and _standalone(el, spaced_text(el), member):
            labels.append(spaced_text(el))
            skip.add(el)
        elif is_label_caption(el):
            skip.add(el)
    if date is None:
        date, precision, date_anchor = ctx.date, ctx.precision, ctx.anchor
    if date is None or (title and _ABOUT_CATEGORY.match(title)):
        return None
    anchor = member.get("id") or (title_el is not None and _anchor(title_el)) or date_anchor or ctx.anchor
    lines = element_lines(member, frozenset(skip), as_block=True)
    if not title:
        while len(lines) > 1 and _pill(lines[0]):
            labels.append(lines.pop(0))  # tags printed above an untitled note ("gpt-5", "Responses")
    if not title and not lines:
        return None
    splittable = len(lines) > 1 or (lines and _LIST_MARK.match(lines[0]))
    blocks = _own_blocks(member, skip) if not title and splittable else None
    href = member.get("href") if member.tag == "a" else None
    if title_el is not None and href is None:
        link = title_el if title_el.tag == "a" else next(title_el.iter("a"), None)
        if link is None:  # a card link wrapping its title block ("<a><div class=title>")
            link = next((a for a in title_el.iterancestors() if a.tag == "a" and _within(a, member)), None)
        target = (link.get("href") or "").strip() if link is not None else ""
        if target.startswith("#") and len(target) > 1:
            anchor = target[1:]
        elif target and not target.lower().startswith(("javascript:", "data:", "mailto:")):
            href = target
    return _Item(title, date, anchor or None, 7, ["\n".join(lines)], precision=precision,
                 labels=list(dict.fromkeys(labels)), href=href, blocks=blocks)


_TOOLTIP_DATE = re.compile(r"^\s*(?:first post|created|posted|published|opened)\s*:\s*(?P<date>[^\n]{4,40}?)"
                           r"(?:\s+\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)?\s*$", re.I | re.M)


def _tooltip_date(tip: str) -> dt.date | None:
    """The creation day a tooltip names ("First post: Nov 26, 2026 2:05 pm"), the first such line."""
    found = _TOOLTIP_DATE.search(tip)
    return parse_full_date(found.group("date")) if found else None


# A forum category's pinned description topic ("About the Announcements category"): no change.
_ABOUT_CATEGORY = re.compile(r"^about the .{1,60} category$", re.I)


def _before_own_title(member: Element, titles: list[Element]) -> list[Element]:
    """Headings, unless a title-named element ("entryTitle" link) precedes them: then they are sub-headings."""
    for el in member.iter():
        if el is titles[0]:
            return titles
        if is_tag(el) and el.tag not in HEADINGS and _TITLE_CLASS.search(el.get("class") or "") \
                and not any(a.tag in _HEADINGS for a in el.iterancestors()):
            text = spaced_text(el)
            if text and len(text) <= MAX_TITLE and not _is_date_text(text):
                return []
    return titles


_CLOCK = re.compile(r"^\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{2,4})?$", re.I)  # "09:14 AM"


# Columns that group rows rather than name them: "Area", "Product", "Category".
_GROUP_COLUMN = re.compile(r"^(?:area|areas|category|categories|product|products|component|components|type|module|"
                           r"service|services|platform|platforms|feature area|product area|section)$", re.I)


def _column_header(row: Element, cell: Element) -> str:
    """The header text over ``cell``'s column, from the table's first row of ``th`` cells."""
    table = next((a for a in row.iterancestors() if a.tag == "table"), None)
    if table is None:
        return ""
    header = next((r for r in table.iter("tr") if any(is_tag(c) and c.tag == "th" for c in r)), None)
    if header is None or header is row:
        return ""
    index = [c for c in row if is_tag(c) and c.tag in ("td", "th")].index(cell)
    heads = [c for c in header if is_tag(c) and c.tag in ("td", "th")]
    return spaced_text(heads[index]) if index < len(heads) else ""


def _pills_beside_date(member: Element, skip: set[Element]) -> list[str]:
    """Products named in the date's own row ("November 20, 2026 · Design · Dev Mode"): labels, not body."""
    for dated in [el for el in skip if el.getparent() is not None]:
        row = dated.getparent()
        if row is member or row.tag not in ("div", "span", "p") or (row.text or "").strip():
            continue
        others = [c for c in row if is_tag(c) and c is not dated]
        if not others or any(len(c) or (c.tail or "").strip(" \u00b7\u2022|") for c in others):
            continue
        names = [n for n in (spaced_text(c) for c in others) if any(ch.isalnum() for ch in n) and not _CLOCK.match(n)]
        if all(_pill(n) for n in names):
            skip.update(others)  # with the date go its clock time and the separators between pills
            return names
    return []


def _pill_row(row: Element) -> bool:
    """A row of two or more short tags side by side ("Feature", "gpt-5", "v1/responses")."""
    if len(row) < 2 or (row.text or "").strip() or row.tag in ("p", "ul", "ol", "table", "tr", "pre"):
        return False
    for pill in row:
        if not is_tag(pill) or len(pill) or (pill.tail or "").strip() or pill.tag in ("br", "img", "code"):
            return False
        if not _pill(spaced_text(pill)):
            return False
    return True


def _badge_row(row: Element) -> bool:
    """A block of nothing but badge-named tags ("<span class=ProductPill>Billing</span>")."""
    if not is_tag(row) or row.tag not in ("div", "span") or not len(row) or (row.text or "").strip():
        return False
    return all(is_tag(pill) and not len(pill) and not (pill.tail or "").strip() and badge_class(pill)
               and label_like(pill, inside_title=False) for pill in row)


def _pill(line: str) -> bool:
    return bool(line) and len(line) <= MAX_PILL and len(line.split()) <= 3 and line[-1] not in _SENTENCE_END and not _is_date_text(line)


MAX_DATE_LINE = 70  # "Published date: November 19, 2026" and the like; longer is a sentence


def _container_date(member: Element, ctx: _Context, skip: set[Element]) -> tuple[Date | None, str, str | None]:
    """The most exact date a container prints: a full date, else a day within its (or the page's) month."""
    month_day: tuple[tuple[int, int], Element] | None = None
    month_year: tuple[tuple[int, int], Element] | None = None
    own_year: tuple[int, Element] | None = None
    bare_month: tuple[int, Element] | None = None
    for el in member.iter():
        if not is_tag(el) or el.tag in DROP_TAGS or el in skip:
            continue
        if own_year is None and el.tag in _HEADINGS and (year := parse_year_heading(spaced_text(el))) is not None:
            own_year = (year, el)  # a year section holding one note: "2025", then "Oct 16"
            continue
        if bare_month is None and el.tag in _HEADINGS and (mon := parse_bare_month(spaced_text(el))) is not None:
            bare_month = (mon, el)  # a month section holding one card: "October", then the card
            continue
        if not (el.tag in _HEADINGS or len(el) == 0 or el.tag in ("p", "div", "span", "strong", "b", "dt", "td", "li")):
            continue
        text = spaced_text(el)
        if not text or len(text) > MAX_DATE_LINE or not (
                _standalone(el, text, member) or (el.tag == "div" and not len(el))):  # a leaf div is a block
            continue
        text = text.lstrip("\u2014\u2013-\u00b7|\u2022 ") or text  # "— November 21, 2026" beside a title
        full = parse_full_date(text) or parse_labelled_date(text)  # "Posted On: Nov 19, 2026"
        if full is None and el.tag in _HEADINGS and (heading := parse_date_heading(text)) is not None \
                and isinstance(heading[1], dt.date):
            full = heading[1]  # "26 November 2026 Release", "February 9, 2026 (Service release 2602)"
        if full:
            skip.add(el)
            return full, "day", _anchor(el)
        if month_day is None and (found := parse_month_day(text)):
            month_day = (found, el)
        elif month_year is None and (found_month := parse_month_year(text)):
            month_year = (found_month, el)
    month = month_year[0] if month_year else ctx.month
    if month_day:
        skip.add(month_day[1])
        (mon, day), anchor = month_day[0], _anchor(month_day[1])
        if month_year:
            skip.add(month_year[1])  # the month heading of a one-note month section
        if own_year and not month_year:
            skip.add(own_year[1])
            return _in_year(own_year[0], (mon, day)), "day", anchor
        if month:
            return infer_year(mon, day, dt.date(month[0], month[1], 15)), "day", anchor
        if ctx.year:
            return _in_year(ctx.year, (mon, day)), "day", anchor
        if isinstance(ctx.date, dt.date):
            return infer_year(mon, day, ctx.date), "day", anchor
        return (mon, day), "day", anchor
    if month_year:
        skip.add(month_year[1])
        return dt.date(month_year[0][0], month_year[0][1], 1), "month", _anchor(month_year[1])
    if bare_month:
        skip.add(bare_month[1])
        year = own_year[0] if own_year else ctx.year
        return (dt.date(year, bare_month[0], 1) if year else (bare_month[0], 1)), "month", _anchor(bare_month[1])
    return None, "day", None


def _within(el: Element, ancestor: Element) -> bool:
    return el is ancestor or any(a is ancestor for a in el.iterancestors())


def _standalone(el: Element, text: str, stop: Element) -> bool:
    """True when ``el`` is a block of its own, not a phrase inside a sentence."""
    node = el
    while node is not stop:
        parent = node.getparent()
        if parent is None:
            return True
        # a list item or cell holding blocks (a card: "<li><div class=card>...") is a container, no sentence
        if (node.tag in ("p", "li", "td", "dd", "dt", "blockquote") or node.tag in _HEADINGS) \
                and not (node.tag in ("li", "td", "dd") and _has_block_children(node)):
            return spaced_text(node) == text
        if parent is stop:
            return True
        if (parent.tag in ("p", "li", "td", "dd", "blockquote") or parent.tag in _HEADINGS) \
                and not (parent.tag in ("li", "td", "dd") and _has_block_children(parent)):
            return spaced_text(parent) == text
        node = parent
    return True


# --- entries ------------------------------------------------------------------------------


# A discussion's counters beside its title ("💬 14 comments", "👍 52", "1.2k views"): no label.
_COUNT_LABEL = re.compile(r"^[^\w\s]*\s*\d[\d.,]*[kKmM]?\s*(?:comments?|replies|reply|views?|likes?|votes?|upvotes?|"
                          r"reactions?|(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\s+ago)?$", re.I)
# "Released October 29, 2026. Fixes ...": an entry that opens by saying its own day.
_OPENING_DAY = re.compile(r"^(?:released|published|posted|shipped)\s+(?:on\s+)?(?P<date>[^.:]{6,30}?)[.:]\s*", re.I)


def _entries(items: list[_Item], page_url: str, today: dt.date) -> list[ParsedEntry]:
    base_url = urldefrag(page_url)[0]
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for item, day in _resolve_years(items, today):
        body = "\n".join(clean_lines("\n".join(p for p in item.parts if p).split("\n"))).strip()
        if body[:1] in "RrPpSs" and (opening := _OPENING_DAY.match(body)) \
                and (own := parse_full_date(opening.group("date"))) is not None:
            day, body = own, body[opening.end():]
        title = item.title or title_from_body(body)
        if not title:
            continue
        if item.title and item.title in body:  # the title printed again in the card (a tag link, a sidebar)
            kept = [line for line in body.split("\n") if line != item.title]
            if kept:
                body = "\n".join(kept)
        if item.href:
            link = urljoin(page_url, item.href)
            if urlsplit(link).scheme not in ("http", "https"):
                link = base_url
        else:
            link = f"{base_url}#{item.anchor}" if item.anchor else base_url
        labels = list(dict.fromkeys(label for label in item.labels if label and not _COUNT_LABEL.match(label)))
        entry = ParsedEntry(date=day.isoformat(), title=title[:MAX_TITLE], body=body, link=link,
                            date_precision=item.precision, labels=labels)
        key = entry.key
        count = seen[key] = seen.get(key, 0) + 1
        if count > 1:  # same title twice on one day: keep both, apart
            entry = ParsedEntry(entry.date, entry.title, entry.body, entry.link, key_suffix=f"#{count}",
                                date_precision=item.precision, labels=labels)
        entries.append(entry)
    return entries


_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d{1,3}[.)])\s+")


def title_from_body(body: str) -> str:
    """An untitled note's first sentence (cut at a word when long): what a reader would call it."""
    first = _LIST_MARK.sub("", body.split("\n", 1)[0])
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    if len(sentence) <= SENTENCE_TITLE:
        return sentence
    cut = sentence[:SENTENCE_TITLE].rsplit(" ", 1)[0] if " " in sentence[:SENTENCE_TITLE] else sentence[:SENTENCE_TITLE]
    return cut.rstrip(" ,;:") + "…"


def _resolve_years(items: list[_Item], today: dt.date) -> list[tuple[_Item, dt.date]]:
    """Give year-less dates the year closest to their nearest fully dated neighbour."""
    full = [(i, item.date) for i, item in enumerate(items) if isinstance(item.date, dt.date)]
    out: list[tuple[_Item, dt.date]] = []
    for index, item in enumerate(items):
        if isinstance(item.date, dt.date):
            out.append((item, item.date))
            continue
        assert isinstance(item.date, tuple)
        if full:
            nearest = min(full, key=lambda pair: (abs(pair[0] - index), pair[0] > index))[1]
        else:
            nearest = today
        day = infer_year(item.date[0], item.date[1], nearest)
        if not full and day > today + dt.timedelta(days=7):
            day = day.replace(year=day.year - 1)
        out.append((item, day))
    return out
