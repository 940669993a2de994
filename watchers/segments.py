"""Finding the repeated entry container of a changelog page, if it has one.

A page that wraps each entry in its own element (``<article>`` per entry, ``<div
id="entry-123" class="entry">``, one ``<li>`` or table row per entry) says where
each entry starts and ends, so its inner headings ("What to do") can never cut
an entry in two. The group chosen is the set of sibling elements that share a
signature (tag, class, class prefix or id pattern), that each look like an
entry (a title with a date or text, or a date with text), and that together
hold at least half of the page's text. Pages with no such group are cut at
their date headings instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import (parse_full_date, parse_labelled_date, parse_month_day, parse_month_year, parse_year_heading,
                    split_title_date)
from .text import Element, is_tag, text_content
from .widgets import is_label_text

CONTAINER_TAGS = frozenset(("div", "section", "article", "li", "details", "tr", "a"))
ENTRY_TAGS = frozenset(("article", "section", "li", "details", "tr"))
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
MIN_COVERAGE = 0.5
QUALIFIED_SHARE = 0.75
_ID_TAIL = re.compile(r"(?:[-_:.]?(?:\d[\d_-]*|[0-9a-f]{6,}))+$", re.I)
_TITLE_CLASS = re.compile(r"(?:^|[\s_-])[Tt]itle(?:$|[\s_-])|(?:^|[\s_-])TITLE(?:$|[\s_-])|[a-z]Title(?:$|[\s_A-Z-])")


@dataclass
class _Features:
    titled: bool
    dated: bool
    body: int


MAX_TITLE_TEXT = 160


def _text(el: Element) -> str:
    return " ".join(text_content(el).split())


def _is_date(text: str) -> bool:
    return len(text) <= 40 and bool(parse_full_date(text) or parse_month_day(text) or parse_month_year(text)
                                    or parse_year_heading(text))


def _signatures(el: Element) -> list[tuple]:
    sigs: list[tuple] = []
    tag = el.tag
    if tag in ENTRY_TAGS:
        sigs.append(("tag", tag))
    classes = (el.get("class") or "").split()
    if classes:
        sigs.append(("cls", tag, tuple(sorted(set(classes)))))
        first = classes[0]
        parts = re.split(r"[-_]+", first)
        if len(parts) > 1 and parts[0]:
            sigs.append(("prefix", tag, first[: len(first) - len(parts[-1])].rstrip("-_")))
        for token in classes[:3]:
            sigs.append(("token", tag, token))
    ident = el.get("id")
    if ident:
        stem = _ID_TAIL.sub("", ident)
        if stem != ident or not stem:
            sigs.append(("id", tag, stem))
    return sigs


class _Finder:
    def __init__(self) -> None:
        self.lengths: dict[Element, int] = {}
        self.features: dict[Element, _Features] = {}

    def length(self, el: Element) -> int:
        value = self.lengths.get(el)
        if value is None:
            value = self.lengths[el] = len(_text(el))
        return value

    def feature(self, el: Element) -> _Features:
        found = self.features.get(el)
        if found is not None:
            return found
        titled = dated = False
        used = 0
        for inner in el.iter():
            tag = inner.tag
            if not isinstance(tag, str):
                continue
            if tag in HEADINGS:
                text = _text(inner)
                if not text:
                    continue
                used += len(text)
                if _is_date(text):
                    dated = True
                elif not is_label_text(text):
                    titled = True
            elif tag == "time" or inner.get("datetime"):
                dated = True
            elif tag == "summary":
                text = _text(inner)  # a collapsible release: "Absence: partial-day leave — November 21, 2026"
                if text and len(text) <= MAX_TITLE_TEXT:
                    titled = True
                    dated = dated or split_title_date(text) is not None
                    used += len(text)
            elif len(inner) == 0:
                text = (inner.text or "").strip()
                if text and len(text) <= 70 and (_is_date(squashed := " ".join(text.split()))
                                                 or parse_labelled_date(squashed)):  # "Posted On: Nov 19, 2026"
                    dated = True
                    used += len(text)
                elif not titled and _TITLE_CLASS.search(inner.get("class") or "") and text:
                    titled = True
                    used += len(text)
            elif not titled and _TITLE_CLASS.search(inner.get("class") or ""):
                text = _text(inner)  # a title block wrapping its text and badges ("ChangelogItem-title")
                if text and len(text) <= MAX_TITLE_TEXT:
                    titled = True
                    used += len(text)
        found = self.features[el] = _Features(titled, dated, max(0, self.length(el) - used))
        return found

    def all_dated_titles(self, members: list[Element]) -> bool:
        """Three or more members, each with a title and a date of its own."""
        return len(members) >= 3 and all(f.titled and f.dated for f in map(self.feature, members))

    def qualifies(self, sig: tuple, members: list[Element], parent: Element) -> bool:
        member_set = set(members)
        first = last = None
        kids = [c for c in parent if is_tag(c)]
        for index, child in enumerate(kids):
            if child in member_set:
                first = index if first is None else first
                last = index
        between = [c for c in kids[first : (last or 0) + 1] if c not in member_set]
        outside_dates = False
        for sibling in between + [c for c in kids[: first or 0]]:
            for heading in sibling.iter(*HEADINGS):
                text = _text(heading)
                if not text:
                    continue
                if _is_date(text):
                    outside_dates = True
                elif sibling in between:
                    return False  # titles outside the containers: the headings delimit entries
        features = [self.feature(m) for m in members]
        entry_like = sum(1 for f in features if (f.titled and (f.dated or f.body >= 1)) or (f.dated and f.body >= 10))
        if entry_like >= 2 and entry_like >= QUALIFIED_SHARE * len(members):
            return True
        if sig[0] == "tag" and sig[1] == "li":
            return False
        # untitled blocks under date or month headings (a category label, then paragraphs)
        if not outside_dates:
            return False
        untitled = sum(1 for f in features if f.body >= 20)
        return untitled >= 2 and untitled >= QUALIFIED_SHARE * len(members)


def _header_row(el: Element) -> bool:
    return el.tag == "tr" and all(c.tag == "th" for c in el if is_tag(c))


def find_entry_group(node: Element) -> list[Element] | None:
    """The sibling elements that are the page's entries, or None when headings must cut it."""
    finder = _Finder()
    total = 0
    best: list[Element] | None = None
    best_coverage = 0.0
    for parent in node.iter():
        if len(parent) < 2 or not isinstance(parent.tag, str) or parent.tag in HEADINGS or parent.tag == "p":
            continue
        kids = [c for c in parent if isinstance(c.tag, str) and c.tag in CONTAINER_TAGS and not _header_row(c)]
        if len(kids) < 2:
            continue
        if not total:
            total = finder.length(node)  # only pages with candidates pay for measuring their text
            if not total:
                return None
        groups: dict[tuple, list[Element]] = {}
        for child in kids:
            for sig in _signatures(child):
                groups.setdefault(sig, []).append(child)
        for sig, members in groups.items():
            if len(members) < 2:
                continue
            untitled = [m for m in members if next(m.iter("h1"), None) is None]
            if len(untitled) < len(members):  # a member holding the page's h1 is its title block, no entry
                members = untitled
                if len(members) < 2:
                    continue
            if sig[0] == "prefix" and len(members) < 3 and \
                    len({(m.get("class") or "").split()[0] for m in members}) == len(members):
                continue  # "release-hero" beside "release-content": parts of one page, not entries
            coverage = sum(finder.length(m) for m in members) / total
            if coverage <= best_coverage:
                continue
            if coverage < MIN_COVERAGE and not (coverage >= MIN_NAMED_COVERAGE and _named_history(parent)
                                                and finder.all_dated_titles(members)):
                continue
            if finder.qualifies(sig, members, parent):
                best, best_coverage = members, coverage
    return best


# A list under its own "Version History" heading is the changelog even on a page that says more
# (an app's store page: a description, ratings and reviews around it).
MIN_NAMED_COVERAGE = 0.15
_HISTORY = re.compile(r"^(?:version|release|update|change)\s+(?:history|log|notes)$|^changelog$|^what'?s new$", re.I)


def _named_history(parent: Element) -> bool:
    """True when the list sits right under a heading that names it a version or release history."""
    node: Element | None = parent
    for _ in range(3):
        if node is None:
            return False
        for sibling in node.itersiblings(preceding=True):
            if is_tag(sibling):
                if sibling.tag in HEADINGS:
                    return bool(_HISTORY.match(_text(sibling)))
                break
        node = node.getparent()
    return False
