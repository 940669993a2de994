"""Logging to stderr, as text for people or JSON lines for log pipelines.

A filter masks the value of every secret environment variable, so a token that
ends up in an exception message still never reaches the logs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys

from .config import SECRET_ENV
from .timeutil import iso


class RedactSecrets(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets = [os.environ[name] for name in SECRET_ENV if len(os.environ.get(name, "")) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


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
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    ours = logging.getLogger("driftwatch")
    ours.handlers[:] = []
    ours.setLevel(level)
    ours.propagate = True
