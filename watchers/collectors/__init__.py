"""Collectors: each reads one kind of evidence about a workspace's settings.

attested (a TOML file the admin keeps), compliance (ChatGPT Compliance API and
Logs Platform), platform_admin (API Platform Admin API), codex_policy
(requirements.toml files). Each returns a CollectorResult and never raises for
API or file trouble.
"""
