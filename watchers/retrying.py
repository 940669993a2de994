"""One retry policy for every HTTP call the watchers make (pages, feeds, admin APIs).

tenacity does the looping; this module only says when to retry (a :class:`RetryLater`
was raised) and how long to wait: the server's Retry-After when it gave one (capped),
else exponential backoff.
"""

from __future__ import annotations

import email.utils
import time
from typing import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt


class RetryLater(Exception):
    """A transient failure (network, 429, 5xx); ``retry_after`` is the server's wish, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def retrying(*, retries: int, backoff: float, max_retry_after: float,
             sleep: Callable[[float], None] = time.sleep) -> Retrying:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(retry_after, max_retry_after)
        return backoff * (2 ** (state.attempt_number - 1))

    return Retrying(stop=stop_after_attempt(retries + 1), wait=wait, retry=retry_if_exception_type(RetryLater),
                    sleep=sleep, reraise=True)
