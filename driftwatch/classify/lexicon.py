"""The words the classifier's rules look for: products, connectors, cue phrases, polarity.

Data, not logic. Phrases are matched case-insensitively on whole tokens by
spaCy's PhraseMatcher; a change to this file changes the model fingerprint,
so the shipped model must be retrained (``driftwatch train``).
"""

from __future__ import annotations

CATEGORIES = (
    "write_action", "oauth_scope", "new_product", "default_change", "data_handling",
    "identity_access", "connector", "agent_autonomy", "audit_logging", "model_lifecycle",
    "security_fix", "other",
)

PRODUCTS = (
    "ChatGPT", "ChatGPT Enterprise", "ChatGPT Edu", "ChatGPT Business", "ChatGPT Team", "Codex",
    "Codex cloud", "Codex CLI", "Codex app", "Agent mode", "ChatGPT agent", "Atlas", "ChatGPT Atlas",
    "GPTs", "custom GPTs", "Deep research", "Memory", "Record", "Canvas", "Projects", "Sora",
    "Operator", "Tasks", "Pulse", "Study mode", "Advanced Voice", "Connectors", "Apps", "Skills",
    "Copilot", "Microsoft 365 Copilot", "Copilot Studio", "Gemini", "Gemini for Workspace",
    "NotebookLM", "Slack AI", "Agentforce", "GitHub Copilot", "Copilot coding agent", "Claude",
    "Responses API", "Assistants API", "Realtime API", "Agents SDK", "AgentKit",
)

CONNECTORS = (
    "Google Drive", "Google Docs", "Google Sheets", "Google Slides", "Google Calendar",
    "Google Contacts", "Gmail", "SharePoint", "OneDrive", "Outlook", "Teams", "Microsoft Teams",
    "Microsoft 365", "Box", "Dropbox", "Notion", "Linear", "GitHub", "GitLab", "Slack", "Jira",
    "Confluence", "Salesforce", "HubSpot", "Zoom", "Asana", "Canva", "Figma", "Intercom", "Zendesk",
    "Airtable", "Stripe", "Snowflake", "Databricks", "ServiceNow", "Workday", "Atlassian",
    "Monday.com", "ClickUp", "Egnyte", "Clay", "Vercel", "Cloudflare",
)

