"""The attested collector: a TOML file an admin keeps for settings no API can read.

```toml
attested_by = "alice@example.com"
attested_at = 2026-02-01T09:00:00Z
[settings]
"apps.box.write_actions" = false
```
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Mapping

import tomlkit

from driftwatch.posture.catalogue import Setting
from driftwatch.posture.evidence import CollectorResult, Observation
from driftwatch.timeutil import iso


def _when(value: Any, path: Path) -> str:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    return iso(dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc))


def collect_attested(path: Path, catalogue: Mapping[str, Setting]) -> CollectorResult:
    result = CollectorResult("attested")
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        result.error = f"attested settings file not found: {path} (write one with `driftwatch settings template`)"
        return result
    except tomllib.TOMLDecodeError as exc:
        result.error = f"{path}: not valid TOML: {exc}"
        return result
    settings = data.get("settings")
    if not isinstance(settings, dict):
        result.error = f"{path}: no [settings] table"
        return result
    observed_at = _when(data.get("attested_at"), path)
    actor = data.get("attested_by")
    for key, value in settings.items():
        setting = catalogue.get(key)
        if setting is None:
            result.warnings.append(f"{path}: unknown setting {key!r} ignored")
            continue
        problem = value_problem(setting, value)
        if problem:  # a typo here would silently pass or fail a control: stop, say what is expected
            result.error = f"{path}: settings.{_toml_key(key)} = {_toml_value(value)}: expected {problem}"
            result.observations.clear()
            return result
        result.observations.append(Observation(key, value, observed_at, "attested", actor=actor,
                                               detail=str(path)))
    return result


_TYPES: dict[str, tuple[type, ...]] = {"bool": (bool,), "int": (int,), "str": (str,), "list": (list,),
                                       "enum": (str,)}
_TYPE_WORDS = {"bool": "true or false", "int": "a whole number", "str": "a string", "list": "a list",
               "enum": "a string"}


def value_problem(setting: Setting, value: Any) -> str | None:
    """What a value should have been, in words, when it has the wrong type or is not allowed."""
    allowed = _TYPES.get(setting.type)
    wrong_type = allowed is not None and (not isinstance(value, allowed) or
                                          (setting.type == "int" and isinstance(value, bool)))
    if setting.values and (wrong_type or value not in setting.values):
        return "one of " + ", ".join(_toml_value(v) for v in setting.values)
    if wrong_type:
        return _TYPE_WORDS[setting.type]
    return None


def _toml_key(key: str) -> str:
    return f'"{key}"' if "." in key else key


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(value)


def render_template(catalogue: Mapping[str, Setting], workspace: str | None = None) -> str:
    """An attested file with every attestable key at its documented default.

    Written with tomlkit, so any value (a newline in a default, quotes in a title) stays
    valid TOML and each key keeps its comment.
    """
    doc = tomlkit.document()
    for line in (
        "driftwatch attested settings" + (f" for workspace {workspace!r}" if workspace else ""),
        "Record what the admin UI shows for settings no API can read. Values start at the",
        "vendor's documented defaults: check each one in the place named above it, then set",
        "attested_by / attested_at and keep this file under change control.",
    ):
        doc.add(tomlkit.comment(line))
    doc.add("attested_by", "you@example.com")
    doc.add("attested_at", dt.date.today())
    doc.add(tomlkit.nl())
    table = tomlkit.table()
    for key, setting in sorted(catalogue.items()):
        if "attested" not in setting.observed:
            continue
        table.add(tomlkit.comment(_one_line(f"{setting.title} — {setting.where}")))
        if setting.values:
            table.add(tomlkit.comment(_one_line(f"one of: {', '.join(map(repr, setting.values))}")))
        table.add(key, setting.default)
    doc.add("settings", table)
    return tomlkit.dumps(doc)


def _one_line(text: str) -> str:
    return " ".join(text.split())
