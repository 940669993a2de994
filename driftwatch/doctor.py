"""``driftwatch doctor``: is everything driftwatch needs in place? A pass/fail list with fixes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .config import Settings
from .migrations import latest_version
from .store import Store, StoreError



@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_doctor(settings: Settings, *, network: bool = True) -> list[Check]:
    checks = [Check("config", True, str(settings.config_path or "built-in defaults (no config file)"))]
    checks.append(_database(settings))
    checks += _audit_logs(settings)
    checks += _secrets(settings)
    checks.append(_browser(settings))
    checks += _attested(settings)
    if network:
        checks += _slack(settings)
        checks += _sources(settings)
        checks += _collectors(settings)
    return checks


def _database(settings: Settings) -> Check:
    if not settings.db_path.parent.is_dir():
        return Check("database", False, f"{settings.db_path}: the folder {settings.db_path.parent} does not exist",
                     "fix $DRIFTWATCH_DB / [storage] path, or run `driftwatch init` to create it")
    try:
        with Store.open(settings.db_path) as store:
            integrity = store.integrity()
            version = store.schema_version
    except StoreError as exc:
        return Check("database", False, str(exc), "check the path ($DRIFTWATCH_DB / [storage] path) and permissions")
    if integrity != "ok":
        return Check("database", False, f"integrity check: {integrity}",
                     "restore the latest backup (sqlite3 .backup) or run sqlite3 .recover")
    if version != latest_version():
        return Check("database", False, f"schema version {version}, expected {latest_version()}",
                     "run any driftwatch command once to apply migrations")
    return Check("database", True, f"{settings.db_path}: integrity ok, schema version {version}")


def _audit_logs(settings: Settings) -> list[Check]:
    """Compliance log files waiting in the retry list: their events are not applied yet."""
    try:
        with Store.open(settings.db_path) as store:
            waiting = store.audit_files(statuses=("retrying", "reported"))  # expired ones stay in `status`
    except StoreError:
        return []  # the database check already says why
    if not waiting:
        return [Check("audit log files", True, "every listed file applied")] if settings.config.workspaces else []
    detail = "; ".join(f"{f['workspace']}/{f['file_id']} {f['status']} after {f['attempts']} attempts: {f['reason']}"
                       for f in waiting[:5]) + (f" (and {len(waiting) - 5} more)" if len(waiting) > 5 else "")
    return [Check("audit log files", False, detail,
                  "driftwatch retries them on every snapshot; if the checksum keeps failing, download the file "
                  "again from the Compliance API or ask OpenAI support, then run `driftwatch snapshot`")]


def _attested(settings: Settings) -> list[Check]:
    """Each workspace's attested file must exist and hold valid, well-typed values (offline too)."""
    from driftwatch.posture import load_catalogue
    from driftwatch.watchers.collectors.attested import collect_attested

    out = []
    for workspace in settings.config.workspaces:
        if not workspace.attested:
            continue
        path = settings.resolve(workspace.attested)
        result = collect_attested(path, load_catalogue())
        name = f"attested {workspace.name}"
        if result.error:
            out.append(Check(name, False, result.error,
                             "write it with `driftwatch settings template > FILE` and fill in what the admin UI shows"))
        else:
            detail = f"{path}: {len(result.observations)} settings"
            out.append(Check(name, True, detail + (f"; {len(result.warnings)} warnings" if result.warnings else "")))
    return out


def _secrets(settings: Settings) -> list[Check]:
    present = settings.secrets.present()
    out = []
    slack_wanted = bool(settings.config.slack.channel)
    for name, why, wanted in (
        ("SLACK_BOT_TOKEN", "posting digests and alerts", slack_wanted),
        ("SLACK_SIGNING_SECRET", "verifying Slack requests (HTTP mode)", slack_wanted),
        ("CHATGPT_COMPLIANCE_API_KEY", "the compliance collector",
         any(w.compliance_workspace_id for w in settings.config.workspaces)),
        ("OPENAI_ADMIN_KEY", "the platform_admin collector", any(w.platform_admin for w in settings.config.workspaces)),
        ("ANTHROPIC_COMPLIANCE_API_KEY", "the anthropic collector",
         any(w.vendor == "anthropic" for w in settings.config.workspaces)),
    ):
        if not wanted:
            out.append(Check(f"secret {name}", True, f"not needed by this config ({why})"))
        elif present[name]:
            out.append(Check(f"secret {name}", True, f"set (needed for {why})"))
        else:
            out.append(Check(f"secret {name}", False, f"missing; needed for {why}",
                             f"export {name}=... in the service's environment (never in the config file)"))
    out.append(Check("secret SLACK_APP_TOKEN", True,
                     "set (Socket Mode available)" if present["SLACK_APP_TOKEN"] else "not set (only `serve --socket` needs it)"))
    return out


