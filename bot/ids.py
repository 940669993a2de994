"""Every action_id, callback_id and slash subcommand in one place (tests check each has a handler)."""

ACK = "dw_ack"
UNDO = "dw_undo"
SNOOZE = "dw_snooze"
ATTEST_VIEW = "dw_attest"

ACTIONS = (ACK, UNDO, SNOOZE)

COMMAND = "/driftwatch"
SUBCOMMANDS = ("help", "posture", "changes", "item", "ack", "snooze", "search", "sources", "digest", "attest")

SNOOZE_CHOICES = (("1d", "1 day"), ("1w", "1 week"), ("next", "Until next digest"))

# Every bot scope manifest.yml asks for; `driftwatch doctor` checks the token has each one.
BOT_SCOPES = ("chat:write", "commands", "channels:history", "groups:history", "channels:read", "groups:read",
              "usergroups:read", "users:read")