# Cue phrases per category. Short, generic words are avoided where they mislead
# ("role" alone appears in "plays a role"), multi-word phrases preferred.
CUES: dict[str, tuple[str, ...]] = {
    "write_action": (
        "write actions", "write action", "write access", "write capabilities", "write support",
        "write permissions", "write operations", "can now create", "can now update", "can now edit",
        "can now delete", "can now send", "can now post", "can now upload", "can now modify",
        "can now write", "can now move", "can now rename", "can now share", "can now schedule",
        "can now book", "can now comment", "can now reply", "can now draft", "create and update",
        "create and edit", "create, update", "send emails", "send email", "send messages",
        "post messages", "create issues", "create pull requests", "open pull requests", "push commits",
        "create events", "create documents", "create files", "edit files", "delete files",
        "modify files", "destructive actions", "destructive", "take actions", "perform actions",
        "actions on your behalf", "on behalf of", "make changes", "complete purchases",
        "merge pull requests", "create tickets", "update records", "create issues", "push files",
        "create branches", "draft emails", "apply edits", "edit open files", "read/write", "read-write",
        "write capabilities", "write tools", "projects_write", "create, update, and", "take action in",
        "post updates", "posts updates", "add comments", "adds comments", "opens pull requests",
        "change the status", "changes the status", "change the assignee", "changes the assignee",
        "create calendar invites", "send calendar invites", "write changes", "writes changes", "reply to",
        "replies to",
    ),
    "oauth_scope": (
        "oauth", "oauth scopes", "oauth scope", "scopes", "consent screen", "admin consent",
        "additional permissions", "new permissions", "broader permissions", "wider permissions",
        "requested permissions", "permission requests", "graph permissions", "api permissions",
        "files.readwrite.all", "mail.send", "sites.readwrite.all", "read and write access",
        "access to all files", "full access", "re-consent", "reauthorize", "re-authorize",
        "grant access", "application scopes", "delegated scopes", "delegated permissions",
        "application permissions", "app-only", "scope requests", "token's oauth scopes", "consent",
        "request access to", "requests access to", "new read permission", "new read permissions",
        "additional scopes", "new scope", "new scopes", "broader access", "expanded permissions",
        "additional permission", "app-only authentication", "grant the additional",
    ),
    "new_product": (
        "introducing", "new product", "new app", "new surface", "launching", "research preview",
        "technical preview", "public beta", "new desktop app", "add-in", "add-ins",
        "coming to", "brings", "new plan", "new way",
        "public preview", "private preview", "early access", "new agent", "new client",
        "new experience", "new hosting", "introduces", "launches", "generally available",
        "general availability", "new tool",
    ),
    "default_change": (
        "by default", "default setting", "default settings", "default value", "defaults to",
        "default behavior", "default behaviour", "now default", "new default", "turned on for",
        "automatically enabled", "enabled automatically", "automatically turned on",
        "on for all", "enabled for all", "opt-out", "opt out", "default on", "default off",
        "changing the default", "changed the default", "no longer requires admin",
        "without admin approval", "without admin action",
    ),
    "data_handling": (
        "retention", "data retention", "data residency", "residency", "training", "train on",
        "used to train", "memory", "memories", "saved memories", "chat history", "file uploads",
        "file upload", "uploaded files", "file storage", "sharing", "shared links", "share links",
        "public links", "public link", "shareable", "data controls", "data sharing", "export data",
        "encryption", "encrypted", "encryption keys", "ekm", "byok", "delete conversations",
        "kept indefinitely", "stored indefinitely", "retained indefinitely", "kept until", "deleted after",
        "geography", "processed outside", "in any region", "outside your region",
        "deletion", "data handling", "personal data", "pii", "sensitive data", "conversation history",
        "temporary chat", "zero data retention", "data processing", "dlp", "share", "shares",
        "shared projects", "shared with", "share with", "anyone with the link", "external viewers",
        "outside your workspace", "outside the workspace", "guest sharing", "external sharing",
        "publicly accessible", "public spaces", "forward", "page context", "key management", "kms",
        "synced data", "sync", "synced", "indexed", "automatically reference", "indexes", "pre-indexes",
        "stored", "zdr", "data loss prevention",
        "sensitivity labels", "transcripts", "attachments", "local files", "past chats", "context from",
        "cookies", "passwords", "browser history", "inference_geo",
        "masks", "masking", "redact", "redacts", "redaction", "external models", "third-party models",
        "send data", "sends data",
        "files and messages", "take notes", "takes notes", "meeting notes", "what was said", "draw on",
        "draws on", "grounded in", "grounding", "reference files", "references files",
        "ingest", "ingests", "reads your inbox", "read your inbox", "sensitivity label",
        "outside your account", "outside your organization", "people outside", "external invitees", "external participants",
    ),
    "identity_access": (
        "sso", "saml", "scim", "role-based access", "custom roles", "roles", "user groups",
        "groups", "ip allowlist", "ip allowlisting", "ip allow list", "domain verification",
        "domain capture", "verified domain", "identity provider", "idp",
        "entra id", "azure ad", "mfa", "multi-factor", "two-factor", "2fa", "passkeys",
        "permissions", "access controls", "user provisioning", "provisioning",
        "deprovisioning", "service accounts", "api keys", "admin keys", "least privilege",
        "access policy", "group manager", "delegate",
        "delegated", "admin apis", "admin api", "sign in with", "access tokens",
        "identity federation", "oidc", "access restrictions", "bypass actor",
        "security manager role", "editors", "logged in", "logged out", "sign-in",
        "authenticator", "authenticators", "phishing-resistant", "authentication policy",
        "authentication policies", "conditional access", "session length", "session timeout", "idle timeout",
        "stay logged in", "stay signed in", "credentials", "secrets", "app-only authentication",
        "access management", "guest access", "guest accounts",
        "ip ranges", "ssh",
    ),
    "connector": (
        "connector", "connectors", "integration", "integrations", "connected apps", "connected app",
        "apps in chatgpt", "app directory", "apps sdk", "mcp", "mcp server", "mcp servers",
        "model context protocol", "plugin", "plugins", "data source", "data sources",
        "synced connectors", "marketplace", "third-party apps", "custom connectors", "plugin directory",
        "app templates", "add-ins", "add-in", "synced connector", "github app", "apps",
        "app integrations", "connected apps", "certified apps",
    ),
    "agent_autonomy": (
        "agent", "agents", "agent mode", "agentic", "autonomous", "autonomously", "scheduled tasks",
        "scheduled task", "recurring tasks", "browser use", "computer use", "operator",
        "code execution", "execute code", "run code", "runs code", "shell commands",
        "sandbox", "internet access", "browse the web", "browses", "coding agent",
        "without supervision", "multi-step", "automations",
        "atlas", "sub-agents", "parallel agents", "remote control", "ssh",
        "hosted shell", "networking in containers", "goal mode", "unattended", "background tasks",
        "thread automations", "control your computer", "see, click, and type", "tool calls",
        "long-running", "on a schedule", "agentic",
        "without asking", "without asking first", "without confirmation",
    ),
    "audit_logging": (
        "audit log", "audit logs", "audit logging", "auditing", "compliance api", "compliance logs",
        "compliance logs platform", "logs platform", "event logs", "activity logs", "log export",
        "siem", "analytics", "usage analytics",
        "ediscovery", "legal hold", "user analytics", "codex analytics", "activity feed", "audit",
        "health dashboards", "compliance", "session transcripts", "logs",
        "activity page", "activity report", "access logs", "admin activity",
        "system log", "event monitoring", "audit trail", "audit trails",
    ),
    "model_lifecycle": (
        "retire", "retired", "retiring", "retirement", "deprecate", "deprecated",
        "deprecation", "sunset", "sunsetting", "end of life", "model picker", "reasoning model",
        "new model", "legacy model", "legacy models", "snapshot", "model launch", "launched claude",
        "new models", "model family", "model release", "fallback model", "default model",
    ),
    "security_fix": (
        "vulnerability", "vulnerabilities", "security fix", "security fixes", "security patch",
        "patched", "cve", "hardening", "hardened", "exfiltration", "prompt injection",
        "security issue", "security update", "token leakage", "fixed an issue that could allow",
        "mitigation", "mitigated", "sandbox escape", "privilege escalation",
        "workspace trust", "security vulnerability", "could expose", "could allow",
        "no longer runs automatically", "unauthorized access",
    ),
}

