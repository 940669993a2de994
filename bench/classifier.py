"""Classifier throughput: 20,000 entries through `driftwatch classify` versus spaCy tokenising alone.

Usage: python bench/classifier.py [--entries 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, entry_text, report, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20000)
    args = parser.parse_args()
    rng = random.Random(7)
    items = [entry_text(rng, i) for i in range(args.entries)]
    texts = [f"{t}.\n{b}" for t, b in items]

    import_s, spacy = timed(lambda: __import__("spacy"))
    nlp = spacy.blank("en")
    tokenise_s, _ = timed(lambda: [None for _ in nlp.pipe(texts, batch_size=256)])

    from driftwatch.classify.model import Classifier

    load_s, classifier = timed(Classifier.load)
    inprocess_s, results = timed(lambda: list(classifier.classify_many(items)))
    assert len(results) == args.entries

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("".join(json.dumps({"id": i, "title": t, "body": b}) + "\n" for i, (t, b) in enumerate(items)))
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "driftwatch", "classify", str(path)], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        cli_s = time.perf_counter() - start
    assert len(proc.stdout.splitlines()) == args.entries

    rows = [
        ("spaCy import (s)", import_s, "", None),
        ("model load (s)", load_s, "< 1", load_s < 1),
        ("tokenise only (s)", tokenise_s, "", None),
        ("classify in process (s)", inprocess_s, "", None),
        ("in process / tokenise", inprocess_s / tokenise_s, "<= 3", inprocess_s / tokenise_s <= 3),
        ("`driftwatch classify` CLI, whole run (s)", cli_s, "", None),
        ("CLI / tokenise", cli_s / tokenise_s, "<= 3", cli_s / tokenise_s <= 3),
    ]
    report("classifier", rows, {
        "entries": args.entries, "spacy_import_s": import_s, "model_load_s": load_s, "tokenise_s": tokenise_s,
        "classify_inprocess_s": inprocess_s, "classify_cli_s": cli_s,
        "ratio_inprocess": inprocess_s / tokenise_s, "ratio_cli": cli_s / tokenise_s,
        "entries_per_second": args.entries / inprocess_s,
    })


if __name__ == "__main__":
    main()
