"""The attested-settings template stays valid TOML whatever the catalogue's text holds."""

from __future__ import annotations

import dataclasses
import tomllib

from driftwatch.posture import load_catalogue
from driftwatch.watchers.collectors.attested import render_template


def test_newlines_and_quotes_in_the_catalogue_cannot_break_the_template() -> None:
    catalogue = dict(load_catalogue())
    key, setting = next((k, s) for k, s in catalogue.items() if "attested" in s.observed and s.type == "str")
    catalogue[key] = dataclasses.replace(setting, title='Two\nlines "quoted"', where="a\\b\nc",
                                         default='say "hi"\nand [settings] = 1')
    data = tomllib.loads(render_template(catalogue, 'work"space'))
    assert data["settings"][key] == 'say "hi"\nand [settings] = 1'
    assert data["attested_by"] == "you@example.com"
