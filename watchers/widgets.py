"""Page furniture that must never reach an entry, and the badges that belong beside a title.

Removed before any walk: scripts and styles, navigation, footers, cookie banners,
rating and feedback widgets ("Was this helpful?"), share bars, copy buttons and
the line-number gutters of code blocks. Recognised by structure (tags, roles,
class and id names) and, for the widgets that carry no telling name, by their
few words of text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from .text import DROP_TAGS, Element, drop_tree, is_tag, spaced_text, text_content

CHROME_TAGS = frozenset(("nav", "footer", "aside", "form", "dialog"))
# Matched anywhere in an id or class (as they always were) ...
CHROME_WORDS = ("cookie", "consent", "gdpr", "banner", "breadcrumb", "sidebar", "side-nav", "sidenav", "navbar",
                "newsletter", "skip-link", "site-header", "site-footer", "related-articles", "feedback",
                "table-of-contents", "download-button", "download-links", "download-bar")
# ... and these only as a whole word of one (so "copy" is not "copyright", "share" not "sharepoint").
CHROME_TOKENS = ("toc", "rating", "ratings", "rate-this", "helpful", "was-this-helpful", "reactions", "reaction",
                 "vote", "votes", "voting", "thumbs", "share", "sharing", "share-bar", "sharebar", "social",
                 "social-share", "copy", "copy-button", "copy-code", "clipboard", "gutter", "linenos", "lineno",
                 "linenumber", "linenumbers", "line-number", "line-numbers", "line-num", "line-no", "ln", "ln-num",
                 "hljs-ln-numbers",
                 "edit-this-page", "comments", "comments-link", "comment-count", "pagination", "pager", "prev-next", "toast", "popup", "modal", "survey")
CHROME_MARKERS = re.compile(
    "|".join(CHROME_WORDS) + r"|(?:^|[\s_-])(?:" + "|".join(re.escape(t) for t in CHROME_TOKENS) + r")(?:$|[\s_-])",
    re.I,
)
# camelCase names of the same widgets: "reactionsContainer", "shareBar", "commentsLink".
CHROME_CAMEL = re.compile(r"(?:^|[\s_-])(?:reactions?|comments?|share|sharing|social|ratings?|feedback|votes?|helpful|likes?|upvotes?|"
                          r"cookie|consent|newsletter|breadcrumbs?|pagination|clipboard|copy)(?=[A-Z])")
CHROME_ROLES = frozenset(("navigation", "banner", "contentinfo", "dialog", "alertdialog", "complementary"))
PROTECTED = frozenset(("html", "body", "main", "article"))
WIDGET_TEXT = re.compile(
    r"was this (?:article |page |doc |document |content |information |answer |section |post )?(?:helpful|useful)"
    r"|did this (?:article |page )?(?:answer|help|solve)|rate this (?:page|article)|how (?:helpful|useful) was"
    r"|thanks? (?:you )?for (?:your )?feedback|people found this helpful|share this (?:article|page|post)"
    r"|how do you feel about this(?: update| change| post)?",
    re.I,
)
LINE_WIDGETS = frozenset(("copy", "copied", "copied!", "copy code", "copy link", "copy to clipboard", "copy page",
                          "learn more", "learn more \u2192", "read more", "read more \u2192",
                          "on this page", "table of contents", "in this article", "contents",
                          "read the docs", "read the docs \u2192", "read the documentation", "view the docs",
                          "view documentation", "see the docs", "documentation", "documentation \u2192",
                          "read more.", "learn more.", "view in browser", "unsubscribe", "comment", "comments",
                          "leave a comment", "add a comment", "write a comment", "share:", "share on linkedin",
                          "share on x", "share on twitter", "share on facebook",
                          "complete list of changes", "complete list of changes for this release", "see all changes",
                          "all releases", "view all releases", "view release", "view release notes", "see release",
                          "view on github", "read the release notes", "view all release notes", "all release notes",
                          "see all release notes", "edit this page", "edit on github", "suggest an edit",
                          "see how it works", "improve this page"))
_WIDGET_HINTS = ("helpful", "useful", "feedback", "share this", "rate this", "did this", "how do you feel")
MAX_WIDGET_TEXT = 120
MAX_WIDGET_EXTRA = 24  # a widget's container holds little besides the widget's own words ("Yes No")

KNOWN_LABELS = frozenset((
    "new", "announcement", "deprecation", "deprecated", "beta", "breaking change", "breaking", "breaking changes",
    "preview", "public preview", "private preview", "ga", "generally available", "general availability", "alpha",
    "experimental", "improvement", "improved", "improvements", "fix", "fixed", "fixes", "bug fix", "bug fixes",
    "feature", "new feature", "features", "update", "updated", "changed", "change", "removed", "removal", "security",
    "retired", "retirement", "sunset", "launch", "launched", "release", "released", "notice", "action required",
    "coming soon", "rolling out", "limited availability", "early access", "issue", "known issue", "resolved",
    "added", "enhancement", "library", "libraries", "api", "policy", "legal", "pricing", "compliance", "featured",
    "behavior change", "behaviour change",
))
_BADGE_CLASS = re.compile(
    r"badge|label|pill|chip|lozenge|ribbon|(?:^|[\s_-])(?:tags?|status|category|type|kind|flag|marker|callout-tag)(?:$|[\s_-])"
    r"|[a-z](?:Tags?|Status|Category|Type|Kind)(?:$|[\s_A-Z-])",  # camelCase: "PostTag", "ChangelogLabel"
)
MAX_LABEL = 32
_CAPTION = re.compile(r":(?:\s|$)")
_NUMBER_RUN = re.compile(r"^\s*1(?:\s+\d+)+\s*$")
# A release's commit, printed as its short hash beside the tag ("3f2a9e1"): no part of the change.
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_COMMIT_LINE = re.compile(r"\n[0-9a-f]{7,40}(?:\n|$)")
# A link line pointing elsewhere: "Learn more in the Help Center", "Read more about passkeys".
_ELSEWHERE = re.compile(r"^(?:learn more|read more|see more|find out more|more details|download|request access|get started"
                        r"|view downloads|try it (?:now|free)|sign up)\b[^.!?]{0,50}[\s\u2192>]*$"
                        r"|^(?:full\s+)?change\s?log(?:\s+for\s+\S{1,30})?$", re.I)
# A forum row's reply and view counts once its title and date are taken: "23 | 4.8k".
_COUNTS = re.compile(r"^\s*\d[\d.,]*[kKmM]?(?:\s*\|\s*\d[\d.,]*[kKmM]?)+\s*$")
# A post's byline once its date is taken: "· 6 min · Ana Pereira".
_BYLINE = re.compile(r"^[\s\u00b7\u2022|-]*\d+\s*(?:min(?:ute)?s?|m)(?:\s+read)?\s*[\u00b7\u2022|]\s*[^.!?]{0,60}$", re.I)
_READING_TIME = re.compile(r"^[\s\u00b7\u2022|-]*(?:\d+\s*(?:min(?:ute)?s?|m)\s+read|\d+\s+minutes?\s+to\s+read)[\s.]*$", re.I)


def _marker(el: Element) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}".replace("_", "-")


def is_chrome(el: Element) -> bool:
    tag = el.tag
    if tag == "aside" and (_dated_label(el) or _dated_box(el)):
        return False  # an entry's date printed in a side column
    if tag in ("footer", "header") and _dated_box(el) and any(
            a.tag in ("article", "li", "section") for a in el.iterancestors()):
        return False  # a post's own footer or header ("November 25, 2026 · 6 min"): its date
    if tag in CHROME_TAGS or el.get("role") in CHROME_ROLES:
        if (tag == "dialog" or el.get("role") in ("dialog", "alertdialog")) and _dated_list(el):
            return False  # a "Version History" pop-up: the page's changelog, shown on a click
        return True
    if el.get("aria-hidden") == "true":
        return True
    if tag == "header" and (el.getparent() is not None and el.getparent().tag == "body"):
        return True
    if tag in _HEADING_TAGS:
        return False  # a heading's class speaks of its styling ("anchorWithStickyNavbar"), not of furniture
    marker = _marker(el)
    if not marker.strip() or not (CHROME_MARKERS.search(marker) or CHROME_CAMEL.search(marker)):
        return False
    classes = (el.get("class") or "").replace("_", "-")
    if classes.strip() and (CHROME_MARKERS.search(classes) or CHROME_CAMEL.search(classes)):
        return not (_POP_UP.search(classes) and _dated_list(el))  # a pop-up changelog stays
    return not _content_id(el)


_SLUG_SPLIT = re.compile(r"[^a-z0-9]+")


def _content_id(el: Element) -> bool:
    """An id that names the entry it holds, not the furniture it reads like.

    Changelogs give each entry the slug of its title ("delta-sharing-for-recipients",
    "comments-on-dashboards"), and the slug of a title may hold any chrome word. Such an
    id is its own heading's slug, or the id of one of a run of siblings of the same
    tag and class (the entries of a list); a cookie banner is neither.
    """
    words = [w for w in _SLUG_SPLIT.split((el.get("id") or "").lower()) if w]
    if len(words) < 2:
        return False
    for heading in el.iter(*_HEADING_TAGS):
        heading_words = set(_SLUG_SPLIT.split(spaced_text(heading).lower()))
        if sum(1 for w in words if w in heading_words) * 3 >= len(words) * 2:
            return True
        break
    parent = el.getparent()
    if parent is None:
        return False
    kin = sum(1 for s in parent if s is not el and s.tag == el.tag and s.get("class") == el.get("class")
              and s.get("id") and not CHROME_MARKERS.search(_marker(s)))
    return kin >= 2


_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))


_POP_UP = re.compile(r"modal|dialog|popup|overlay", re.I)


def _dated_list(el: Element) -> bool:
    """Three or more dated items: a changelog, whatever box holds it (cookie and newsletter pop-ups have none)."""
    stamps = 0
    for inner in el.iter("time"):
        if _time_day(inner):
            stamps += 1
            if stamps >= 3:
                return True
    return False


def _time_day(el: Element) -> bool:
    """True when a ``<time>`` names a whole day (its ``datetime`` or, without one, its text)."""
    from .dates import parse_full_date

    return parse_full_date((el.get("datetime") or spaced_text(el))[:10] or "x") is not None


MAX_DATED_BOX = 200


def _dated_box(el: Element) -> bool:
    """A short block (a release's info box, a post's footer) that prints a full date of its own."""
    from .dates import parse_full_date

    text = spaced_text(el)
    if not text or len(text) > MAX_DATED_BOX or sum(1 for _ in el.iter("a")) > 2:
        return False
    for inner in el.iter():
        if not is_tag(inner):
            continue
        if inner.tag == "time" and _time_day(inner):
            return True
        if len(inner) == 0 and (inner.text or "").strip():
            leaf = " ".join(inner.text.split())
            if len(leaf) <= 40 and parse_full_date(leaf):
                return True
    return False


def _dated_label(el: Element) -> bool:
    text = spaced_text(el)
    return len(text) <= 40 and _is_day(text)


def _protected(el: Element) -> bool:
    """Never drop the page's article (a wrapper named after a sidebar layout, for one)."""
    if el.tag in PROTECTED:
        return True
    for _inner in el.iter("main"):
        return True
    return any("article-content" in (d.get("class") or "") for d in el.iter() if is_tag(d) and d.get("class"))