# Polarity of defaults, in four kinds (see components.py for how they combine):
# ON: a capability arrives switched on for people without an admin acting;
# OPT_OUT: it stays or turns on unless someone switches it off (also "on");
# WEAK_ON: wide availability wording that an explicit "off" phrase overrides;
# OFF: the look-alikes: off by default, admin-gated, stays disabled.
# An OFF phrase that overlaps an ON phrase wins ("not enabled by default").
ON_BY_DEFAULT = (
    "on by default", "enabled by default", "turned on by default", "available by default",
    "allowed by default", "active by default", "default on", "defaults to on", "defaults to enabled",
    "automatically enabled", "enabled automatically", "automatically turned on", "on for all users",
    "enabled for all users", "enabled for all workspaces", "on for everyone",
    "available to all users by default", "without admin approval", "no admin action required",
    "no admin action is required", "no admin action required before the rollout",
    "no longer requires admin approval", "no longer require admin approval",
    "now on by default", "enabled for all members", "automatically available", "auto-enabled",
    "default to on", "without approval", "without asking for approval", "no approval needed",
    "no admin approval", "to every member automatically", "to all members automatically",
    "enabled for every member", "on for all tenants", "on for all domains",
    "on for all workspaces", "on for all organizations", "on for all accounts", "allowed for all members",
    "allowed for all users", "displayed by default", "turns on automatically", "turn on automatically",
    "turns on for everyone", "turn on for everyone", "turned on for everyone", "will be default on",
    "become available by default", "becomes available by default", "made available by default",
    "enabled by default for", "on by default for", "switched on for all", "turned on for all",
    "turned on automatically", "activated automatically", "switched on automatically",
    "with no one approving", "without anyone approving", "without human approval",
    "enabled automatically for", "applies automatically", "apply automatically",
)
OPT_OUT = (
    "opt-out", "unless an admin opts out", "unless admins opt out", "unless an admin turns",
    "unless admins turn", "admins can opt out", "admin can opt out", "owners can opt out", "can opt out",
    "opt out before", "if you take no action", "if no action is taken",
    "option to proactively disable", "unless you've used the following controls", "unless you opt out",
    "toggle off", "to disable this functionality", "users can disable", "users can turn off",
)
WEAK_ON = (
    "enabled for all", "rolling out to all users", "rolling out to all", "available to all users",
    "on for all", "enabled for everyone", "will be enabled", "are now enabled", "is now enabled",
    "available to every member", "rolls out to everyone", "available to everyone", "available to anyone",
    "available to every user", "available to all members", "available to all employees",
    "rolling out to every user", "rolling out to all members",
)
OFF_BY_DEFAULT = (
    "off by default", "disabled by default", "not enabled by default", "remain disabled",
    "remains disabled", "remain off", "remains off", "stay off", "stays off", "turned off by default",
    "opt-in", "opt in", "admins must enable", "admins can enable", "admin must enable", "admin can enable",
    "owners can enable", "owners must enable", "owners must turn on", "admins must turn on",
    "admins need to enable", "requires admin approval", "require admin approval",
    "admin approval required", "disabled until", "must be enabled by", "not on by default",
    "defaults to off", "defaults to disabled", "no change to defaults", "default to off",
    "admins can turn on", "admins can opt in", "needs to be enabled", "must be turned on",
    "not installed by default", "defaulted off", "default off", "off until", "until an admin",
    "must be enabled", "by default disabled", "is default off", "admins can enable access",
    "need to set up", "disabled by default for", "admin policy", "remain off by default",
    "starts switched off", "start switched off", "starts turned off",
    "until an owner turns it on", "until an admin turns it on", "until an owner", "until owners", "until admins",
)
# An "on" default that protects rather than widens ("SSO now enforced by default",
# "push protection enabled by default") or keeps things as they were: never high.
PROTECTIVE_DEFAULT = (
    "enforced by default", "required by default", "blocked by default", "read-only by default",
    "restricted by default", "now turned off by default", "now off by default", "now disabled by default",
    "view-only by default", "read-only permissions by default", "remains enabled by default",
    "remain enabled by default", "continue to allow", "continues to allow", "do not override",
    "honor your existing",
)
PROTECTIVE_WORDS = (
    "protection", "protect", "protects", "enforced", "enforce", "enforcement", "blocked",
    "restricted", "read-only", "view-only", "mfa", "sso", "encryption", "updater", "hardening",
    "secret", "secrets", "tightened", "restriction", "restrictions", "stricter", "tightening",
    "privacy", "zero-retention", "zero",
)
# "Nothing changes" wording: the hard negatives of the labelling rules.
NO_CHANGE = (
    "no change to your controls", "no changes to your controls", "no changes to workspace controls",
    "no change to workspace controls", "does not modify", "do not modify", "do not grant access",
    "does not grant", "does not change", "do not change", "unchanged", "labeling update only",
    "labelling update only", "is unaffected", "are unaffected", "remain unchanged", "remains unchanged",
    "holding off", "not launching", "no new permissions", "does not affect", "existing restrictions",
    "model and model weights are unchanged", "no security impact", "never used to train",
    "not used to train", "will not be used to train", "no impact on admin policies",
    "as before", "work as before", "works as before", "permissions are unchanged", "settings are unchanged",
    "controls are unchanged", "existing settings are respected", "no change to existing",
    "are not affected", "is not affected", "are not changed", "is not changed", "no admin control for this feature",
    "policies are unchanged", "visual change only", "a visual change only",
    "stay exactly as they were", "stays exactly as it was", "stay as they were", "was never affected",
    "a display issue only", "display issue only", "themselves are unchanged", "no new data is collected",
    "no changes to audit log events",
    "were never affected", "only the name changes", "only the name is changing", "keep their existing values",
    "keeps its existing value",
    "carry over as they are", "carry over unchanged", "nothing else changes", "no other changes",
)
# The strictest of those: the entry says it is only a rename or leaves every control as it was.
# A rule on their own (not relevant unless the model is very sure), as the labelling rules'
# hard negatives are.
NOTHING_CHANGES = (
    "labeling update only", "labelling update only", "label update only", "naming change only",
    "name change only", "rename only", "branding change only", "cosmetic change only",
    "no functional changes", "no functional change", "no change to your controls",
    "no changes to your controls", "no changes to workspace controls", "no change to workspace controls",
    "no changes to admin controls", "no change to admin controls", "no impact on admin policies",
    "no workspace settings have changed", "no settings have changed", "no security impact",
    "no change to the data collected", "no change to permissions", "no changes to permissions",
    "labeling change only", "labelling change only", "permissions are unchanged", "settings are unchanged",
    "controls are unchanged", "works as before", "work as before", "only the name changes", "only the name is changing",
    "keep their existing values", "carry over as they are", "carry over unchanged", "visual change only",
    "display issue only", "themselves are unchanged", "carries over unchanged", "no new permissions",
    "no new scopes", "no new roles",
)
# A service window: the product is down or slow for a while and nothing about it changes.
MAINTENANCE = (
    "planned maintenance", "scheduled maintenance", "maintenance window", "maintenance windows",
    "will undergo maintenance", "will perform maintenance", "maintenance on", "service window",
)
# Wording that makes a change read as a new control for admins (low), not a new capability.
CONTROL = (
    "admins can now", "admin can now", "owners can now", "owners and admins can now",
    "admins and owners can now", "new control", "new controls", "new setting", "new admin setting",
    "can now turn off", "can now disable", "can now restrict", "can now control", "can now require",
    "can now set", "restricts", "restrict access", "control whether", "control which", "manage access",
    "allowlisting", "least privilege", "can no longer", "no longer be able", "narrows", "expiration",
    "short-lived", "instead of long-lived", "data residency", "residency", "require approval",
    "review process", "more control", "greater control",
)

