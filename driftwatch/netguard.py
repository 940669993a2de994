"""Network guards for every outbound request: which addresses, how long, how many bytes.

* **No SSRF.** Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10,
  fd00:ec2::254, 100.100.100.200, ...) are refused in config validation and again at
  connect time, after DNS resolution and after every redirect: the connection is
  made to the address that was checked, so a name cannot resolve to one address for
  the check and another for the connection. Loopback and private addresses stay
  allowed (proxies, mirrors, tests).
* **A total deadline.** ``with deadline(seconds):`` bounds a whole request (connect,
  headers, body) rather than each read, so a server trickling a byte a second is cut.
* **Bounded bodies.** :func:`read_body` decodes at most one Content-Encoding itself,
  counting the bytes as they come out of the decompressor, so a few kilobytes on the
  wire can never become gigabytes in memory.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httpcore
from ._httpx import httpx

DEFAULT_MAX_BYTES = 20_000_000
ACCEPT_ENCODING = "gzip, deflate"  # what read_body can decode, one layer of it

# Link-local and the addresses clouds serve instance metadata and credentials on.
FORBIDDEN_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",      # IPv4 link-local: AWS, GCP, Azure, OCI, DigitalOcean metadata (169.254.169.254)
    "fe80::/10",           # IPv6 link-local
    "fd00:ec2::254/128",   # AWS metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud metadata
    "168.63.129.16/32",    # Azure wire server
    "192.0.0.192/32",      # Oracle Cloud metadata (classic)
    "0.0.0.0/8",           # "this host": reaches local services while looking harmless
    "::/128",
    "224.0.0.0/4",         # multicast
    "ff00::/8",
))
METADATA_HOSTS = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "metadata.azure.com",
    "instance-data", "instance-data.ec2.internal", "metadata.tencentyun.com", "metadata.packet.net",
})

Resolver = Callable[[str, int], list[str]]


class BlockedAddress(httpcore.ConnectError):
    """A request would reach a forbidden address; the message says which and why."""


def address_problem(address: str) -> str | None:
    """Why connecting to this IP address is refused, or None if it is allowed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return None
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            candidates.append(ip.ipv4_mapped)
        if ip.sixtofour:
            candidates.append(ip.sixtofour)
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 embeds an IPv4 address
            candidates.append(ipaddress.ip_address(int(ip) & 0xFFFFFFFF))
    for candidate in candidates:
        for network in FORBIDDEN_NETWORKS:
            if candidate.version == network.version and candidate in network:
                return f"{address} is a link-local or cloud metadata address ({network}); refused"
    return None


def host_problem(host: str) -> str | None:
    """Why a host name or literal is refused before any lookup, or None."""
    host = (host or "").strip("[]").rstrip(".").lower()
    if host in METADATA_HOSTS:
        return f"{host} is a cloud metadata host; refused"
    problem = address_problem(host)
    if problem:
        return problem
    try:  # forms like 2852039166 or 0xa9.0xfe.0xa9.0xfe that inet_aton reads as an address
        packed = socket.inet_aton(host)
    except OSError:
        return None
    return address_problem(socket.inet_ntoa(packed))


def url_problem(url: str) -> str | None:
    """Why a configured URL is refused (scheme, metadata host or address), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"only http and https URLs are allowed, not {parts.scheme or 'a bare path'!r}"
    if not host:
        return "the URL has no host"
    return host_problem(host)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vetted_addresses(host: str, port: int, resolver: Resolver | None = None) -> list[str]:
    """Resolve ``host`` and refuse if any of its addresses is forbidden (a mixed answer is suspect)."""
    problem = host_problem(host)
    if problem:
        raise BlockedAddress(problem)
    try:
        addresses = (resolver or system_resolver)(host.strip("[]"), port)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    for address in addresses:
        problem = address_problem(address)
        if problem:
            raise BlockedAddress(f"{host} resolves to {problem}")
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
    return addresses


def blocked_reason(exc: BaseException | None) -> str | None:
    """The message of a :class:`BlockedAddress` somewhere in an exception's chain, if any."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, BlockedAddress):
            return str(exc)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


# --- the total deadline ----------------------------------------------------------------------