class _PageSize:
    """The page's headings and text, to tell a layout wrapper ("sidenav-layout") from the furniture it names."""

    def __init__(self, doc: Element) -> None:
        self.doc = doc
        self.headings = sum(1 for _ in doc.iter(*_HEADING_TAGS))
        self._text: int | None = None

    def held_by(self, el: Element) -> bool:
        """True when ``el`` holds most of the page's headings and most of its text: the content, not beside it."""
        if not self.headings:
            return False
        inside = sum(1 for _ in el.iter(*_HEADING_TAGS))
        if inside * 2 <= self.headings:
            return False
        if self._text is None:
            body = self.doc.find("body")
            self._text = len(text_content(body if body is not None else self.doc).strip())
        return len(text_content(el).strip()) * 2 > self._text


# A pager's link to the neighbouring page: "Previous" or "Next" over that page's title.
PAGER_WORDS = frozenset(("previous", "next", "prev", "previous page", "next page", "older", "newer"))
_PAGER_LINKS = etree.XPath("//a[.//*]")
MAX_PAGER_TEXT = 80


def _drop_pager_links(doc: Element) -> None:
    for link in _PAGER_LINKS(doc):
        if link.getparent() is None or (link.text or "").strip():
            continue
        first = next((d for d in link.iterdescendants() if is_tag(d) and (d.text or "").strip()), None)
        if first is None or len(first) or (first.text or "").strip().lower() not in PAGER_WORDS:
            continue
        if (first.tail or "").strip():
            continue  # "<span>Next</span>.js 16": a name, not a pager's caption
        if len(spaced_text(link)) <= MAX_PAGER_TEXT:
            _drop(link)