def _slack(settings: Settings) -> list[Check]:
    if not (settings.config.slack.channel and settings.secrets.get("SLACK_BOT_TOKEN")):
        return [Check("slack", True, "not configured ([slack] channel and SLACK_BOT_TOKEN); skipped")]
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=settings.secrets.get("SLACK_BOT_TOKEN"), base_url=settings.slack_api_url, timeout=10)
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        return [Check("slack auth.test", False, f"refused: {exc.response.get('error')}",
                      "reinstall the app and copy the current bot token (xoxb-) into SLACK_BOT_TOKEN")]
    except OSError as exc:
        return [Check("slack auth.test", False, f"unreachable: {exc}", "check network access to SLACK_API_URL")]
    out = [Check("slack auth.test", True, f"bot {auth.get('user')} in team {auth.get('team')}")]
    granted = {s.strip() for s in (auth.headers.get("x-oauth-scopes") or auth.headers.get("X-OAuth-Scopes") or "").split(",") if s.strip()}
    if granted:
        from driftwatch.bot.ids import BOT_SCOPES

        missing = [s for s in BOT_SCOPES if s not in granted]
        out.append(Check("slack scopes", not missing, "missing: " + ", ".join(missing) if missing else "ok",
                         "add the scopes from manifest.yml and reinstall the app" if missing else ""))
    channel = settings.config.slack.channel or ""
    try:
        info = client.conversations_info(channel=channel)
        member = bool((info.get("channel") or {}).get("is_member"))
        out.append(Check("slack channel", member, f"{channel}: " + ("the bot is a member" if member else "the bot is not in it"),
                         "" if member else f"invite the bot: /invite @driftwatch in {channel}"))
    except SlackApiError as exc:
        out.append(Check("slack channel", False, f"{channel}: {exc.response.get('error')}",
                         "set [slack] channel to a channel id the bot can see (and grant channels:read)"))
    return out


def _browser(settings: Settings) -> Check:
    """Sources with fetch = "browser" need Playwright and a Chromium on this host (local check)."""
    from .browser import find_chromium, unavailable_reason

    needing = [s.name for s in settings.sources if s.enabled and s.fetch == "browser"]
    configured = settings.config.fetch.browser_path
    if not needing:
        return Check("browser", True, 'not needed by this config (no source has fetch = "browser")')
    reason = unavailable_reason(configured)
    if reason:
        return Check("browser", False, f"missing for {', '.join(needing)}: {reason}",
                     "pip install 'driftwatch[browser]' and install Chromium from the OS packages "
                     "(apt-get install chromium), or set [fetch] browser_path")
    return Check("browser", True, f"{find_chromium(configured)} for {', '.join(needing)}")


def _sources(settings: Settings) -> list[Check]:
    from urllib.parse import urlsplit

    from driftwatch.watchers.blocked import detect_block
    from driftwatch.watchers.fetch import Fetcher

    out = []
    fetch = settings.config.fetch
    with Fetcher(timeout=10, retries=0, max_bytes=fetch.max_bytes, user_agent=fetch.user_agent,
                 proxy=fetch.proxy, browser_path=fetch.browser_path) as fetcher:
        for source in settings.sources:
            if not source.enabled:
                continue
            result = fetcher.fetch_page(source.url, via=source.fetch)
            block = detect_block(result.status_code, result.body, result.content_type,
                                 host=urlsplit(source.url).hostname or "", via=source.fetch)
            if block is not None:
                out.append(Check(f"source {source.name}", False, f"blocked: {block.reason}", block.remedy))
                continue
            out.append(Check(f"source {source.name}", result.ok,
                             f"HTTP {result.status_code} in {result.duration_ms} ms" if result.ok else str(result.error),
                             "" if result.ok else "check the URL and that this host can reach it (proxy, firewall)"))
    return out


def _collectors(settings: Settings) -> list[Check]:
    from driftwatch.watchers.collectors.http import ApiClient, CollectorError

    out = []
    for workspace in settings.config.workspaces:
        targets = []
        if workspace.compliance_workspace_id:
            scope = "organizations" if workspace.compliance_workspace_id.startswith("org-") else "workspaces"
            targets.append(("compliance", workspace.compliance_base_url, "CHATGPT_COMPLIANCE_API_KEY",
                            "ChatGPT Compliance API",
                            f"compliance/{scope}/{workspace.compliance_workspace_id}/logs",
                            {"event_type": "AUDIT_LOG", "after": "2000-01-01T00:00:00Z", "limit": 1}))
        if workspace.platform_admin:
            targets.append(("platform_admin", workspace.platform_base_url, "OPENAI_ADMIN_KEY", "OpenAI Admin API",
                            "organization/projects", {"limit": 1}))
        if workspace.vendor == "anthropic":
            from driftwatch.watchers.collectors.anthropic import settings_path

            targets.append(("anthropic", workspace.anthropic_base_url, "ANTHROPIC_COMPLIANCE_API_KEY",
                            "Anthropic Compliance API", settings_path(workspace.anthropic_organization_id or ""), None))
        for name, base, env, api, path, params in targets:
            header = "x-api-key" if name == "anthropic" else None
            try:
                with ApiClient(base, settings.secrets.get(env), api_name=api, key_env=env, retries=0,
                               key_header=header) as client:
                    client.get_json(path, params=params)
                out.append(Check(f"collector {workspace.name}/{name}", True, "credentials accepted"))
            except CollectorError as exc:
                out.append(Check(f"collector {workspace.name}/{name}", False, str(exc),
                                 f"check ${env}, its scopes and the API's IP allowlist"))
    return out
