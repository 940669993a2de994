"""Values for humans: what a control expects, and what was observed, in words.

``--json`` keeps the structured rule (``{"one_of": ["restricted", "off"]}``); the terminal,
Slack and the report say ``restricted or off``. Pure functions, so every face words a
value the same way.
"""

from __future__ import annotations

import re
from typing import Any

_UNIT_KEYS = (("days", "days"), ("hours", "hours"), ("minutes", "minutes"), ("seconds", "seconds"))
DAY_HINTS = ("retention", "_age", "lifetime", "expiry")  # settings counted in days without saying so


def value_words(value: Any, key: str | None = None) -> str:
    """One observed or expected value: booleans as on/off, lists joined, numbers with their unit."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return f"{value:g} {_unit(key)}".strip() if _unit(key) else f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_words(v) for v in value) if value else "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_words(v)}" for k, v in value.items()) or "none"
    if isinstance(value, str):
        return value.replace("_", " ") if value else "(empty)"
    return str(value)


def _unit(key: str | None) -> str:
    if not key:
        return ""
    for needle, unit in _UNIT_KEYS:
        if re.search(rf"(^|[._]){needle}($|[._])", key):
            return unit
    return "days" if any(hint in key for hint in DAY_HINTS) else ""


def either(values: Any, key: str | None = None) -> str:
    """``["restricted", "off"]`` as ``restricted or off``."""
    items = [value_words(v, key) for v in (values if isinstance(values, (list, tuple)) else [values])]
    if len(items) <= 1:
        return items[0] if items else "nothing"
    return ", ".join(items[:-1]) + " or " + items[-1]


def expected_words(expected: Any, rule: str | None = None, key: str | None = None) -> str:
    """What a control expects, from its rule and value or from the structured form of a report.

    >>> expected_words({"one_of": ["restricted", "off"]})
    'restricted or off'
    >>> expected_words("infinite", "not_equals")
    'not infinite'
    >>> expected_words(90, "at_least", "retention_days")
    'at least 90 days'
    """
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)) in _FORMS:
        (form, value), = expected.items()  # the structured form of a report names its own rule
        rule, expected = _FORMS[form], value
    if rule == "in":
        return either(expected, key)
    if rule == "not_equals":
        return f"not {value_words(expected, key)}"
    if rule == "not_contains":
        return f"without {value_words(expected, key)}"
    if rule == "constrained":
        return "an allowlist"
    if rule == "any":
        return "any value (informational)"
    if rule in ("at_least", "min", "gte"):
        return f"at least {value_words(expected, key)}"
    if rule in ("at_most", "max", "lte"):
        return f"at most {value_words(expected, key)}"
    return value_words(expected, key)


_FORMS = {"one_of": "in", "not": "not_equals", "list_without": "not_contains", "allowlist": "constrained",
          "any": "any", "at_least": "at_least", "min": "at_least", "at_most": "at_most", "max": "at_most"}