def consecutive_numbers(text: str) -> bool:
    """True for a line-number gutter's text: "1 2 3 ..." (at least two numbers, counting up from 1)."""
    if not _NUMBER_RUN.match(text):
        return False
    numbers = [int(n) for n in text.split()]
    return numbers == list(range(1, len(numbers) + 1))


_DROP_ALL = tuple(DROP_TAGS) + ("link", "meta", "title")
# Never shown, or a byline: hidden headings ("Additional resources"), author names and links.
_HIDDEN = etree.XPath("//*[@hidden or @itemprop='author' or (@rel='author' and self::a)"
                      " or contains(translate(@class, 'AUTHOR', 'author'), 'author')]")
MAX_HIDDEN_TEXT = 80  # a hidden label or byline; a hidden panel of real content (a closed tab) stays
_MARKED = etree.XPath("//*[@id or @class or @role or @aria-hidden]")  # lxml filters in C: the hot loop


def strip_chrome(doc: Element) -> None:
    """Collect scripts, styles, chrome and gutters; then they go (their tail text stays)."""
    doomed: list[Element] = list(doc.iter(etree.Comment, etree.ProcessingInstruction))
    doomed += [el for el in doc.iter(*_DROP_ALL) if el.tag != "script" or el.get("id") != "__NEXT_DATA__"]
    structural = CHROME_TAGS | {"header"}
    doomed += [el for el in doc.iter(*structural) if is_chrome(el) and not _protected(el)]
    marked = [el for el in _MARKED(doc)
              if el.tag not in structural and el.tag not in _DROP_ALL and is_chrome(el) and not _protected(el)]
    if marked:
        page = _PageSize(doc)
        doomed += [el for el in marked if not page.held_by(el)]
    for el in doomed:
        _drop(el)
    _drop_pager_links(doc)
    for pre in list(doc.iter("pre")):
        _drop_gutters(pre)
    _drop_heading_links(doc)
    _drop_in_page_tocs(doc)
    _drop_text_widgets(doc)


