"""spaCy rule component: cue phrases per category, the polarity of defaults, and signal tokens.

Registered as the ``dw_signals`` factory; the rules are rebuilt from
:mod:`.lexicon` whenever a pipeline is created or loaded, so the shipped model
only carries the trained text classifier's weights.

The component hands the text classifier a lower-cased copy of the text with one
``dw_...`` token per rule signal in front (``dw_cue_connector``, ``dw_pol_on``,
``dw_nochange``...). The bag-of-words model thus learns how far to trust each
rule from the labelled data, and generalises from a vendor's phrasing to
another's through the shared signal tokens instead of memorising words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from . import lexicon

ADMINS = ["admins", "admin", "administrators", "administrator", "owners", "owner", "you", "organizations",
          "organisation", "organization", "tenants", "users", "it"]
# Token patterns for opt-out wording that phrase lists cannot spell out.
OPT_OUT_PATTERNS = [
    # "admins can flip the Work with Apps toggle off", "owners can turn this off"
    [{"LOWER": {"IN": ADMINS}}, {"LOWER": {"IN": ["can", "may"]}},
     {"LOWER": {"IN": ["flip", "turn", "switch", "toggle", "set"]}}, {"OP": "?"}, {"OP": "?"}, {"OP": "?"},
     {"OP": "?"}, {"OP": "?"}, {"LOWER": "off"}],
    # "if you wish to restrict", "if your organization wants to block or limit"
    [{"LOWER": "if"}, {"OP": "?"}, {"OP": "?"}, {"LOWER": {"IN": ["wish", "want", "wants", "need", "needs", "prefer"]}},
     {"LOWER": "to"}, {"LOWER": {"IN": ["restrict", "block", "disable", "limit", "prevent", "opt", "turn"]}}],
    # "admins can disable", "you can block" (but "admins can now disable" is a new control)
    [{"LOWER": {"IN": ADMINS}}, {"LOWER": {"IN": ["can", "may"]}}, {"LOWER": "proactively", "OP": "?"},
     {"LOWER": {"IN": ["disable", "block", "restrict"]}}],
]
MODEL_NAME = r"^(gpt-?[\d.]+\w*|o\d(-\w+)?|gpt|claude-[\w-]+|dall-e|sora-?\d*|gemini-?[\d.]*|llama-?[\d.]*)$"
WINDOW = 8
CONNECTOR_CONTEXT = frozenset({"connector", "write_action", "oauth_scope", "data_handling"})
SECURITY_CUES = frozenset({"write_action", "oauth_scope", "default_change", "data_handling", "identity_access",
                           "connector", "agent_autonomy", "audit_logging", "security_fix"})  # tokens either side of an "on" phrase searched for protective words


@dataclass
class Signals:
    cues: dict[str, list[str]] = field(default_factory=dict)
    on_default: list[str] = field(default_factory=list)
    weak_on: list[str] = field(default_factory=list)
    off_default: list[str] = field(default_factory=list)
    protective: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    connectors: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    no_change: list[str] = field(default_factory=list)
    control: list[str] = field(default_factory=list)
    model_names: list[str] = field(default_factory=list)
    developer: list[str] = field(default_factory=list)
    admin_facing: list[str] = field(default_factory=list)
    title_model: bool = False
    strong: list[str] = field(default_factory=list)

    @property
    def polarity(self) -> str | None:
        """``on`` (widens by default or opt-out), ``off`` (stays off / admin-gated) or None.

        An explicit on / opt-out phrase wins over an "off" one elsewhere ("off by
        default during the preview, then turns on automatically unless admins opt
        out" is on); an "off" phrase wins over loose availability wording.
        """
        if self.on_default:
            return "on"
        if self.off_default:
            return "off"
        if self.weak_on:
            return "on"
        return None

    @property
    def on_phrase(self) -> str | None:
        return (self.on_default or self.weak_on or [None])[0]

    @property
    def security_cues(self) -> list[str]:
        """Categories whose cues say data, access, actions or logging (not just "new" or "model")."""
        return sorted(set(self.cues) & SECURITY_CUES | ({"connector"} if self.connectors else set()))

    @property
    def developer_context(self) -> bool:
        """Developer wording with no admin audience, no default and no unambiguous security cue."""
        return bool(self.developer) and not self.admin_facing and not self.polarity and not self.strong

    @property
    def model_release(self) -> bool:
        return self.title_model and not set(self.security_cues) - {"default_change"} and self.polarity != "on"

    @property
    def looks_irrelevant(self) -> str | None:
        """The rule that reads this text as not security relevant, if one does."""
        if self.model_release:
            return "a model release with no data, access or default change"
        if not self.security_cues and not self.polarity:
            return "no data, access, action, default or logging cue"
        return None

    def tokens(self) -> list[str]:
        """The signal tokens the text classifier sees in front of the text.

        Besides one token per signal, a few conjunctions a linear model cannot
        form itself: a model release with nothing else, developer wording with no
        admin or security cue, "nothing changes" with no on-by-default wording.
        """
        out = [f"dw_cue_{c}" for c in self.cues] + [f"dw_strong_{c}" for c in self.strong]
        security = self.security_cues
        if self.model_release:
            out.append("dw_model_release")
        if self.developer_context:
            out.append("dw_developer_only")
        if self.no_change and self.polarity != "on":
            out.append("dw_nochange_only")
        if not security and not self.polarity:
            out.append("dw_no_security_cue")
        if len(security) >= 3:
            out.append("dw_many_security_cues")
        polarity = self.polarity
        if polarity:
            out.append(f"dw_pol_{polarity}")
        for name, present in (("dw_pol_strong", self.on_default), ("dw_pol_weak", self.weak_on),
                              ("dw_pol_offphrase", self.off_default), ("dw_protective", self.protective),
                              ("dw_product", self.products),
                              ("dw_connector", self.connectors if set(self.cues) & CONNECTOR_CONTEXT else []),
                              ("dw_noise", self.noise), ("dw_nochange", self.no_change),
                              ("dw_control", self.control), ("dw_modelname", self.model_names),
                              ("dw_developer", self.developer), ("dw_admin", self.admin_facing)):
            if present:
                out.append(name)
        return out


class SignalMatcher:
    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        groups: dict[str, tuple[str, ...]] = {f"cue:{c}": p for c, p in lexicon.CUES.items()}
        groups.update(on=lexicon.ON_BY_DEFAULT + lexicon.OPT_OUT, weak=lexicon.WEAK_ON,
                      off=lexicon.OFF_BY_DEFAULT, protective=lexicon.PROTECTIVE_DEFAULT,
                      product=lexicon.PRODUCTS, connector=lexicon.CONNECTORS, noise=lexicon.NOISE,
                      nochange=lexicon.NO_CHANGE, control=lexicon.CONTROL, developer=lexicon.DEVELOPER,
                      admin=lexicon.ADMIN_FACING)
        self.keys: dict[int, str] = {}
        for key, phrases in groups.items():
            self.matcher.add(key, list(nlp.tokenizer.pipe(phrases)))
            self.keys[nlp.vocab.strings[key]] = key
        self.token_matcher = Matcher(nlp.vocab)
        self.token_matcher.add("on", OPT_OUT_PATTERNS)
        self.token_matcher.add("model", [[{"LOWER": {"REGEX": MODEL_NAME}}]])
        self.keys[nlp.vocab.strings["on"]] = "on"
        self.keys[nlp.vocab.strings["model"]] = "model"
        self.connector_names = {name.lower(): name for name in lexicon.CONNECTORS}
        self.protective_words = frozenset(lexicon.PROTECTIVE_WORDS)
        self.strong_cues = {c: {p.lower() for p in ph} for c, ph in lexicon.STRONG_CUES.items()}

    def __call__(self, doc: Doc) -> Doc:
        signals = self.signals(doc)
        # Content words only: stop words, punctuation and numbers carry no signal at this data size.
        words = signals.tokens() + [t.lower_ for t in doc if not (t.is_stop or t.is_punct or t.like_num or t.is_space)]
        out = Doc(self.vocab, words=words)
        out.user_data["dw_signals"] = signals
        return out

    def signals(self, doc: Doc) -> Signals:
        signals = Signals()
        spans: dict[str, list[tuple[int, int]]] = {"on": [], "weak": [], "off": [], "protective": []}
        cues = signals.cues
        matches = list(self.matcher(doc)) + list(self.token_matcher(doc))
        for match_id, start, end in matches:
            key = self.keys[match_id]
            if key in spans:
                spans[key].append((start, end))
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
            else:
                bucket = {"product": signals.products, "noise": signals.noise, "nochange": signals.no_change,
                          "control": signals.control, "model": signals.model_names,
                          "developer": signals.developer, "admin": signals.admin_facing}[key]
                if text not in bucket:
                    bucket.append(text)
        strong = self.strong_cues
        signals.strong = sorted(c for c, found in cues.items() if any(f.lower() in strong.get(c, ()) for f in found))
        title_end = next((t.i for t in doc if t.is_space and "\n" in t.text), len(doc))
        signals.title_model = any(
            self.keys[m] == "model" and s < title_end for m, s, _e in matches
        ) or any(t.lower_ in ("model", "models") for t in doc[:title_end])
        if signals.model_names:
            found = cues.setdefault("model_lifecycle", [])
            found.extend(n for n in signals.model_names if n not in found)
        off_spans = spans["off"]
        signals.protective.extend(doc[s:e].text for s, e in spans["protective"])

        def overlaps(start: int, end: int, others: list[tuple[int, int]]) -> bool:
            return any(start < o_end and o_start < end for o_start, o_end in others)

        for kind, target in (("on", signals.on_default), ("weak", signals.weak_on)):
            for start, end in sorted(set(spans[kind])):
                text = doc[start:end].text
                if overlaps(start, end, off_spans) or overlaps(start, end, spans["protective"]):
                    continue
                if start > 0 and doc[start - 1].lower_ in ("not", "never", "no"):
                    signals.off_default.append(doc[start - 1 : end].text)
                    continue
                lowered = text.lower()
                if " on or off" in lowered or " now " in f" {lowered} ":
                    continue  # "admins can turn X on or off", "can now turn off": a control, not a default
                window = _sentence_window(doc, start, end)
                guard = next((t.text for t in window if t.lower_ in self.protective_words), None)
                if guard and "off" not in lowered and "disable" not in lowered:
                    signals.protective.append(f"{text} ({guard})")
                    continue
                if text not in target:
                    target.append(text)
        signals.off_default.extend(doc[s:e].text for s, e in sorted(off_spans))
        return signals


def _sentence_window(doc: Doc, start: int, end: int) -> list:
    """Up to WINDOW tokens either side of a span, not crossing a sentence end."""
    lo = start
    while lo > 0 and start - lo < WINDOW and doc[lo - 1].text not in _STOPS:
        lo -= 1
    hi = end
    while hi < len(doc) and hi - end < WINDOW and doc[hi].text not in _STOPS:
        hi += 1
    return list(doc[lo:hi])


_STOPS = frozenset({".", "!", "?", ";", "..."})


def signals_of(doc: Doc) -> Signals:
    return doc.user_data.get("dw_signals") or Signals()


@Language.factory("dw_signals")
def make_signals(nlp: Language, name: str) -> SignalMatcher:
    return SignalMatcher(nlp)
