"""Training, thresholds and measurement of the classifier (``driftwatch train`` / ``driftwatch eval``).

Training is deterministic (fixed seed). It learns from the real labelled vendor
entries when ``../shared`` has them, plus the project's supplement, and chooses
each decision threshold by grouped cross-validation inside the training data
(out-of-fold scores, never the data being measured). ``cross_validate`` nests
that inside outer folds grouped by vendor page, so the figures it reports come
from pages the model never saw. The model records a fingerprint of exactly what
it learned from, so a test can prove the shipped model matches the data.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any, Iterable

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from . import components, lexicon
from .dataset import (
    SEVERITIES, file_digest, grouped_folds, overrides_path, read_labelled, real_labelled_path,
    row_key, supplement_path,
)
from .lexicon import CATEGORIES
from .model import MODEL_DIR, TEXTCAT_LABELS, Classifier, blank_pipeline, cue_list, decide, text_of

EPOCHS = 6
SEED = 7
DROPOUT = 0.2
BATCH = 32
REAL_WEIGHT = 4  # each real entry counts this many times per epoch against the templated supplement
RARE = ("write_action", "oauth_scope", "audit_logging")  # one more copy of entries with these labels
INNER_FOLDS = 3
MACRO_MIN_SUPPORT = 5
OWN_THRESHOLD_SUPPORT = 15  # gold examples a category needs (out of fold) to get its own thresholds
OWN_THRESHOLD_GAIN = 0.02  # F1 its own thresholds must add over the shared pair
GRID = tuple(round(0.05 * i, 2) for i in range(1, 19))


def default_train_path() -> Path:
    return supplement_path()


def default_dev_path() -> Path:
    from driftwatch.paths import data_file

    return data_file("classifier", "dev.jsonl")


def read_examples(path: Path) -> list[dict[str, Any]]:
    return read_labelled(path)


def data_digests(supplement: Path, real: Path | None) -> dict[str, str | None]:
    """What a model was trained from, piece by piece."""
    code = hashlib.sha256(Path(lexicon.__file__).read_bytes() + Path(components.__file__).read_bytes())
    return {"supplement": file_digest(supplement), "real": file_digest(real),
            "overrides": file_digest(overrides_path()), "rules": code.hexdigest()}


def fingerprint(supplement: Path, real: Path | None = None) -> str:
    digest = hashlib.sha256(json.dumps(data_digests(supplement, real), sort_keys=True).encode())
    digest.update(json.dumps([EPOCHS, SEED, DROPOUT, BATCH, REAL_WEIGHT, RARE, INNER_FOLDS,
                              OWN_THRESHOLD_SUPPORT, OWN_THRESHOLD_GAIN, list(TEXTCAT_LABELS)]).encode())
    return digest.hexdigest()


def gold_cats(row: dict[str, Any]) -> dict[str, float]:
    cats = {label: 0.0 for label in TEXTCAT_LABELS}
    for category in row["categories"]:
        if category in cats:
            cats[category] = 1.0
    cats["relevant"] = 1.0 if row["severity"] != "info" else 0.0
    cats["control"] = 1.0 if row["severity"] == "low" else 0.0
    return cats


# --- fitting -------------------------------------------------------------------------------


def featurise(nlp: Language, rows: list[dict[str, Any]]) -> list[Doc]:
    """Docs as the text classifier sees them (signal tokens + lower-cased text), made once."""
    signals = nlp.get_pipe("dw_signals")
    texts = [text_of(r["title"], r.get("body") or "") for r in rows]
    return [signals.featurise(doc, raw) for doc, raw in zip(nlp.tokenizer.pipe(texts), texts)]


def _weight(row: dict[str, Any], real: bool) -> int:
    copies = REAL_WEIGHT if real else 1
    return copies + int(real and any(c in row["categories"] for c in RARE))


def fit(docs: list[Doc], rows: list[dict[str, Any]], real: list[bool]) -> Language:
    """A fresh pipeline whose text classifier is trained on these docs (deterministic)."""
    fix_random_seed(SEED)
    rng = random.Random(SEED)
    nlp = blank_pipeline()
    examples = []
    for doc, row, is_real in zip(docs, rows, real):
        example = Example.from_dict(doc, {"cats": gold_cats(row)})
        examples += [example] * _weight(row, is_real)
    optimizer = nlp.initialize(lambda: examples)
    textcat = nlp.get_pipe("textcat_multilabel")
    losses: dict[str, float] = {}
    for _epoch in range(EPOCHS):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=BATCH):
            textcat.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
    return nlp


def scores(nlp: Language, docs: list[Doc]) -> list[dict[str, float]]:
    textcat = nlp.get_pipe("textcat_multilabel")
    out: list[dict[str, float]] = []
    for start in range(0, len(docs), 256):
        matrix = textcat.model.ops.to_numpy(textcat.predict(docs[start : start + 256]))
        out += [{label: float(row[i]) for i, label in enumerate(textcat.labels)} for row in matrix]
    return out


def _f1(gold: list[bool], pred: list[bool]) -> float:
    tp = sum(g and p for g, p in zip(gold, pred))
    fp = sum(p and not g for g, p in zip(gold, pred))
    fn = sum(g and not p for g, p in zip(gold, pred))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_thresholds(rows: list[dict[str, Any]], oof: list[dict[str, float]],
                      cued: dict[str, list[bool]] | None = None) -> dict[str, float]:
    """Decision thresholds with the best F1 on out-of-fold scores (ties: closest to the defaults).

    Relevance has its own threshold, plus the model confidence that overrides a
    "reads as not relevant" rule (``relevant@rule``). The categories share two
    thresholds, one alone (``c``) and one when a rule cue fired (``c@cue``), chosen
    for the best summed F1: per-category choices overfit a few hundred entries.
    """
    cued = cued or {}
    thresholds: dict[str, float] = {}
    gold = {label: [gold_cats(r)[label] == 1.0 for r in rows] for label in TEXTCAT_LABELS}
    rel_g, rel_s = gold["relevant"], [s["relevant"] for s in oof]
    rule = cued.get("relevant@rule", [False] * len(rows))
    pairs = [(t, o) for t in GRID for o in GRID + (1.01,) if o >= t]
    t, o = max(pairs, key=lambda p: (round(_f1(rel_g, [x >= p[0] and (not r or x >= p[1]) for x, r in zip(rel_s, rule)]), 4),
                                     -abs(p[0] - 0.5), -abs(p[1] - 0.9)))
    thresholds["relevant"], thresholds["relevant@rule"] = t, o
    relevant_rows = [i for i, r in enumerate(rows) if r["severity"] != "info"]
    ctl_g = [gold["control"][i] for i in relevant_rows]
    ctl_s = [oof[i]["control"] for i in relevant_rows]
    thresholds["control"] = max(GRID, key=lambda t: (round(_f1(ctl_g, [x >= t for x in ctl_s]), 4), -abs(t - 0.5)))
    categories = [c for c in TEXTCAT_LABELS if c not in ("relevant", "control") and any(gold[c])]
    no_cue = [False] * len(rows)

    def summed(hi: float, lo: float) -> float:
        return round(sum(_f1(gold[c], [s[c] >= hi or (q and s[c] >= lo) for s, q in zip(oof, cued.get(c, no_cue))])
                         for c in categories), 4)

    pairs = [(h, l) for h in GRID for l in (0.0,) + GRID if l <= h]
    hi, lo = max(pairs, key=lambda p: (summed(*p), -abs(p[0] - 0.5), -abs(p[1] - 0.1)))
    for c in TEXTCAT_LABELS:
        if c not in ("relevant", "control"):
            thresholds[c], thresholds[f"{c}@cue"] = hi, lo
    # A category with enough examples gets its own pair, but only for a clear gain: with a few
    # dozen examples a per-category optimum is mostly noise.
    for c in categories:
        if sum(gold[c]) < OWN_THRESHOLD_SUPPORT:
            continue
        flags = cued.get(c, no_cue)

        def f1(p: tuple[float, float], c: str = c, flags: list[bool] = flags) -> float:
            return round(_f1(gold[c], [s[c] >= p[0] or (q and s[c] >= p[1]) for s, q in zip(oof, flags)]), 4)

        best = max(pairs, key=lambda p: (f1(p), -abs(p[0] - hi), -abs(p[1] - lo)))
        if f1(best) >= f1((hi, lo)) + OWN_THRESHOLD_GAIN:
            thresholds[c], thresholds[f"{c}@cue"] = best
    return thresholds


def cue_flags(docs: list[Doc]) -> dict[str, list[bool]]:
    signals = [components.signals_of(d) for d in docs]
    flags = {c: [bool(cue_list(s, c)) for s in signals] for c in CATEGORIES if c != "other"}
    flags["relevant@rule"] = [bool(s.looks_irrelevant) for s in signals]
    return flags


def _folds_for(rows: list[dict[str, Any]], k: int) -> list[list[int]]:
    k = min(k, len({r.get("source_url") or i for i, r in enumerate(rows)}))
    return grouped_folds(rows, k)


def fit_with_thresholds(
    docs: list[Doc], rows: list[dict[str, Any]], real: list[bool],
) -> tuple[Language, dict[str, float]]:
    """Thresholds from inner grouped folds over the real rows (or all rows without any), then the final fit."""
    pool = [i for i, is_real in enumerate(real) if is_real] or list(range(len(rows)))
    oof: dict[int, dict[str, float]] = {}
    for fold in _folds_for([rows[i] for i in pool], INNER_FOLDS):
        held = {pool[i] for i in fold}
        keep = [i for i in range(len(rows)) if i not in held]
        nlp = fit([docs[i] for i in keep], [rows[i] for i in keep], [real[i] for i in keep])
        held_sorted = sorted(held)
        for i, s in zip(held_sorted, scores(nlp, [docs[i] for i in held_sorted])):
            oof[i] = s
    ordered = sorted(oof)
    flags = cue_flags([docs[i] for i in ordered])
    thresholds = choose_thresholds([rows[i] for i in ordered], [oof[i] for i in ordered], flags)
    return fit(docs, rows, real), thresholds


def training_rows(supplement: Path | None = None, real: Path | None = None,
                  use_real: bool = True) -> tuple[list[dict[str, Any]], list[bool]]:
    supplement = supplement or default_train_path()
    rows = read_labelled(supplement)
    flags = [False] * len(rows)
    real = real or (real_labelled_path() if use_real else None)
    if real:
        real_rows = read_labelled(real)
        rows += real_rows
        flags += [True] * len(real_rows)
    return rows, flags


def train(train_path: Path | None = None, out_dir: Path = MODEL_DIR, *, use_real: bool = True) -> dict[str, Any]:
    """Train on the supplement (or ``train_path``) plus the real file when present; write ``out_dir``."""
    supplement = train_path or default_train_path()
    real = real_labelled_path() if use_real else None
    rows, real_flags = training_rows(supplement, real, use_real=use_real)
    nlp0 = blank_pipeline()
    docs = featurise(nlp0, rows)
    nlp, thresholds = fit_with_thresholds(docs, rows, real_flags)
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(tmp)
    meta = {"fingerprint": fingerprint(supplement, real), "examples": len(rows),
            "real_examples": sum(real_flags), "epochs": EPOCHS, "labels": list(TEXTCAT_LABELS),
            "thresholds": thresholds, "data": data_digests(supplement, real)}
    (tmp / "driftwatch.json").write_text(json.dumps(meta, indent=2) + "\n")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return {**meta, "model": str(out_dir)}


def shipped_meta(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    path = model_dir / "driftwatch.json"
    return json.loads(path.read_text()) if path.exists() else {}


def shipped_fingerprint(model_dir: Path = MODEL_DIR) -> str | None:
    return shipped_meta(model_dir).get("fingerprint")


# --- measuring -----------------------------------------------------------------------------


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "support": tp + fn}


def _pair_prf(pairs: list[tuple[bool, bool]]) -> dict[str, float]:
    return _prf(sum(g and p for g, p in pairs), sum(p and not g for g, p in pairs), sum(g and not p for g, p in pairs))


def metrics(rows: list[dict[str, Any]], results: list[Any]) -> dict[str, Any]:
    """Relevance, per-category and ``high`` P/R/F1, macro-F1, and the severity confusion table."""
    per_category = {
        category: _pair_prf([(category in r["categories"], category in res.categories) for r, res in zip(rows, results)])
        for category in CATEGORIES
    }
    macro_over = [c for c, m in per_category.items() if c != "other" and m["support"] >= MACRO_MIN_SUPPORT]
    relevance = _pair_prf([(r["severity"] != "info", res.security_relevant) for r, res in zip(rows, results)])
    high = _pair_prf([(r["severity"] == "high", res.severity == "high") for r, res in zip(rows, results)])
    confusion = {gold: {got: 0 for got in SEVERITIES} for gold in SEVERITIES}
    for row, res in zip(rows, results):
        confusion[row["severity"]][res.severity] += 1
    accuracy = sum(r["severity"] == res.severity for r, res in zip(rows, results)) / max(1, len(rows))
    mistakes = [
        {"id": r.get("id"), "title": r["title"], "gold": [r["severity"], r["categories"]],
         "got": [res.severity, res.categories], "reasons": res.reasons}
        for r, res in zip(rows, results)
        if r["severity"] != res.severity or set(r["categories"]) != set(res.categories)
    ]
    return {
        "examples": len(rows),
        "relevance": relevance,
        "high_severity": high,
        "severity_accuracy": round(accuracy, 3),
        "category_macro_f1": round(sum(per_category[c]["f1"] for c in macro_over) / max(1, len(macro_over)), 3),
        "macro_f1_categories": macro_over,
        "categories": per_category,
        "severity_confusion": confusion,
        "mistakes": mistakes,
    }


def evaluate(classifier: Classifier, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    results = list(classifier.classify_many((r["title"], r.get("body") or "") for r in rows))
    return {**metrics(rows, results), "cross_validation": None}


def cross_validate(rows: list[dict[str, Any]], folds: int, *, supplement: Path | None = None,
                   use_real: bool = True) -> dict[str, Any]:
    """Figures on ``rows`` from ``folds`` folds grouped by vendor page (nested threshold choice).

    Each outer fold is predicted by a model trained on the other folds plus the
    base training data (the supplement, and the real file when it is not the file
    measured), its thresholds chosen on inner folds of that training data only.
    """
    base, base_real = training_rows(supplement, use_real=use_real)
    measured = {row_key(r) for r in rows}
    kept = [(r, f) for r, f in zip(base, base_real) if row_key(r) not in measured]
    base, base_real = [r for r, _ in kept], [f for _, f in kept]
    nlp0 = blank_pipeline()
    base_docs = featurise(nlp0, base)
    docs = featurise(nlp0, rows)
    results: list[Any] = [None] * len(rows)
    fold_sizes = []
    for fold in grouped_folds(rows, folds):
        held = set(fold)
        train_idx = [i for i in range(len(rows)) if i not in held]
        nlp, thresholds = fit_with_thresholds(
            base_docs + [docs[i] for i in train_idx], base + [rows[i] for i in train_idx],
            base_real + [True] * len(train_idx))
        for i, s in zip(fold, scores(nlp, [docs[i] for i in fold])):
            results[i] = decide(components.signals_of(docs[i]), s, thresholds, "cv")
        fold_sizes.append(len(fold))
    groups = len({r.get("source_url") or f"row:{i}" for i, r in enumerate(rows)})
    without_url = sum(1 for r in rows if not r.get("source_url"))
    report = metrics(rows, results)
    report["cross_validation"] = {
        "folds": folds, "grouped_by": "source_url", "groups": groups, "fold_sizes": fold_sizes,
        "rows_without_source_url": without_url,
        "note": ("each vendor page (source_url) is wholly in one fold; rows without a source_url are "
                 "their own group") if without_url else "each vendor page (source_url) is wholly in one fold",
        "thresholds": "chosen on inner grouped folds of each training part",
    }
    return report
