"""The Bolt app and the two ways to run it: HTTP (``/slack/events``, ``/healthz``) or Socket Mode."""

from __future__ import annotations

import io
import json
import logging
import socketserver
from typing import Any, Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from driftwatch.config import Settings
from driftwatch.store import Store, StoreError
from driftwatch.timeutil import Clock, utcnow

from . import verify
from .listeners import register
from .readers import register_readers
from .replay import ReplayGuard
from .verify import MAX_BODY  # noqa: F401  (the limit, re-exported for callers and tests)
from .service import SlackProblem, SlackService, make_client

log = logging.getLogger("driftwatch.slack")


class _ClientGivenNote(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN is unused when a client is passed: it is the client's token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_CLIENT_GIVEN = _ClientGivenNote()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("driftwatch.slack.bolt")
    if _CLIENT_GIVEN not in logger.filters:
        logger.addFilter(_CLIENT_GIVEN)
    return logger


def create_app(settings: Settings, *, clock: Clock = utcnow, process_before_response: bool = False,
               socket_mode: bool = False) -> tuple[App, SlackService]:
    signing_secret = settings.secrets.get("SLACK_SIGNING_SECRET")
    if not socket_mode and not signing_secret:
        raise SlackProblem("SLACK_SIGNING_SECRET is not set (needed to verify requests from Slack)")
    client = make_client(settings)
    Store.open(settings.db_path).close()  # create or upgrade the schema once, before serving
    service = SlackService(client, settings, clock=clock)
    app = App(
        client=client,
        signing_secret=signing_secret or "socket-mode-does-not-sign",
        process_before_response=process_before_response,
        token_verification_enabled=True,
        request_verification_enabled=not socket_mode,
        logger=_bolt_logger(),
    )
    register_readers(app, service)  # [slack] readers, checked before any listener runs
    register(app, service)
    app.driftwatch_clock = clock  # type: ignore[attr-defined]  # /healthz judges staleness on the app's clock

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %s", error)

    return app, service


def wsgi_app(app: App, settings: Settings) -> Callable[[dict[str, Any], Callable], Iterable[bytes]]:
    slack = SlackRequestHandler(app, path="/slack/events")
    signing_secret = settings.secrets.get("SLACK_SIGNING_SECRET") or ""
    replays = ReplayGuard(settings.db_path)

    def application(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            try:
                from driftwatch.health import healthz

                with Store.open(settings.db_path, migrate=False) as store:
                    store.ping()
                    healthy, body = healthz(settings, store, getattr(app, "driftwatch_clock", utcnow)())
                    status = "200 OK" if healthy else "503 Service Unavailable"
            except (StoreError, Exception) as exc:  # any failure means not healthy
                body, status = {"status": "error", "error": str(exc)[:200]}, "503 Service Unavailable"
            data = json.dumps(body).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]
        if environ.get("PATH_INFO") != "/slack/events":
            return _plain(start_response, "404 Not Found", "not found")
        screened = _screen(environ, signing_secret)
        if isinstance(screened, verify.Refusal):
            log.warning("refused a Slack request: %s (%s)", screened.reason, screened.status)
            return _plain(start_response, screened.status, screened.status.split(" ", 1)[1].lower())
        if not replays.first_time(_headers(environ), screened):  # applied once, answered once
            return _plain(start_response, "200 OK", "")
        return slack(environ, start_response)

    return application


def _screen(environ: dict[str, Any], signing_secret: str) -> dict[str, Any] | verify.Refusal:
    """Size, then signature and timestamp, then shape; the body is handed on to Bolt re-readable."""
    size = verify.content_length(environ.get("CONTENT_LENGTH"))
    if isinstance(size, verify.Refusal):
        return size
    try:
        body = environ["wsgi.input"].read(size) if size else b""
    except (OSError, ValueError) as exc:
        return verify.Refusal("400 Bad Request", f"cannot read the body: {exc}")
    if len(body) != size:
        return verify.Refusal("400 Bad Request", "body shorter than its Content-Length")
    environ["wsgi.input"] = io.BytesIO(body)
    headers = _headers(environ)
    refused = verify.signature_problem(signing_secret, headers, body) if signing_secret else \
        verify.Refusal("401 Unauthorized", "no signing secret configured")
    if refused:
        return refused
    return verify.parse(environ.get("CONTENT_TYPE") or "", body)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    return {key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")}


def _plain(start_response: Callable, status: str, text: str) -> list[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


def http_server(app: App, settings: Settings, host: str, port: int) -> WSGIServer:
    return make_server(host, port, wsgi_app(app, settings), server_class=_ThreadingWSGIServer,
                       handler_class=_QuietHandler)


def run_socket_mode(app: App, settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    token = settings.secrets.get("SLACK_APP_TOKEN")
    if not token:
        raise SlackProblem("SLACK_APP_TOKEN (xapp-...) is not set; Socket Mode needs an app-level token")
    SocketModeHandler(app, token).start()
