"""Rule-based classifier: phrase rules per category, polarity of "by default", severity rules.

Every category decision keeps the phrase that caused it, so the team can see
why a change was flagged.
"""

from __future__ import annotations

import re

from driftwatch.models import Classification

VERSION = "rules-1"

CATEGORIES = (
    "write_action", "oauth_scope", "new_product", "default_change", "data_handling",
    "identity_access", "connector", "agent_autonomy", "audit_logging", "model_lifecycle",
    "security_fix", "other",
)

CONNECTORS = (
    "Google Drive", "Google Docs", "Google Sheets", "Google Calendar", "Google Contacts", "Gmail",
    "SharePoint", "OneDrive", "Outlook", "Teams", "Microsoft 365", "Box", "Dropbox", "Notion",
    "Linear", "GitHub", "GitLab", "Slack", "Jira", "Confluence", "Salesforce", "HubSpot", "Zoom",
    "Asana", "Canva", "Figma", "Intercom", "Zendesk", "Airtable", "Stripe",
)

_RULES: dict[str, list[str]] = {
    "write_action": [
        r"write (?:actions?|access|capabilit\w+|support)",
        r"(?:can|could|now|will) (?:now )?(?:create|update|edit|modify|delete|send|post|upload|write|move|share|rename|comment)\b[^.]{0,60}",
        r"create and (?:update|edit|send)\w*",
        r"destructive actions?",
        r"\bsend (?:emails?|messages?|invites?)",
    ],
    "oauth_scope": [
        r"oauth(?: 2\.0)? scopes?", r"\bscopes?\b", r"(?:additional|new|broader|wider) permissions",
        r"consent (?:screen|prompt)", r"admin consent",
    ],
    "new_product": [
        r"\bintroduc\w+\b", r"\blaunch\w*\b", r"now (?:generally )?available", r"\bbeta\b",
        r"research preview", r"\bpreview\b", r"new (?:product|app|surface|feature)",
        r"\brolling out\b",
    ],
    "default_change": [
        r"(?:on|enabled|turned on|available|allowed) (?:by|as the) default",
        r"by default\b", r"default (?:setting|value) (?:is|now|changes?)", r"automatically (?:enabled|on)",
        r"no longer (?:requires?|need) admin",
    ],
    "data_handling": [
        r"\bretention\b", r"data residency", r"\bresidency\b", r"\btraining\b", r"\bmemory\b",
        r"\bmemories\b", r"file (?:uploads?|handling|storage)", r"\bsharing\b", r"\bshare(?:d|able)? links?\b",
        r"\bencrypt\w*", r"\bdata controls?\b", r"\bdelete(?:d|s)? (?:data|conversations?)",
    ],
    "identity_access": [
        r"\bsso\b", r"\bsaml\b", r"\bscim\b", r"\brbac\b", r"\broles?\b", r"\bgroups?\b",
        r"ip allow ?list\w*", r"\bdomain (?:verification|capture)\b", r"\bseats?\b",
        r"\bpermissions?\b", r"\bidentity provider\b", r"\bmfa\b|multi-factor",
    ],
    "connector": [
        r"\bconnectors?\b", r"\bintegrations?\b", r"\bconnected apps?\b", r"\bapps? in chatgpt\b",
        r"\bmcp\b", r"\bplugins?\b", r"\bdata sources?\b",
    ],
    "agent_autonomy": [
        r"\bagent(?: mode)?\b", r"\bagents\b", r"scheduled tasks?", r"\bautonom\w+", r"browser use",
        r"computer use", r"code execution", r"\bexecute\w* (?:code|commands?)", r"\batlas\b",
        r"\bcodex\b", r"\brecurring tasks?\b", r"internet access",
    ],
    "audit_logging": [
        r"compliance (?:api|logs?(?: platform)?)", r"audit logs?", r"\baudit\w*\b", r"\banalytics\b",
        r"\blogs? (?:export|platform)\b", r"\bsiem\b", r"\bexports?\b",
    ],
    "model_lifecycle": [
        r"\bgpt-\d[\w.-]*", r"\bo\d(?:-\w+)?\b", r"\bretir\w+", r"\bdeprecat\w+", r"\bsunset\w*",
        r"\bmodels?\b",
    ],
    "security_fix": [
        r"\bvulnerabilit\w+", r"\bcve-\d{4}-\d+", r"\bpatch\w*", r"\bharden\w*", r"\bsecurity fix\w*",
        r"\bexfiltration\b", r"\bprompt injection\b",
    ],
}
_COMPILED = {cat: [re.compile(p, re.I) for p in pats] for cat, pats in _RULES.items()}
_CONNECTOR_RE = re.compile(r"\b(" + "|".join(re.escape(c) for c in CONNECTORS) + r")\b")
_OFF_BY_DEFAULT = re.compile(
    r"(?:off|disabled|not enabled|turned off|opt-in)(?: by default)|remains? (?:disabled|off)|"
    r"admins? (?:must|can|need to) (?:enable|turn on|opt in)|(?:default|defaults) to (?:off|disabled)",
    re.I,
)
_ON_BY_DEFAULT = re.compile(
    r"(?:on|enabled|turned on|available|allowed|active) (?:by|as the) default|"
    r"default(?:s)? to (?:on|enabled)|automatically (?:enabled|turned on|on)|"
    r"no longer requires? admin",
    re.I,
)


def classify(title: str, body: str = "") -> Classification:
    text = f"{title}. {body}"
    reasons: list[str] = []
    categories: list[str] = []
    connector_match = _CONNECTOR_RE.search(text)
    for category, patterns in _COMPILED.items():
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                categories.append(category)
                phrase = " ".join(match.group(0).split())
                where = f" ({connector_match.group(1)})" if category in ("write_action", "connector") and connector_match else ""
                reasons.append(f'{category}: "{phrase}"{where}')
                break
    if connector_match and "connector" not in categories:
        categories.append("connector")
        reasons.append(f'connector: "{connector_match.group(1)}"')
    off = _OFF_BY_DEFAULT.search(text)
    on = _ON_BY_DEFAULT.search(text)
    if "default_change" in categories and off and not on:
        categories.remove("default_change")
        reasons = [r for r in reasons if not r.startswith("default_change")]
        reasons.append(f'polarity: "{" ".join(off.group(0).split())}" (stays off)')

    severity = _severity(categories, default_on=bool(on) and not (off and off.start() < on.start()))
    if severity == "high" and on:
        reasons.append(f'high: "{" ".join(on.group(0).split())}"')
    if not categories:
        categories = ["other"]
    return Classification(
        security_relevant=severity != "info",
        severity=severity,
        categories=categories,
        reasons=reasons,
        version=VERSION,
    )


def _severity(categories: list[str], *, default_on: bool) -> str:
    cats = set(categories)
    widening = cats & {"write_action", "oauth_scope", "connector", "agent_autonomy", "data_handling"}
    if default_on and widening:
        return "high"
    if "write_action" in cats and ("connector" in cats or "agent_autonomy" in cats) and "default_change" in cats:
        return "high"
    if widening or "new_product" in cats and cats - {"new_product", "model_lifecycle"}:
        return "medium"
    if cats & {"audit_logging", "identity_access", "security_fix", "default_change"}:
        return "low"
    return "info"
