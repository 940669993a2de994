"""driftwatch: notice what an AI vendor and your admins changed, and whether it weakens security."""

__version__ = "0.1.0"
