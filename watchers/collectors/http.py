"""A JSON API client for the collectors: the key (bearer, or a named header such as Anthropic's
``x-api-key``), retries on 429/5xx honouring Retry-After.

Error messages name the API and say what to check, without ever including the key.
Every body (API answers and log file downloads alike) is read through
:func:`driftwatch.netguard.read_body`: bounded after decompression, within one
deadline per request, over connections that refuse metadata addresses. The key
goes only to the configured host: the keyed client follows no redirects and
refuses any other host, and downloads (pre-signed URLs) never carry it.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from driftwatch._httpx import httpx

from driftwatch import netguard
from driftwatch.logs import redact

from ..fetch import DEFAULT_USER_AGENT
from ..retrying import RetryLater, parse_retry_after, retrying


class CollectorError(Exception):
    """A collector cannot complete; the message is shown to the team as is."""


class ApiClient:
    def __init__(
        self,
        base_url: str,
        key: str | None,
        *,
        api_name: str,
        key_env: str,
        timeout: float = 20.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        key_header: str | None = None,
        extra_headers: dict[str, str] | None = None,
        max_bytes: int = netguard.DEFAULT_MAX_BYTES,
        resolver: netguard.Resolver | None = None,
    ) -> None:
        if not key:
            raise CollectorError(f"{api_name}: no API key; set ${key_env} in the environment")
        self.api_name = api_name
        self.key_env = key_env
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.timeout = timeout
        self.max_bytes = max_bytes
        problem = netguard.url_problem(base_url)
        if problem:
            raise CollectorError(f"{api_name}: {base_url}: {problem}")
        self.host = httpx.URL(base_url).host
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={**({key_header: key} if key_header else {"Authorization": f"Bearer {key}"}),
                     "User-Agent": DEFAULT_USER_AGENT, "Accept": "application/json",
                     "Accept-Encoding": netguard.ACCEPT_ENCODING, **(extra_headers or {})},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            transport=netguard.guarded_transport(resolver),
            event_hooks={"request": [self._only_configured_host]},
        )
        # A second client without credentials, for pre-signed download URLs.
        self.anonymous = httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=3,
                                      headers={"User-Agent": DEFAULT_USER_AGENT,
                                               "Accept-Encoding": netguard.ACCEPT_ENCODING},
                                      trust_env=False, transport=netguard.guarded_transport(resolver))

    def _only_configured_host(self, request: httpx.Request) -> None:
        """The key is for the configured host alone; a request anywhere else is refused unsent."""
        if request.url.host != self.host:
            raise CollectorError(
                f"{self.api_name}: refused to send the key to {request.url.host} (configured for {self.host})")

    def _send(self, client: httpx.Client, url: str, params: Any = None) -> httpx.Response:
        """GET within one deadline, reading the body bounded; returns a buffered response."""
        with netguard.deadline(self.timeout):
            response = client.send(client.build_request("GET", url, params=params), stream=True)
            try:
                body = netguard.read_body(response, self.max_bytes)
            except (netguard.BodyTooLarge, netguard.BadEncoding) as exc:
                raise CollectorError(f"{self.api_name}: {exc}") from None
            finally:
                response.close()
        return netguard.buffered(response, body)

    def close(self) -> None:
        self.client.close()
        self.anonymous.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _with_retries(self, call: Callable[[], httpx.Response]) -> httpx.Response:
        policy = retrying(retries=self.retries, backoff=self.backoff, max_retry_after=self.max_retry_after,
                          sleep=self.sleep)
        try:
            for attempt in policy:
                with attempt:
                    try:
                        response = call()
                    except httpx.TimeoutException:
                        raise RetryLater(f"{self.api_name}: timed out") from None
                    except httpx.TransportError as exc:
                        blocked = netguard.blocked_reason(exc)
                        if blocked:
                            raise CollectorError(f"{self.api_name}: {blocked}") from None
                        raise RetryLater(f"{self.api_name}: network error: {exc}") from None
                    except (httpx.InvalidURL, httpx.UnsupportedProtocol, httpx.TooManyRedirects) as exc:
                        raise CollectorError(f"{self.api_name}: {exc}") from None
                    if response.status_code == 429 or response.status_code >= 500:
                        raise RetryLater(
                            f"{self.api_name}: HTTP {response.status_code}",
                            parse_retry_after(response.headers.get("Retry-After")),
                        )
                    return response
        except RetryLater as exc:
            raise CollectorError(f"{exc} (gave up after {self.retries + 1} attempt{'' if self.retries == 0 else 's'})") from None
        raise AssertionError("unreachable")

    def _check(self, response: httpx.Response, path: str) -> None:
        status = response.status_code
        if status == 401:
            raise CollectorError(
                f"{self.api_name}: the key was rejected (401 Unauthorized); check ${self.key_env} "
                "is current and belongs to this workspace or organization"
            )
        if status == 403:
            detail = redact(response.text[:4000])[:200].replace("\n", " ")
            raise CollectorError(
                f"{self.api_name}: the key lacks permission for {path} (403); grant the read scope, "
                f"and check the IP allowlist includes this host ({detail})"
            )
        if status >= 400:
            detail = redact(response.text[:4000])[:200].replace("\n", " ")
            raise CollectorError(f"{self.api_name}: HTTP {status} for {path}: {detail}")

    def get(self, path: str, params: Any = None) -> httpx.Response:
        response = self._with_retries(lambda: self._send(self.client, path.lstrip("/"), params))
        if not (300 <= response.status_code < 400):
            self._check(response, path)
        return response

    def get_json(self, path: str, params: Any = None) -> Any:
        response = self.get(path, params)
        try:
            return response.json()
        except ValueError:
            raise CollectorError(f"{self.api_name}: {path} did not answer JSON") from None

    def download(self, url: str) -> bytes:
        """A pre-signed URL: fetched without the Authorization header."""
        if netguard.url_problem(url):
            raise CollectorError(f"{self.api_name}: download URL refused: {netguard.url_problem(url)}")
        response = self._with_retries(lambda: self._send(self.anonymous, url))
        if response.status_code >= 400:
            raise CollectorError(f"{self.api_name}: download failed with HTTP {response.status_code}")
        return response.content
