"""Watch cycle: driftwatch's first and unchanged checks versus the bare minimum work.

Usage: python bench/watch_cycle.py [--sources 50] [--entries 300] [--growth] [--no-cli]

bare = one process doing an httpx GET and a BeautifulSoup/lxml parse of the same
pages, plus tokenising every entry text with spacy.blank("en").

Each figure is taken twice: wall-clock seconds, and CPU seconds of the thread
doing the work (the loopback server's threads are not counted, on either side)
or of the child process for the CLI run. On a shared machine the CPU ratio is the one
to trust: other people's jobs stretch the wall clock of both sides unevenly.
The CLI run is `driftwatch check --json` on a fresh database, as a user runs it
(interpreter start-up, model load and the JSON of every new change included).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, entry_text, release_page, report, timed


def cpu_timed(fn):
    """(wall seconds, CPU seconds of this thread, result): the loopback server's threads are not counted."""
    cpu = time.thread_time()
    wall, result = timed(fn)
    return wall, time.thread_time() - cpu, result


def cli_first_check(urls: list[str], tmp: Path) -> tuple[float, float]:
    """`driftwatch check --json` on a fresh database: (wall, CPU of the child) seconds."""
    config = tmp / "cli.toml"
    config.write_text(f'[storage]\npath = "{tmp / "cli.db"}"\n[fetch]\nretries = 0\n' + "".join(
        f'[[sources]]\nname = "s{i}"\nkind = "release_notes"\nurl = "{u}"\n' for i, u in enumerate(urls)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "driftwatch", "check", "--json"], cwd=ROOT, capture_output=True, check=True,
                   env={**os.environ, "DRIFTWATCH_CONFIG": str(config)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run(sources: int, entries: int, cli: bool = False) -> dict[str, float]:
    import httpx
    import spacy
    from bs4 import BeautifulSoup

    from driftwatch.classify import default_classifier
    from driftwatch.config import SourceConfig
    from driftwatch._loopback import LoopbackServer
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
            bare_s, bare_cpu, _ = cpu_timed(bare)
            # the worker's path: no report read back for printing
            first_s, first_cpu, report_first = cpu_timed(
                lambda: run_check(store, configs, fetcher, classifier, summaries=False))
            unchanged_s, _cpu, report_again = cpu_timed(
                lambda: run_check(store, configs, fetcher, classifier, summaries=False))
        assert sum(o.new for o in report_first.sources) == sources * entries
        assert all(o.status == "unchanged" for o in report_again.sources)
        store.close()
        figures = {"bare_s": bare_s, "bare_cpu_s": bare_cpu, "first_check_s": first_s, "first_check_cpu_s": first_cpu,
                   "unchanged_s": unchanged_s, "ratio_first_vs_bare": first_s / bare_s,
                   "ratio_first_vs_bare_cpu": first_cpu / bare_cpu, "ratio_unchanged_vs_first": unchanged_s / first_s}
        if cli:
            cli_s, cli_cpu = cli_first_check(urls, Path(tmp))
            figures.update(cli_first_check_s=cli_s, cli_first_check_cpu_s=cli_cpu,
                           ratio_cli_vs_bare=cli_s / bare_s, ratio_cli_vs_bare_cpu=cli_cpu / bare_cpu)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--growth", action="store_true", help="also 10x and 100x fewer and more entries")
    parser.add_argument("--no-cli", action="store_true", help="skip the `driftwatch check` command run")
    args = parser.parse_args()
    main_run = run(args.sources, args.entries, cli=not args.no_cli)
    rows = [
        ("bare minimum (s)", main_run["bare_s"], "", None),
        ("bare minimum, CPU (s)", main_run["bare_cpu_s"], "", None),
        ("driftwatch first check (s)", main_run["first_check_s"], "", None),
        ("driftwatch first check, CPU (s)", main_run["first_check_cpu_s"], "", None),
        ("first / bare", main_run["ratio_first_vs_bare"], "<= 3", main_run["ratio_first_vs_bare"] <= 3),
        ("first / bare, CPU", main_run["ratio_first_vs_bare_cpu"], "<= 3", main_run["ratio_first_vs_bare_cpu"] <= 3),
    ]
    if "cli_first_check_s" in main_run:
        rows += [
            ("CLI first check (s)", main_run["cli_first_check_s"], "", None),
            ("CLI first check, CPU (s)", main_run["cli_first_check_cpu_s"], "", None),
            ("CLI first / bare", main_run["ratio_cli_vs_bare"], "<= 3", main_run["ratio_cli_vs_bare"] <= 3),
            ("CLI first / bare, CPU", main_run["ratio_cli_vs_bare_cpu"], "<= 3", main_run["ratio_cli_vs_bare_cpu"] <= 3),
        ]
    rows += [
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
