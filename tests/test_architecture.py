"""The shape the code keeps: SQL only in storage, dependencies pointing one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"driftwatch": ROOT / "driftwatch", "driftwatch.bot": ROOT / "bot",
            "driftwatch.watchers": ROOT / "watchers"}
SQL = re.compile(r"\b(select\s.+\sfrom|insert\s+(or\s+\w+\s+)?into|update\s+\w+\s+set|delete\s+from|"
                 r"create\s+(table|index|trigger|view)|pragma\s+\w+)\b", re.I | re.S)
STORAGE = re.compile(r"(store|storage|migrations)")


def modules() -> dict[str, Path]:
    out = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if package == "driftwatch" and parts and parts[0] in ("bot", "watchers"):
                continue
            name = ".".join((package, *[p for p in parts if p != "__init__"]))
            out[name] = path
    return out


def imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
    return found


def test_sql_lives_only_in_storage() -> None:
    offenders = []
    for name, path in modules().items():
        if STORAGE.search(name.rsplit(".", 1)[-1]):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
            if isinstance(node, ast.Attribute) and node.attr == "db" and isinstance(node.value, ast.Name) \
                    and node.value.id == "store":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: store.db (use a Store method)")
    assert not offenders, "\n".join(offenders)


def test_the_grep_catches_sql() -> None:
    for sql in ("select id from changes where x = ?", "UPDATE outbox SET status = 'sent'",
                "insert or ignore into changes (a) values (?)", "delete from bodies", "PRAGMA optimize"):
        assert SQL.search(sql), sql
    assert not SQL.search("Posted the digest to the channel")


def test_dependencies_point_one_way() -> None:
    faces = {"driftwatch.cli", "driftwatch.worker", "driftwatch.demo", "driftwatch.__main__", "driftwatch._clidoc"}
    problems = []
    for name, path in modules().items():
        found = imports(path, name)
        if name.startswith("driftwatch.bot") and any(i.startswith("driftwatch.watchers") for i in found):
            problems.append(f"{name} imports the watchers")
        if name.startswith("driftwatch.watchers") and any(i.startswith("driftwatch.bot") for i in found):
            problems.append(f"{name} imports the Slack side")
        if name not in faces and found & faces:
            problems.append(f"{name} imports a face: {sorted(found & faces)}")
        core = not name.startswith(("driftwatch.bot", "driftwatch.watchers", "driftwatch.app")) and name not in faces
        if core and name != "driftwatch.doctor" and any(i.startswith(("driftwatch.bot", "slack_bolt", "slack_sdk"))
                                                        for i in found):
            problems.append(f"{name} (core) imports Slack")
    assert not problems, "\n".join(problems)
