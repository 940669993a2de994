"""Logging to stderr, as text for people or JSON lines for log pipelines, and the one redaction.

:func:`redact` masks every known secret value (the secret environment variables and
any secret the config loaded) and anything shaped like a token (Slack ``xox*-``,
OpenAI ``sk-``, a bearer credential, an ``Authorization`` header echoed in an error
body). It is applied at the sinks: every log record with its traceback, every
stored text (known values, in :class:`driftwatch.busy.WriterDatabase`), every error
text the HTTP clients build, and everything the CLI prints (:class:`RedactingStream`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from typing import Any, Iterable, TextIO

from .config import SECRET_ENV
from .timeutil import iso

MASK = "[redacted]"
MIN_SECRET = 6  # shorter values would mask ordinary words
TOKEN_PATTERNS = (
    re.compile(r"\bxox[abposrce]-[A-Za-z0-9-]{8,}"),             # Slack bot, user and config tokens
    re.compile(r"\bxapp-[0-9]+-[A-Za-z0-9-]{8,}"),               # Slack app-level tokens
    re.compile(r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{16,}"),     # OpenAI keys (sk-, sk-proj-, sk-admin-...)
    re.compile(r"(?i)(?<=\bbearer\s)\s*[A-Za-z0-9._~+/=-]{6,}"),  # any bearer credential
    re.compile(r"(?i)(?<=authorization)([\"']?\s*[:=]\s*[\"']?)(?:basic\s+|token\s+)?[^\s\"',;}]{6,}"),
    re.compile(r"(?i)(?<=api[-_]key)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{6,}"),
)
_registered: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Secrets known beyond the environment (e.g. an env mapping given to load_settings)."""
    _registered.update(v for v in values if v and len(v) >= MIN_SECRET)


def known_secrets() -> list[str]:
    values = {os.environ.get(name, "") for name in SECRET_ENV} | _registered
    return sorted((v for v in values if len(v) >= MIN_SECRET), key=len, reverse=True)


def redact_known(text: str, secrets: list[str] | None = None) -> str:
    """Only the known secret values (cheap; safe on any text, vendor text included).

    ``secrets`` is :func:`known_secrets` when the caller already has it (many values at once).
    """
    for secret in known_secrets() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact(text: Any) -> str:
    """Known secret values and token-shaped strings masked."""
    out = redact_known(str(text))
    for pattern in TOKEN_PATTERNS:
        out = pattern.sub(lambda m: (m.group(1) if m.groups() and m.group(1) else "") + MASK, out)
    return out


class RedactSecrets(logging.Filter):
    """Masks the message of every record passing through (the formatter masks the rest)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class RedactingFormatter(logging.Formatter):
    """Wraps a formatter and masks its whole output: message, traceback and stack."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


class RedactingStream:
    """A text stream that masks secrets in everything written through it (stdout, stderr).

    Its ``buffer`` masks too, since click writes bytes there.
    """

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._inner.write(redact(text))
        return len(text)

    @property
    def buffer(self) -> "_RedactingBinary":
        return _RedactingBinary(self._inner.buffer, getattr(self._inner, "encoding", None) or "utf-8", self._inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _RedactingBinary:
    def __init__(self, inner: Any, encoding: str, text: TextIO) -> None:
        self._inner, self._encoding, self._text = inner, encoding, text

    def write(self, data: bytes) -> int:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__}")
        self._text.flush()  # keep order with text already written
        self._inner.write(redact(bytes(data).decode(self._encoding, "replace")).encode(self._encoding, "replace"))
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": iso(dt.datetime.fromtimestamp(record.created, dt.timezone.utc)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """One stderr handler on the root logger, so libraries' logs are formatted and redacted too."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets())
    if fmt == "json":
        handler.setFormatter(RedactingFormatter(JsonFormatter()))
    else:
        handler.setFormatter(RedactingFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    ours = logging.getLogger("driftwatch")
    ours.handlers[:] = []
    ours.setLevel(level)
    ours.propagate = True
