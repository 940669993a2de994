"""spaCy's bag-of-words text classifier, reading the rule signals as extra tokens.

``driftwatch.TextCatBOWSignals.v1`` is ``spacy.TextCatBOW.v3`` with one change:
the n-grams are taken over ``dw_...`` signal tokens (from the ``dw_signals``
component, see components.py) followed by the doc's lower-cased content words
(no stop words, punctuation or numbers). The classifier thus learns how far to
trust each rule while the doc itself stays untouched, and no second Doc has to
be built per text (that cost as much as tokenising).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy
from spacy.attrs import IS_PUNCT, IS_SPACE, IS_STOP, LIKE_NUM, LOWER, ORTH
from spacy.ml.models.textcat import NEG_VALUE, resize_and_set_ref
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, resizable, softmax_activation, with_cpu
from thinc.layers.resizable import resize_linear_weighted

from .components import signals_of

_ATTRS = [LOWER, IS_STOP, IS_PUNCT, LIKE_NUM, IS_SPACE]


def feature_keys(doc: Any) -> numpy.ndarray:
    """Hashes of the signal tokens and content words, in order (what the n-grams are made of).

    A content word is a token that is no stop word, punctuation, number or space; its key is
    its ``LOWER``. All of these are properties of the lexeme, so they are looked up once per
    lexeme (by ``ORTH``) and cached for the vocabulary instead of read as five columns per doc.
    """
    hashes = _HASHES
    signals = signals_of(doc)
    keys = [hashes.get(token) or _hash(doc, token) for token in signals.tokens()]
    vocab = doc.vocab
    cached = _CONTENT.get(id(vocab))
    if cached is None or cached[0] is not vocab:
        cached = _CONTENT[id(vocab)] = (vocab, {})
    content = cached[1]
    orths = signals.orths if signals.orths is not None and len(signals.orths) == len(doc) else doc.to_array(ORTH).tolist()
    for orth in orths:
        lower = content.get(orth)
        if lower is None:
            lower = content[orth] = _content_key(vocab, orth)
        if lower:
            keys.append(lower)
    return numpy.asarray(keys, dtype=numpy.uint64)


def _content_key(vocab: Any, orth: int) -> int:
    """The lexeme's LOWER if it is a content word, else 0 (what ``_ATTRS`` reads, per lexeme)."""
    lex = vocab[orth]
    return 0 if lex.is_stop or lex.is_punct or lex.like_num or lex.is_space else int(lex.lower)


_HASHES: dict[str, int] = {}
# id(vocab) -> (the vocab, {ORTH: LOWER of a content word, or 0}); the vocab is kept so an id is not reused
_CONTENT: dict[int, tuple[Any, dict[int, int]]] = {}


def _hash(doc: Any, token: str) -> int:
    _HASHES[token] = value = doc.vocab.strings.add(token)
    return value


def extract_signal_ngrams(ngram_size: int) -> Model:
    model: Model = Model("extract_signal_ngrams", _forward)
    model.attrs["ngram_size"] = ngram_size
    return model


def _forward(model: Model, docs: list, is_train: bool) -> tuple:
    ops = model.ops
    ngram_size = model.attrs["ngram_size"]
    batch_keys = []
    for doc in docs:
        unigrams = ops.asarray(feature_keys(doc))
        if not len(unigrams):
            unigrams = ops.asarray(numpy.asarray([doc.vocab.strings.add("dw_empty")], dtype="uint64"))
        ngrams = [unigrams]
        for n in range(2, ngram_size + 1):
            if len(unigrams) >= n:
                ngrams.append(ops.ngrams(n, unigrams))
        # Repeated keys each count 1: the sparse linear layer sums them, as unique-with-counts would.
        batch_keys.append(ops.xp.concatenate(ngrams) if len(ngrams) > 1 else ngrams[0])
    lengths = ops.asarray([arr.shape[0] for arr in batch_keys], dtype="int32")
    keys = ops.xp.concatenate(batch_keys)
    vals = ops.xp.ones(keys.shape[0], dtype="f")  # every key counts 1 (one array for the batch)
    return (keys, vals, lengths), lambda dY: []


@registry.architectures("driftwatch.TextCatBOWSignals.v1")
def build_bow_signals_classifier(
    exclusive_classes: bool, ngram_size: int, no_output_layer: bool, length: int = 262144, nO: int | None = None,
) -> Model:
    """As spaCy's ``build_bow_text_classifier_v3``, with :func:`extract_signal_ngrams` as input."""
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    fill_defaults = {"b": 0, "W": 0}
    output_layer = None
    if not no_output_layer:
        fill_defaults["b"] = NEG_VALUE
        output_layer = softmax_activation() if exclusive_classes else Logistic()
    resizable_layer = resizable(sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults))
    model = chain(extract_signal_ngrams(ngram_size), resizable_layer)
    model = with_cpu(model, model.ops)
    if output_layer:
        model = chain(model, with_cpu(output_layer, output_layer.ops))
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
