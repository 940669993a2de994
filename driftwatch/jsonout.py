"""Indented JSON for the commands' ``--json``, faster than the standard library's indenting.

``json.dumps(data, indent=2)`` cannot use the C encoder (only compact output can), so a
first check printing 15,000 changes spent most of a second in Python generators. This
writes exactly the same text (tests/test_speed.py checks it against ``json.dumps`` on
generated data) with the C string encoder and one ``join`` per container.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C version when the accelerator is present
from typing import Any

_FLOATS = {float("inf"): "Infinity", float("-inf"): "-Infinity"}


def dumps(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False, default=str)``, the same text."""
    return _encode(data, "\n")


_CONSTANTS = {None: "null", True: "true", False: "false"}


def _scalar(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None or kind is bool:
        return _CONSTANTS[value]
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        return _FLOATS.get(value) or float.__repr__(value)
    return None


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, (int, float)) or key is None:  # as json does: the scalar's JSON text, quoted
        return encode_basestring(json.dumps(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _encode(value: Any, newline: str) -> str:
    text = _scalar(value)
    if text is not None:
        return text
    inner = newline + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = []
        for key, item in value.items():
            text = _scalar(item)
            items.append(f"{_key(key)}: {text if text is not None else _encode(item, inner)}")
        return f"{{{inner}{(',' + inner).join(items)}{newline}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = []
        for item in value:
            text = _scalar(item)
            items.append(text if text is not None else _encode(item, inner))
        return f"[{inner}{(',' + inner).join(items)}{newline}]"
    return encode_basestring(str(value))  # default=str
