"""Severity from categories and default polarity: explainable rules, no model (pure).

high   widens what data or actions are reachable by default or without admin approval
medium a new capability admins must review
low    a new control or log that helps security
info   not security relevant
"""

from __future__ import annotations

WIDENING = frozenset({"write_action", "oauth_scope", "connector", "agent_autonomy", "data_handling", "new_product"})
HELPFUL = frozenset({"audit_logging", "identity_access", "security_fix"})


def severity(
    categories: set[str], polarity: str | None, *, relevant: bool, control: bool = False,
) -> tuple[str, str]:
    """(severity, why) for a change.

    ``relevant`` is the relevance decision; ``polarity`` is ``on`` when the text
    says the capability arrives on by default or opt-out (protective defaults and
    "stays off" look-alikes never reach here as ``on``); ``control`` says the change
    reads as a new restriction or visibility for admins rather than a new capability.
    """
    if not relevant:
        return "info", "not security relevant"
    widening = sorted(categories & WIDENING)
    if polarity == "on" and (widening or "default_change" in categories):
        what = ", ".join(widening) or "a setting"
        return "high", f"{what} on by default / without admin approval"
    if control:
        helpful = sorted(categories & HELPFUL) or sorted(categories - {"other"})
        return "low", f"a new control or visibility for admins ({', '.join(helpful) or 'other'})"
    if widening:
        gate = " (stays off until admins act)" if polarity == "off" else ""
        return "medium", f"new capability to review: {', '.join(widening)}{gate}"
    if categories & HELPFUL:
        return "low", f"control or visibility: {', '.join(sorted(categories & HELPFUL))}"
    return "medium", f"a change to review: {', '.join(sorted(categories)) or 'other'}"
