"""Training and evaluation of the shipped classifier (``driftwatch train`` / ``driftwatch eval``).

Training is deterministic (fixed seed) and records a fingerprint of exactly
what it learned from (the training data and the lexicon), so a test can prove
the shipped model matches the data in the repository.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any, Iterable

from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from driftwatch.paths import data_file

from . import lexicon
from .lexicon import CATEGORIES
from .model import MODEL_DIR, TEXTCAT_LABELS, Classifier, blank_pipeline, text_of

EPOCHS = 12
SEED = 7
DROPOUT = 0.2
BATCH = 16


def default_train_path() -> Path:
    return data_file("classifier", "train.jsonl")


def default_dev_path() -> Path:
    return data_file("classifier", "dev.jsonl")


def read_examples(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from None
    return rows


def fingerprint(train_path: Path) -> str:
    digest = hashlib.sha256()
    digest.update(train_path.read_bytes())
    digest.update(Path(lexicon.__file__).read_bytes())
    digest.update(json.dumps([EPOCHS, SEED, DROPOUT, BATCH, list(TEXTCAT_LABELS)]).encode())
    return digest.hexdigest()


def gold_cats(row: dict[str, Any]) -> dict[str, float]:
    cats = {label: 0.0 for label in TEXTCAT_LABELS}
    for category in row["categories"]:
        if category in cats:
            cats[category] = 1.0
    cats["relevant"] = 1.0 if row["severity"] != "info" else 0.0
    cats["control"] = 1.0 if row["severity"] == "low" else 0.0
    return cats


def train(train_path: Path | None = None, out_dir: Path = MODEL_DIR) -> dict[str, Any]:
    train_path = train_path or default_train_path()
    rows = read_examples(train_path)
    fix_random_seed(SEED)
    rng = random.Random(SEED)
    nlp = blank_pipeline()
    examples = [
        Example.from_dict(nlp.make_doc(text_of(r["title"], r.get("body", ""))), {"cats": gold_cats(r)})
        for r in rows
    ]
    optimizer = nlp.initialize(lambda: examples)
    losses: dict[str, float] = {}
    with nlp.select_pipes(enable=["textcat_multilabel"]):
        for _epoch in range(EPOCHS):
            rng.shuffle(examples)
            for batch in minibatch(examples, size=BATCH):
                nlp.update(batch, sgd=optimizer, drop=DROPOUT, losses=losses)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    nlp.to_disk(tmp)
    meta = {"fingerprint": fingerprint(train_path), "examples": len(rows), "epochs": EPOCHS,
            "labels": list(TEXTCAT_LABELS)}
    (tmp / "driftwatch.json").write_text(json.dumps(meta, indent=2) + "\n")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return {**meta, "loss": round(losses.get("textcat_multilabel", 0.0), 4), "model": str(out_dir)}


def shipped_fingerprint(model_dir: Path = MODEL_DIR) -> str | None:
    path = model_dir / "driftwatch.json"
    return json.loads(path.read_text())["fingerprint"] if path.exists() else None


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "support": tp + fn}


def evaluate(classifier: Classifier, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    results = list(classifier.classify_many((r["title"], r.get("body", "")) for r in rows))
    per_category: dict[str, dict[str, float]] = {}
    for category in CATEGORIES:
        tp = fp = fn = 0
        for row, result in zip(rows, results):
            gold = category in row["categories"]
            got = category in result.categories
            tp += gold and got
            fp += got and not gold
            fn += gold and not got
        per_category[category] = _prf(tp, fp, fn)
    rel = [(r["severity"] != "info", res.security_relevant) for r, res in zip(rows, results)]
    relevance = _prf(sum(g and p for g, p in rel), sum(p and not g for g, p in rel), sum(g and not p for g, p in rel))
    high = [(r["severity"] == "high", res.severity == "high") for r, res in zip(rows, results)]
    high_m = _prf(sum(g and p for g, p in high), sum(p and not g for g, p in high), sum(g and not p for g, p in high))
    supported = [m["f1"] for m in per_category.values() if m["support"]]
    severity_accuracy = sum(r["severity"] == res.severity for r, res in zip(rows, results)) / max(1, len(rows))
    mistakes = [
        {"title": r["title"], "gold": [r["severity"], r["categories"]], "got": [res.severity, res.categories]}
        for r, res in zip(rows, results)
        if r["severity"] != res.severity or set(r["categories"]) != set(res.categories)
    ]
    return {
        "examples": len(rows),
        "relevance": relevance,
        "high_severity": high_m,
        "severity_accuracy": round(severity_accuracy, 3),
        "category_macro_f1": round(sum(supported) / max(1, len(supported)), 3),
        "categories": per_category,
        "mistakes": mistakes,
    }
