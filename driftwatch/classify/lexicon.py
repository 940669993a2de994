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
        "merge pull requests", "create tickets", "update records",
    ),
    "oauth_scope": (
        "oauth", "oauth scopes", "oauth scope", "scopes", "consent screen", "admin consent",
        "additional permissions", "new permissions", "broader permissions", "wider permissions",
        "requested permissions", "permission requests", "graph permissions", "api permissions",
        "files.readwrite.all", "mail.send", "sites.readwrite.all", "read and write access",
        "access to all files", "full access", "re-consent", "reauthorize", "re-authorize",
        "grant access",
    ),
    "new_product": (
        "introducing", "now available", "generally available", "general availability", "beta",
        "in beta", "public beta", "research preview", "in preview", "public preview", "early access", "launching",
        "launched", "launches", "new product", "new app", "new surface", "available today",
        "rolling out", "now rolling out", "alpha", "limited preview", "waitlist",
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
        "deletion", "data handling", "personal data", "pii", "sensitive data", "conversation history",
        "temporary chat", "zero data retention", "data processing", "dlp", "share", "shares",
        "shared projects", "shared with", "share with", "anyone with the link",
    ),
    "identity_access": (
        "sso", "saml", "scim", "rbac", "role-based access", "custom roles", "roles", "user groups",
        "groups", "ip allowlist", "ip allowlisting", "ip allow list", "allowlist", "domain verification",
        "domain capture", "verified domain", "seats", "seat", "identity provider", "idp", "okta",
        "entra id", "azure ad", "mfa", "multi-factor", "two-factor", "2fa", "passkeys",
        "permissions", "access controls", "admin controls", "user provisioning", "provisioning",
        "deprovisioning", "service accounts", "api keys", "admin keys", "least privilege",
        "workspace admins", "owners and admins", "access policy",
    ),
    "connector": (
        "connector", "connectors", "integration", "integrations", "connected apps", "connected app",
        "apps in chatgpt", "app directory", "apps sdk", "mcp", "mcp server", "mcp servers",
        "model context protocol", "plugin", "plugins", "data source", "data sources",
        "synced connectors", "marketplace", "third-party apps", "custom connectors",
    ),
    "agent_autonomy": (
        "agent", "agents", "agent mode", "agentic", "autonomous", "autonomously", "scheduled tasks",
        "scheduled task", "recurring tasks", "browser use", "computer use", "operator",
        "code execution", "execute code", "run code", "runs code", "shell commands",
        "sandbox", "internet access", "browse the web", "browses", "codex", "coding agent",
        "without supervision", "multi-step", "workflows", "automations",
        "atlas", "deep research", "sub-agents", "parallel agents",
    ),
    "audit_logging": (
        "audit log", "audit logs", "audit logging", "auditing", "compliance api", "compliance logs",
        "compliance logs platform", "logs platform", "event logs", "activity logs", "log export",
        "siem", "analytics", "usage analytics",
        "ediscovery", "legal hold", "user analytics", "codex analytics",
    ),
    "model_lifecycle": (
        "model", "models", "retire", "retired", "retiring", "retirement", "deprecate", "deprecated",
        "deprecation", "sunset", "sunsetting", "end of life", "model picker", "gpt-4o", "gpt-4.1",
        "gpt-5", "gpt-5.1", "gpt-5.2", "o3", "o4-mini", "reasoning model", "new model",
        "legacy model", "legacy models", "snapshot",
    ),
    "security_fix": (
        "vulnerability", "vulnerabilities", "security fix", "security fixes", "security patch",
        "patched", "cve", "hardening", "hardened", "exfiltration", "prompt injection",
        "security issue", "security update", "token leakage", "fixed an issue that could allow",
        "mitigation", "mitigated", "sandbox escape", "privilege escalation",
    ),
}

# Polarity of defaults. An OFF phrase that overlaps an ON phrase wins
# ("not enabled by default" contains "enabled by default").
ON_BY_DEFAULT = (
    "on by default", "enabled by default", "turned on by default", "available by default",
    "allowed by default", "active by default", "default on", "defaults to on", "defaults to enabled",
    "automatically enabled", "enabled automatically", "automatically turned on", "on for all users",
    "enabled for all users", "enabled for all workspaces", "turned on for all", "on for everyone",
    "available to all users by default", "without admin approval", "no admin action required",
    "no longer requires admin approval", "no longer require admin approval", "opt-out",
    "will be enabled", "are now enabled", "is now enabled", "now on by default",
    "enabled for all members", "automatically available", "auto-enabled", "default to on",
    "without approval", "without asking", "without asking for approval", "no approval needed",
    "no admin approval", "to every member automatically", "to all members automatically",
    "available to every member", "enabled for every member", "on for all tenants", "on for all domains",
    "on for all workspaces", "on for all organizations", "on for all accounts", "unless an admin opts out",
    "unless an admin turns", "unless admins opt out", "allowed for all members", "allowed for all users",
)
OFF_BY_DEFAULT = (
    "off by default", "disabled by default", "not enabled by default", "remain disabled",
    "remains disabled", "remain off", "remains off", "stay off", "stays off", "turned off by default",
    "opt-in", "opt in", "admins must enable", "admins can enable", "admin must enable",
    "admins need to enable", "requires admin approval", "require admin approval",
    "admin approval required", "disabled until", "must be enabled by", "not on by default",
    "defaults to off", "defaults to disabled", "no change to defaults", "default to off",
    "admins can turn on", "admins can opt in", "needs to be enabled", "must be turned on",
)

# Phrases that mark text as not security relevant when nothing else fires.
NOISE = (
    "faster", "performance", "latency", "bug fixes", "bug fix", "fixed a bug", "ui", "design",
    "dark mode", "keyboard shortcuts", "pricing", "price", "billing", "layout", "typo",
    "improved quality", "quality improvements", "more natural", "formatting",
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
    "identity_access": ("sso", "saml", "scim", "rbac", "ip allowlist", "ip allowlisting",
                        "domain verification", "custom roles", "role-based access", "mfa", "multi-factor"),
    "data_handling": ("data retention", "data residency", "encryption keys", "memory", "saved memories",
                      "zero data retention"),
    "connector": ("connector", "connectors", "connected apps", "mcp server", "mcp servers"),
}
