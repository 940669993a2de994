"""Ingest side: fetch vendor pages and feeds, parse them into entries, reconcile with the store."""
