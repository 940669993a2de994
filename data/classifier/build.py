"""Build the classifier's labelled data: train.jsonl and dev.jsonl.

Two parts, both written by the driftwatch project: hand-written release-note
entries (handwritten.txt, handwritten-dev.txt) and entries made from phrasing
templates in the style of vendors' release notes. The dev set uses templates the
training set never sees, so `driftwatch eval` measures how the model does on
unfamiliar wording. Deterministic: run `python data/classifier/build.py` after
editing, then `driftwatch train`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODES = {
    "W": "write_action", "O": "oauth_scope", "P": "new_product", "D": "default_change",
    "H": "data_handling", "I": "identity_access", "C": "connector", "A": "agent_autonomy",
    "L": "audit_logging", "M": "model_lifecycle", "S": "security_fix", "X": "other",
}

SLOTS = {
    "conn": ["Google Drive", "SharePoint", "Outlook", "Teams", "Gmail", "Box", "Dropbox", "Notion",
             "Linear", "GitHub", "Slack", "Jira", "Confluence", "Salesforce", "HubSpot", "Asana",
             "Google Calendar", "OneDrive", "Zendesk", "Airtable"],
    "act": ["create and update files", "send emails", "post messages in channels", "delete records",
            "create calendar events", "edit documents", "comment on issues", "create pull requests",
            "upload attachments", "move and rename files", "update tickets", "share files with others",
            "create pages", "reply to threads"],
    "product": ["ChatGPT Enterprise", "Microsoft 365 Copilot", "Gemini for Workspace", "Slack AI",
                "GitHub Copilot", "Claude for Work", "Zoom AI Companion", "Atlassian Rovo", "Notion AI",
                "ChatGPT Business"],
    "scope": ["workspace", "tenant", "domain", "organization", "account"],
    "agentfeat": ["scheduled tasks", "browser use", "computer use", "background agents",
                  "autonomous coding tasks", "multi-step workflows", "code execution in a sandbox",
                  "agent mode", "recurring automations", "parallel agents"],
    "newprod": ["Atlas", "Pulse", "Record", "Workspace Studio", "Researcher", "Flows", "Spaces",
                "Canvas", "Tasks", "Notebook"],
    "datafeat": ["memory", "chat history import", "file uploads", "shared links", "conversation sharing",
                 "project sharing", "public links for GPTs", "meeting transcripts", "saved memories",
                 "cross-chat references"],
    "idfeat": ["SCIM provisioning", "SAML SSO enforcement", "custom roles", "IP allowlisting",
               "domain verification", "group-based access", "MFA enforcement", "session timeout controls",
               "service accounts", "role-based access control"],
    "logfeat": ["audit log", "compliance API", "SIEM export", "activity dashboard", "analytics API",
                "admin event stream", "usage reports", "eDiscovery export"],
    "model": ["GPT-5.2", "GPT-4o", "o4-mini", "Gemini 2.5 Pro", "Claude Sonnet 4.5", "GPT-5.1 Instant",
              "the legacy reasoning model", "GPT-4.1 mini"],
    "uifeat": ["sidebar", "model picker", "chat composer", "settings page", "search results",
               "canvas toolbar", "file preview", "voice mode", "mobile app", "dark mode"],
    "perm": ["Files.ReadWrite.All", "Mail.Send", "Sites.ReadWrite.All", "chat:write", "repo",
             "drive", "calendar.events", "ChannelMessage.Send"],
    "date": ["March 1", "next month", "January 15", "the next release", "June 2"],
}

# (severity, categories, [(title, body), ...]); the last template of each scenario is dev-only.
SCENARIOS = [
    ("high", "W,C,D", [
        ("{conn} write actions now on by default", "The {conn} app can now {act} on a member's behalf. These write actions are enabled by default for every {scope} that already uses {conn}."),
        ("{conn}: actions allowed for everyone", "Starting today, {conn} actions that {act} are turned on for all users. Admins can restrict them later."),
        ("Write access for {conn} enabled automatically", "{product} now connects to {conn} with write access enabled automatically, so members can {act} without admin approval."),
        ("{conn} can {act} by default", "{conn} in {product} can {act}. This capability is on by default; no admin action is required."),
        ("Default change for {conn} actions", "We changed the default for {conn}: actions that {act} are now allowed for all members unless an admin turns them off."),
    ]),
    ("medium", "W,C", [
        ("{conn} app gains write actions", "The {conn} app can now {act}. Write actions remain disabled by default; admins can enable them per role."),
        ("New actions for {conn}", "Members can ask {conn} to {act} after an admin turns on the new actions in settings."),
        ("{conn} write support", "{product} adds write support for {conn}: it can {act}. New write actions are off by default."),
        ("{conn} now supports actions", "You can now {act} with {conn} from {product}. Admins must enable actions before members can use them."),
        ("Take action in {conn}", "{conn} can now {act} when a user confirms. Admins control availability per group."),
    ]),
    ("medium", "C,P", [
        ("{conn} app now available", "{conn} is now available as an app in {product}. Admins must enable it before members can connect."),
        ("Introducing the {conn} connector", "The new {conn} connector lets members search and reference {conn} content in chats. It is disabled until an admin turns it on."),
        ("{conn} integration in beta", "A beta integration with {conn} is rolling out to {product} customers; {scope} admins opt in from the apps page."),
        ("Connect {conn} to {product}", "Members can now connect {conn} as a data source after admin approval."),
    ]),
    ("high", "C,D", [
        ("{conn} connector enabled for all users", "The {conn} connector is now on by default for every user in your {scope}. Admins can disable it in settings."),
        ("{conn} available to everyone automatically", "{product} now turns on the {conn} integration automatically for all members; no admin approval is needed."),
        ("Apps on by default including {conn}", "Apps such as {conn} are now enabled by default for new {scope}s."),
        ("{conn} no longer requires admin approval", "Members can connect {conn} without admin approval starting {date}."),
    ]),
    ("medium", "O,C", [
        ("{conn} requests new OAuth scopes", "The {conn} app now requests the {perm} scope to support upcoming features. Admins must approve the new permissions."),
        ("Updated permissions for {conn}", "{conn} integrations will ask for additional permissions ({perm}). Tenant admins need to grant consent again."),
        ("{conn} scope change", "To support new actions, the {conn} connector adds the {perm} OAuth scope. Review the consent request in your identity provider."),
        ("Re-consent needed for {conn}", "{product} now asks for broader permissions in {conn} ({perm}); each {scope} admin must re-authorize the app."),
    ]),
    ("high", "O,D,C", [
        ("{conn} scopes granted automatically", "Existing {conn} connections now include the {perm} scope automatically, without users or admins re-consenting."),
        ("Wider {conn} access without admin approval", "Users can grant {product} the {perm} permission for {conn} without admin approval."),
        ("{conn} connection now uses full access", "New {conn} connections request full access ({perm}) by default; admins can restrict to read-only."),
    ]),
    ("medium", "A", [
        ("Agents can run {agentfeat}", "{product} agents can now run {agentfeat}. Admins can limit who can use agents with roles."),
        ("{agentfeat} for agents", "Agents now support {agentfeat}, so a task can continue without a person starting each step. Available once an admin enables agent features."),
        ("New: {agentfeat}", "With {agentfeat}, the assistant can act autonomously across websites and apps. It is off by default for {scope}s."),
        ("Agent improvements: {agentfeat}", "Agent mode gains {agentfeat}. Admins control access in permissions."),
    ]),
    ("high", "A,D", [
        ("{agentfeat} on by default", "{agentfeat} is now enabled by default for all members of {product}. Admins can turn it off."),
        ("Agents available to every member", "Agent features including {agentfeat} are now turned on for all users automatically."),
        ("{agentfeat} enabled for all {scope}s", "Starting {date}, {agentfeat} will be enabled for all {scope}s unless an admin opts out."),
        ("Agent mode now allowed without admin approval", "Members can use {agentfeat} without admin approval; the setting defaults to on."),
    ]),
    ("medium", "P", [
        ("Introducing {newprod}", "{newprod} is a new way to work in {product}. It is in beta for Enterprise customers and off until an admin enables it."),
        ("{newprod} in research preview", "{newprod} is available as a research preview. Admins can allow it for selected groups."),
        ("{newprod} launches for business customers", "Today we are launching {newprod} for {product}. Admins can manage access in the admin console."),
        ("Early access to {newprod}", "{scope} admins can request early access to {newprod}, a new product surface in {product}."),
    ]),
    ("high", "P,D", [
        ("{newprod} available to all members", "{newprod} is now generally available and enabled by default for every member of {product}."),
        ("{newprod} rolls out to everyone", "{newprod} is rolling out and will be turned on for all users automatically on {date}."),
        ("{newprod} on for all {scope}s", "{newprod} is now on by default for all {scope}s; admins can disable it in settings."),
    ]),
    ("low", "L", [
        ("{logfeat} adds new events", "The {logfeat} now records admin setting changes with the actor and IP address."),
        ("Export the {logfeat}", "Admins can export the {logfeat} as JSON Lines to send to their SIEM."),
        ("{logfeat} for agents", "Agent and connector activity now appears in the {logfeat} for security review."),
        ("New {logfeat} endpoint", "A new {logfeat} endpoint lets compliance teams pull events programmatically."),
        ("{logfeat} retention extended", "Events in the {logfeat} are now kept for 180 days for auditing."),
    ]),
    ("low", "I", [
        ("{idfeat} for {product}", "Admins can now configure {idfeat} for their {scope}."),
        ("New admin control: {idfeat}", "A new setting lets owners enforce {idfeat} across the {scope}."),
        ("{idfeat} generally available", "{idfeat} is now available to all Enterprise {scope}s in the admin console."),
        ("Improved {idfeat}", "{idfeat} now supports groups from your identity provider."),
    ]),
    ("medium", "H", [
        ("{datafeat} for Enterprise", "{datafeat} is rolling out to Enterprise {scope}s. Admins can allow or disable it for members."),
        ("New: {datafeat}", "Members can now use {datafeat}; content is stored with your {scope} data. Admins can turn it off."),
        ("{datafeat} in projects", "Projects now support {datafeat}, which keeps content across chats."),
        ("{datafeat} across devices", "{datafeat} now syncs across web, desktop and mobile."),
    ]),
    ("high", "H,D", [
        ("{datafeat} on by default", "{datafeat} is now enabled by default for all members. Members can turn it off in settings."),
        ("{datafeat} turned on for everyone", "Starting {date}, {datafeat} will be on for all users in your {scope} unless an admin opts out."),
        ("Default change: {datafeat}", "We changed the default so that {datafeat} is available to every member automatically."),
    ]),
    ("low", "H", [
        ("Custom retention for {product}", "Owners can now set a custom data retention period for conversations in their {scope}."),
        ("Data residency options", "{product} customers can now choose where data is stored at rest."),
        ("Admins can disable {datafeat}", "A new data control lets admins turn off {datafeat} for the whole {scope}."),
        ("Bring your own encryption keys", "Enterprise {scope}s can now manage encryption keys for stored data."),
    ]),
    ("low", "S", [
        ("Security fix in the {uifeat}", "We patched a vulnerability that could allow a crafted page to read content from the {uifeat}."),
        ("Fixed a prompt injection issue", "Fixed an issue that could allow instructions hidden in a {conn} document to trigger tool calls."),
        ("Hardening for agent sandboxes", "Agent sandboxes now block outbound connections to unapproved domains, mitigating data exfiltration."),
        ("Security update", "This release addresses a privilege escalation issue reported through the bug bounty program."),
    ]),
    ("info", "M", [
        ("{model} now available", "{model} is now available in the model picker for {product} users."),
        ("{model} retiring on {date}", "{model} will be retired on {date}. Conversations move to the newest model."),
        ("Deprecation of {model}", "{model} is deprecated and will be removed from the API; migrate to a newer model."),
        ("{model} gets better at coding", "{model} now scores higher on coding benchmarks and follows instructions more closely."),
    ]),
    ("info", "X", [
        ("Faster {uifeat}", "The {uifeat} now loads up to twice as fast."),
        ("Redesigned {uifeat}", "The {uifeat} has a cleaner layout and clearer labels."),
        ("Bug fixes for the {uifeat}", "Fixed an issue where the {uifeat} would flicker on resize."),
        ("Pricing changes for {product}", "Annual plans for {product} now include a lower per-seat price."),
        ("Keyboard shortcuts in the {uifeat}", "New keyboard shortcuts make the {uifeat} quicker to use."),
        ("{uifeat} accessibility improvements", "The {uifeat} now works better with screen readers."),
    ]),
]

PER_TEMPLATE = {"high": 9, "medium": 6, "low": 6, "info": 6}


def _fill(template: str, rng: random.Random, chosen: dict[str, str]) -> str:
    for name, values in SLOTS.items():
        token = "{" + name + "}"
        if token in template:
            if name not in chosen:
                chosen[name] = rng.choice(values)
            template = template.replace(token, chosen[name])
    return template


def read_handwritten(path: Path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        severity, codes, title, body = line.split("|", 3)
        out.append(example(title, body, severity, codes))
    return out


def example(title: str, body: str, severity: str, codes: str) -> dict:
    categories = [CODES[c.strip()] for c in codes.split(",")]
    return {"title": title, "body": body, "categories": categories, "severity": severity,
            "security_relevant": severity != "info"}


def templated(rng: random.Random) -> tuple[list[dict], list[dict]]:
    train, dev = [], []
    for severity, codes, templates in SCENARIOS:
        for index, (title_t, body_t) in enumerate(templates):
            target = dev if index == len(templates) - 1 else train
            seen: set[str] = set()
            for _ in range(PER_TEMPLATE[severity] if target is train else 3):
                chosen: dict[str, str] = {}
                title = _fill(title_t, rng, chosen)
                body = _fill(body_t, rng, chosen)
                if title + body in seen:
                    continue
                seen.add(title + body)
                target.append(example(title, body, severity, codes))
    return train, dev


def main() -> None:
    rng = random.Random(20251120)
    train_t, dev_t = templated(rng)
    train = read_handwritten(HERE / "handwritten.txt") + train_t
    dev = read_handwritten(HERE / "handwritten-dev.txt") + dev_t
    rng.shuffle(train)
    for name, rows in (("train.jsonl", train), ("dev.jsonl", dev)):
        with (HERE / name).open("w") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} examples")


if __name__ == "__main__":
    main()
