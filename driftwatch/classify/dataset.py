"""Labelled data for training and measuring the classifier (pure file handling, no spaCy).

Two sources:

* the real, labelled vendor entries kept beside the repository in
  ``../shared/classifier/real-labelled.jsonl`` (``$DRIFTWATCH_SHARED_DIR`` points
  elsewhere). Their sentences are the vendors', so they are read from there at
  train and eval time and never copied into the project; where the project
  disagrees with a label, ``data/classifier/overrides.toml`` says so (id, field,
  new value, reason) and is applied on reading;
* the project's own hand-written and templated examples (``data/classifier/train.jsonl``),
  a supplement for wording the real file lacks, never the measure.

Cross-validation folds are grouped by the vendor page an entry came from
(``source_url``) so one page's entries never sit on both sides of a split.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any

from driftwatch.paths import data_file

from .lexicon import CATEGORIES

SEVERITIES = ("high", "medium", "low", "info")
REAL_FILE = "real-labelled.jsonl"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """``$DRIFTWATCH_SHARED_DIR``, else the ``shared`` folder beside the repository."""
    override = os.environ.get("DRIFTWATCH_SHARED_DIR")
    return Path(override) if override else _REPO_ROOT.parent / "shared"


def real_labelled_path() -> Path | None:
    """The real labelled file, or None where this checkout has no ``../shared`` (a user's machine)."""
    path = shared_dir() / "classifier" / REAL_FILE
    return path if path.is_file() else None


def supplement_path() -> Path:
    return data_file("classifier", "train.jsonl")


def overrides_path() -> Path:
    return data_file("classifier", "overrides.toml")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a labelled JSON Lines file, checked; a bad line stops with its number."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not JSON: {exc}") from None
        problem = _check_row(row)
        if problem:
            raise ValueError(f"{path}:{number}: {problem}")
        rows.append(row)
    return rows


def _check_row(row: Any) -> str | None:
    if not isinstance(row, dict):
        return "expected a JSON object"
    if not isinstance(row.get("title"), str):
        return "missing title"
    if row.get("severity") not in SEVERITIES:
        return f"severity must be one of {', '.join(SEVERITIES)}"
    categories = row.get("categories")
    if not isinstance(categories, list) or not categories:
        return "categories must be a non-empty list"
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        return f"unknown categories {unknown}"
    return None


def read_overrides(path: Path | None = None) -> list[dict[str, Any]]:
    """The project's corrections to the real labels: ``[[override]] id, field, value, reason``."""
    path = path or overrides_path()
    if not path.is_file():
        return []
    items = tomllib.loads(path.read_text(encoding="utf-8")).get("override", [])
    for item in items:
        missing = [k for k in ("id", "field", "value", "reason") if k not in item]
        if missing:
            raise ValueError(f"{path}: override {item.get('id', '?')}: missing {', '.join(missing)}")
        if item["field"] not in ("security_relevant", "categories", "severity"):
            raise ValueError(f"{path}: override {item['id']}: field must be security_relevant, categories or severity")
    return items


def apply_overrides(rows: list[dict[str, Any]], overrides: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for item in overrides:
        by_id.setdefault(str(item["id"]), []).append(item)
    out = []
    for row in rows:
        fixes = by_id.get(str(row.get("id")))
        if fixes:
            row = dict(row)
            for fix in fixes:
                row[fix["field"]] = fix["value"]
            row["security_relevant"] = row["severity"] != "info"
        out.append(row)
    return out


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """A labelled file with the project's overrides applied (they only touch ids they name)."""
    return apply_overrides(read_jsonl(path), read_overrides())


def file_digest(path: Path | None) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else None


def row_key(row: dict[str, Any]) -> str:
    return " ".join(f"{row.get('title', '')} {row.get('body') or ''}".lower().split())


def group_of(row: dict[str, Any], index: int) -> str:
    """The vendor page a row came from; rows without one are their own group."""
    url = row.get("source_url")
    return str(url) if url else f"row:{index}"


def grouped_folds(rows: list[dict[str, Any]], k: int) -> list[list[int]]:
    """``k`` folds of row indexes, whole pages per fold, balanced greedily by size (deterministic)."""
    groups: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(group_of(row, index), []).append(index)
    if k < 2:
        raise ValueError("--folds must be at least 2")
    if len(groups) < k:
        raise ValueError(f"only {len(groups)} vendor pages (source_url) in the file: at most --folds {len(groups)}")
    folds: list[list[int]] = [[] for _ in range(k)]
    for name in sorted(groups, key=lambda g: (-len(groups[g]), g)):
        smallest = min(range(k), key=lambda f: (len(folds[f]), f))
        folds[smallest].extend(groups[name])
    return [sorted(f) for f in folds]
