"""Exceptions every face catches, in a module that imports nothing heavy (``--help`` stays fast)."""


class ConfigError(Exception):
    """A configuration problem, phrased as one line a person can act on."""


class StoreError(Exception):
    """The database cannot be used (unreadable, newer schema, locked)."""