def drop_hidden(doc: Element) -> None:
    """Hidden labels and headings ("Additional resources") and author bylines: never part of a change."""
    for el in _HIDDEN(doc):
        if el.getparent() is None or el.get("datetime"):
            continue
        if el.get("hidden") is None and el.get("itemprop") != "author" and el.get("rel") != "author" \
                and any(d.tag == "time" or d.get("datetime") for d in el.iterdescendants() if is_tag(d)):
            continue  # an "author and date" line: the date stays
        text = spaced_text(el)
        if len(text) <= MAX_HIDDEN_TEXT and not _is_day(text):  # a hidden machine-readable date still dates
            _drop(el)


def _toc_item(li: Element) -> bool:
    """A list item that is nothing but a link to a place on this page (and maybe its own sub-list)."""
    own = [c for c in li if is_tag(c) and c.tag not in ("ul", "ol")]
    if (li.text or "").strip() or len(own) != 1 or (own[0].tail or "").strip():
        return False
    link = own[0] if own[0].tag == "a" else next(own[0].iter("a"), None)
    return link is not None and (link.get("href") or "").strip().startswith("#") \
        and spaced_text(link) == spaced_text(own[0])


def _drop_in_page_tocs(doc: Element) -> None:
    """A table of contents with no telling name: a list whose every item only links within the page."""
    for listing in _TOC_CANDIDATES(doc):
        if listing.getparent() is None or any(a.tag in ("ul", "ol") for a in listing.iterancestors()):
            continue
        items = [c for c in listing if is_tag(c) and c.tag == "li"]
        if len(items) >= 2 and all(_toc_item(li) for li in items):
            _drop(listing)


# The "#", "¶" or icon-only permalink docs sites put inside a heading ("September 24, 2026 #").
_HEADING_LINKS = etree.XPath(
    "//a[starts-with(normalize-space(@href), '#')][ancestor::h1 or ancestor::h2 or ancestor::h3 or ancestor::h4"
    " or ancestor::h5 or ancestor::h6]")
# Lists where some item starts with an in-page link: the only candidates for a table of contents.
_TOC_CANDIDATES = etree.XPath("//ul[li/*[1][starts-with(normalize-space(@href), '#') or a]]"
                              "|//ol[li/*[1][starts-with(normalize-space(@href), '#') or a]]")
PERMALINK_TEXT = frozenset(("", "#", "¶", "§", "🔗", "⚓", "link", "permalink", "anchor", "direct link"))


def _drop_heading_links(doc: Element) -> None:
    for link in _HEADING_LINKS(doc):
        if spaced_text(link).lower() not in PERMALINK_TEXT:
            continue
        heading = next(a for a in link.iterancestors() if a.tag in ("h1", "h2", "h3", "h4", "h5", "h6"))
        name = link.get("id") or link.get("name")
        if name and not heading.get("id"):
            heading.set("id", name)  # the anchor the link carried is the heading's
        _drop(link)


