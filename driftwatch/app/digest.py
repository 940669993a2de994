"""Use cases of the digest: what is in it, and posting it once per period."""

from __future__ import annotations

from typing import Any

from driftwatch.digest import digest_since
from driftwatch.schedule import next_slot, period_key
from driftwatch.store import Store

from .context import Driftwatch


def digest_window(store: Store) -> str | None:
    """Where the next digest starts: the end of the last regular one (None: the beginning)."""
    last = store.last_digest()
    return last["period_end"] if last else None


def build_digest(dw: Driftwatch, store: Store, *, limit: int | None = None) -> dict[str, Any]:
    """Changes since the last digest plus earlier ones still open, most severe first, and the
    posture of each workspace (completeness, newly failing, stale attestations)."""
    from driftwatch.posture.report import workspace_summaries

    digest = digest_since(store, digest_window(store), store.now()).as_dict(limit=limit)
    digest["posture"] = workspace_summaries(dw.settings, store, dw.clock())
    return digest


def next_digest(dw: Driftwatch) -> Any:
    return next_slot(dw.settings.config.slack, dw.clock())


def post_digest(dw: Driftwatch, *, force: bool = False, max_wait: float = 60.0) -> dict[str, Any]:
    """Claim this period's digest and queue its messages in one transaction, then deliver.

    A period is posted once: a second call reports ``already_posted``, and a digest queued
    before a crash or an outage is delivered, never rebuilt.
    """
    slack = dw.settings.config.slack
    channel = slack.channel
    key = period_key(slack, dw.clock())
    with dw.store() as store:
        existing = store.digest_for_period(key)
        if existing and existing["status"] == "posted" and not force:
            return {"status": "already_posted", "period": key, "digest_id": existing["id"],
                    "channel": existing["channel"], "ts": existing["ts"]}
        in_flight = store.digest_in_flight() if force else None
        if existing and existing["status"] == "posting" and not force:
            digest_id = existing["id"]
        elif in_flight is not None:  # --force during an outage: one digest, delivered once
            digest_id = in_flight["id"]
        else:
            since = digest_window(store)
            if force and existing and not str(existing["period_start"]).startswith("1970-01-01"):
                since = existing["period_start"]  # (1970 is how the store keeps "the beginning")
            summary = digest_since(store, since, store.now()).as_dict(limit=slack.digest_max_items)
            with store.transaction():
                digest_id = store.record_digest(period_start=since, period_end=store.now(), status="posting",
                                                summary=summary, period_key=None if force else key,
                                                forced=force)
                if digest_id is None:
                    return {"status": "already_posted", "period": key}
                dw.notifier.queue_digest(store, digest_id, summary)
    delivery = dw.notifier.deliver(max_wait)
    with dw.store() as store:
        digest = store.digest(digest_id) or {}
    return {"status": digest.get("status"), "period": key, "digest_id": digest_id,
            "channel": digest.get("channel") or channel, "ts": digest.get("ts"),
            "items": len((digest.get("summary") or {}).get("items", [])), "delivery": delivery}
