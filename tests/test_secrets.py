"""Secrets masked at the sink: logs (tracebacks too), stored error texts, everything printed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from driftwatch.logs import redact

from .fakeweb import Reply, Seen
from .inprocess import run_driftwatch

ROOT = Path(__file__).resolve().parent.parent
KEY = "ck-live-compliance-key-4b7e9d2a1f"
ADMIN = "sk-admin-live-key-9f8e7d6c5b4a3210"


def test_redact_masks_known_values_and_token_shapes(monkeypatch) -> None:
    monkeypatch.setenv("CHATGPT_COMPLIANCE_API_KEY", KEY)
    echoed = json.dumps({"detail": "bad", "headers": {"Authorization": f"Bearer {KEY}"}})
    assert KEY not in redact(echoed)
    for token in ("xoxb-1111-2222-abcdefghijkl", "xapp-1-A01-abcdefghij", "sk-proj-abcdefghijklmnopqrstu",
                  ADMIN):
        assert token not in redact(f"oops {token} here"), token
    assert redact("authorization policies changed") == "authorization policies changed"
    assert redact("Bearer of bad news: nothing") .startswith("Bearer")


def _echo(seen: Seen) -> Reply:
    """A misbehaving API: its 400 body repeats the request's headers, key included."""
    return Reply(400, json.dumps({"detail": "bad request", "echo": {"authorization": seen.headers.get("authorization"),
                                                                  "note": f"key={KEY}"}}).encode(),
                 {"Content-Type": "application/json"}, etag=False)


def test_an_api_error_echoing_the_key_is_never_stored_printed_or_logged(tmp_path: Path, web) -> None:
    web.handle("/v1/", _echo)
    web.page("/notes", "<html><body><div class='article-content'><h1>March 2, 2026</h1><h2>Note</h2>"
                       "<p>Text.</p></div></body></html>")
    config = tmp_path / "driftwatch.toml"
    config.write_text(
        f'[storage]\npath = "s.db"\n[fetch]\nretries = 0\n'
        f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n'
        f'[[workspaces]]\nname = "acme"\ncompliance_workspace_id = "ws-1"\n'
        f'compliance_base_url = "{web.url("/v1")}"\nplatform_admin = true\nplatform_base_url = "{web.url("/v1")}"\n')
    env = {**os.environ, "DRIFTWATCH_CONFIG": str(config), "CHATGPT_COMPLIANCE_API_KEY": KEY,
           "OPENAI_ADMIN_KEY": ADMIN, "PYTHONPATH": str(ROOT)}
    printed = ""
    for args in (["-vv", "check"], ["posture"], ["doctor", "--json"], ["export", "--since", "30d"]):
        done = run_driftwatch(args, env=env, cwd=tmp_path)
        assert "Traceback" not in done.stderr, done.stderr
        printed += done.stdout + done.stderr
    assert "HTTP 400" in printed  # the error itself is shown...
    assert KEY not in printed and ADMIN not in printed  # ...without the key
    assert web.requests and any(KEY in (r.headers.get("authorization") or "") for r in web.requests)
    with sqlite3.connect(tmp_path / "s.db") as db:
        dump = "\n".join(db.iterdump())
    assert "HTTP 400" in dump or "bad request" in dump
    assert KEY not in dump and ADMIN not in dump


def test_a_logged_traceback_is_masked(tmp_path: Path) -> None:
    code = f"""
import logging
from driftwatch.logs import configure
configure("text", logging.INFO)
try:
    raise RuntimeError("upstream said: Authorization: Bearer {KEY}")
except RuntimeError:
    logging.getLogger("driftwatch.test").exception("call failed with %s", "{ADMIN}")
configure("json", logging.INFO)
try:
    raise RuntimeError("{KEY}")
except RuntimeError:
    logging.getLogger("driftwatch.test").exception("again")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "CHATGPT_COMPLIANCE_API_KEY": KEY})
    assert "Traceback" in done.stderr and "RuntimeError" in done.stderr  # the traceback is there...
    assert KEY not in done.stderr and ADMIN not in done.stderr  # ...masked
    assert "[redacted]" in done.stderr
