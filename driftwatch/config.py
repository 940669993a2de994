"""Configuration: built-in defaults, then a TOML file, then the environment.

Validated once at start-up so that a typo in ``driftwatch.toml`` stops the
program with one line naming the key and the file, instead of surfacing as a
strange failure at 3 a.m. inside the worker.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from .models import SEVERITIES
from .paths import data_file

DEFAULT_DB_PATH = "data/driftwatch.db"
DEFAULT_CONFIG_NAME = "driftwatch.toml"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


from .errors import ConfigError  # noqa: E402  (re-exported: callers import it from here)


# --- value checks ---------------------------------------------------------------------------

from .timeutil import parse_duration  # noqa: E402,F401  (the one duration parser; re-exported)


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


def _check_url(value: str) -> str:
    from .netguard import url_problem

    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError(f"not a valid http(s) URL: {value!r}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"not a valid http(s) URL: {value!r}")
    problem = url_problem(value)  # link-local and cloud metadata addresses: never a target
    if problem:
        raise ValueError(f"{value!r}: {problem}")
    return value


def _check_requirement(value: str) -> str:
    """A Codex requirements layer: a file path, or an http(s) URL checked like every URL."""
    if "://" in value:
        return _check_url(value)
    return value


def _check_clock(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"not a time like '09:00': {value!r}")
    return value


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {value!r}") from None
    return value


def _check_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}", value):
        raise ValueError(f"use letters, digits, '.', '_' or '-' (at most 80): {value!r}")
    return value


def _check_proxy(value: str) -> str:
    _check_url(value)
    if urlsplit(value).password is not None or "@" in urlsplit(value).netloc:
        raise ValueError("no credentials in the config file: put a proxy URL with a password in $DRIFTWATCH_PROXY")
    return value


Url = Annotated[str, AfterValidator(_check_url)]
Duration = Annotated[str, AfterValidator(_check_duration)]
Name = Annotated[str, AfterValidator(_check_name)]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]  (the one order, from models)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- sections -------------------------------------------------------------------------------


class StorageConfig(_Section):
    path: str = DEFAULT_DB_PATH
    keep_bodies_days: int = Field(default=180, ge=1)


class FetchConfig(_Section):
    timeout: float = Field(default=20.0, gt=0)
    max_bytes: int = Field(default=20_000_000, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    backoff: float = Field(default=1.0, ge=0)
    max_retry_after: float = Field(default=120.0, ge=0)
    user_agent: str | None = None
    alert_after_failures: int = Field(default=3, ge=1)
    browser_path: str | None = None  # Chromium for fetch = "browser" sources; found on PATH when unset
    proxy: Annotated[str, AfterValidator(_check_proxy)] | None = None  # every fetch (HTTP, browser) through it


class SourceConfig(_Section):
    name: Name
    kind: Literal["release_notes", "feed"]
    url: Url
    interval: Duration = "6h"
    enabled: bool = True
    vendor: str | None = None
    product: str | None = None
    fetch: Literal["http", "browser"] = "http"  # "browser": render in headless Chromium (JavaScript pages)
    split_items: bool = False  # feed items that bundle a day of unrelated notes: one entry per note

    @property
    def interval_seconds(self) -> int:
        return parse_duration(self.interval)


def _check_reader(value: str) -> str:
    if not re.fullmatch(r"[UWS][A-Z0-9]{2,20}", value):
        raise ValueError(f"not a Slack user (U…/W…) or user group (S…) id: {value!r}")
    return value


class SlackConfig(_Section):
    channel: str | None = None
    allowed_users: list[str] = []
    allowed_usergroup: str | None = None
    # Who may read posture, item, search and changes answers (users or user groups); empty: everyone.
    readers: list[Annotated[str, AfterValidator(_check_reader)]] = []
    alert_severity: Severity = "high"
    digest_weekday: Literal[WEEKDAYS] = "monday"  # type: ignore[valid-type]
    digest_time: Annotated[str, AfterValidator(_check_clock)] = "09:00"
    digest_every_weeks: int = Field(default=2, ge=1, le=8)
    digest_anchor: dt.date | None = None
    digest_max_items: int = Field(default=100, ge=1, le=1000)
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "UTC"


class WorkspaceConfig(_Section):
    name: Name
    vendor: Literal["openai", "anthropic"] = "openai"
    attested: str | None = None
    compliance_workspace_id: str | None = None
    compliance_base_url: Url = "https://api.chatgpt.com/v1"
    platform_admin: bool = False
    platform_base_url: Url = "https://api.openai.com/v1"
    codex_requirements: list[Annotated[str, AfterValidator(_check_requirement)]] = []
    anthropic_organization_id: str | None = None
    anthropic_base_url: Url = "https://api.anthropic.com"
    interval: Duration = "1h"

    @model_validator(mode="after")
    def _collectors_fit_vendor(self) -> "WorkspaceConfig":
        if self.vendor == "anthropic":
            if not self.anthropic_organization_id:
                raise ValueError('anthropic_organization_id: required when vendor = "anthropic"')
            for key in ("attested", "compliance_workspace_id", "codex_requirements", "platform_admin"):
                if getattr(self, key):
                    raise ValueError(f'{key}: an OpenAI collector; not used with vendor = "anthropic"')
        elif self.anthropic_organization_id:
            raise ValueError('anthropic_organization_id: set vendor = "anthropic" on this workspace')
        return self


class WaiverConfig(_Section):
    control: str
    workspace: str = "*"
    reason: str
    owner: str
    expires: dt.date


class ControlOverride(_Section):
    severity: Severity | None = None
    expected: Any = None


class PostureConfig(_Section):
    log_file_max_attempts: int = Field(default=3, ge=1, le=100)


class LogConfig(_Section):
    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


class Config(_Section):
    storage: StorageConfig = StorageConfig()
    fetch: FetchConfig = FetchConfig()
    sources: list[SourceConfig] = []
    slack: SlackConfig = SlackConfig()
    workspaces: list[WorkspaceConfig] = []
    waivers: list[WaiverConfig] = []
    controls: dict[str, ControlOverride] = {}
    posture: PostureConfig = PostureConfig()
    log: LogConfig = LogConfig()

    @model_validator(mode="after")
    def _unique_names(self) -> "Config":
        for label, items in (("sources", self.sources), ("workspaces", self.workspaces)):
            seen: set[str] = set()
            for index, item in enumerate(items):
                if item.name in seen:
                    raise ValueError(f"{label}[{index}].name: duplicate name {item.name!r}")
                seen.add(item.name)
        return self


# --- secrets --------------------------------------------------------------------------------

SECRET_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "CHATGPT_COMPLIANCE_API_KEY",
    "OPENAI_ADMIN_KEY",
    "DRIFTWATCH_PROXY",  # a proxy URL may carry a password: masked in logs like the keys
    "ANTHROPIC_COMPLIANCE_API_KEY",
)


@dataclass(frozen=True)
class Secrets:
    """Credentials, read from the environment only; ``repr`` never shows them."""

    values: Mapping[str, str] = field(default_factory=dict, repr=False)

    def get(self, name: str) -> str | None:
        return self.values.get(name) or None

    def present(self) -> dict[str, bool]:
        return {name: bool(self.values.get(name)) for name in SECRET_ENV}

    def __repr__(self) -> str:
        return f"Secrets({', '.join(f'{k}={v}' for k, v in self.present().items())})"


# --- the loaded whole -----------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The validated configuration plus where it came from and the secrets."""

    config: Config
    config_path: Path | None
    db_path: Path
    sources: list[SourceConfig]
    sources_are_default: bool
    secrets: Secrets
    slack_api_url: str
    log_format: str

    def resolve(self, path: str) -> Path:
        """A path named in the config file, relative to that file's folder."""
        candidate = Path(path).expanduser()
        if candidate.is_absolute() or self.config_path is None:
            return candidate
        return self.config_path.parent / candidate

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"unknown source {name!r} (configured: {known})")

    def workspace(self, name: str) -> WorkspaceConfig:
        for workspace in self.config.workspaces:
            if workspace.name == name:
                return workspace
        known = ", ".join(w.name for w in self.config.workspaces) or "none"
        raise ConfigError(f"unknown workspace {name!r} (configured: {known})")


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-after", "literal", "list[", "dict[")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _describe(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    value = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(error.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    if kind.endswith("_type") or kind == "literal_error":
        return f"{msg[0].lower()}{msg[1:]} (got {type(value).__name__} {value!r})"
    return msg


def validate_config(data: Mapping[str, Any], origin: str) -> Config:
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _format_loc(tuple(first.get("loc", ())))
        detail = _describe(first)
        if not key and ":" in detail:  # model-level check that names its own key
            key, _, detail = detail.partition(": ")
        raise ConfigError(f"{origin}: {key or '(top level)'}: {detail}") from None


def find_config_path(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: config file not found (from --config)")
        return path
    from_env = env.get("DRIFTWATCH_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"{from_env}: config file not found (from $DRIFTWATCH_CONFIG)")
        return path
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.is_file() else None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _check_control_ids(config: Config, origin: str) -> None:
    """Overrides and waivers must name real controls, or they would silently do nothing."""
    if not config.controls and not config.waivers:
        return
    from .posture.catalogue import load_baseline

    known = {c.id for c in load_baseline()}
    for cid in config.controls:
        if cid not in known:
            raise ConfigError(f"{origin}: controls.{cid}: unknown control (see `driftwatch baseline`)")
    for index, waiver in enumerate(config.waivers):
        if waiver.control not in known:
            raise ConfigError(f"{origin}: waivers[{index}].control: unknown control {waiver.control!r}")


def default_sources() -> list[SourceConfig]:
    path = data_file("sources.toml")
    data = read_toml(path)
    return validate_config({"sources": data.get("sources", [])}, str(path)).sources


def load_settings(
    explicit_path: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Load and validate everything once; raises :class:`ConfigError`."""
    env = os.environ if env is None else env
    config_path = find_config_path(explicit_path, env)
    data = read_toml(config_path) if config_path else {}
    config = validate_config(data, str(config_path) if config_path else "built-in defaults")

    if env.get("DRIFTWATCH_DB"):
        db_path = Path(env["DRIFTWATCH_DB"])
    elif config_path and "path" in data.get("storage", {}):
        raw = Path(config.storage.path).expanduser()
        db_path = raw if raw.is_absolute() else config_path.parent / raw
    else:
        db_path = Path(config.storage.path)

    log_format = env.get("DRIFTWATCH_LOG_FORMAT") or config.log.format
    if log_format not in ("text", "json"):
        raise ConfigError(f"$DRIFTWATCH_LOG_FORMAT: must be 'text' or 'json', got {log_format!r}")

    slack_api_url = env.get("SLACK_API_URL") or "https://slack.com/api/"
    try:
        _check_url(slack_api_url)
    except ValueError as exc:
        raise ConfigError(f"$SLACK_API_URL: {exc}") from None

    if env.get("DRIFTWATCH_PROXY"):
        try:
            _check_url(env["DRIFTWATCH_PROXY"])
        except ValueError:
            raise ConfigError("$DRIFTWATCH_PROXY: not a valid http(s) URL") from None  # never echo it
        config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"proxy": env["DRIFTWATCH_PROXY"]})})

    _check_control_ids(config, str(config_path) if config_path else "built-in defaults")
    from .logs import register_secrets  # masked wherever they might surface

    register_secrets(env[name] for name in SECRET_ENV if env.get(name))
    sources = list(config.sources) or default_sources()
    return Settings(
        config=config,
        config_path=config_path,
        db_path=db_path,  # relative: to the config file when set there, else to the working directory
        sources=sources,
        sources_are_default=not config.sources,
        secrets=Secrets({name: env[name] for name in SECRET_ENV if env.get(name)}),
        slack_api_url=slack_api_url if slack_api_url.endswith("/") else slack_api_url + "/",
        log_format=log_format,
    )
