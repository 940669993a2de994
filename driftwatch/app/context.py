"""What every use case needs, built once per face: settings, clock, notifier, store, fetcher."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from driftwatch.config import Settings
from driftwatch.store import Store
from driftwatch.timeutil import Clock, utcnow

from .notify import Notifier, NullNotifier

if TYPE_CHECKING:
    from driftwatch.watchers.fetch import Fetcher


def default_notifier(settings: Settings, *, clock: Clock = utcnow) -> Notifier:
    """The Slack outbox when a channel is configured (queued even before a token is set)."""
    if not settings.config.slack.channel:
        return NullNotifier()
    from driftwatch.bot.notifier import SlackOutbox

    return SlackOutbox(settings, clock=clock)


class Driftwatch:
    """The application: each face (CLI, worker, Slack, demo) makes one and calls the use cases."""

    def __init__(self, settings: Settings, *, notifier: Notifier | None = None, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.notifier = notifier if notifier is not None else default_notifier(settings, clock=clock)
        self._classifier: Any = None

    def open_store(self, *, migrate: bool = True) -> Store:
        """Every store the application opens reports its new changes to the notifier."""
        store = Store.open(self.settings.db_path, clock=self.clock, migrate=migrate)
        store.on_change(self.notifier.change_recorded)
        return store

    @contextmanager
    def store(self, *, migrate: bool = True) -> Iterator[Store]:
        store = self.open_store(migrate=migrate)
        try:
            yield store
        finally:
            store.close()

    def fetcher(self) -> "Fetcher":
        from driftwatch.watchers.fetch import Fetcher

        fetch = self.settings.config.fetch
        return Fetcher(timeout=fetch.timeout, max_bytes=fetch.max_bytes, retries=fetch.retries,
                       backoff=fetch.backoff, max_retry_after=fetch.max_retry_after, user_agent=fetch.user_agent,
                       proxy=fetch.proxy, browser_path=fetch.browser_path)

    @property
    def classifier(self) -> Any:
        """The shipped model, loaded once: callable as ``classifier(title, body)``, batched by the watchers."""
        if self._classifier is None:
            from driftwatch.classify import default_classifier

            self._classifier = default_classifier()
        return self._classifier
