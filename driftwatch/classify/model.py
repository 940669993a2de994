"""The classifier: spaCy rules plus a trained ``textcat_multilabel``, decided by explainable rules.

The trained pipeline ships in ``driftwatch/classify/model``; nothing trains or
downloads at run time. spaCy is imported here only, so commands that do not
classify start fast.
"""

from __future__ import annotations

import gc
import json
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import spacy
from spacy.language import Language

from driftwatch.models import Classification

from . import architecture  # noqa: F401  (registers driftwatch.TextCatBOWSignals.v1)
from .components import Signals, signals_of  # importing registers the dw_signals factory
from .lexicon import CATEGORIES
from .loading import load_pipeline
from .severity import WIDENING, severity

MODEL_DIR = Path(__file__).resolve().parent / "model"
TEXTCAT_LABELS = tuple(c for c in CATEGORIES if c != "other") + ("relevant", "control")
TEXTCAT_CONFIG = {
    "threshold": 0.5,
    "model": {
        "@architectures": "driftwatch.TextCatBOWSignals.v1",
        "exclusive_classes": False,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": 65536,
    },
}
# Thresholds are chosen by cross-validation when the model is trained (driftwatch.json);
# these apply only to a model folder that does not record its own.
DEFAULT_THRESHOLD = 0.5
DEFAULT_CUE_THRESHOLD = 0.1
DEFAULT_RULE_OVERRIDE = 0.9  # model confidence that overrides a "reads as not relevant" rule
# Rare categories whose unambiguous wording decides them whatever the model says
# (few real examples to learn them from).
RULE_CATEGORIES = ("write_action", "oauth_scope", "audit_logging", "security_fix")


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

    def __init__(self, nlp: Language, version: str, thresholds: dict[str, float] | None = None) -> None:
        self.nlp = nlp
        self.version = version
        self.thresholds = {label: DEFAULT_THRESHOLD for label in TEXTCAT_LABELS}
        self.thresholds.update(thresholds or {})

    @classmethod
    def load(cls, path: str | Path = MODEL_DIR) -> "Classifier":
        path = Path(path)
        if not (path / "meta.json").exists():
            raise FileNotFoundError(f"no trained classifier at {path}; run `driftwatch train`")
        nlp = load_pipeline(path)  # spacy.load's pipeline, built without its config resolution
        meta = json.loads((path / "driftwatch.json").read_text()) if (path / "driftwatch.json").exists() else {}
        return cls(nlp, f"spacy-{meta.get('fingerprint', 'unknown')[:12]}", meta.get("thresholds"))

    def __call__(self, title: str, body: str = "") -> Classification:
        return self.decide(self.nlp(text_of(title, body)))

    def classify_many(self, items: Iterable[tuple[str, str]], batch_size: int = 256) -> Iterator[Classification]:
        """Many at once: the same pipeline, steps batched (the rules get the raw text, sparing a re-join)."""
        signals = self.nlp.get_pipe("dw_signals")
        textcat = self.nlp.get_pipe("textcat_multilabel")
        labels = textcat.labels
        items = iter(items)
        while True:
            texts = [text_of(title, body) for title, body in islice(items, batch_size)]
            if not texts:
                return
            docs = [signals.featurise(doc, raw) for doc, raw in zip(self.nlp.tokenizer.pipe(texts), texts)]
            # textcat.pipe's scores, read as one list instead of one array access per label and doc
            # (the same floats: float32 to Python float either way)
            for doc, row in zip(docs, textcat.predict(docs).tolist(), strict=True):
                doc.cats.update(zip(labels, row))
                yield self.decide(doc)

    def decide(self, doc) -> Classification:
        return decide(signals_of(doc), doc.cats, self.thresholds, self.version)


def _cue_reason(category: str, cues: list[str], signals: Signals) -> str:
    note = ""
    if category in ("write_action", "connector", "oauth_scope") and signals.connectors and signals.connectors[0] != cues[0]:
        note = f" ({signals.connectors[0]})"
    return f'{category}: "{cues[0]}"{note}'


def cue_list(signals: Signals, category: str) -> list[str]:
    """The rule cues for a category, connector names and the "on" default phrase included."""
    cues = list(signals.cues.get(category, []))
    if category == "connector" and set(signals.cues) & {"write_action", "oauth_scope"}:
        # A product name alone is no connector ("Teams admin center", "GitHub runners"): only
        # with action or scope wording is "Gmail" the thing being connected.
        cues += [c for c in signals.connectors if c not in cues]
    if category == "default_change" and signals.polarity == "on" and signals.on_phrase:
        cues.insert(0, signals.on_phrase)
    return cues


_EXTRA_CUES = ("connector", "default_change")  # categories whose cues come from more than signals.cues


