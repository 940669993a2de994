"""spaCy rule components: cue phrases per category and the polarity of "by default".

Registered as the ``dw_signals`` factory; the rules are rebuilt from
:mod:`.lexicon` whenever a pipeline is created or loaded, so the shipped model
only carries the trained text classifier's weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from . import lexicon


@dataclass
class Signals:
    cues: dict[str, list[str]] = field(default_factory=dict)
    on_default: list[str] = field(default_factory=list)
    off_default: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    connectors: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)

    @property
    def polarity(self) -> str | None:
        if self.on_default:
            return "on"
        if self.off_default:
            return "off"
        return None


class SignalMatcher:
    def __init__(self, nlp: Language) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        groups: dict[str, tuple[str, ...]] = {f"cue:{c}": p for c, p in lexicon.CUES.items()}
        groups.update(on=lexicon.ON_BY_DEFAULT, off=lexicon.OFF_BY_DEFAULT, product=lexicon.PRODUCTS,
                      connector=lexicon.CONNECTORS, noise=lexicon.NOISE)
        self.keys: dict[int, str] = {}
        for key, phrases in groups.items():
            self.matcher.add(key, list(nlp.tokenizer.pipe(phrases)))
            self.keys[nlp.vocab.strings[key]] = key
        self.connector_names = {name.lower(): name for name in lexicon.CONNECTORS}

    def __call__(self, doc: Doc) -> Doc:
        signals = Signals()
        on_spans: list[tuple[int, int]] = []
        off_spans: list[tuple[int, int]] = []
        cues = signals.cues
        for match_id, start, end in self.matcher(doc):
            key = self.keys[match_id]
            if key == "on":
                on_spans.append((start, end))
                continue
            if key == "off":
                off_spans.append((start, end))
                continue
            text = doc[start:end].text
            if key.startswith("cue:"):
                found = cues.setdefault(key[4:], [])
                if text not in found:
                    found.append(text)
            elif key == "connector":
                name = self.connector_names.get(text.lower(), text)
                if name not in signals.connectors:
                    signals.connectors.append(name)
            elif key == "product" and text not in signals.products:
                signals.products.append(text)
            elif key == "noise" and text not in signals.noise:
                signals.noise.append(text)
        # Negation and polarity: an "off" phrase cancels any "on" phrase it overlaps,
        # and an "on" phrase right after "not"/"no"/"never" reads as off.
        for start, end in on_spans:
            if any(start < o_end and o_start < end for o_start, o_end in off_spans):
                continue
            if start > 0 and doc[start - 1].lower_ in ("not", "never", "no"):
                signals.off_default.append(doc[start - 1 : end].text)
                continue
            signals.on_default.append(doc[start:end].text)
        signals.off_default.extend(doc[s:e].text for s, e in off_spans)
        doc.user_data["dw_signals"] = signals
        return doc


def signals_of(doc: Doc) -> Signals:
    return doc.user_data.get("dw_signals") or Signals()


@Language.factory("dw_signals")
def make_signals(nlp: Language, name: str) -> SignalMatcher:
    return SignalMatcher(nlp)
