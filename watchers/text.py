"""HTML to readable plain text: paragraphs kept apart, lists as "- item" lines.

Only text comes out; scripts, styles and forms are dropped, never run. The walk
runs on lxml elements directly (the page parse is the watcher's hot loop).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lxml import etree

DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "form", "button")
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table", "tr",
    "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "dl", "dt", "dd", "main", "aside",
    "body", "html", "details", "summary", "nav", "ul", "ol", "li", "thead", "tbody", "tfoot",
})
# Inside an inline element (a code block's <code>), these still end a line: "<div class=line>".
_LINE_TAGS = frozenset(("div", "p", "li", "tr"))
_DROP = frozenset(DROP_TAGS)
CELL_SEPARATOR = " | "
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

Element = etree._Element
NO_SKIP: frozenset = frozenset()
# Plain lxml elements: lxml.html's element classes cost a Python lookup per node visited.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_UTF8_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)


_TO_SPACE = str.maketrans({c: " " for c in "\t\r\f\v\xa0\u200b"})
_RUNS = re.compile(r"  +")


def squash(text: str) -> str:
    """Runs of spaces, tabs, no-break and zero-width spaces to one space (newlines kept), trimmed."""
    text = text.translate(_TO_SPACE)
    if "  " in text:
        text = _RUNS.sub(" ", text)
    return text.strip()


def decode_html(body: bytes | str, encoding: str | None = None) -> str:
    """Page bytes to text: the HTTP charset, else the page's ``<meta charset>``, else UTF-8, else a guess."""
    if isinstance(body, str):
        return body.lstrip("\ufeff")
    declared = _META_CHARSET.search(body[:4096])
    for candidate in (encoding, declared.group(1).decode("ascii", "replace") if declared else None, "utf-8"):
        if not candidate:
            continue
        try:
            return body.decode(candidate).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            continue
    from bs4.dammit import UnicodeDammit  # the byte-level guess is rarely needed: imported on demand

    return UnicodeDammit(body, is_html=True).unicode_markup or body.decode("utf-8", "replace")


