"""Classifying many items: JSON Lines in and out, and stored changes after a model update."""

from __future__ import annotations

import json
from itertools import islice
from typing import Any, Iterator, TextIO


from .model import Classifier

CHUNK = 2000


def _parse(number: int, line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        item = json.loads(line)
    except ValueError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(item, dict):
        return None, "expected a JSON object with id, title and body"
    missing = [key for key in ("id", "title") if key not in item]
    if missing:
        return None, f"missing {', '.join(missing)}"
    if not isinstance(item["title"], str) or not isinstance(item.get("body", ""), (str, type(None))):
        return None, "title and body must be strings"
    return item, None


def classify_lines(classifier: Classifier, stream: TextIO) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, result, error) for every non-blank input line, in input order."""
    numbered = ((n, line) for n, line in enumerate(stream, start=1) if line.strip())
    while True:
        chunk = list(islice(numbered, CHUNK))
        if not chunk:
            return
        parsed = [(n, *_parse(n, line)) for n, line in chunk]
        good = [(item["title"], item.get("body") or "") for _n, item, error in parsed if item is not None]
        results = iter(classifier.classify_many(good))
        for number, item, error in parsed:
            if item is None:
                yield number, None, error
                continue
            result = next(results)
            yield number, {"id": item["id"], **result.as_dict()}, None