_local = threading.local()


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Every network operation of this thread inside the block ends by ``seconds`` from now."""
    previous = getattr(_local, "deadline", None)
    if seconds is not None:
        mine = time.monotonic() + seconds
        _local.deadline = mine if previous is None else min(previous, mine)
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float | None:
    end = getattr(_local, "deadline", None)
    return None if end is None else end - time.monotonic()


def _clamp(timeout: float | None, error: type[Exception], what: str) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error(f"the whole request took longer than its deadline ({what})")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write also ends by the thread's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout, "reading"))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout, "writing"))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout, "TLS handshake")
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting only to vetted addresses, within the deadline."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        self.resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout, "connecting")
        last: Exception | None = None
        for address in vetted_addresses(host, port, self.resolver):
            try:
                stream = self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                 socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        raise last or httpcore.ConnectError(f"cannot connect to {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by driftwatch")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def guarded_transport(resolver: Resolver | None = None, **kwargs: Any) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through :class:`GuardedBackend`."""
    transport = httpx.HTTPTransport(**kwargs)
    # httpx builds its own httpcore pool; give that pool our backend (the only way in).
    transport._pool._network_backend = GuardedBackend(resolver)  # type: ignore[attr-defined]
    return transport


# --- bounded bodies ---------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """A body (after decompression) grew past the limit; the message says how far."""


class BadEncoding(Exception):
    """A Content-Encoding driftwatch will not decode (unknown, or more than one layer)."""


def encodings_of(headers: httpx.Headers) -> list[str]:
    values = [v.strip().lower() for v in ",".join(headers.get_list("content-encoding")).split(",")]
    return [v for v in values if v and v != "identity"]


def _decompressor(encoding: str) -> Any:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib header or, via fallback below, raw
    raise BadEncoding(f"Content-Encoding {encoding!r} is not supported (driftwatch asks for {ACCEPT_ENCODING})")


def decode_chunks(chunks: Iterable[bytes], encodings: list[str], max_bytes: int, step: int = 65536) -> Iterator[bytes]:
    """Yield the decoded body, never holding more than ``step`` decompressed bytes per call.

    The size is counted as bytes come out of the decompressor, so the limit fires after
    ``max_bytes`` of output however small the input was.
    """
    if len(encodings) > 1:
        raise BadEncoding(f"stacked Content-Encoding ({', '.join(encodings)}) refused; at most one layer")
    total = 0

    def count(piece: bytes) -> bytes:
        nonlocal total
        total += len(piece)
        if total > max_bytes:
            raise BodyTooLarge(f"response too large: more than {max_bytes:,} bytes (after decompression); refused")
        return piece

    if not encodings:
        for chunk in chunks:
            if chunk:
                yield count(chunk)
        return
    decoder = _decompressor(encodings[0])
    raw_fallback = encodings[0] == "deflate"
    try:
        for chunk in chunks:
            data = chunk
            while data:
                try:
                    out = decoder.decompress(data, step)
                except zlib.error:
                    if not raw_fallback:
                        raise
                    decoder, raw_fallback = zlib.decompressobj(-zlib.MAX_WBITS), False  # raw deflate
                    out = decoder.decompress(data, step)
                raw_fallback = False
                if out:
                    yield count(out)
                data = decoder.unconsumed_tail
                if decoder.eof:
                    break
        while not decoder.eof:
            out = decoder.decompress(b"", step)
            if not out:
                break
            yield count(out)
    except zlib.error as exc:
        raise BadEncoding(f"cannot decode {encodings[0]} body: {exc}") from None


def read_body(response: httpx.Response, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a streamed response's body, decoded and bounded (raises BodyTooLarge / BadEncoding)."""
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"response too large: {int(declared):,} bytes declared, limit {max_bytes:,}")
    return b"".join(decode_chunks(response.iter_raw(), encodings_of(response.headers), max_bytes))


def buffered(response: httpx.Response, body: bytes) -> httpx.Response:
    """A plain in-memory response carrying the already decoded ``body`` (for callers of ``.json()``)."""
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=body, request=response.request)


def get_bytes(url: str, *, timeout: float = 20.0, max_bytes: int = DEFAULT_MAX_BYTES,
              resolver: Resolver | None = None) -> bytes:
    """One guarded GET (no credentials): vetted addresses, one deadline, bounded body.

    Raises httpx errors only (a refused address is an ``httpx.ConnectError``), so callers
    that handled ``httpx.get`` keep working.
    """
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5, trust_env=False,
                      headers=headers, transport=guarded_transport(resolver)) as client, deadline(timeout):
        with client.stream("GET", url) as response:
            response.raise_for_status()
            try:
                return read_body(response, max_bytes)
            except (BodyTooLarge, BadEncoding) as exc:
                raise httpx.DecodingError(str(exc), request=response.request) from None
