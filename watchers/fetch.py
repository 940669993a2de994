"""HTTP fetching for sources: conditional GET, bounded size, retries, a record of every try.

A watcher runs unattended, so every way a fetch can go wrong ends in a
:class:`FetchResult` with a readable ``error`` rather than an exception, and no
response, however large or however compressed, can grow memory past
``max_bytes``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from driftwatch._httpx import httpx

from driftwatch import __version__, netguard

from .blocked import challenge_marker
from .retrying import RetryLater, parse_retry_after, retrying

if TYPE_CHECKING:
    from .browser_fetch import BrowserSession

DEFAULT_USER_AGENT = (
    f"driftwatch/{__version__} (security change watcher; +https://github.com/driftwatch/driftwatch)"
)
RETRY_STATUSES = {429, 500, 502, 503, 504}
PERMANENT_REDIRECTS = {301, 308}
# Error pages are kept (bounded) so that a bot-challenge page can be told from a plain failure.
ERROR_BODY_BYTES = 256_000


class FetchError(Exception):
    """A fetch that failed for good; the message is what the team sees."""


@dataclass
class FetchResult:
    url: str
    status_code: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    duration_ms: int = 0
    attempts: int = 0
    error: str | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    permanent_redirect: str | None = None  # where ``url`` permanently moved (301/308), if it did
    via: str = "http"  # or "browser": rendered, no conditional GET

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    @property
    def not_modified(self) -> bool:
        return self.error is None and self.status_code == 304

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class Fetcher:
    """One httpx client shared by all sources of a run."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 20_000_000,
        retries: int = 3,
        backoff: float = 1.0,
        max_retry_after: float = 120.0,
        user_agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        proxy: str | None = None,
        browser_path: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self.proxy = proxy
        self.browser_path = browser_path
        self._browser: "BrowserSession | None" = None
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.timeout = timeout
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=5,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
                "application/xml;q=0.9,*/*;q=0.8",
                "Accept-Encoding": netguard.ACCEPT_ENCODING,
            },
            # connects only to vetted addresses (no metadata endpoints, after redirects too)
            transport=transport or netguard.guarded_transport(),
            proxy=proxy,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()
        if self._browser is not None:
            self._browser.close()
            self._browser = None

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch_page(self, url: str, *, via: str = "http", etag: str | None = None,
                   last_modified: str | None = None) -> FetchResult:
        """Fetch a source the way it is configured: plain HTTP, or rendered in a browser."""
        if via == "browser":
            return self.fetch_rendered(url)
        return self.fetch(url, etag=etag, last_modified=last_modified)

    def fetch_rendered(self, url: str) -> FetchResult:
        """Render ``url`` in headless Chromium (same timeout, size cap, User-Agent and retries)."""
        result = FetchResult(url=url, via="browser")
        return self._retried(result, lambda: self.browser().render(url, result))

    def _retried(self, result: FetchResult, attempt_once: Callable[[], None]) -> FetchResult:
        """Run one fetch attempt under the retry policy; failures end up in ``result.error``."""
        started = time.monotonic()
        policy = retrying(retries=self.retries, backoff=self.backoff, max_retry_after=self.max_retry_after,
                          sleep=self.sleep)
        try:
            for attempt in policy:
                with attempt:
                    result.attempts = attempt.retry_state.attempt_number
                    attempt_once()
        except RetryLater as exc:
            result.error = f"{exc} (gave up after {result.attempts} attempt{'' if result.attempts == 1 else 's'})"
        except FetchError as exc:
            result.error = str(exc)
        finally:
            result.duration_ms = int((time.monotonic() - started) * 1000)
        return result

    def browser(self) -> "BrowserSession":
        """One browser per fetcher, started on first use and closed with the fetcher."""
        if self._browser is None:
            from .browser_fetch import BrowserSession

            self._browser = BrowserSession(
                timeout=self.timeout, max_bytes=self.max_bytes, user_agent=self.user_agent,
                browser_path=self.browser_path, proxy=self.proxy,
            )
        return self._browser

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` with validators; never raises for network or HTTP trouble."""
        result = FetchResult(url=url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._retried(result, lambda: self._attempt(url, headers, result))

    def _attempt(self, url: str, headers: dict[str, str], result: FetchResult) -> None:
        result.body, result.content_type = b"", None
        try:
            # [fetch] timeout bounds the whole request (connect, headers, body), not each read
            with netguard.deadline(self.timeout), self.client.stream("GET", url, headers=headers) as response:
                result.status_code = response.status_code
                result.final_url = str(response.url)
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                result.permanent_redirect = permanent_target(url, response)
                if response.status_code >= 400:
                    self._keep_error_page(response, result)
                if response.status_code in RETRY_STATUSES and not challenge_marker(result.body, result.content_type):
                    raise RetryLater(
                        f"HTTP {response.status_code} from {response.url.host}",
                        parse_retry_after(response.headers.get("Retry-After")),
                    )
                if response.status_code == 304:
                    # A 304 may carry no validators at all: the caller keeps the ones it sent.
                    result.etag = response.headers.get("ETag")
                    result.last_modified = response.headers.get("Last-Modified")
                    return
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} from {response.url.host}")
                result.body = netguard.read_body(response, self.max_bytes)
                result.content_type = response.headers.get("Content-Type")
                result.etag = response.headers.get("ETag")
                result.last_modified = response.headers.get("Last-Modified")
        except (netguard.BodyTooLarge, netguard.BadEncoding) as exc:
            raise FetchError(str(exc)) from None
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects (more than 5)") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise FetchError(f"redirect to a non-http(s) or invalid URL refused: {exc}") from None
        except httpx.TimeoutException as exc:
            raise RetryLater(f"timed out ({exc or type(exc).__name__})") from None
        except httpx.TransportError as exc:
            blocked = netguard.blocked_reason(exc)
            if blocked:
                raise FetchError(blocked) from None
            raise RetryLater(f"network error: {exc or type(exc).__name__}") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode response body: {exc}") from None
        except httpx.HTTPError as exc:  # any other protocol trouble is this source's error, not the run's
            raise FetchError(f"{type(exc).__name__}: {exc}") from None

    def _keep_error_page(self, response: httpx.Response, result: FetchResult) -> None:
        """The start of an error response, so that a challenge page can be recognised (a retry
        would only meet the same wall)."""
        chunks: list[bytes] = []
        try:  # decoded and counted like any body: an error page cannot be a decompression bomb
            for chunk in netguard.decode_chunks(response.iter_raw(), netguard.encodings_of(response.headers),
                                                ERROR_BODY_BYTES):
                chunks.append(chunk)
        except (httpx.TransportError, httpx.DecodingError, netguard.BodyTooLarge, netguard.BadEncoding):
            pass  # the start (or the status alone) still tells the story
        result.body = b"".join(chunks)[:ERROR_BODY_BYTES]
        result.content_type = response.headers.get("Content-Type")


def permanent_target(requested: str, response: httpx.Response) -> str | None:
    """Where ``requested`` moved for good: the end of the leading run of 301/308 hops.

    ``/a`` -301-> ``/b`` -302-> ``/c`` moved to ``/b``: the temporary hop may change again.
    """
    target = None
    hops = [*response.history, response]
    for hop, following in zip(hops, hops[1:]):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        target = str(following.request.url)
    if target is None or target == requested:
        return None
    return target
