"""spaCy rule component: cue phrases per category, the polarity of defaults, and signal tokens.

Registered as the ``dw_signals`` factory; the rules are rebuilt from
:mod:`.lexicon` whenever a pipeline is created or loaded, so the shipped model
only carries the trained text classifier's weights.

The text classifier (architecture.py) reads one ``dw_...`` token per rule signal
(``dw_cue_connector``, ``dw_pol_on``, ``dw_nochange``...) in front of the text's
content words. The bag-of-words model thus learns how far to trust each rule
from the labelled data, and generalises from a vendor's phrasing to another's
through the shared signal tokens instead of memorising words.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from spacy.language import Language
import re

from spacy.attrs import IDX, LENGTH, ORTH
from spacy.matcher import PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokens import Doc

from . import lexicon

_WHO = r"(?:admins?|administrators?|owners?|you|organi[sz]ations?|tenants?|users|it)"
# Opt-out wording that phrase lists cannot spell out, matched on the lower-cased text (one C-level
# pass per pattern is much cheaper than token patterns with optional tokens).
OPT_OUT_PATTERNS = [
    # "admins can flip the Work with Apps toggle off", "owners can turn this off"
    re.compile(_WHO + r"\s+(?:can|may)\s+(?:flip|turn|switch|toggle|set)\b(?:\W+[\w-]+){0,5}?\W+off\b"),
    # "if you wish to restrict", "if your organization wants to block or limit"
    re.compile(r"\bif(?:\s+[\w-]+){0,2}\s+(?:wish|want|wants|need|needs|prefer)\s+to\s+"
               r"(?:restrict|block|disable|limit|prevent|opt|turn)\b"),
    # "admins can disable", "you can block" (but "admins can now disable" is a new control)
    re.compile(r"\b" + _WHO + r"\s+(?:can|may)\s+(?:proactively\s+)?(?:disable|block|restrict|deactivate)\b"
               r"(?!\s+(?:specific|certain|individual|particular|selected|some|which|who)\b)"),
    # "it can be turned off by admins", "owners who don't want this can ..."
    re.compile(r"\b(?:can|may)\s+be\s+(?:turned|switched|toggled)\s+off\b"),
    re.compile(r"\b(?:who|that)\s+(?:don't|do\s+not|doesn't|does\s+not)\s+want\b"),
    # a default that widens: "kept for 120 days, up from 30"; "links will default to anyone with the link"
    re.compile(r"\b(?:kept|keeps?|retained|retains?|stored|stores|retention|saved|recoverable)\b[^.]{0,110}?\bup\s+from\s+\d+\s+"
               r"(?:days|weeks|months|years)\b"),
    re.compile(r"\bdefaults?\s+to\s+[\"'\u201c\u2018]?(?:anyone|public|everyone|all\s+(?:users|members|people)|"
               r"people\s+with\s+the\s+link)\b"),
    # "new installs start with web access enabled", "workspaces start with it turned on"
    re.compile(r"\bstart(?:s|ing)?\s+(?:out\s+)?with\s+(?:[\w'-]+\s+){0,5}?(?:enabled|turned\s+on|switched\s+on)\b"),
    # "if you don't want it, remove the action", "if your admins do not want this, set it to Off"
    re.compile(r"\bif\s+(?:you|your\s+[\w-]+|admins?|an\s+admin|owners?)\s+(?:don't|do\s+not|doesn't|does\s+not|"
               r"don\u2019t)\s+want\b"),
    # "applies to every organization that has not changed it", "tenants that haven't customized the policy"
    re.compile(r"\b(?:that|who|which|whose\s+[\w-]+|where\s+[\w-]+(?:\s+[\w-]+)?)\s+(?:have|has)(?:\s+not|\s+never|n't|"
               r"n\u2019t)\s+(?:yet\s+)?"
               r"(?:changed|customi[sz]ed|configured|modified|set|touched|chosen|picked|selected|opted\s+out)\b"),
    # "for every member unless a workspace owner disables the integration"
    re.compile(r"\bunless\s+(?:an?\s+|the\s+|your\s+)?(?:workspace\s+|org(?:anization)?\s+|tenant\s+)?(?:admins?|"
               r"administrators?|owners?)\s+(?:disables?|turns?|switches?|opts?|blocks?|removes?|changes?)\b"
               # "stays off unless an admin switches it on" is opt-in
               r"(?!(?:\s+(?:it|them|this|that|the\s+[\w-]+\b(?:\s+[\w-]+\b)?))?\s+on\b)(?!\s+in\b)"),
    # "owners who would rather not share it should change the setting before the 28th"
    re.compile(r"\b(?:who|that)\s+(?:would\s+rather|prefer(?:s)?\s+(?:not\s+)?to|want\s+to\s+opt\s+out|"
               r"wants?\s+to\s+(?:limit|restrict|block|disable|turn\s+(?:it\s+|this\s+)?off))\b"),
    # "to limit it, set the policy ...", "to turn this off, go to ..."
    re.compile(r"(?:^|[.;:]\s+|\n)to\s+(?:limit|restrict|block|disable|turn\s+off|switch\s+off|opt\s+out\s+of)\s+"
               r"(?:it|this|them|access|the\s+[\w-]+)\s*,"),
    # retention that grows to no end: "used to expire after 30 days; now stored until you delete them"
    re.compile(r"\b(?:used\s+to|no\s+longer)\s+expire\b"),
    # retention that grows to no end: "now kept until someone deletes them", "stored indefinitely"
    # (a change from a limit, not a description: "now kept ...", "... rather than after 90 days")
    re.compile(r"(?<=\bnow\s)(?:be\s+)?(?:kept|retained|stored|saved)\s+(?:indefinitely|forever|until\s+(?:someone|you|a\s+user|"
               r"the\s+user|users|an?\s+admin|the\s+owner|they\s+are)\s+(?:deletes?|deleted|removes?|removed)\b)"
               r"|\b(?:kept|retained|stored|saved)\s+(?:indefinitely|forever|until\s+[\w\s]{2,20}?(?:deletes?|deleted|"
               r"removes?|removed)\b)[^.]{0,40}?\b(?:rather\s+than|instead\s+of)\b"),
    # "to keep it off, deactivate the feature before the release"
    re.compile(r"\bto\s+keep\s+(?:it|this|them|the\s+[\w-]+(?:\s+[\w-]+)?)\s+(?:off|disabled|turned\s+off)\b"),
    # "new installations now start in accept-edits mode"
    re.compile(r"\bstart(?:s)?\s+in\s+(?:[\w'-]+\s+){0,3}?mode\b"),
    # a longer default retention: "increases from 7 days to 30 days", "extended from 30 days to indefinite"
    re.compile(r"\b(?:retention|retained|kept|stored|history|logs?|transcripts?)\b[^.]{0,80}?\b(?:increas|extend|rais)"
               r"(?:e|es|ed|ing)\s+from\s+\d+\s+(?:days?|weeks?|months?)\s+to\b"),
]
# Words each pattern above cannot match without one of (checked before the pattern runs).
OPT_OUT_NEEDS = (("off",), ("if",), ("can", "may"), ("off",), ("want",), ("from",), ("default",), ("start",),
                 ("want",), ("have not", "has not", "haven't", "hasn't", "have never", "has never", "n\u2019t"), ("unless",),
                 ("rather", "prefer", "opt out", "want"), ("to limit", "to restrict", "to block", "to disable", "to turn off",
                                                   "to switch off", "to opt out"), ("expire",),
                 ("indefinitely", "forever", "until"), ("keep",),
                 ("start",), ("from",))
# Each pattern's needed words as a set, and every needed word once: the text is searched for each
# word once per text instead of once per pattern.
_OPT_OUT_NEEDED = [frozenset(needs) for needs in OPT_OUT_NEEDS]
_ALL_NEEDED = tuple(sorted(set().union(*_OPT_OUT_NEEDED)))
# A setting a vendor sets for you: "is set to Enabled for every organization that has not changed it",
# "sandboxes get network access set to On", "links will be set to Anyone with the link". Not when
# someone "can" or "must" set it: that is a control.
SET_TO_ON = re.compile(r"\b(?:set|change|changes|switch|switches|move|moves)\s+to\s+[\"'\u201c\u2018]?(?:on|enabled|allowed|"
                       r"allow|anyone|public|everyone)\b"
                       # retention that grows to no end: "from 30 days to kept until you delete them"
                       r"|\bfrom\s+\d+\s+(?:days?|weeks?|months?)\s+to\s+[\"'\u201c\u2018]?(?:indefinite|indefinitely|forever|"
                       r"unlimited|no\s+limit|kept\s+until|until\s+(?:you|the\s+user|users|someone)\s+delete)")
_SET_TO_NEEDS = ("set to", "change to", "changes to", "switch to", "switches to", "move to", "moves to", "days to",
                 "weeks to", "months to", "day to", "week to", "month to")
_SETTER = re.compile(r"\b(?:can|may|must|should|need\s+to|needs\s+to|able\s+to|to|you|admins?|owners?)\s+"
                     r"(?:[\w'-]+\s+){0,3}$"
                     r"|\bcan\s+(?:now\s+)?(?:set|choose|pick|configure|decide)\b[^.]{0,150}$")
# "Fixed an issue where shared links could expose ...": a fix for a hole, whatever the vendor calls it.
SECURITY_FIX_PATTERN = re.compile(
    r"\bfix(?:ed|es)?\s+(?:an?\s+|the\s+)?(?:issue|bug|problem)\s+(?:where|that|in\s+which|causing)\b[^.]{0,140}?"
    r"\b(?:could|might|would|allowed|let)\s+(?:\w+\s+){0,3}?(?:read|access|see|view|include|expose|leak|bypass|"
    r"run|execute|reveal|obtain|escalate|exfiltrate|open|download|reach)\b"
    r"|\bfix(?:ed|es)?\s+(?:an?\s+|the\s+)?(?:issue|bug|problem)\s+(?:where|that|in\s+which)\b[^.]{0,100}?"
    r"\b(?:revoked|expired|deleted|removed|disabled)\b[^.]{0,60}?\b(?:kept|still|continued\s+to)\b")
# "Users can now create personal tokens / custom roles": setting up access, not an action taken on data.
NOT_WRITTEN = frozenset({"role", "roles", "token", "tokens", "key", "keys", "group", "groups", "policy", "policies",
                         "rule", "rules", "permission", "permissions", "custom", "personal", "api", "access",
                         "admin", "admins", "user", "users", "account", "accounts", "service", "scoped"})
# The bare word "agent" where a log or a network notice mentions one: no agent gained any autonomy.
BARE_AGENT = frozenset({"agent", "agents"})
# "memory leak", "memory usage": the computer's memory, not what an assistant remembers.
NOT_MEMORY = frozenset({"leak", "leaks", "usage", "use", "footprint", "consumption", "limit", "limits", "pressure",
                        "store", "stores", "allocation", "errors", "error", "overhead", "spike", "spikes"})
# Agents and apps that change things: "can update Salesforce records", "fills out forms".
WRITE_PATTERN = re.compile(
    r"\b(?:create|creates|creating|update|updates|updating|edit|edits|editing|delete|deletes|deleting|modify|modifies|"
    r"modifying|send|sends|sending|post|posts|posting|submit|submits|submitting|fill|fills|filling|complete|completes|"
    r"assign|assigns|assigning|close|closes|closing|merge|merges|merging|publish|publishes|publishing|book|books|booking)"
    r"(?:\s+out)?\s+(?:[\w'-]+\s+){0,3}?(?:records?|forms?|pages?|databases?|fields?|tickets?|issues?|tasks?|"
    r"incidents?|opportunit(?:y|ies)|cases?|emails?|messages?|events?|files?|documents?|orders?|purchases?)\b")
MODEL_NAME = re.compile(r"\b(?:gpt-?\d+(?:[.-]?[a-z0-9]+)*|o\d(?:-[a-z]+)?|claude-[\w-]+|dall-e(?:\s*\d)?|sora(?:-\d)?|"
                        r"gemini[\s-]\d[\w.]*|llama(?:[\s-]?\d[\w.]*)?|"
                        # "Claude Opus 5", "Sonnet 4.5", and names not yet known: "Claude Fable 5.1"
                        r"(?:claude\s+)?(?:opus|sonnet|haiku)\s+\d+(?:\.\d+)*|"
                        r"claude\s+(?!code\b|api\b|apps?\b|desktop\b)[a-z]+\s+\d+(?:\.\d+)*)(?![\w-])")
# A model name is a model_lifecycle cue only with launch or retirement wording: "pricing for
# Sonnet 5" or "a fix for GPT-5.4" is about the model, not its life cycle.
LIFECYCLE = re.compile(r"\b(?:launch(?:es|ed|ing)?|releas(?:e|es|ed|ing)|introduc(?:e|es|ed|ing)|available|"
                       r"availability|retir(?:e|es|ed|ing|ement)|deprecat(?:e|es|ed|ing|ion)|sunset(?:s|ting)?|"
                       r"shut(?:s|ting)?\s+down|end\s+of\s+life|replac(?:e|es|ed|ing)|upgrad(?:e|es|ed|ing)|"
                       r"new\s+models?|default\s+model|roll(?:s|ed|ing)?\s+out|preview|snapshot)\b")
TITLE_MODEL_WORD = re.compile(r"\bmodels?\b")
# A title that announces polish: "Faster sign-in logs", "New look for push notifications", "SSO settings have a
# new home", "Better search in build logs", "API reference refreshed"
TITLE_POLISH = re.compile(r"\b(?:faster|quicker|new\s+look|new\s+home|redesign(?:ed)?|refresh(?:ed)?|better\s+search|"
                          r"improved\s+search|cleaner|visible\s+in|loads?\s+faster|dark\s+mode|more\s+reactions|"
                          r"time\s+zone\s+handling)\b")
WINDOW = 8
KEEP = 3  # matched phrases kept per signal (for the reasons)
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
    network: list[str] = field(default_factory=list)
    nothing_changes: list[str] = field(default_factory=list)
    maintenance: list[str] = field(default_factory=list)
    title_model: bool = False
    title_polish: bool = False
    strong: list[str] = field(default_factory=list)
    title_cues: list[str] = field(default_factory=list)
    title_words: list[str] = field(default_factory=list)
    _tokens: list[str] | None = field(default=None, repr=False, compare=False)
    # the doc's ORTH column, read once for the rules and again by the text classifier's features
    orths: list[int] | None = field(default=None, repr=False, compare=False)

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
        if self.nothing_changes and self.polarity != "on" and not self.strong:
            return f'"{self.nothing_changes[0]}" (says nothing changes)'
        if self.maintenance and not self.polarity and not set(self.strong) - {"audit_logging"}:
            return f'"{self.maintenance[0]}" (a service window, no change to data, access or defaults)'
        if not self.security_cues and not self.polarity and not self.network:
            return "no data, access, action, default, network or logging cue"
        if self.title_polish and not self.polarity and not set(self.strong) - {"identity_access", "audit_logging"} \
                and not self.network:  # "SSO settings have a new home": where a setting lives is no change to it
            return "the title announces polish (speed, look, layout), no default or unambiguous security cue"
        if self.developer_context and self.security_cues == ["agent_autonomy"] and not self.network:
            # "Webhooks for Managed Agents", "the Agents SDK in TypeScript": what a developer builds with
            return "developer wording about agents, no data, access, default or admin change"
        return None

    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = self._make_tokens()
        return self._tokens

    def _make_tokens(self) -> list[str]:
        """The signal tokens the text classifier sees in front of the text.

        Title cues and title words come with their own prefix (``dw_title_...``,
        ``dw_t_...``): what an entry is called says more about its category than a
        word deep in its body. Besides one token per signal, a few conjunctions a linear model cannot
        form itself: a model release with nothing else, developer wording with no
        admin or security cue, "nothing changes" with no on-by-default wording.
        """
        out = [f"dw_cue_{c}" for c in self.cues] + [f"dw_strong_{c}" for c in self.strong]
        # An agent in a developer's changelog is something they build ("Managed Agents webhooks");
        # in an admin's notes it acts for the company's people: one token per audience.
        if "agent_autonomy" in self.cues:
            out.append("dw_agent_dev" if self.developer and not self.admin_facing else "dw_agent_people")
        # A cue in the title says what the entry is about; one deep in the body may be an aside.
        out += [f"dw_title_{c}" for c in self.title_cues]
        out += [f"dw_t_{w}" for w in self.title_words]
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
                              ("dw_developer", self.developer), ("dw_admin", self.admin_facing),
                              ("dw_network", self.network)):
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
                      admin=lexicon.ADMIN_FACING, network=lexicon.NETWORK, only=lexicon.NOTHING_CHANGES,
                      maint=lexicon.MAINTENANCE)
        groups.update({f"strong:{c}": p for c, p in lexicon.STRONG_CUES.items()})
        self.keys: dict[int, str] = {}
        for key, phrases in groups.items():
            self.matcher.add(key, list(nlp.tokenizer.pipe(phrases)))
            self.keys[nlp.vocab.strings[key]] = key
        # match id -> (what to do, where): spans of polarity phrases, strong cues, cue and other buckets,
        # and whether a look-alike of the phrase must be ruled out first (see _look_alike)
        self.dispatch: dict[int, tuple[str, str, bool]] = {}
        for match_id, key in self.keys.items():
            if key in ("on", "weak", "off", "protective"):
                kind, name = "span", key
            elif key.startswith("strong:"):
                kind, name = "strong", key[7:]
            elif key.startswith("cue:"):
                kind, name = "cue", key[4:]
            else:
                kind, name = "bucket", key
            self.dispatch[match_id] = (kind, name, name in ("data_handling", "write_action"))
        self.connector_names = {name.lower(): name for name in lexicon.CONNECTORS}
        self.protective_words = frozenset(lexicon.PROTECTIVE_WORDS)
        self._stop_orths = frozenset(get_string_id(stop) for stop in _STOPS)  # hashes only: the vocab stays as it was
        # ORTH -> the lexeme's lower form if it is a title word (alphabetic, no stop word), else ""
        self._title_word: dict[int, str] = {}
        self._lower: dict[int, str] = {}  # ORTH -> the lexeme's lower form

    def __call__(self, doc: Doc) -> Doc:
        return self.featurise(doc, doc.text)

    def featurise(self, doc: Doc, raw: str) -> Doc:
        """Attach the signals (``raw`` is the text ``doc`` was made from; joining tokens costs time)."""
        doc.user_data["dw_signals"] = self.signals(doc, raw)
        return doc

    def signals(self, doc: Doc, raw: str | None = None) -> Signals:
        signals = Signals()
        spans: dict[str, list[tuple[int, int]]] = {"on": [], "weak": [], "off": [], "protective": []}
        cues = signals.cues
        raw = doc.text if raw is None else raw

        # One C-level read of the columns the rules need (Token objects cost a microsecond each).
        idxs, lengths, orths = doc.to_array([IDX, LENGTH, ORTH]).T.tolist() if len(doc) else ([], [], [])
        signals.orths = orths

        def span_text(start: int, end: int) -> str:
            return raw[idxs[start] : idxs[end - 1] + lengths[end - 1]]

        lowered_text = raw.lower()
        title_chars = lowered_text.find("\n")
        title_chars = len(lowered_text) if title_chars < 0 else title_chars
        def on_at(found: re.Match) -> None:
            span = doc.char_span(found.start(), found.end(), alignment_mode="expand")
            if span is not None:
                spans["on"].append((span.start, span.end))

        present = {word for word in _ALL_NEEDED if word in lowered_text}
        for pattern, needs in zip(OPT_OUT_PATTERNS, _OPT_OUT_NEEDED, strict=True):
            if needs.isdisjoint(present):
                continue  # a substring test is a hundred times cheaper than the regex's scan
            for found in pattern.finditer(lowered_text):
                if found.start() >= title_chars:  # "Admins can disable file uploads" as a title: a control
                    on_at(found)
        if any(word in lowered_text for word in _SET_TO_NEEDS):
            for found in SET_TO_ON.finditer(lowered_text):
                if not _SETTER.search(lowered_text[max(0, found.start() - 160) : found.start()]):
                    on_at(found)
        title_model = False
        for found in MODEL_NAME.finditer(lowered_text):
            name = raw[found.start() : found.end()]
            title_model = title_model or found.start() < title_chars
            if name not in signals.model_names:
                signals.model_names.append(name)
        signals.title_model = title_model or bool(TITLE_MODEL_WORD.search(lowered_text, 0, title_chars))
        signals.title_polish = bool(TITLE_POLISH.search(lowered_text, 0, title_chars))
        found = WRITE_PATTERN.search(lowered_text)
        if found:
            cues.setdefault("write_action", []).append(raw[found.start() : found.end()])
        if "fix" in lowered_text and (found := SECURITY_FIX_PATTERN.search(lowered_text)):
            cues.setdefault("security_fix", []).append(raw[found.start() : found.end()][:60])
        buckets = {"connector": signals.connectors, "product": signals.products, "noise": signals.noise,
                   "nochange": signals.no_change,
                   "control": signals.control, "developer": signals.developer, "admin": signals.admin_facing,
                   "network": signals.network, "only": signals.nothing_changes, "maint": signals.maintenance}
        strong: set[str] = set()
        title_cues: set[str] = set()
        title_end = bisect_left(idxs, title_chars) if title_chars else 0  # the tokens that start in the title
        dispatch = self.dispatch
        connector_names = self.connector_names
        for match_id, start, end in self.matcher(doc):
            kind, name, special = dispatch[match_id]
            if special and self._look_alike(name, orths, start, end):
                continue
            if kind == "span":
                spans[name].append((start, end))
                continue
            if kind == "strong":
                strong.add(name)
                continue
            if kind == "cue" and start < title_end:
                title_cues.add(name)
            bucket = cues.setdefault(name, []) if kind == "cue" else buckets[name]
            if len(bucket) >= KEEP:
                continue  # enough examples for the reasons; the rest would only cost time
            text = span_text(start, end)
            if name == "connector":
                text = connector_names.get(text.lower(), text)
            if text not in bucket:
                bucket.append(text)
        signals.strong = sorted(strong)
        signals.title_cues = sorted(title_cues)
        title_word = self._title_word
        words = set()
        for orth in orths[:title_end]:
            word = title_word.get(orth)
            if word is None:
                lex = self.vocab[orth]
                word = title_word[orth] = lex.lower_ if lex.is_alpha and not lex.is_stop else ""
            if word:
                words.add(word)
        signals.title_words = sorted(words)
        agent_words = cues.get("agent_autonomy")
        if agent_words and "agent_autonomy" not in strong and all(w.lower() in BARE_AGENT for w in agent_words) \
                and ("audit_logging" in strong or signals.network):
            del cues["agent_autonomy"]  # "the audit log records who edited an agent"
            title_cues.discard("agent_autonomy")
            signals.title_cues = sorted(title_cues)
        if signals.model_names and LIFECYCLE.search(lowered_text):
            found = cues.setdefault("model_lifecycle", [])
            found.extend(n for n in signals.model_names if n not in found)
        off_spans = spans["off"]
        signals.protective.extend(span_text(s, e) for s, e in spans["protective"])

        def overlaps(start: int, end: int, others: list[tuple[int, int]]) -> bool:
            return any(start < o_end and o_start < end for o_start, o_end in others)

        for kind, target in (("on", signals.on_default), ("weak", signals.weak_on)):
            for start, end in sorted(set(spans[kind])):
                text = span_text(start, end)
                if overlaps(start, end, off_spans) or overlaps(start, end, spans["protective"]):
                    continue
                if start > 0 and self._lower_of(orths[start - 1]) in ("not", "never", "no"):
                    signals.off_default.append(span_text(start - 1, end))
                    continue
                lowered = text.lower()
                if " on or off" in lowered or " now " in f" {lowered} ":
                    continue  # "admins can turn X on or off", "can now turn off": a control, not a default
                guard = self._guard(orths, start, end)
                if guard and "off" not in lowered and "disable" not in lowered:
                    signals.protective.append(f"{text} ({guard})")
                    continue
                if text not in target:
                    target.append(text)
        signals.off_default.extend(span_text(s, e) for s, e in sorted(off_spans))
        return signals

    def _look_alike(self, name: str, orths: list[int], start: int, end: int) -> bool:
        """A cue phrase that means something else here."""
        lower = self._lower_of
        if name == "data_handling":
            # "a memory leak": the machine's memory
            return end < len(orths) and lower(orths[end]) in NOT_MEMORY and lower(orths[end - 1]) in ("memory", "memories")
        # "can now create custom roles": access being set up
        return (lower(orths[start]) == "can" and lower(orths[end - 1]) == "create"
                and any(lower(orth) in NOT_WRITTEN for orth in orths[end : end + 3]))

    def _lower_of(self, orth: int) -> str:
        lower = self._lower.get(orth)
        if lower is None:
            lower = self._lower[orth] = self.vocab[orth].lower_
        return lower

    def _guard(self, orths: list[int], start: int, end: int) -> str | None:
        """The first protective word within WINDOW tokens either side of a span, in its sentence."""
        stops = self._stop_orths
        lo = start
        while lo > 0 and start - lo < WINDOW and orths[lo - 1] not in stops:
            lo -= 1
        hi = end
        while hi < len(orths) and hi - end < WINDOW and orths[hi] not in stops:
            hi += 1
        for orth in orths[lo:hi]:
            if self._lower_of(orth) in self.protective_words:
                return self.vocab.strings[orth]
        return None


_STOPS = frozenset({".", "!", "?", ";", "..."})


def signals_of(doc: Doc) -> Signals:
    return doc.user_data.get("dw_signals") or Signals()


@Language.factory("dw_signals")
def make_signals(nlp: Language, name: str) -> SignalMatcher:
    return SignalMatcher(nlp)
