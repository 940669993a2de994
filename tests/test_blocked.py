"""Telling a wall in front of a page from the page (pure: no network)."""

from __future__ import annotations

import pytest

from driftwatch.watchers.blocked import challenge_marker, detect_block, empty_app_shell, looks_like_html

from .conftest import fixture_bytes

CLOUDFLARE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"><script>window._cf_chl_opt={cvId: '3'};</script></head>
<body><div class="main-wrapper"><h1>help.example.test</h1>
<p>Verify you are human by completing the action below.</p>
<noscript>Enable JavaScript and cookies to continue</noscript>
<div id="cf-turnstile"></div></div></body></html>"""

ENABLE_JS = b"""<html><head><title>help.example.test</title></head><body>
<p>Enable JavaScript and cookies to continue</p></body></html>"""

RECAPTCHA = b"""<html><head><title>Please wait</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>
<body><form action="/verify" method="post"><div class="g-recaptcha" data-sitekey="abc"></div>
<button>Continue</button></form></body></html>"""

HCAPTCHA = b"""<html><head><title>Check</title></head><body>
<div class="h-captcha" data-sitekey="x"></div><script src="https://js.hcaptcha.com/1/api.js"></script>
</body></html>"""

SHELL = b"""<!doctype html><html><head><title>Release notes</title>
<script type="module" src="/assets/index-4f2a.js"></script></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>"""


@pytest.mark.parametrize("page", [CLOUDFLARE, ENABLE_JS, RECAPTCHA, HCAPTCHA])
def test_challenge_pages_are_blocked_with_any_status(page: bytes) -> None:
    for status in (200, 403, 429, 503):
        block = detect_block(status, page, "text/html", host="help.example.test")
        assert block is not None, (status, page[:60])
        assert "help.example.test" in block.reason
        assert 'fetch = "browser"' in block.remedy and "proxy" in block.remedy and "mirror" in block.remedy


def test_short_page_about_a_captcha_is_a_challenge() -> None:
    page = b"<html><body><h1>One more thing</h1><p>Solve the CAPTCHA below to see this page.</p></body></html>"
    assert challenge_marker(page) == "a captcha"
    assert challenge_marker(b'<html><body><div class="cf-challenge-running"></div></body></html>') == (
        "cf-challenge in the markup")


def test_cloudflare_page_names_what_gave_it_away() -> None:
    assert challenge_marker(CLOUDFLARE) == "page title 'just a moment...'"
    assert detect_block(403, CLOUDFLARE, host="h").reason.startswith("HTTP 403 from h (access refused) with a bot-challenge")
    assert "g-recaptcha" in challenge_marker(RECAPTCHA) or "recaptcha/api" in challenge_marker(RECAPTCHA)


@pytest.mark.parametrize("status", [401, 403])
def test_refusals_are_blocked_whatever_the_body(status: int) -> None:
    block = detect_block(status, b"Forbidden", "text/plain", host="x.test")
    assert block is not None and block.reason.startswith(f"HTTP {status} from x.test")
    assert "remedy: " in block.message


def test_ordinary_pages_and_errors_are_not_blocked() -> None:
    page = fixture_bytes("release-notes-current.html")
    assert detect_block(200, page, "text/html") is None
    assert detect_block(404, b"<html><body><h1>Not found</h1></body></html>", "text/html") is None
    assert detect_block(500, b"boom", "text/plain") is None
    assert detect_block(None, b"", None) is None


def test_a_real_page_that_embeds_a_captcha_or_mentions_one_is_not_a_challenge() -> None:
    notes = fixture_bytes("release-notes-current.html").decode()
    with_widget = notes.replace(
        "</main>", '</main><form class="newsletter"><div class="g-recaptcha" data-sitekey="k"></div></form>'
        + "<p>" + "Long text about our product. " * 80 + "</p>")
    assert detect_block(200, with_widget.encode(), "text/html") is None
    mention = notes.replace("Press ? to see them.", "Press ? to see them. We replaced hCaptcha and the g-recaptcha "
                            "widget with our own check. " + "More about the release. " * 70)
    assert detect_block(200, mention.encode(), "text/html") is None


def test_a_feed_about_captchas_is_not_a_challenge() -> None:
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>Just a moment</title>'
            b"<description>hcaptcha g-recaptcha cf-challenge</description></item></channel></rss>")
    assert not looks_like_html(feed, "application/rss+xml")
    assert detect_block(200, feed, "application/rss+xml") is None


def test_html_challenge_in_place_of_a_feed_is_blocked() -> None:
    assert detect_block(200, CLOUDFLARE, "application/rss+xml") is not None


def test_empty_app_shell() -> None:
    block = empty_app_shell(SHELL, "text/html")
    assert block is not None and "empty app shell" in block.reason and 'fetch = "browser"' in block.remedy
    rendered = empty_app_shell(SHELL, "text/html", via="browser")
    assert "after the browser ran" in rendered.reason and 'fetch = "browser"' not in rendered.remedy
    assert empty_app_shell(fixture_bytes("release-notes-current.html"), "text/html") is None
    assert empty_app_shell(b"<html><body><p>Nothing here yet.</p></body></html>") is None  # no scripts: not a shell
    assert empty_app_shell(b'<?xml version="1.0"?><rss><channel></channel></rss>') is None
