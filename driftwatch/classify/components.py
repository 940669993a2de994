"""spaCy rule components: cue phrases per category and the polarity of "by default".

Registered as the ``dw_signals`` factory; the rules are rebuilt from
:mod:`.lexicon` whenever a pipeline is created or loaded, so the shipped model
only carries the trained text classifier's weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

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


if not Doc.has_extension("signals"):
    Doc.set_extension("signals", default=None)


def _spans_overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


class SignalMatcher:
    def __init__(self, nlp: Language) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for category, phrases in lexicon.CUES.items():
            self.matcher.add(f"cue:{category}", list(nlp.tokenizer.pipe(phrases)))
        self.matcher.add("on", list(nlp.tokenizer.pipe(lexicon.ON_BY_DEFAULT)))
        self.matcher.add("off", list(nlp.tokenizer.pipe(lexicon.OFF_BY_DEFAULT)))
        self.matcher.add("product", list(nlp.tokenizer.pipe(lexicon.PRODUCTS)))
        self.matcher.add("connector", list(nlp.tokenizer.pipe(lexicon.CONNECTORS)))
        self.matcher.add("noise", list(nlp.tokenizer.pipe(lexicon.NOISE)))
        self.vocab = nlp.vocab

    def __call__(self, doc: Doc) -> Doc:
        signals = Signals()
        on_spans: list[Span] = []
        off_spans: list[Span] = []
        for match_id, start, end in self.matcher(doc):
            key = self.vocab.strings[match_id]
            span = doc[start:end]
            text = span.text
            if key.startswith("cue:"):
                found = signals.cues.setdefault(key[4:], [])
                if text not in found:
                    found.append(text)
            elif key == "on":
                on_spans.append(span)
            elif key == "off":
                off_spans.append(span)
            elif key == "product" and text not in signals.products:
                signals.products.append(text)
            elif key == "connector" and text not in signals.connectors:
                signals.connectors.append(_canonical_connector(text))
            elif key == "noise" and text not in signals.noise:
                signals.noise.append(text)
        # Negation and polarity: an "off" phrase cancels any "on" phrase it overlaps,
        # and an "on" phrase right after "not"/"no longer" reads as off.
        for span in on_spans:
            negated = span.start > 0 and doc[span.start - 1].lower_ in ("not", "never", "no")
            if negated or any(_spans_overlap(span, off) for off in off_spans):
                if not any(_spans_overlap(span, off) for off in off_spans):
                    signals.off_default.append(doc[span.start - 1 : span.end].text)
                continue
            signals.on_default.append(span.text)
        signals.off_default.extend(s.text for s in off_spans)
        doc._.signals = signals
        return doc


def _canonical_connector(text: str) -> str:
    for name in lexicon.CONNECTORS:
        if name.lower() == text.lower():
            return name
    return text


@Language.factory("dw_signals")
def make_signals(nlp: Language, name: str) -> SignalMatcher:
    return SignalMatcher(nlp)
