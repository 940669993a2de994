"""Setting values and baseline rules in the words an auditor reads (pure).

The baseline stores rules as data (``{"one_of": ["restricted", "off"]}``); a report
says "restricted or off". Unknown rules fall back to a readable rendering of the
data rather than failing, so a newer baseline still produces a report.
"""

from __future__ import annotations

from typing import Any

from driftwatch.posture import wording

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


def value_words(value: Any, key: str | None = None) -> str:
    """An observed value in words (the project's one wording, :mod:`driftwatch.posture.wording`)."""
    return "not observed" if value is None else wording.value_words(value, key)


def expected_words(rule: str | None, expected: Any, settings: list[str] | None = None) -> str:
    """What a passing control looks like, e.g. 'restricted or off', 'at least 90 days'."""
    return wording.expected_words(expected, rule, (settings or [None])[0])
