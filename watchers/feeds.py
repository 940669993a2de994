"""RSS 2.0 and Atom feeds to dated entries (feedparser does the format work).

Item HTML is reduced to text here: nothing a feed carries is ever rendered or run.
"""

from __future__ import annotations

import datetime as dt
import time

import feedparser

from driftwatch.models import ParsedEntry

from .release_notes import MAX_TITLE, ParseResult
from .text import html_to_text, squash


def _date(item: dict) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = item.get(key)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday).isoformat()
    return None


def _body(item: dict) -> str:
    contents = item.get("content") or []
    if contents and isinstance(contents, list) and contents[0].get("value"):
        return html_to_text(contents[0]["value"])
    return html_to_text(item.get("summary") or item.get("description") or "")


def parse_feed(body: bytes, feed_url: str) -> ParseResult:
    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=False)
    warnings: list[str] = []
    if parsed.get("bozo") and not parsed.entries:
        error = parsed.get("bozo_exception")
        warnings.append(f"not a readable RSS/Atom feed: {error}")
    entries: list[ParsedEntry] = []
    dates_found = 0
    for item in parsed.entries:
        title = squash(html_to_text(item.get("title") or ""))
        body_text = _body(item)
        if not title and not body_text:
            continue
        day = _date(item)
        if day:
            dates_found += 1
        link = item.get("link") or feed_url
        guid = item.get("id") or item.get("guid") or None
        entries.append(
            ParsedEntry(
                date=day,
                title=(title or body_text.split("\n", 1)[0])[:MAX_TITLE],
                body=body_text,
                link=link,
                guid=str(guid) if guid else None,
            )
        )
    feed_title = parsed.feed.get("title") if parsed.get("feed") else None
    return ParseResult(entries=entries, dates_found=dates_found, page_title=feed_title, warnings=warnings)
