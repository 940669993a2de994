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
from typing import Callable

import httpx

from driftwatch import __version__

from .retrying import RetryLater, parse_retry_after, retrying

DEFAULT_USER_AGENT = (
    f"driftwatch/{__version__} (security change watcher; +https://github.com/driftwatch/driftwatch)"
)
RETRY_STATUSES = {429, 500, 502, 503, 504}


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
    ) -> None:
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=5,
            headers={
                "User-Agent": user_agent or DEFAULT_USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
                "application/xml;q=0.9,*/*;q=0.8",
            },
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` with validators; never raises for network or HTTP trouble."""
        result = FetchResult(url=url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        policy = retrying(retries=self.retries, backoff=self.backoff, max_retry_after=self.max_retry_after,
                          sleep=self.sleep)
        try:
            for attempt in policy:
                with attempt:
                    result.attempts = attempt.retry_state.attempt_number
                    self._attempt(url, headers, result)
        except RetryLater as exc:
            result.error = f"{exc} (gave up after {result.attempts} attempt{'' if result.attempts == 1 else 's'})"
        except FetchError as exc:
            result.error = str(exc)
        finally:
            result.duration_ms = int((time.monotonic() - started) * 1000)
        return result

    def _attempt(self, url: str, headers: dict[str, str], result: FetchResult) -> None:
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                result.status_code = response.status_code
                result.final_url = str(response.url)
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                if response.status_code in RETRY_STATUSES:
                    raise RetryLater(
                        f"HTTP {response.status_code} from {response.url.host}",
                        parse_retry_after(response.headers.get("Retry-After")),
                    )
                if response.status_code == 304:
                    return
                if response.status_code >= 400:
                    raise FetchError(f"HTTP {response.status_code} from {response.url.host}")
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(
                        f"response too large: {int(declared):,} bytes declared, limit {self.max_bytes:,}"
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(
                            f"response too large: more than {self.max_bytes:,} bytes "
                            "(after decompression); refused"
                        )
                    chunks.append(chunk)
                result.body = b"".join(chunks)
                result.content_type = response.headers.get("Content-Type")
                result.etag = response.headers.get("ETag")
                result.last_modified = response.headers.get("Last-Modified")
        except httpx.TooManyRedirects:
            raise FetchError("too many redirects (more than 5)") from None
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"redirect to a non-http(s) URL refused: {exc}") from None
        except httpx.TimeoutException as exc:
            raise RetryLater(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise RetryLater(f"network error: {exc or type(exc).__name__}") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode response body: {exc}") from None