def load_html(body: bytes | str, encoding: str | None = None) -> Element | None:
    """The parsed document, or None for an empty one."""
    text = _XML_DECL.sub("", decode_html(body, encoding))
    if not text.strip():
        return None
    try:
        doc = etree.fromstring(text, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        try:
            doc = etree.fromstring(text.encode("utf-8"), _UTF8_PARSER)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None
    return doc if doc is not None and is_tag(doc) else None


def reveal_fallback_bodies(doc: Element) -> None:
    """Blogger and some CMSs print a post only inside ``<noscript>`` or ``<script type="text/template">``.

    Where the element holding one shows no text of its own, its markup is the post: it is parsed
    as inert HTML in its place (nothing is run; scripts inside are dropped later like any other).
    """
    for el in list(doc.iter("noscript", "script")):
        parent = el.getparent()
        if parent is None or (el.tag == "script" and (el.get("type") or "").lower() != "text/template"):
            continue
        if spaced_text(parent):
            continue  # the visible body is there (or a tracking pixel's noscript beside real content)
        if el.tag == "noscript":
            if not "".join(el.itertext()).strip():
                continue
            el.tag = "div"  # the HTML parser already built its children
        else:
            fragment = load_html(f"<html><body><div>{el.text or ''}</div></body></html>")
            body = fragment.find("body") if fragment is not None else None
            if body is None or not len(body) or not spaced_text(body[0]):
                continue
            replacement = body[0]
            replacement.tail = el.tail
            parent.replace(el, replacement)
        for other in list(parent):  # the same post a second time (template beside noscript): dropped
            if other is not el and is_tag(other) and other.tag in ("noscript", "script"):
                drop_tree(other)


def text_content(el: Element) -> str:
    """All text below ``el`` (comments excluded), as lxml.html's text_content()."""
    return "".join(el.itertext())


def drop_tree(el: Element) -> None:
    """Remove ``el`` and its children, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    # An inline element that goes ("·" between two product names) still parted its neighbours.
    tail = (" " if el.tag not in BLOCK_TAGS else "") + (el.tail or "")
    if tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def is_tag(el: object) -> bool:
    """True for elements; comments and processing instructions carry a non-string tag."""
    return isinstance(getattr(el, "tag", None), str)


def spaced_text(el: Element, skip: Collection[Element] = NO_SKIP) -> str:
    """All text of ``el`` with a space between text pieces (like get_text(" ")), squashed."""
    pieces: list[str] = []
    _spaced(el, skip, pieces, top=True)
    return squash(" ".join(pieces))


def _spaced(el: Element, skip: Collection[Element], pieces: list[str], top: bool = False) -> None:
    if is_tag(el) and el not in skip and el.tag not in _DROP:
        if el.text:
            pieces.append(el.text)
        for child in el:
            _spaced(child, skip, pieces)
    if not top and el.tail:
        pieces.append(el.tail)


def _inline(node: Element, skip: Collection[Element]) -> str:
    if node.tag in _DROP or node in skip:
        return ""
    if node.tag == "br":
        return "\n"
    out = [node.text or ""]
    previous_pill = False
    for child in node:
        if is_tag(child):
            if child.tag in _LINE_TAGS:
                out.append("\n" + _inline(child, skip) + "\n")  # highlighted code: one div per line
                previous_pill = False
            else:
                pill = bool(_PILL_CLASS.search(child.get("class") or ""))
                if pill and previous_pill:
                    out.append(" ")  # "<span class=pill>Payments</span><span class=pill>Radar</span>": two tags
                out.append(_inline(child, skip))
                previous_pill = pill and not (child.tail or "").strip()
        out.append(child.tail or "")
    return "".join(out)


# "... on another device. <a>Read more.</a>": a link closing a paragraph, not part of the change
_MORE_LINK = re.compile(r"^(?:read|learn|see|find out)\s+more\W{0,3}$|^more\s+(?:info|details)\W{0,3}$", re.I)


def _closing_more_link(child: Element) -> bool:
    return child.tag == "a" and child.getnext() is None and not (child.tail or "").strip() \
        and bool(_MORE_LINK.match(text_content(child).strip()))


# Styled boxes printed side by side with no space in the markup (tags, pills, chips, badges)
_PILL_CLASS = re.compile(r"(?:^|[\s_-])(?:pill|tag|chip|badge|lozenge|label)s?(?:$|[\s_-])", re.I)


def _render_children(node: Element, depth: int, skip: Collection[Element], lines: list[str]) -> None:
    """Block-aware walk: each block and list item becomes its own line."""
    if not len(node):  # text only: the common paragraph and list item
        text = node.text
        if text and not text.isspace():
            for part in text.split("\n"):
                part = squash(part)
                if part:
                    lines.append(part)
        return
    buffer = [node.text or ""]

    def flush() -> None:
        joined = "".join(buffer)
        buffer.clear()
        if joined.strip():
            for part in joined.split("\n"):
                part = squash(part)
                if part:
                    lines.append(part)

    previous_pill = False
    for child in node:
        tag = child.tag
        pill = False
        if isinstance(tag, str) and tag not in _DROP and child not in skip:
            pill = bool(_PILL_CLASS.search(child.get("class") or ""))
            if tag == "ul" or tag == "ol":
                flush()
                _render_list(child, depth, skip, lines)
            elif tag == "dl":
                flush()
                _render_terms(child, depth, skip, lines)
            elif tag in BLOCK_TAGS:
                flush()
                _render_children(child, depth, skip, lines)
            elif tag == "br":
                buffer.append("\n")
            elif tag == "td" or tag == "th":
                cell = _inline(child, skip)
                if cell.strip() and "".join(buffer).strip():
                    buffer.append(CELL_SEPARATOR)  # cells side by side, never glued into one word
                buffer.append(cell)
            elif not (len(lines) or "".join(buffer).strip()) or not _closing_more_link(child):
                if pill and previous_pill:
                    buffer.append(" ")  # two tags side by side, never glued into one word
                buffer.append(_inline(child, skip))
        previous_pill = pill and not (child.tail or "").strip()
        if child.tail:
            buffer.append(child.tail)
    flush()


MAX_TERM = 40


def _render_terms(node: Element, depth: int, skip: Collection[Element], lines: list[str]) -> None:
    """A definition list: "Term: value" where both are short, else term and value on lines of their own.

    A term whose value was taken (a "Rollout date" whose day dated the entry) goes with it.
    """
    parts = [c for c in node if is_tag(c) and c.tag in ("dt", "dd")]
    for index, part in enumerate(parts):
        if part.tag == "dt":
            value = parts[index + 1] if index + 1 < len(parts) and parts[index + 1].tag == "dd" else None
            if part in skip or (value is not None and value in skip):
                continue
            term: list[str] = []
            _render_children(part, depth, skip, term)
            if value is not None and len(term) == 1 and len(term[0]) <= MAX_TERM:
                shown: list[str] = []
                _render_children(value, depth, skip, shown)
                if len(shown) == 1:
                    lines.append(f"{term[0].rstrip(':')}: {shown[0]}")
                    continue
            lines.extend(term)
        elif part not in skip:
            previous = parts[index - 1] if index else None
            term_lines: list[str] = []
            if previous is not None and previous.tag == "dt" and previous not in skip:
                _render_children(previous, depth, skip, term_lines)
                shown = []
                _render_children(part, depth, skip, shown)
                if len(term_lines) == 1 and len(term_lines[0]) <= MAX_TERM and len(shown) == 1:
                    continue  # printed with its term
            _render_children(part, depth, skip, lines)


def _render_list(node: Element, depth: int, skip: Collection[Element], lines: list[str]) -> None:
    index = 0
    for item in node:
        if item.tag != "li":
            continue
        index += 1
        if item in skip:
            continue
        marker = f"{index}." if node.tag == "ol" else "-"
        item_lines: list[str] = []
        _render_children(item, depth + 1, skip, item_lines)
        if item_lines:
            lines.append(f"{'  ' * depth}{marker} {item_lines[0].lstrip()}")
            lines.extend(item_lines[1:])


def element_lines(node: Element, skip: Collection[Element] = NO_SKIP, *, as_block: bool = False) -> list[str]:
    """The lines of one element (a block, a list or an inline element), without its tail.

    ``as_block`` renders an inline element (a link wrapping a whole entry card) as a block.
    """
    lines: list[str] = []
    tag = node.tag
    if not isinstance(tag, str) or tag in _DROP or node in skip:
        return lines
    if tag == "ul" or tag == "ol":
        _render_list(node, 0, skip, lines)
    elif tag in BLOCK_TAGS or as_block:
        _render_children(node, 0, skip, lines)
    else:
        text = _inline(node, skip)
        lines.extend(p for p in (squash(part) for part in text.split("\n")) if p)
    return lines


def element_text(node: Element, skip: Collection[Element] = NO_SKIP) -> str:
    return "\n".join(element_lines(node, skip))


def html_to_text(html: str) -> str:
    """Text of an HTML fragment from a feed (which may be hostile)."""
    if "<" not in html and "&" not in html:
        return squash(html)
    doc = load_html(html)
    if doc is None:
        return ""
    body = doc.find("body")
    root = body if body is not None else doc
    lines: list[str] = []
    _render_children(root, 0, NO_SKIP, lines)
    return "\n".join(lines)
