"""No markup may make the page parser raise: a parse error would cost the whole source.

Random small trees are built from the tags, attributes and texts the fixture pages use
(empty leaves, icons, ``&nbsp;``, dates in every spelling, badges, wrappers), and every
one must parse to a result.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftwatch.watchers.feeds import parse_feed
from driftwatch.watchers.release_notes import parse_release_notes

TAGS = ("div", "span", "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "strong", "b", "a", "code", "pre", "time",
        "relative-time", "article", "section", "main", "table", "tr", "td", "br", "hr", "img", "noscript",
        "script", "small", "header", "details", "summary", "em", "mark", "dl", "dt", "dd", "blockquote")
VOID = frozenset(("br", "hr", "img"))
ATTRS = (
    ("class", ("entry", "badge", "label", "title", "expand-icon", "expand-control-text", "c-release-notes__date",
               "post-body", "avatar__intro", "labels-caption", "aui-icon", "page-metadata-date", "")),
    ("id", ("entry-1", "entry-2", "february-2026", "content", "ms--additional-resources-mobile")),
    ("datetime", ("2026-02-14T17:22:10Z", "2026-13-40", "", "soon")),
    ("hidden", ("",)),
    ("itemprop", ("author", "datePublished", "articleBody")),
    ("type", ("text/template",)),
    ("href", ("#a", "/x", "javascript:void(0)")),
)
TEXTS = ("", " ", "\xa0", "&nbsp;", "x", "February 16, 2026", "Week of February 9, 2026 (Service release 2602)",
         "Mar 14", "2026-02-03", "September 2025", "Slack 4.47.69 February 17, 2026", "Posted on Feb 16, 2026",
         "Feature", "Fixed", "Labels:", "New", "Last Updated: February 17, 2026", ":", ".", "(", "1 2 3",
         "A change that admins can now turn on in the console.", "v3.9.0", "February 16, 2026 version 6.7.6 (30412)",
         "What's new", "Title (Mar 14)", "\u200b", "-", "•")


def _render(node) -> str:
    if isinstance(node, str):
        return escape(node).replace("&amp;nbsp;", "&nbsp;")
    tag, attrs, children = node
    attr_text = "".join(f' {name}="{escape(value)}"' if value else f" {name}" for name, value in attrs)
    if tag in VOID:
        return f"<{tag}{attr_text}>"
    return f"<{tag}{attr_text}>{''.join(_render(c) for c in children)}</{tag}>"


attribute = st.sampled_from(ATTRS).flatmap(lambda pair: st.tuples(st.just(pair[0]), st.sampled_from(pair[1])))
leaf = st.sampled_from(TEXTS)
tree = st.recursive(
    leaf,
    lambda inner: st.tuples(st.sampled_from(TAGS), st.lists(attribute, max_size=2), st.lists(inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tree, min_size=1, max_size=6))
def test_random_small_pages_never_make_the_parser_raise(nodes) -> None:
    html = "<html><body>" + "".join(_render(n) for n in nodes) + "</body></html>"
    result = parse_release_notes(html.encode(), "https://example.test/notes", today=dt.date(2026, 2, 20))
    for entry in result.entries:
        assert entry.title and entry.date


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(tree, min_size=1, max_size=6))
def test_random_feed_items_never_make_the_splitter_raise(nodes) -> None:
    html = "".join(_render(n) for n in nodes)
    feed = ("<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>"
            "<entry><title>February 13, 2026</title><id>tag:x,1:a</id><updated>2026-02-13T00:00:00Z</updated>"
            f"<content type='html'>{escape(html)}</content></entry></feed>")
    result = parse_feed(feed.encode(), "https://example.test/feed", split_items=True)
    assert all(entry.title is not None for entry in result.entries)


DATES = ("February 16, 2026", "Week of February 9, 2026 (Service release 2602)", "Mar 14", "September 2025",
         "2026-02-03", "Posted on Feb 16, 2026", "Slack 4.47.69 February 17, 2026")
section = st.tuples(st.sampled_from(("h2", "h3", "p", "div")), st.sampled_from(DATES), st.lists(tree, max_size=3))
card = st.tuples(st.sampled_from(("div", "article", "li", "section")), st.sampled_from(("entry", "post", "")),
                 st.lists(tree, min_size=1, max_size=4))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(section, min_size=1, max_size=4), st.lists(card, max_size=4))
def test_dated_sections_and_repeated_cards_never_make_the_parser_raise(sections, cards) -> None:
    """Shapes the random trees above rarely reach: date sections and sibling cards sharing a class."""
    parts = ["<main><h1>Release notes</h1>"]
    for tag, date, children in sections:
        parts.append(f"<{tag}>{escape(date)}</{tag}>" + "".join(_render(c) for c in children))
    wrapper = "ul" if any(tag == "li" for tag, _cls, _kids in cards) else "div"
    parts.append(f"<{wrapper}>")
    for tag, cls, children in cards:
        tag = "li" if wrapper == "ul" else tag
        parts.append(f'<{tag} class="{cls}">' + "".join(_render(c) for c in children) + f"</{tag}>")
    parts.append(f"</{wrapper}></main>")
    result = parse_release_notes("".join(parts), "https://example.test/notes", today=dt.date(2026, 2, 20))
    assert all(entry.title and entry.date for entry in result.entries)
