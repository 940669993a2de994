"""A hard bound on how long a command waits for Slack, whatever the network does.

The Slack client has its own timeouts and retries (a stalled server can hold a call for
its full read timeout, a refused connection is retried with back-off), so a budget passed
down to the delivery loop is only a hint. Here delivery runs in a daemon thread and the
command stops waiting when the bound is reached. A message caught mid-send stays in the
outbox as ``sending``; the next delivery pass looks it up in Slack before sending again,
so nothing is lost or posted twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable


def call_within(seconds: float, func: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """``(True, result)`` if ``func(*args)`` returned within ``seconds``, else ``(False, None)``.

    An exception raised by ``func`` in time is raised here.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = func(*args)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="bounded-call", daemon=True)
    worker.start()
    worker.join(max(0.0, seconds))
    if worker.is_alive():
        return False, None
    if "error" in outcome:
        raise outcome["error"]
    return True, outcome.get("result")


class BoundedDelivery:
    """A notifier whose ``deliver`` returns by ``deadline`` (a ``time.monotonic()`` value)."""

    def __init__(self, inner: Any, deadline: float, grace: float = 0.5) -> None:
        self.inner = inner
        self.deadline = deadline
        self.grace = grace  # even ``--wait 0`` lets a healthy Slack take the first messages
        self.timed_out = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def deliver(self, budget: float) -> dict[str, Any] | None:
        left = max(0.0, self.deadline - time.monotonic())
        finished, result = call_within(left + self.grace, self.inner.deliver, min(budget, left))
        if finished:
            return result
        self.timed_out = True
        return {"sent": 0, "retried": 0, "failed": 0, "waiting": None, "recovered": 0,
                "errors": [f"Slack did not answer within {left:.1f}s; the rest stays queued"]}
