"""slack_sdk's WebClient with driftwatch's network guards on its urllib transport.

The stock client follows redirects with urllib, which keeps the ``Authorization``
header on the new request, connects wherever DNS points and reads any body whole.
This one connects only to vetted addresses (:mod:`driftwatch.netguard`), follows no
redirect (the Slack API never answers with one: a redirect is refused, token unsent),
and refuses bodies over ``MAX_BODY``.
"""

from __future__ import annotations

import http.client
import logging
import socket
import urllib.request
from typing import Any, Dict

from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError

from driftwatch import netguard

log = logging.getLogger("driftwatch.slack")
MAX_BODY = 10_000_000


def guarded_connection(address: tuple[str, int], timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                       source_address: Any = None) -> socket.socket:
    """socket.create_connection, to the vetted addresses of the host only."""
    host, port = address
    last: OSError | None = None
    try:
        addresses = netguard.vetted_addresses(host, port)
    except netguard.BlockedAddress as exc:
        raise OSError(f"refused: {exc}") from None
    except Exception as exc:  # httpcore.ConnectError: the name does not resolve
        raise OSError(str(exc)) from None
    for ip in addresses:
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            last = exc
    raise last or OSError(f"cannot connect to {host}")


class _HTTPConnection(http.client.HTTPConnection):
    _create_connection = staticmethod(guarded_connection)


class _HTTPSConnection(http.client.HTTPSConnection):
    _create_connection = staticmethod(guarded_connection)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_HTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        log.warning("Slack API answered a redirect to %s; refused (the token is not sent on)", newurl)
        return None  # urllib then raises HTTPError for the 3xx, which slack_sdk reports


class GuardedWebClient(WebClient):
    def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> Dict[str, Any]:
        problem = netguard.url_problem(url)
        if problem:
            raise SlackRequestError(f"Slack API URL refused: {problem}")
        opener = urllib.request.build_opener(_NoRedirect(), _HTTPHandler(), _HTTPSHandler(context=self.ssl))
        resp = opener.open(req, timeout=self.timeout)
        try:
            body = resp.read(MAX_BODY + 1)
        finally:
            resp.close()
        if len(body) > MAX_BODY:
            raise SlackRequestError(f"Slack API answer larger than {MAX_BODY:,} bytes; refused")
        if resp.headers.get_content_type() == "application/gzip":
            return {"status": resp.code, "headers": resp.headers, "body": body}
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.code, "headers": resp.headers, "body": body.decode(charset, "replace")}
