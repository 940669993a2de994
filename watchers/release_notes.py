"""Release-note pages (help-center articles and similar) to dated entries.

One walker covers the layouts vendors use: a date heading with one heading per
change below it (the current help-center layout), "Title (Mar 14)" headings
with the year inferred from dated neighbours (the older one), dates as bold
paragraphs, month sections with day badges, and the Intercom ``__NEXT_DATA__``
blocks. Navigation, footers and cookie banners are removed before the walk,
so they can never become entries.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urldefrag

from bs4 import BeautifulSoup, Tag

from driftwatch.models import ParsedEntry

from .dates import infer_year, parse_full_date, parse_month_day, parse_month_year, split_title_date
from .text import DROP_TAGS, element_text, squash

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
CONTENT_TAGS = ("p", "ul", "ol", "pre", "table", "blockquote", "dl", "figure", "img", "video")
CONTAINERS = ("div", "section", "article", "main", "span", "details", "summary", "header")
CHROME_TAGS = ("nav", "footer", "aside", "form", "dialog")
CHROME_WORDS = ("cookie", "consent", "gdpr", "banner", "breadcrumb", "sidebar", "side-nav", "sidenav", "navbar",
                "newsletter", "skip-link", "site-header", "site-footer", "related-articles", "feedback",
                "table-of-contents")
CHROME_MARKERS = re.compile("|".join(CHROME_WORDS) + r"|\btoc\b", re.I)
ROOT_SELECTORS = (".article-content", "article", "main", "[role=main]", "#content", "body")
MAX_TITLE = 160


@dataclass
class ParseResult:
    entries: list[ParsedEntry]
    dates_found: int
    page_title: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Item:
    title: str | None
    date: dt.date | tuple[int, int] | None
    anchor: str | None
    level: int
    parts: list[str] = field(default_factory=list)


def _anchor(el: Tag) -> str | None:
    if el.get("id"):
        return str(el["id"])
    inner = el.find(lambda t: isinstance(t, Tag) and t.name == "a" and (t.get("id") or t.get("name")))
    if isinstance(inner, Tag):
        return str(inner.get("id") or inner.get("name"))
    return None


def _is_chrome(el: Tag) -> bool:
    if el.name in CHROME_TAGS or el.get("role") in ("navigation", "banner", "contentinfo", "dialog"):
        return True
    if el.get("aria-hidden") == "true":
        return True
    marker = " ".join([str(el.get("id") or ""), " ".join(el.get("class") or [])])
    return bool(marker.strip()) and bool(CHROME_MARKERS.search(marker))


def _strip_chrome(soup: BeautifulSoup) -> None:
    """One walk collects scripts, styles and anything that looks like chrome; then they go."""
    drop = set(DROP_TAGS) | {"link", "meta"}
    doomed = []
    for el in soup.descendants:
        if not isinstance(el, Tag):
            continue
        if el.name in drop:
            if el.name != "script" or el.get("id") != "__NEXT_DATA__":
                doomed.append(el)
        elif (el.attrs or el.name in CHROME_TAGS) and _is_chrome(el):
            doomed.append(el)
    for el in doomed:
        if not el.decomposed and (el.name in drop or not el.find(class_="article-content")):
            el.decompose()


def _has_block_children(el: Tag) -> bool:
    return any(
        isinstance(c, Tag) and c.name in HEADINGS + CONTENT_TAGS + CONTAINERS[:5] for c in el.children
    )


def _blocks(root: Tag):
    """Headings and content blocks in document order, descending into wrappers."""
    for child in root.children:
        if not isinstance(child, Tag):
            if str(child).strip() and child.__class__.__name__ == "NavigableString":
                yield "content", child
            continue
        if child.name in HEADINGS:
            yield "heading", child
        elif child.name in CONTENT_TAGS:
            yield "content", child
        elif _has_block_children(child):
            yield from _blocks(child)
        elif squash(child.get_text(" ")):
            yield "content", child


def _next_data_html(soup: BeautifulSoup) -> str | None:
    """The older Intercom pages kept the article as JSON blocks; rebuild them as HTML."""
    script = soup.find("script", id="__NEXT_DATA__")
    if not script or not script.string:
        return None
    try:
        data = json.loads(script.string)
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
    return "<article>" + "".join(html) + "</article>"


def parse_release_notes(
    body: bytes | str, page_url: str, *, today: dt.date | None = None, encoding: str | None = None
) -> ParseResult:
    """Entries of a release-notes page, newest first as the page lists them.

    ``encoding`` is the charset from the HTTP header; without it the page's own
    ``<meta charset>`` or a byte-level guess decides.
    """
    soup = BeautifulSoup(body, "lxml", from_encoding=encoding if isinstance(body, bytes) else None)
    page_title_el = soup.find("title")
    page_title = squash(page_title_el.get_text()) if page_title_el else None
    _strip_chrome(soup)
    root: Tag | None = None
    for selector in ROOT_SELECTORS:
        found = soup.select_one(selector)
        if isinstance(found, Tag) and squash(found.get_text(" ")):
            root = found
            break
    result = _walk(root, page_url, today or dt.date.today()) if root is not None else None
    if result is None or not result.entries:
        rebuilt = _next_data_html(soup)
        if rebuilt:
            alt = _walk(BeautifulSoup(rebuilt, "lxml").article, page_url, today or dt.date.today())
            if alt and alt.entries:
                result = alt
    if result is None:
        result = ParseResult(entries=[], dates_found=0)
    result.page_title = page_title
    return result


def _walk(root: Tag | None, page_url: str, today: dt.date) -> ParseResult:
    base_url = urldefrag(page_url)[0]
    items: list[_Item] = []
    current: _Item | None = None
    current_date: dt.date | tuple[int, int] | None = None
    date_anchor: str | None = None
    month_context: tuple[int, int] | None = None
    dates_found = 0

    def close() -> None:
        nonlocal current
        if current is not None and current.date is not None and (current.title or current.parts):
            items.append(current)
        current = None

    for kind, el in _blocks(root) if root is not None else ():
        text = squash(el.get_text(" ") if isinstance(el, Tag) else str(el))
        if not text:
            continue
        if kind == "heading":
            level = int(el.name[1])
            full = parse_full_date(text)
            if full:
                close()
                current_date, date_anchor, dates_found = full, _anchor(el), dates_found + 1
                continue
            month_year = parse_month_year(text)
            if month_year:
                close()
                month_context, current_date = month_year, None
                continue
            month_day = parse_month_day(text)
            if month_day:
                close()
                current_date, date_anchor, dates_found = month_day, _anchor(el), dates_found + 1
                continue
            titled = split_title_date(text)
            if not titled and current is not None and current.date and current.title and level > current.level:
                current.parts.append(text)  # a sub-heading inside one change
                continue
            close()
            if titled:
                dates_found += 1
                current = _Item(titled[0], titled[1], _anchor(el), level)
            else:
                current = _Item(text, current_date, _anchor(el) or date_anchor, level)
            continue

        # content
        if len(text) <= 40:
            full = parse_full_date(text)
            if full:
                close()
                current_date, date_anchor, dates_found = full, _anchor(el) if isinstance(el, Tag) else None, dates_found + 1
                continue
            month_day = parse_month_day(text)
            if month_day and month_context:
                close()
                year, _month = month_context
                current_date = infer_year(*month_day, dt.date(year, _month, 15))
                dates_found += 1
                continue
        if current is None:
            if current_date is None:
                continue  # introduction before the first date
            current = _Item(None, current_date, date_anchor, 7)
        current.parts.append(element_text(el) if isinstance(el, Tag) else text)
    close()

    dated = _resolve_years(items, today)
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for item, day in dated:
        body = "\n".join(p for p in item.parts if p).strip()
        title = item.title or _title_from_body(body)
        link = f"{base_url}#{item.anchor}" if item.anchor else base_url
        entry = ParsedEntry(date=day.isoformat(), title=title[:MAX_TITLE], body=body, link=link)
        seen[entry.key] = seen.get(entry.key, 0) + 1
        if seen[entry.key] > 1:  # same title twice on one day: keep both, apart
            entry = ParsedEntry(entry.date, entry.title, entry.body, entry.link,
                                key_suffix=f"#{seen[entry.key]}")
        entries.append(entry)
    return ParseResult(entries=entries, dates_found=dates_found)


def _title_from_body(body: str) -> str:
    first = body.split("\n", 1)[0].lstrip("-0123456789. ")
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return sentence if len(sentence) <= MAX_TITLE else sentence[: MAX_TITLE - 1].rstrip() + "…"


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
