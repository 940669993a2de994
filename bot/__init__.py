"""Slack side: Block Kit rendering, Bolt listeners, delivery. Uses the core, never the watchers."""