def decide(signals: Signals, cats: dict[str, float], thresholds: dict[str, float], version: str) -> Classification:
    """Categories, relevance and severity from the rule signals and the model's scores, with reasons."""
    chosen: list[str] = []
    reasons: list[str] = []
    for category in CATEGORIES:
        if category == "other":
            continue
        score = cats.get(category, 0.0)
        # cue_list gives [] for a category without cues, but for connector and default_change
        cues = cue_list(signals, category) if category in signals.cues or category in _EXTRA_CUES else []
        strong = category in RULE_CATEGORIES and category in signals.strong
        if category == "agent_autonomy" and category in signals.strong and signals.admin_facing \
                and not signals.developer:
            strong = True  # an agent acting for the company's people, not one a developer builds
        taken = score >= thresholds.get(category, DEFAULT_THRESHOLD)
        if cues and score >= thresholds.get(f"{category}@cue", DEFAULT_CUE_THRESHOLD):
            taken = True  # a rule cue fired and the model does not disagree strongly
        if strong or taken:
            chosen.append(category)
            reasons.append(_cue_reason(category, cues, signals) if cues else f"{category}: model {score:.2f}")
    relevance = cats.get("relevant", 0.0)
    relevant = relevance >= thresholds.get("relevant", DEFAULT_THRESHOLD)
    irrelevant_rule = signals.looks_irrelevant
    if relevant and irrelevant_rule and relevance < thresholds.get("relevant@rule", DEFAULT_RULE_OVERRIDE):
        relevant = False
    else:
        irrelevant_rule = None
    control = cats.get("control", 0.0) >= thresholds.get("control", DEFAULT_THRESHOLD)
    if signals.protective and signals.polarity != "on":
        control = True  # "SSO enforced by default", "uploads now restricted by default": a new control
    polarity = signals.polarity
    if relevant and polarity == "on" and "default_change" not in chosen:
        chosen.append("default_change")  # on by default / opt-out is a default, whatever the model says
        reasons.append(f'default_change: "{signals.on_phrase}"')
    if not relevant:
        # Non-relevant entries are model launches or other; keep the categories that say so.
        chosen = ["model_lifecycle"] if "model_lifecycle" in chosen else []
        reasons = [r for r in reasons if r.startswith("model_lifecycle")]
    level, why = severity(set(chosen), polarity, relevant=relevant, control=control)
    if level == "high" and not set(chosen) & WIDENING and not signals.on_default[1:] \
            and (signals.on_phrase or "").lower().startswith("no admin action"):
        # "No admin action is required" alone is a rollout's boilerplate: on, but widening nothing named
        level, why = "medium", "a change that arrives without admin action, widening no data or action"
    if polarity == "on":
        kind = "on" if signals.on_default else "on, wide rollout"
        reasons.append(f'default: "{signals.on_phrase}" ({kind})')
    elif polarity == "off":
        reasons.append(f'default: "{signals.off_default[0]}" (stays off)')
    if signals.protective:
        reasons.append(f'default: "{signals.protective[0]}" (protective, not a widening)')
    if level == "info":
        reasons.append(f"info: {irrelevant_rule}; relevance {relevance:.2f}" if irrelevant_rule
                       else _why_info(signals, relevance))
    elif level != "high" and polarity != "on":
        reasons.append("not high: no on-by-default or opt-out wording")
    reasons.append(f"severity {level}: {why}")
    return Classification(
        security_relevant=level != "info",
        severity=level,
        categories=chosen or ["other"],
        reasons=reasons,
        version=version,
    )


def _why_info(signals: Signals, relevance: float) -> str:
    """Why a change is not security relevant: the look-alike that matched or the signal that was absent."""
    if signals.no_change:
        return f'info: "{signals.no_change[0]}" (says nothing changes); relevance {relevance:.2f}'
    if signals.model_names and not signals.cues.keys() - {"model_lifecycle", "new_product"}:
        return f'info: a model release ("{signals.model_names[0]}"), no data, access or default change; relevance {relevance:.2f}'
    if signals.noise:
        return f'info: "{signals.noise[0]}" (quality, UI or pricing wording); relevance {relevance:.2f}'
    found = sorted(signals.cues.keys() - {"model_lifecycle", "new_product"})
    if found:
        return f"info: cues for {', '.join(found)} but the text reads as no security change; relevance {relevance:.2f}"
    return f"info: no data, access, action, default, network or logging cue; relevance {relevance:.2f}"


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    """The shipped model, loaded once per process.

    It lives as long as the process, so everything alive once it is loaded (spaCy, the
    vocabulary, the matcher, the weights) is moved out of the garbage collector's way
    (``gc.freeze``): full collections no longer walk it, about 4 % of a first check.
    """
    classifier = Classifier.load()
    gc.freeze()
    return classifier


def classify(title: str, body: str = "") -> Classification:
    """Classify one change with the shipped model (loaded once)."""
    return default_classifier()(title, body)
