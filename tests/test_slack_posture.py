"""The Slack digest and the attest modal say when a snapshot was incomplete and what to re-attest."""

from __future__ import annotations

import json

from driftwatch.bot import blocks
from driftwatch.posture import load_catalogue

STALE = [{"setting": "apps.box.write_actions", "message": "re-attest: changed by mallory@acme.example on 2026-01-20"}]


def test_digest_parent_names_an_incomplete_snapshot_its_vendor_and_stale_attestations() -> None:
    digest = {"counts": {}, "items": [], "period_start": None}
    posture = [{"workspace": "acme", "vendor": "openai", "counts": {"fail": 2}, "newly_failing": 1, "complete": False,
                "errors": {"compliance": "401"}, "stale_attestations": STALE},
               {"workspace": "claude-org", "vendor": "anthropic", "counts": {"fail": 0}, "complete": True,
                "errors": {}, "stale_attestations": []}]
    _text, parent = blocks.digest_parent(digest, posture, [])
    shown = json.dumps(parent)
    assert "INCOMPLETE snapshot (compliance failed)" in shown
    assert "re-attest: changed by mallory@acme.example on 2026-01-20" in shown and "apps.box.write" in shown
    assert "(anthropic)" in shown and shown.count("INCOMPLETE") == 1


def test_attest_modal_lists_what_to_look_at_again_before_its_inputs() -> None:
    attestable = [s for s in load_catalogue().values() if "attested" in s.observed]
    view = blocks.attest_modal("acme", attestable, {}, STALE)
    first = json.dumps(view["blocks"][0])
    assert "re-attest: changed by mallory@acme.example" in first
    assert view["blocks"][1]["type"] == "input" and "block_id" in view["blocks"][1]  # inputs start at 1
