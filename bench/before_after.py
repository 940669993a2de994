"""Before/after check for speed work: the JSON of `driftwatch check --json` on the bench's pages.

Usage:
  python bench/before_after.py dump OUT.json [--sources 50] [--entries 300]
  python bench/before_after.py compare A.json B.json

`dump` serves the bench's generated pages from 127.0.0.1 and runs the command twice on a fresh
database: a first check (every entry new), then a check with one entry edited on every page
(the peer benchmark's changed-page cycle), plus a third, unchanged check. It writes the three
outputs with the clock-dependent fields (timestamps, durations) blanked, and the rows of the
entries, entry versions and changes tables. `compare` says whether two dumps are identical
and, if not, where they first differ. Run `dump` on the code before a change and after it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, release_page

# fields whose value is the clock's, not the check's
CLOCK_KEY = re.compile(r"(_at|_s|_ms|seconds|elapsed|duration|checked|time|date_seen)$")
CLOCK_VALUE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
PORT = re.compile(r"127\.0\.0\.1:\d+")


def scrub(value):
    if isinstance(value, dict):
        return {k: ("<clock>" if CLOCK_KEY.search(k) and not isinstance(v, (dict, list)) else scrub(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        if CLOCK_VALUE.match(value):
            return "<clock>"
        return PORT.sub("127.0.0.1:<port>", value)
    return value


def run_check(env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-m", "driftwatch", "check", "--json"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr[-2000:]}")
    return scrub(json.loads(done.stdout))


def table_rows(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    out = {}
    for table in ("entries", "entry_versions", "changes"):
        try:
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
        except sqlite3.OperationalError:
            continue
        names = [d[0] for d in cursor.description]
        out[table] = [scrub(dict(zip(names, row))) for row in cursor]
    conn.close()
    return out


def fixed_port_server(port: int):
    """The loopback server on a fixed port: links (and so content hashes) name the port."""
    import threading

    from driftwatch._loopback import LoopbackServer, _Handler

    server = LoopbackServer()
    server.httpd.server_close()
    LoopbackServer._Server.allow_reuse_address = True
    server.httpd = LoopbackServer._Server(("127.0.0.1", port), _Handler)
    server.httpd.pages = {}
    server.thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    return server


def dump(out: Path, sources: int, entries: int, port: int) -> None:
    with fixed_port_server(port) as server, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        urls = [server.serve(f"/p/{s}", release_page(s, entries), "text/html; charset=utf-8") for s in range(sources)]
        config = tmp_path / "driftwatch.toml"
        config.write_text(f'[storage]\npath = "{tmp_path / "dw.db"}"\n[fetch]\nretries = 0\n' + "".join(
            f'[[sources]]\nname = "p{i}"\nkind = "release_notes"\nurl = "{u}"\n' for i, u in enumerate(urls)))
        env = {**os.environ, "DRIFTWATCH_CONFIG": str(config)}
        first = run_check(env)
        for s in range(sources):
            server.serve(f"/p/{s}", release_page(s, entries, edit=s % entries), "text/html; charset=utf-8")
        edited = run_check(env)
        unchanged = run_check(env)
        rows = table_rows(tmp_path / "dw.db")
    data = {"first": first, "edited": edited, "unchanged": unchanged, "tables": rows}
    out.write_text(json.dumps(data, sort_keys=True, indent=1, default=str))
    print(f"{out}: first check {len(first.get('changes', []))} changes, edited check "
          f"{len(edited.get('changes', []))} changes, {', '.join(f'{k} {len(v)}' for k, v in rows.items())}")


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'B' if key not in a else 'A'}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r:.200} vs {b!r:.200}"


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--sources", type=int, default=50)
    d.add_argument("--entries", type=int, default=300)
    d.add_argument("--port", type=int, default=38417)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.cmd == "dump":
        dump(args.out, args.sources, args.entries, args.port)
        return
    a, b = json.loads(args.a.read_text()), json.loads(args.b.read_text())
    found = first_difference(a, b)
    if found:
        raise SystemExit(f"DIFFERENT: {found}")
    print(f"identical: {args.a} and {args.b}")


if __name__ == "__main__":
    main()
