"""Is this answer the vendor's page, or a wall in front of it? (pure: bytes in, verdict out)

Vendors' bot protection answers scripted clients with 401/403 or with a challenge page
("Just a moment...", "Enable JavaScript and cookies to continue", a captcha widget), whatever
the status code; single-page apps answer with an empty shell that only JavaScript fills.
None of these says anything about the page's layout or its entries, so a watcher must call
them ``blocked`` (with a way through), never ``broken`` and never a reason to remove entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

BLOCKING_STATUSES = {401: "authentication required", 403: "access refused"}

# Only small pages can be challenge pages; larger ones are not searched (cost, false hits).
MAX_CHALLENGE_BYTES = 1_000_000
# A challenge page says little; a real page that merely embeds a captcha says a lot more.
MAX_CHALLENGE_TEXT = 1500
# An app shell shows (almost) nothing until its scripts run.
MAX_SHELL_TEXT = 40

# Titles bot protection gives its interstitials (lower case, matched as prefixes).
CHALLENGE_TITLES = (
    "just a moment",
    "attention required",
    "checking your browser",
    "please verify you are a human",
    "verify you are human",
    "are you a robot",
    "security check",
    "one more step",
    "pardon our interruption",
    "access denied",
    "ddos-guard",
)
# Sentences such pages show (lower case, searched in the visible text).
CHALLENGE_PHRASES = (
    "enable javascript and cookies to continue",
    "checking if the site connection is secure",
    "verify you are human by completing the action below",
    "needs to review the security of your connection",
    "please complete the security check",
    "please enable cookies",
)
# Names in the markup (class, id, script source, form action, inline script) of challenge and
# captcha widgets: Cloudflare, reCAPTCHA, hCaptcha, DataDome, PerimeterX, Imperva.
MARKUP_MARKERS = (
    "cf-challenge",
    "cf_chl_",
    "challenge-platform",
    "cf-turnstile",
    "g-recaptcha",
    "grecaptcha",
    "recaptcha/api",
    "hcaptcha",
    "h-captcha",
    "captcha-delivery",
    "px-captcha",
    "_incapsula_resource",
)
_PRESCAN = tuple(m.encode() for m in (*CHALLENGE_PHRASES, *MARKUP_MARKERS, "captcha"))
_TITLE = re.compile(rb"<title[^>]*>\s*(?:" + b"|".join(re.escape(t.encode()) for t in CHALLENGE_TITLES) + rb")")
_MARKER_ATTRIBUTES = ("class", "id", "src", "action", "href", "data-sitekey", "name")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Block:
    """Why the source is blocked and what the operator can do about it."""

    reason: str
    remedy: str

    @property
    def message(self) -> str:
        return f"{self.reason}; remedy: {self.remedy}"


def remedy_for(via: str) -> str:
    """The ways through, starting with the one this source does not use yet."""
    if via == "browser":
        return ("the headless browser was refused too: route the source through another network "
                "([fetch] proxy) or point its url at a mirror of the page")
    return ('set fetch = "browser" on this source (a real browser passes most bot checks), route it '
            "through another network ([fetch] proxy), or point its url at a mirror of the page")


def detect_block(status_code: int | None, body: bytes, content_type: str | None = None, *,
                 host: str = "", via: str = "http") -> Block | None:
    """A refusal (401/403) or a challenge page served with any status, else None.

    Meant for error answers and for pages that yielded no entries: there a short page about
    a captcha is a wall; a page whose entries parse is never tested.
    """
    challenge = challenge_marker(body, content_type)
    where = f" from {host}" if host else ""
    if status_code in BLOCKING_STATUSES:
        what = f"HTTP {status_code}{where} ({BLOCKING_STATUSES[status_code]})"
        if challenge:
            what += f" with a bot-challenge page ({challenge})"
        return Block(what, remedy_for(via))
    if challenge:
        status = f"HTTP {status_code}" if status_code else "the answer"
        return Block(f"{status}{where} is a bot-challenge page ({challenge}), not the source", remedy_for(via))
    return None


def challenge_marker(body: bytes, content_type: str | None = None) -> str | None:
    """What shows that ``body`` is a challenge or captcha interstitial, or None."""
    if not body or len(body) > MAX_CHALLENGE_BYTES or not looks_like_html(body, content_type):
        return None
    lowered = body.lower()
    if not _TITLE.search(lowered, 0, 65536) and not any(marker in lowered for marker in _PRESCAN):
        return None  # the common case, decided without parsing
    doc = _parse(body)
    if doc is None:
        return None
    title = _text(doc.find(".//title")).lower()
    for known in CHALLENGE_TITLES:
        if title.startswith(known):
            return f"page title {title[:60]!r}"
    markup = _markup_marker(doc)
    text = visible_text(doc)  # drops scripts and styles: look at the markup first
    if len(text) > MAX_CHALLENGE_TEXT:
        return None  # a real page that embeds a widget somewhere
    lowered_text = text.lower()
    for phrase in CHALLENGE_PHRASES:
        if phrase in lowered_text:
            return repr(phrase)
    if markup:
        return f"{markup} in the markup"
    return "a captcha" if b"captcha" in lowered else None  # little text, and it is about a captcha


def empty_app_shell(body: bytes, content_type: str | None = None, *, via: str = "http") -> Block | None:
    """An HTML page with scripts and no text: the content arrives only when JavaScript runs.

    Call it for a page that yielded no entries; a page with entries is never a shell.
    """
    if not body or not looks_like_html(body, content_type):
        return None
    doc = _parse(body)
    if doc is None or not doc.xpath("//script"):
        return None
    text = visible_text(doc)
    if len(text) > MAX_SHELL_TEXT:
        return None
    if via == "browser":
        reason = "the page is still an empty app shell after the browser ran its scripts"
    else:
        reason = "the page is an empty app shell (its content is built by JavaScript)"
    return Block(reason, remedy_for(via))


def looks_like_html(body: bytes, content_type: str | None = None) -> bool:
    """HTML, not a feed: challenge pages are HTML even where a feed was asked for."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    head = body[:1024].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")) and b"<html" not in head:
        return False
    return b"<html" in head or head.startswith(b"<!doctype html") or b"<body" in body[:4096].lower()


def visible_text(doc: lxml.html.HtmlElement) -> str:
    """The text a reader sees: no scripts, styles, templates or noscript fallbacks (drops them)."""
    for hidden in doc.xpath("//script|//style|//noscript|//template|//head"):
        hidden.drop_tree()
    return _SPACE.sub(" ", doc.text_content()).strip()


def _markup_marker(doc: lxml.html.HtmlElement) -> str | None:
    """A challenge or captcha widget named in an attribute or an inline script."""
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        values = [str(element.get(name) or "") for name in _MARKER_ATTRIBUTES]
        if element.tag == "script":
            values.append(element.text or "")
        lowered = " ".join(values).lower()
        for marker in MARKUP_MARKERS:
            if marker in lowered:
                return marker
    return None


def _text(element: etree._Element | None) -> str:
    return _SPACE.sub(" ", element.text_content()).strip() if element is not None else ""


def _parse(body: bytes) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return None
