"""A JSON API client for the collectors: bearer key, retries on 429/5xx honouring Retry-After.

Error messages name the API and say what to check, without ever including the key.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import httpx

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
    ) -> None:
        if not key:
            raise CollectorError(f"{api_name}: no API key; set ${key_env} in the environment")
        self.api_name = api_name
        self.key_env = key_env
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {key}", "User-Agent": DEFAULT_USER_AGENT,
                     "Accept": "application/json"},
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )
        # A second client without credentials, for pre-signed download URLs.
        self.anonymous = httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=3,
                                      headers={"User-Agent": DEFAULT_USER_AGENT}, trust_env=False)

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
                        raise RetryLater(f"{self.api_name}: network error: {exc}") from None
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
            detail = response.text[:200].replace("\n", " ")
            raise CollectorError(
                f"{self.api_name}: the key lacks permission for {path} (403); grant the read scope, "
                f"and check the IP allowlist includes this host ({detail})"
            )
        if status >= 400:
            detail = response.text[:200].replace("\n", " ")
            raise CollectorError(f"{self.api_name}: HTTP {status} for {path}: {detail}")

    def get(self, path: str, params: Any = None) -> httpx.Response:
        response = self._with_retries(lambda: self.client.get(path.lstrip("/"), params=params))
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
        response = self._with_retries(lambda: self.anonymous.get(url))
        if response.status_code >= 400:
            raise CollectorError(f"{self.api_name}: download failed with HTTP {response.status_code}")
        return response.content