# Network endpoints and addresses: a change here makes admins update allowlists and proxies,
# relevant even with no other cue (the labelling rules file it as "other", low).
NETWORK = (
    "ip ranges", "ip range", "ip addresses", "ip address", "egress", "firewall", "firewalls",
    "allowlist", "allow list", "allowlists", "outbound traffic", "network traffic", "cidr",
    "new endpoint", "new domain", "domains", "proxy", "proxies", "network access",
)

# Phrases that mark text as not security relevant when nothing else fires.
NOISE = (
    "faster", "performance", "latency", "bug fixes", "bug fix", "fixed a bug", "ui", "design",
    "dark mode", "keyboard shortcuts", "pricing", "price", "billing", "layout", "typo",
    "improved quality", "quality improvements", "more natural", "formatting", "redesigned", "redesign",
    "navigation", "sidebar", "viewer", "suggestions", "shortcut", "rate limits", "message limit",
    "message limits", "usage limits", "limits", "cost", "billed", "per mtok", "accuracy",
    "improvements", "worktrees", "terminals", "multiline", "intonation", "personality", "seat type",
    "dashboard", "smarter", "easier", "usability", "no action is required",
)
# Developer-convenience wording (API parameters, headers, SDKs): not relevant unless a data,
# access or default change comes with it.
DEVELOPER = (
    "api", "sdk", "cli", "beta header", "parameter", "parameters", "endpoint", "response", "request",
    "requests", "header", "developers", "messages api", "responses api", "batch", "batches", "field",
    "fields", "max_tokens", "tokens", "webhooks", "webhook", "streaming", "schema", "json",
)
# Who a change is for: admin- and organisation-facing wording leans relevant.
ADMIN_FACING = (
    "admins", "admin", "administrators", "owners", "workspace owners", "workspace admins", "tenant",
    "tenants", "organization", "organizations", "enterprise", "edu", "it admins", "global admins",
    "admin center", "admin console", "workspace settings", "policy", "policies",
)

