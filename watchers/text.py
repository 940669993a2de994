"""HTML fragments to readable plain text: paragraphs kept apart, lists as "- item" lines.

Only text comes out; scripts, styles and forms are dropped, never run.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "form", "button")
BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "blockquote", "pre", "table", "tr",
    "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "dl", "dt", "dd", "main", "aside",
    "body", "html", "details", "summary", "nav", "ul", "ol",
}


def squash(text: str) -> str:
    return re.sub(r"[ \t\r\f\v\xa0\u200b]+", " ", text).strip()


def _inline(node: Tag | NavigableString) -> str:
    if isinstance(node, PreformattedString):
        return ""
    if isinstance(node, NavigableString):
        return str(node)
    if node.name in DROP_TAGS:
        return ""
    if node.name == "br":
        return "\n"
    return "".join(_inline(child) for child in node.children)


def _lines(node: Tag, depth: int = 0) -> list[str]:
    return _render(list(node.children), depth)


def _render(children: list, depth: int = 0) -> list[str]:
    """Block-aware walk: each block and list item becomes its own line."""
    lines: list[str] = []
    buffer = ""

    def flush() -> None:
        nonlocal buffer
        for part in buffer.split("\n"):
            part = squash(part)
            if part:
                lines.append(part)
        buffer = ""

    for child in children:
        if isinstance(child, NavigableString):
            if isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                continue
            buffer += str(child)
            continue
        if not isinstance(child, Tag) or child.name in DROP_TAGS:
            continue
        if child.name in ("ul", "ol"):
            flush()
            for index, item in enumerate(child.find_all("li", recursive=False), start=1):
                marker = f"{index}." if child.name == "ol" else "-"
                item_lines = _lines(item, depth + 1)
                if item_lines:
                    lines.append(f"{'  ' * depth}{marker} {item_lines[0].lstrip()}")
                    lines.extend(item_lines[1:])
        elif child.name in BLOCK_TAGS or child.name == "li":
            flush()
            lines.extend(_lines(child, depth))
        elif child.name == "br":
            buffer += "\n"
        else:
            buffer += _inline(child)
    flush()
    return lines


def element_text(node: Tag) -> str:
    return "\n".join(_render([node]))


def html_to_text(html: str) -> str:
    """Text of an HTML fragment from a feed (which may be hostile)."""
    if "<" not in html and "&" not in html:
        return squash(html)
    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    return "\n".join(_lines(root))