def _drop(el: Element) -> None:
    parent = el.getparent()
    if parent is not None:
        drop_tree(el)


def _drop_gutters(pre: Element) -> None:
    """A gutter sits inside the block, beside it, or in the table cell next to it."""
    candidates: list[Element] = [d for d in pre.iterdescendants() if is_tag(d)]
    node = pre
    for _ in range(3):
        parent = node.getparent()
        if parent is None:
            break
        candidates.extend(s for s in parent if is_tag(s) and s is not node)
        if parent.tag == "tr":
            candidates.extend(c for row in parent.itersiblings() for c in row if is_tag(c))
        node = parent
    for el in candidates:
        if el.getparent() is not None and consecutive_numbers(spaced_text(el)):
            _drop(el)


def _drop_text_widgets(doc: Element) -> None:
    """Rating prompts, feedback thanks and copy/share leftovers named by their words only."""
    body = doc.find("body")
    root = body if body is not None else doc
    text = text_content(root).lower()
    if not any(hint in text for hint in _WIDGET_HINTS) or not WIDGET_TEXT.search(text):
        return
    hits: list[Element] = []
    for el in root.iter():
        if not is_tag(el) or el.tag in PROTECTED:
            continue
        own = " ".join(filter(None, [el.text] + [c.tail for c in el]))
        if own.strip() and len(own) <= MAX_WIDGET_TEXT and WIDGET_TEXT.search(own):
            hits.append(el)
    for el in hits:
        if el.getparent() is None:
            continue
        target = el
        size = len(spaced_text(el))
        while True:
            parent = target.getparent()
            if parent is None or parent.tag in PROTECTED or _protected(parent):
                break
            if len(spaced_text(parent)) - size > MAX_WIDGET_EXTRA:
                break
            target = parent
        _drop(target)


# Headings that open page furniture, not a change: what follows them is skipped.
CHROME_HEADINGS = re.compile(
    r"^(related (articles|posts|pages|resources|content|topics)|recommended (articles|reading)|more (articles|posts) "
    r"(like this|in this section)|on this page|in this (article|page|section)|table of contents|contents|feedback|"
    r"was this (page|article) helpful\??|share( this( (article|page|post))?)?|(recent|popular) (posts|articles)|"
    r"subscribe|stay (up to date|in the loop|informed)|get (help|support)|still need help\??|need more help\??|"
    # calls to action and post furniture after the last change
    r"subscribe to (updates|our newsletter|the newsletter|the changelog|release notes)|sign up for (our|the) newsletter|"
    r"(ready|want) to (get started|try it|give it a try|see it in action)\??|get started( (today|for free|now))?|"
    r"start (a|your) free trial|try (it|\w+) (for )?free( today)?|contact (sales|us)|talk to (sales|an expert|us)|"
    r"book a demo|request a demo|follow us( on \w+)?|join (the|our) (community|conversation|newsletter)|"
    r"leave a (comment|reply)|\d+ comments?|have (feedback|questions)\??|questions\?)$",
    re.I,
)


def is_label_text(text: str) -> bool:
    return text.lower().strip(" :") in KNOWN_LABELS


def label_like(el: Element, *, inside_title: bool, standalone: bool = False) -> bool:
    """A short badge: a known label word, or an element named like a badge.

    Inside a title any such element counts; elsewhere (``standalone``) the element
    must also be a short block of its own (a category label above paragraphs), or
    be wholly bold.
    """
    if el.tag in DROP_TAGS or el.tag in ("code", "pre", "ul", "ol", "li", "table"):
        return False
    if el.tag == "a" and not _badge_class(el):
        return False
    if not inside_title and el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
        return False
    if len(el) > 2 or sum(1 for c in el if is_tag(c) and (c.text or "").strip()) > 1:
        return False  # a row of several badges is not one badge
    text = spaced_text(el)
    if not text or len(text) > MAX_LABEL or len(text.split()) > 4:
        return False
    if is_label_text(text):
        return True
    if _CAPTION.search(text):
        return False  # "Labels:", "Labels: Gmail": the caption of a row of labels, never one
    if _badge_class(el) or el.tag == "mark":
        return not text[-1:] in ".!?" and not _is_day(text)
    if standalone and not inside_title and el.tag in ("p", "div") and len(el) == 1 and not (el.text or "").strip():
        child = el[0]
        if child.tag in ("strong", "b") and not (child.tail or "").strip() and len(child) == 0:
            return text[-1:] not in ".!?:" and not _is_day(text)
    return False


