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
    categories: set[str], polarity: str | None, *, relevant: bool, control: bool = False
) -> tuple[str, str]:
    """(severity, why) for a change.

    ``relevant`` is the model's relevance decision; ``control`` says the change
    reads as a new restriction or visibility for admins rather than a new capability.
    """
    widening = sorted(categories & WIDENING)
    if polarity == "on" and (widening or "default_change" in categories):
        what = ", ".join(widening) or "a setting"
        return "high", f"{what} turned on by default / without admin approval"
    if "default_change" in categories and widening and polarity != "off":
        return "high", f"default changes for {', '.join(widening)}"
    if not relevant and not (categories & (WIDENING | HELPFUL)):
        return "info", "no security-relevant capability or control"
    if widening and relevant and not control:
        return "medium", f"new capability to review: {', '.join(widening)}"
    if control and relevant:
        return "low", "a new control or visibility for admins"
    if categories & HELPFUL and relevant:
        return "low", f"control or visibility: {', '.join(sorted(categories & HELPFUL))}"
    if relevant and "default_change" in categories:
        return "low", "a default changed (stays off)"
    return "info", "not security relevant"
