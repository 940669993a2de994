"""The classifier: spaCy rules plus a trained ``textcat_multilabel``, decided by explainable rules.

The trained pipeline ships in ``driftwatch/classify/model``; nothing trains or
downloads at run time. spaCy is imported here only, so commands that do not
classify start fast.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import spacy
from spacy.language import Language

from driftwatch.models import Classification

from .components import signals_of  # importing registers the dw_signals factory
from .lexicon import CATEGORIES, STRONG_CUES

_STRONG = {category: {p.lower() for p in phrases} for category, phrases in STRONG_CUES.items()}
from .severity import severity

MODEL_DIR = Path(__file__).resolve().parent / "model"
TEXTCAT_LABELS = tuple(c for c in CATEGORIES if c != "other") + ("relevant", "control")
TEXTCAT_CONFIG = {
    "threshold": 0.5,
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 65536,
    },
}
# Decision thresholds, tuned on the dev set (driftwatch eval):
# a category is taken when the model is confident, or when a rule cue
# fired and the model does not disagree strongly.
T_MODEL = 0.5
T_WITH_CUE = 0.1
T_RELEVANT = 0.5


def blank_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("dw_signals")
    textcat = nlp.add_pipe("textcat_multilabel", config=TEXTCAT_CONFIG)
    for label in TEXTCAT_LABELS:
        textcat.add_label(label)
    return nlp


def text_of(title: str, body: str) -> str:
    return f"{title.strip()}.\n{body.strip()}" if body and body.strip() else title.strip()


class Classifier:
    """Callable as ``classifier(title, body)`` so the watchers can take any function."""

    def __init__(self, nlp: Language, version: str) -> None:
        self.nlp = nlp
        self.version = version

    @classmethod
    def load(cls, path: str | Path = MODEL_DIR) -> "Classifier":
        path = Path(path)
        if not (path / "meta.json").exists():
            raise FileNotFoundError(f"no trained classifier at {path}; run `driftwatch train`")
        nlp = spacy.load(path)
        meta = json.loads((path / "driftwatch.json").read_text()) if (path / "driftwatch.json").exists() else {}
        return cls(nlp, f"spacy-{meta.get('fingerprint', 'unknown')[:12]}")

    def __call__(self, title: str, body: str = "") -> Classification:
        return self.decide(self.nlp(text_of(title, body)))

    def classify_many(self, items: Iterable[tuple[str, str]], batch_size: int = 256) -> Iterator[Classification]:
        texts = (text_of(title, body) for title, body in items)
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield self.decide(doc)

    def decide(self, doc) -> Classification:
        signals = signals_of(doc)
        cats = doc.cats
        chosen: list[str] = []
        reasons: list[str] = []
        connector_note = f" ({signals.connectors[0]})" if signals.connectors else ""
        for category in CATEGORIES:
            if category == "other":
                continue
            score = cats.get(category, 0.0)
            cues = list(signals.cues.get(category, []))
            if category == "connector" and signals.connectors:
                cues = cues + [c for c in signals.connectors if c not in cues]
            if category == "default_change":
                if signals.polarity == "on":
                    cues = signals.on_default + cues
                elif signals.polarity == "off" and score < T_MODEL:
                    continue  # "remains disabled by default" is not a default change
            strong = any(c.lower() in _STRONG.get(category, ()) for c in cues)
            if strong or score >= T_MODEL or (cues and score >= T_WITH_CUE):
                chosen.append(category)
                if cues:
                    note = connector_note if category in ("write_action", "connector", "oauth_scope") else ""
                    if note == f" ({cues[0]})":
                        note = ""
                    reasons.append(f'{category}: "{cues[0]}"{note}')
                else:
                    reasons.append(f"{category}: model {score:.2f}")
        relevant = cats.get("relevant", 0.0) >= T_RELEVANT
        control = cats.get("control", 0.0) >= T_MODEL
        level, why = severity(set(chosen), signals.polarity, relevant=relevant, control=control)
        if signals.polarity == "on":
            reasons.append(f'default: "{signals.on_default[0]}" (on)')
        elif signals.polarity == "off":
            reasons.append(f'default: "{signals.off_default[0]}" (stays off)')
        reasons.append(f"severity {level}: {why}")
        return Classification(
            security_relevant=level != "info",
            severity=level,
            categories=chosen or ["other"],
            reasons=reasons,
            version=self.version,
        )


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    return Classifier.load()


def classify(title: str, body: str = "") -> Classification:
    """Classify one change with the shipped model (loaded once)."""
    return default_classifier()(title, body)
