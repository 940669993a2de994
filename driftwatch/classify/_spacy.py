"""Import spaCy without its command-line package, which a running driftwatch never uses.

spaCy's package init imports ``spacy.cli`` (typer, weasel, jinja2, requests and every
CLI command) for a single re-export, ``spacy.info``: about 0.4 CPU seconds, a third of
``import spacy`` and so of the start-up of every command that classifies. Here spaCy is
imported with a stand-in for ``spacy.cli.info`` whose ``info`` loads the real one when
called; the stand-in is then dropped, so ``import spacy.cli`` still gives the real
package. Should a spaCy release need more of its CLI at import time, the stand-in fails
that import and spaCy is imported the ordinary way.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def _info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info`` as spaCy defines it, imported on first call."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def import_spacy() -> types.ModuleType:
    """spaCy, imported once; without its CLI package when spaCy is not loaded yet."""
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    package = types.ModuleType("spacy.cli")
    package.__path__ = []  # a package with no submodules of its own
    info = types.ModuleType("spacy.cli.info")
    info.info = _info  # type: ignore[attr-defined]
    stand_ins = {"spacy.cli": package, "spacy.cli.info": info}
    sys.modules.update(stand_ins)
    try:
        import spacy
    except ImportError:
        spacy = None  # this spaCy wants more of its CLI: import it the ordinary way below
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        loaded = sys.modules.get("spacy")
        if loaded is not None and getattr(loaded, "cli", None) is package:
            del loaded.cli
    if spacy is None:
        import spacy
    return spacy
