"""Setting values and baseline rules in the words an auditor reads (pure).

The baseline stores rules as data (``{"one_of": ["restricted", "off"]}``); a report
says "restricted or off". Unknown rules fall back to a readable rendering of the
data rather than failing, so a newer baseline still produces a report.
"""

from __future__ import annotations

import json
from typing import Any

RECOMMENDATIONS: dict[str, str] = {
    "1": "Enable the Compliance Logs Platform and route to your SIEM",
    "2": "Audit your app and connector inventory",
    "3": "Get visibility into AI tool usage across your organization",
    "4": "Verify your domain, confirm SCIM is syncing, and check provisioning settings",
    "5": "Lock down Codex: access, sandbox, connectors, and credentials",
    "6": "Restrict Agent Mode via RBAC and establish guardrails",
    "7": "Review OAuth scopes for Microsoft integrations and check macOS app permissions",
    "8": "Review GPT creation and sharing permissions",
    "9": "Subscribe to OpenAI's Enterprise release notes",
    "api": "API Platform security defaults worth checking",
}
RECOMMENDATION_ORDER = tuple(RECOMMENDATIONS)

DURATION_HINTS = ("retention", "days", "_age", "lifetime", "expiry")


def recommendation_key(value: Any) -> str:
    return str(value).strip().lower()


def recommendation_label(value: Any) -> str:
    key = recommendation_key(value)
    title = RECOMMENDATIONS.get(key, "Other controls")
    return f"{key}. {title}" if key.isdigit() else title


def requirement_label(value: Any) -> str:
    """The recommendation a control implements, as a compliance requirement a SIEM can group by."""
    key = recommendation_key(value)
    where = f"recommendation {key}" if key.isdigit() else "API Platform section" if key == "api" else key
    return f"Securing ChatGPT Enterprise, {where}: {RECOMMENDATIONS.get(key, 'other controls')}"


def value_words(value: Any) -> str:
    """An observed value: booleans as on / off, lists joined, nothing as 'not observed'."""
    if value is None:
        return "not observed"
    if value is True:
        return "on"
    if value is False:
        return "off"
    if isinstance(value, str):
        return value.replace("_", " ") if value else "(empty)"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value) if value else "none (empty list)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_words(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, default=str)


def _alternatives(values: list[Any]) -> str:
    words = [value_words(v) for v in values]
    if not words:
        return "nothing allowed"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _amount(value: Any, settings: list[str]) -> str:
    text = value_words(value)
    if isinstance(value, (int, float)) and any(h in s for s in settings for h in DURATION_HINTS):
        return f"{text} days"
    return text


def expected_words(rule: str | None, expected: Any, settings: list[str] | None = None) -> str:
    """What a passing control looks like, e.g. 'restricted or off', 'at least 90 days'."""
    settings = settings or []
    if isinstance(expected, dict) and len(expected) == 1:
        (form, inner), = expected.items()
        described = {"one_of": "in", "not": "not_equals", "list_without": "not_contains",
                     "allowlist": "constrained", "any": "any", "at_least": "at_least", "at_most": "at_most",
                     "min": "at_least", "max": "at_most"}.get(form)
        if described:
            rule, expected = described, inner
    rule = (rule or "equals").lower()
    if rule == "equals":
        return value_words(expected)
    if rule == "in":
        return _alternatives(list(expected or []))
    if rule == "not_equals":
        return f"anything but {value_words(expected)}"
    if rule == "not_contains":
        return f"a list without {value_words(expected)}"
    if rule == "constrained":
        return "an allowlist is set"
    if rule == "any":
        return "any value (recorded for the record)"
    if rule in ("at_least", "min", "gte", "minimum"):
        return f"at least {_amount(expected, settings)}"
    if rule in ("at_most", "max", "lte", "maximum"):
        return f"at most {_amount(expected, settings)}"
    return f"{rule.replace('_', ' ')} {value_words(expected)}"
