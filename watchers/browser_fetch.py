"""Fetch a page by rendering it in headless Chromium (``fetch = "browser"`` on a source).

Some vendors build their release notes with JavaScript, or put a bot check in front of
scripted clients that a real browser passes. Playwright drives the system's Chromium
(found by :mod:`driftwatch.browser`, never downloaded); the result is a
:class:`~driftwatch.watchers.fetch.FetchResult` like any HTTP fetch, with the rendered DOM as
its body, so parsing, storage and replay do not know the difference. There is no conditional
GET here: the check recognises an unchanged page by the hash of its body.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from driftwatch import netguard
from driftwatch.browser import LAUNCH_ARGS, find_chromium, unavailable_reason

from .blocked import challenge_marker
from .fetch import PERMANENT_REDIRECTS, RETRY_STATUSES, FetchError, FetchResult
from .retrying import RetryLater, parse_retry_after

# What a page needs to build its text; pictures, video and fonts only cost time.
SKIPPED_RESOURCES = {"image", "media", "font"}
ALLOWED_SCHEMES = {"http", "https", "data", "blob"}
# After "load", wait this long at most for the page's own requests (XHR, fetch) to settle.
SETTLE_SECONDS = 10.0
# Network failures worth another try (the page may answer next time); others are final.
TRANSIENT_ERRORS = ("ERR_CONNECTION", "ERR_TIMED_OUT", "ERR_NAME_NOT_RESOLVED", "ERR_NETWORK", "ERR_EMPTY_RESPONSE",
                    "ERR_ADDRESS_UNREACHABLE", "ERR_INTERNET_DISCONNECTED")


class BrowserSession:
    """One Chromium for a run of fetches; each page gets a fresh, private context."""

    def __init__(self, *, timeout: float, max_bytes: int, user_agent: str, browser_path: str | None = None,
                 proxy: str | None = None) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.browser_path = browser_path
        self.proxy = proxy
        self._playwright: Any = None
        self._browser: Any = None
        self._vetted: dict[tuple[str, int], bool] = {}
        self.resolver: netguard.Resolver | None = None  # tests map names to addresses here

    def _start(self) -> Any:
        if self._browser is not None:
            return self._browser
        reason = unavailable_reason(self.browser_path)
        if reason:
            raise FetchError(f"browser fetch unavailable: {reason}")
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        executable = find_chromium(self.browser_path)
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(executable), args=LAUNCH_ARGS, timeout=self.timeout * 1000,
                proxy={"server": self.proxy} if self.proxy else None,
            )
        except PlaywrightError as exc:
            self.close()
            raise FetchError(f"cannot start the browser at {executable}: {_first_line(exc)}") from None
        return self._browser

    def close(self) -> None:
        for thing, method in ((self._browser, "close"), (self._playwright, "stop")):
            if thing is not None:
                try:
                    getattr(thing, method)()
                except Exception:  # noqa: BLE001 - closing a dead browser must not hide the real error
                    pass
        self._browser = self._playwright = None

    def allow_request(self, url: str) -> bool:
        """Whether the page may load ``url``: the HTTP fetcher's rules, http(s) only and never a
        link-local or cloud metadata address (checked on the name and, without a proxy, on what
        it resolves to), so a page's scripts cannot reach them either."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ALLOWED_SCHEMES or netguard.url_problem(url):
            return False
        if self.proxy:  # the proxy resolves names; the name itself was vetted above
            return True
        key = (parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80))
        if key not in self._vetted:
            try:
                netguard.vetted_addresses(*key, resolver=self.resolver)
                self._vetted[key] = True
            except Exception:  # noqa: BLE001 - refused or unresolvable: the page does not load it
                self._vetted[key] = False
        return self._vetted[key]

    def _route(self, route: Any) -> None:
        request = route.request
        if request.resource_type in SKIPPED_RESOURCES or not self.allow_request(request.url):
            route.abort()
        else:
            route.continue_()

    def render(self, url: str, result: FetchResult) -> None:
        """One attempt: load, let the scripts run, keep the DOM; raises RetryLater or FetchError."""
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        browser = self._start()
        started = time.monotonic()
        try:
            context = browser.new_context(user_agent=self.user_agent, accept_downloads=False,
                                          service_workers="block")
        except PlaywrightError as exc:  # the browser died: start a new one on the next try
            self.close()
            raise RetryLater(f"browser failed, restarting it: {_first_line(exc)}") from None
        try:
            page = context.new_page()
            page.route("**/*", self._route)
            try:
                response = page.goto(url, wait_until="load", timeout=self.timeout * 1000)
            except PlaywrightTimeout:
                raise RetryLater(f"timed out (browser, {self.timeout:g} s)") from None
            except PlaywrightError as exc:
                message = _first_line(exc)
                if any(code in message for code in TRANSIENT_ERRORS):
                    raise RetryLater(f"network error (browser): {message}") from None
                raise FetchError(f"browser could not load the page: {message}") from None
            if response is None:
                raise FetchError("browser loaded no document (a download or an in-page navigation?)")
            remaining = self.timeout - (time.monotonic() - started)
            try:
                page.wait_for_load_state("networkidle", timeout=max(0.5, min(SETTLE_SECONDS, remaining)) * 1000)
            except PlaywrightTimeout:
                pass  # a page that never goes quiet (polling, analytics) is read as it is
            self._fill(result, page, response)
        finally:
            context.close()

    def _fill(self, result: FetchResult, page: Any, response: Any) -> None:
        result.status_code = response.status
        result.final_url = page.url
        result.headers = {k.lower(): v for k, v in response.headers.items()}
        result.permanent_redirect = _permanent_target(result.url, response)
        served_as = result.headers.get("content-type") or ""
        if "html" in served_as.lower() or not served_as:
            body = page.content().encode("utf-8")
            result.content_type = "text/html; charset=utf-8"  # the DOM after its scripts, serialised by us
        else:  # a feed or other data: scripts do not run on it, so the bytes as served
            body = response.body()
            result.content_type = served_as
        host = urlsplit(page.url).hostname or ""
        if response.status >= 400:
            result.body = body[:256_000]
            if response.status in RETRY_STATUSES and not challenge_marker(result.body, result.content_type):
                raise RetryLater(f"HTTP {response.status} from {host}",
                                 parse_retry_after(result.headers.get("retry-after")))
            raise FetchError(f"HTTP {response.status} from {host}")
        if len(body) > self.max_bytes:
            raise FetchError(f"response too large: the rendered page has {len(body):,} bytes, limit {self.max_bytes:,}")
        result.body = body


def _permanent_target(requested: str, response: Any) -> str | None:
    chain: list[Any] = []
    request = response.request
    while request is not None:
        chain.insert(0, request)
        request = request.redirected_from
    target = None
    for hop, following in zip(chain, chain[1:]):
        answer = hop.response()
        if answer is None or answer.status not in PERMANENT_REDIRECTS:
            break
        target = following.url
    return target if target and target != requested else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