def is_label_caption(el: Element) -> bool:
    """The caption before a row of labels ("Labels:", "Tags:"): neither a label nor body text."""
    text = spaced_text(el)
    return 0 < len(text) <= 20 and text.endswith(":") and len(text.split()) <= 2 and (
        _badge_class(el) or _before_badges(el))


def _before_badges(el: Element) -> bool:
    """A plain caption followed by nothing but badges ("Product categories:" then tag links)."""
    if (el.tail or "").strip():
        return False
    after = list(el.itersiblings())
    return bool(after) and all(is_tag(s) and _badge_class(s) and not (s.tail or "").strip() for s in after)


def badge_class(el: Element) -> bool:
    """True when the element's class names a badge ("badge", "pill", "ProductPill", "tag")."""
    return _badge_class(el)


def _badge_class(el: Element) -> bool:
    classes = el.get("class") or ""
    return bool(classes) and bool(_BADGE_CLASS.search(classes) or _BADGE_CLASS.search(classes.lower()))


def _is_day(text: str) -> bool:
    from .dates import parse_full_date, parse_month_day, parse_month_year

    return bool(parse_full_date(text) or parse_month_day(text) or parse_month_year(text))


_LINE_HINTS = _WIDGET_HINTS + ("cop", "read", "learn", "contents", "on this page", "in this article", "last ", "://",
                               "receiv", "subscri", "documentation", "docs", "browser", "preferences", " min",
                               "comment", "share", "changes", "release", "download", "request", "started",
                               "sign up", "try it", "changelog", "change log", "edit", "how it works", "improve")
# The link references closing a Keep a Changelog file: "[Unreleased]: https://.../compare/v4.2.0...HEAD".
_LINK_REFERENCE = re.compile(r"^\[?(?:unreleased|v?\d+(?:\.\d+)+[\w.+-]*)\]?:\s+https?://\S+$", re.I)
# A page foot's "Last updated 14 days ago" / "Last modified: 2026-11-18": when the page was edited.
_LAST_EDITED = re.compile(r"^last\s+(?:updated|modified|edited|reviewed|revised)\b.{0,40}$", re.I)
# A mailed digest's foot: "You are receiving this because you subscribed ...", "Manage your subscription".
_MAIL_FOOTER = re.compile(
    r"^(?:you(?: are|'re|\u2019re) receiving this\b|you received this (?:email|message)\b"
    r"|(?:manage|update) your (?:subscription|email preferences|preferences)\b|to unsubscribe\b)", re.I)


def clean_lines(lines: Iterable[str]) -> list[str]:
    """Body lines without leftover widget prompts or gutter numbers."""
    lines = list(lines)
    joined = "\n" + "\n".join(lines)
    lowered = joined.lower()
    if "\n1" not in joined and "|" not in joined and not any(hint in lowered for hint in _LINE_HINTS) \
            and not _COMMIT_LINE.search(joined):
        return [line for line in lines if line.strip()]
    kept: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        lowered = stripped.lower()
        if lowered in LINE_WIDGETS or (len(stripped) <= 24 and _READING_TIME.match(stripped)) or \
                (len(stripped) <= 80 and _BYLINE.match(stripped)) or (len(stripped) <= 40 and _COUNTS.match(stripped)):
            continue
        if len(stripped) <= MAX_WIDGET_TEXT and any(h in lowered for h in _WIDGET_HINTS) and WIDGET_TEXT.search(lowered):
            continue
        if stripped[0] == "1" and consecutive_numbers(stripped) and len(stripped.split()) >= 3:
            continue
        if _LINK_REFERENCE.match(stripped) or _LAST_EDITED.match(stripped) or _COMMIT.match(stripped) or \
                (len(stripped) <= 70 and _ELSEWHERE.match(stripped)) or \
                (len(stripped) <= 300 and _MAIL_FOOTER.match(stripped)):
            continue
        kept.append(line)
    return _drop_number_columns(kept)


def _drop_number_columns(lines: list[str]) -> list[str]:
    """Runs of lines "1", "2", "3", ... (a gutter rendered one number a line)."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == "1":
            end = index
            while end + 1 < len(lines) and lines[end + 1].strip() == str(end + 2 - index):
                end += 1
            if end - index >= 2:
                index = end + 1
                continue
        out.append(lines[index])
        index += 1
    return out
