"""Peer: the same 50 pages watched by urlwatch and by driftwatch, second run with one entry changed per page.

Usage: python bench/peer_urlwatch.py [--sources 50] [--entries 300]   (needs `pip install urlwatch`)

Both run as the command a user would run, each with the cache/database of its first run.
urlwatch fetches and diffs the pages; driftwatch also parses entries, classifies the changed
ones and stores everything. The in-process figure is what the worker pays (no start-up).
Wall-clock and CPU seconds are both reported (CPU of the child process for the
commands, of the checking thread for the in-process run, without the loopback server's threads): on a shared machine the CPU
ratio is the one to trust.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, release_page, report, timed


def run_child(cmd: list[str], **kw) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall, CPU of the child) seconds and the finished process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, **kw)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--entries", type=int, default=300)
    args = parser.parse_args()
    urlwatch = shutil.which("urlwatch") or str(Path(sys.executable).parent / "urlwatch")
    if not Path(urlwatch).exists():
        raise SystemExit("urlwatch is not installed: pip install urlwatch")

    from driftwatch.classify import default_classifier
    from driftwatch.config import SourceConfig
    from driftwatch._loopback import LoopbackServer
    from driftwatch.store import Store
    from driftwatch.watchers.check import run_check
    from driftwatch.watchers.fetch import Fetcher

    with LoopbackServer() as server, tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        urls = [server.serve(f"/p/{s}", release_page(s, args.entries), "text/html; charset=utf-8")
                for s in range(args.sources)]
        jobs = tmp_path / "urls.yaml"
        jobs.write_text("\n---\n".join(f"name: page {i}\nurl: {u}" for i, u in enumerate(urls)) + "\n")
        uw_config = tmp_path / "urlwatch.yaml"
        uw_config.write_text("display:\n  new: true\n  error: true\n  unchanged: false\n"
                             "report:\n  text:\n    details: true\n    footer: false\n    line_length: 75\n"
                             "  stdout:\n    enabled: true\n    color: false\n")
        uw = [urlwatch, "--urls", str(jobs), "--config", str(uw_config), "--cache", str(tmp_path / "cache.db"),
              "--hooks", str(tmp_path / "hooks.py")]
        (tmp_path / "hooks.py").write_text("")
        subprocess.run(uw, capture_output=True, check=True)  # first run: builds the cache

        config = tmp_path / "driftwatch.toml"
        config.write_text(f'[storage]\npath = "{tmp_path / "dw.db"}"\n[fetch]\nretries = 0\n' + "".join(
            f'[[sources]]\nname = "p{i}"\nkind = "release_notes"\nurl = "{u}"\n' for i, u in enumerate(urls)))
        env = {**os.environ, "DRIFTWATCH_CONFIG": str(config)}
        subprocess.run([sys.executable, "-m", "driftwatch", "check", "--json"], cwd=ROOT, env=env,
                       capture_output=True, check=True)  # first run

        for s in range(args.sources):  # one entry edited on every page
            server.serve(f"/p/{s}", release_page(s, args.entries, edit=s % args.entries), "text/html; charset=utf-8")
        urlwatch_s, urlwatch_cpu, uw_run = run_child(uw)
        driftwatch_cli_s, driftwatch_cli_cpu, dw_run = run_child(
            [sys.executable, "-m", "driftwatch", "check", "--json"], cwd=ROOT, env=env)
        assert dw_run.stdout.count('"edited_entry"') == args.sources
        assert uw_run.stdout.count("CHANGED") >= args.sources

        for s in range(args.sources):  # and once more, in process, as the worker runs it
            server.serve(f"/p/{s}", release_page(s, args.entries, edit=(s + 1) % args.entries), "text/html")
        classifier = default_classifier()
        store = Store.open(tmp_path / "dw.db")
        sources = [SourceConfig(name=f"p{i}", kind="release_notes", url=u) for i, u in enumerate(urls)]
        with Fetcher(retries=0) as fetcher:
            cpu = time.thread_time()  # this thread only: the loopback server's threads serve both tools
            inprocess_s, result = timed(lambda: run_check(store, sources, fetcher, classifier, summaries=False))
            inprocess_cpu = time.thread_time() - cpu
        assert sum(o.edited for o in result.sources) >= args.sources
        store.close()

    rows = [
        ("urlwatch second run (s)", urlwatch_s, "", None),
        ("urlwatch second run, CPU (s)", urlwatch_cpu, "", None),
        ("driftwatch check second run, CLI (s)", driftwatch_cli_s, "", None),
        ("driftwatch check second run, CLI, CPU (s)", driftwatch_cli_cpu, "", None),
        ("driftwatch / urlwatch (CLI)", driftwatch_cli_s / urlwatch_s, "<= 1.5", driftwatch_cli_s <= 1.5 * urlwatch_s),
        ("driftwatch / urlwatch (CLI, CPU)", driftwatch_cli_cpu / urlwatch_cpu, "<= 1.5",
         driftwatch_cli_cpu <= 1.5 * urlwatch_cpu),
        ("driftwatch second run, in process (s)", inprocess_s, "", None),
        ("driftwatch second run, in process, CPU (s)", inprocess_cpu, "", None),
        ("driftwatch / urlwatch (in process, CPU)", inprocess_cpu / urlwatch_cpu, "<= 1.5",
         inprocess_cpu <= 1.5 * urlwatch_cpu),
    ]
    report("peer_urlwatch", rows, {
        "sources": args.sources, "entries_per_source": args.entries, "urlwatch_s": urlwatch_s,
        "urlwatch_cpu_s": urlwatch_cpu, "driftwatch_cli_s": driftwatch_cli_s, "driftwatch_cli_cpu_s": driftwatch_cli_cpu,
        "driftwatch_inprocess_s": inprocess_s, "driftwatch_inprocess_cpu_s": inprocess_cpu,
        "ratio_cli": driftwatch_cli_s / urlwatch_s, "ratio_cli_cpu": driftwatch_cli_cpu / urlwatch_cpu,
        "ratio_inprocess_cpu": inprocess_cpu / urlwatch_cpu,
    })


if __name__ == "__main__":
    main()
