"""Loading a trained pipeline folder without spaCy's generic config machinery.

``spacy.load`` fills and validates the folder's whole training config through the
registries, and builds the default English tokenizer (its 2,700 special cases) only to
replace it with the one on disk. For a folder of the shape driftwatch trains (English,
``dw_signals`` then ``textcat_multilabel`` on driftwatch's architecture, nothing else)
:func:`load_pipeline` builds that pipeline directly and loads the folder's vocabulary,
tokenizer and weights into it with ``Language.from_disk``: the same pipeline, about a
third of the time. Any other folder is loaded by ``spacy.load``. tests/test_classifier.py
checks that both give the same verdicts and scores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import spacy
import srsly
from spacy.lang.en import English
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from thinc.api import Config

from . import architecture  # noqa: F401  (registers driftwatch.TextCatBOWSignals.v1)
from . import components  # noqa: F401  (registers the dw_signals factory)

PIPELINE = ["dw_signals", "textcat_multilabel"]
ARCHITECTURE = "driftwatch.TextCatBOWSignals.v1"
NLP_DEFAULTS = {"@tokenizers": "spacy.Tokenizer.v1"}, {"@vectors": "spacy.Vectors.v1"}


def load_pipeline(path: Path) -> Language:
    """The pipeline saved in ``path``: built directly when it has driftwatch's shape, else by spacy.load."""
    return load_direct(path) or spacy.load(path)


def component_configs(config: Config) -> dict[str, dict[str, Any]] | None:
    """Each component's settings (factory removed) when the config is driftwatch's shape, else None."""
    nlp = config.get("nlp", {})
    plain = (nlp.get("lang") == "en" and list(nlp.get("pipeline", [])) == PIPELINE and not nlp.get("disabled")
             and (nlp.get("tokenizer"), nlp.get("vectors")) == NLP_DEFAULTS
             and all(nlp.get(hook) is None for hook in ("before_creation", "after_creation",
                                                        "after_pipeline_creation")))
    components = config.get("components", {})
    if not plain or set(components) != set(PIPELINE):
        return None
    out = {}
    for name in PIPELINE:
        settings = dict(components[name])
        if settings.pop("factory", None) != name:
            return None
        out[name] = settings
    if out["textcat_multilabel"].get("model", {}).get("@architectures") != ARCHITECTURE:
        return None
    return out


def load_direct(path: Path) -> Language | None:
    """The pipeline built in code with the folder's settings and weights; None for another shape."""
    config = Config().from_disk(path / "config.cfg")
    settings = component_configs(config)
    if settings is None:
        return None
    # An empty tokenizer, given the folder's rules before any component is made: dw_signals
    # tokenises its phrases with it (spacy.load would use the default English tokenizer,
    # which is what driftwatch saves, only to replace it with the folder's afterwards).
    nlp = English(meta=srsly.read_json(path / "meta.json"), create_tokenizer=lambda nlp: Tokenizer(nlp.vocab))
    tokenizer = nlp.tokenizer
    tokenizer.from_disk(path / "tokenizer", exclude=["vocab"])
    if None in (tokenizer.prefix_search, tokenizer.suffix_search, tokenizer.infix_finditer) or not tokenizer.rules:
        return None  # a folder whose tokenizer leaves spaCy's defaults to fill in: let spaCy do it
    for name in PIPELINE:
        nlp.add_pipe(name, config=settings[name])
    nlp.from_disk(path, exclude=["tokenizer"])
    nlp.batch_size = config["nlp"].get("batch_size", nlp.batch_size)
    return nlp