# Cue phrases that decide their category on their own, whatever the model says:
# unambiguous wording that a security engineer would always file there.
STRONG_CUES: dict[str, tuple[str, ...]] = {
    "write_action": ("write actions", "write action", "write access", "write capabilities",
                     "write support", "destructive actions", "send emails", "send email",
                     "create pull requests", "can now send", "can now delete", "can now create",
                     "can now update", "can now edit", "can now post"),
    "oauth_scope": ("oauth", "oauth scopes", "oauth scope", "admin consent", "consent screen",
                    "files.readwrite.all", "mail.send", "sites.readwrite.all"),
    "agent_autonomy": ("agent mode", "computer use", "browser use", "scheduled tasks", "code execution",
                       "coding agent", "chatgpt agent", "autonomously", "autonomous", "internet access"),
    "audit_logging": ("audit log", "audit logs", "audit logging", "compliance api", "compliance logs",
                      "compliance logs platform", "logs platform", "siem", "ediscovery"),
    "security_fix": ("vulnerability", "vulnerabilities", "cve", "exfiltration", "prompt injection",
                     "sandbox escape", "privilege escalation", "security fix", "security patch"),
    "identity_access": ("sso", "saml", "scim", "ip allowlist", "ip allowlisting",
                        "domain verification", "custom roles", "role-based access", "mfa", "multi-factor"),
    "data_handling": ("data retention", "data residency", "encryption keys", "memory", "saved memories",
                      "zero data retention"),
    "connector": ("connector", "connectors", "connected apps", "mcp server", "mcp servers"),
}
