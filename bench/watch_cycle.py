"""Watch cycle: driftwatch's first and unchanged checks versus the bare minimum work.

Usage: python bench/watch_cycle.py [--sources 50] [--entries 300] [--growth]

bare = one process doing an httpx GET and a BeautifulSoup/lxml parse of the same
pages, plus tokenising every entry text with spacy.blank("en").
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from common import entry_text, release_page, report, timed


def run(sources: int, entries: int) -> dict[str, float]:
    import httpx
    import spacy
    from bs4 import BeautifulSoup

    from driftwatch.classify import default_classifier
    from driftwatch.config import SourceConfig
    from driftwatch.loopback import LoopbackServer
    from driftwatch.store import Store
    from driftwatch.watchers.check import run_check
    from driftwatch.watchers.fetch import Fetcher

    classifier = default_classifier()  # loaded once, as in a running worker
    nlp = spacy.blank("en")
    texts = []
    for s in range(sources):
        rng = random.Random(1000 + s)
        texts += [" ".join(entry_text(rng, i)) for i in range(entries)]
    with LoopbackServer() as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.serve(f"/notes/{s}", release_page(s, entries), "text/html; charset=utf-8") for s in range(sources)]

        def bare() -> None:
            with httpx.Client() as client:
                for url in urls:
                    soup = BeautifulSoup(client.get(url).content, "lxml")
                    soup.select_one(".article-content").find_all(["h1", "h2", "p"])
            for _doc in nlp.pipe(texts, batch_size=256):
                pass

        configs = [SourceConfig(name=f"s{s}", kind="release_notes", url=url) for s, url in enumerate(urls)]
        store = Store.open(Path(tmp) / "bench.db")
        with Fetcher(retries=0) as fetcher:
            bare_s, _ = timed(bare)
            # the worker's path: no report read back for printing
            first_s, report_first = timed(lambda: run_check(store, configs, fetcher, classifier, summaries=False))
            unchanged_s, report_again = timed(lambda: run_check(store, configs, fetcher, classifier, summaries=False))
        assert sum(o.new for o in report_first.sources) == sources * entries
        assert all(o.status == "unchanged" for o in report_again.sources)
        store.close()
    return {"bare_s": bare_s, "first_check_s": first_s, "unchanged_s": unchanged_s,
            "ratio_first_vs_bare": first_s / bare_s, "ratio_unchanged_vs_first": unchanged_s / first_s}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--growth", action="store_true", help="also 10x and 100x fewer and more entries")
    args = parser.parse_args()
    main_run = run(args.sources, args.entries)
    rows = [
        ("bare minimum (s)", main_run["bare_s"], "", None),
        ("driftwatch first check (s)", main_run["first_check_s"], "", None),
        ("first / bare", main_run["ratio_first_vs_bare"], "<= 1.5", main_run["ratio_first_vs_bare"] <= 1.5),
        ("unchanged check, 304 (s)", main_run["unchanged_s"], "", None),
        ("unchanged / first", main_run["ratio_unchanged_vs_first"], "<= 0.1", main_run["ratio_unchanged_vs_first"] <= 0.1),
    ]
    results: dict = {"sources": args.sources, "entries_per_source": args.entries, **main_run}
    if args.growth:
        growth = {}
        for entries in (max(1, args.entries // 100), max(1, args.entries // 10), args.entries * 10):
            sources = args.sources if entries <= args.entries else max(1, args.sources // 10)
            measured = run(sources, entries)
            growth[f"{sources}x{entries}"] = measured
            rows.append((f"growth {sources} sources x {entries}: first (s)", measured["first_check_s"], "", None))
            rows.append((f"growth {sources} sources x {entries}: first/bare", measured["ratio_first_vs_bare"], "", None))
        results["growth"] = growth
    report("watch_cycle", rows, results)


if __name__ == "__main__":
    main()
