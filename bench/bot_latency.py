"""Slack bot latency, digest build time, memory and start-up at scale.

Usage: python bench/bot_latency.py [--changes 100000] [--requests 200] [--clients 4] [--growth]

A database with N changes, 50 sources and 1,000 snapshots is generated, `driftwatch serve`
runs as a real process against a loopback fake Slack, and signed `/driftwatch` requests are
sent over HTTP by concurrent clients. Reported: time to the HTTP response (Slack's 3-second
budget applies to it) and time until the answer reaches the response_url.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from common import ROOT, entry_text, percentile, report, timed

sys.path.insert(0, str(ROOT))
from tests.fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402  (the same fake the tests use)
from tests.fakeweb import FakeWeb  # noqa: E402

SECRET = "bench-signing-secret"


def build_db(path: Path, changes: int, sources: int = 50, snapshots: int = 1000) -> None:
    from driftwatch.posture import load_catalogue
    from driftwatch.store import Store

    rng = random.Random(3)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    with Store.open(path) as store:
        db = store.db
        with store.transaction():
            for s in range(sources):
                db.execute("insert into sources (name, kind, url, status, entry_count, consecutive_failures) "
                           "values (?, 'release_notes', ?, 'ok', ?, 0)", [f"s{s}", f"https://e.test/{s}", changes // sources])
            entries, rows = [], []
            for i in range(changes):
                title, body = entry_text(rng, i)
                at = (base + dt.timedelta(seconds=i * 30)).strftime("%Y-%m-%dT%H:%M:%SZ")
                entries.append((f"s{i % sources}", f"k{i}", at[:10], title, body, "https://e.test/x", "h", at, at))
                severity = rng.choice(("high", "medium", "low", "info", "info"))
                rows.append((i + 1, "new_entry", f"s{i % sources}", i + 1, title, body[:300], at[:10], at,
                             int(severity != "info"), severity, json.dumps(["write_action"]),
                             json.dumps(['write_action: "write actions"']), f"entry:{i + 1}:v1"))
            db.conn.executemany("insert into entries (source, entry_key, date, title, body, link, content_hash, version,"
                                " status, missing_count, first_seen_at, last_seen_at) values (?,?,?,?,?,?,?,1,'live',0,?,?)",
                                entries)
            # Entries are indexed by Store.insert_entries, which this bulk load bypasses.
            db.execute("insert into entries_fts (entries_fts) values ('rebuild')")
            db.conn.executemany("insert into changes (id, kind, source, entry_id, title, summary, date, detected_at,"
                                " security_relevant, severity, categories, reasons, dedupe_key) "
                                "values (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            settings = {k: s.default for k, s in load_catalogue().items()}
            snaps = [("acme" if n % 2 else "globex", (base + dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"), 1,
                      json.dumps(settings), json.dumps({k: {"collector": "attested", "observed_at": "2026-01-01T00:00:00Z"}
                                                       for k in settings}), "{}") for n in range(snapshots)]
            db.conn.executemany("insert into snapshots (workspace, taken_at, complete, settings, provenance, errors)"
                                " values (?,?,?,?,?,?)", snaps)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def vm_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(changes: int, requests: int, clients: int) -> dict:
    import httpx
    from slack_sdk.signature import SignatureVerifier

    web = FakeWeb().start()
    fake = FakeSlack(web)
    arrivals: dict[str, float] = {}
    original = fake._webhook

    def timed_webhook(seen):
        arrivals[seen.path.rsplit("/", 1)[1]] = time.perf_counter()
        return original(seen)

    web.handle("/webhook/", timed_webhook)
    results: dict = {"changes": changes}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        results["build_db_s"], _ = timed(lambda: build_db(db, changes))
        config = Path(tmp) / "driftwatch.toml"
        config.write_text('[fetch]\nretries = 0\n[slack]\nchannel = "C1"\n[[workspaces]]\nname = "acme"\n'
                          '[[workspaces]]\nname = "globex"\n')
        env = {**os.environ, "DRIFTWATCH_CONFIG": str(config), "DRIFTWATCH_DB": str(db), "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.base_url}

        from driftwatch.digest import digest_since
        from driftwatch.store import Store

        with Store.open(db) as store:
            digest_s, digest = timed(lambda: digest_since(store, "2026-01-20T00:00:00Z", store.now()))
        results["digest_build_s"] = digest_s
        results["digest_items"] = len(digest.items)

        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "driftwatch", "serve", "--port", str(port), "--host", "127.0.0.1"],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"serve did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        verifier = SignatureVerifier(SECRET)
        commands = {"changes": "changes since 7d high", "posture": "posture acme", "search": "search write actions",
                    "item": f"item DW-{changes // 2}"}
        counter = iter(range(10**9))
        lock = threading.Lock()
        local = threading.local()  # one keep-alive client per concurrent caller, as Slack's would be

        def one(command: str) -> tuple[float, float]:
            with lock:
                n = next(counter)
            hook = f"r{n}"
            body = urlencode({"command": "/driftwatch", "text": commands[command], "user_id": "U1", "channel_id": "C1",
                              "team_id": "T1", "response_url": fake.web.url(f"/webhook/{hook}"), "trigger_id": "t"})
            stamp = str(int(time.time()))
            headers = {"X-Slack-Request-Timestamp": stamp, "Content-Type": "application/x-www-form-urlencoded",
                       "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body)}
            if not hasattr(local, "client"):
                local.client = httpx.Client(timeout=10)
            start = time.perf_counter()
            response = local.client.post(url + "/slack/events", content=body.encode(), headers=headers)
            acked = time.perf_counter() - start
            assert response.status_code == 200
            while hook not in arrivals and time.perf_counter() - start < 10:
                time.sleep(0.002)
            return acked, arrivals.get(hook, start + 10) - start

        latency = {}
        try:
            for command in commands:
                with ThreadPoolExecutor(clients) as pool:
                    samples = list(pool.map(lambda _i: one(command), range(requests)))
                acks = [a * 1000 for a, _ in samples]
                answers = [b * 1000 for _, b in samples]
                latency[command] = {"ack_p50_ms": percentile(acks, 50), "ack_p99_ms": percentile(acks, 99),
                                    "answer_p50_ms": percentile(answers, 50), "answer_p99_ms": percentile(answers, 99)}
            results["latency"] = latency
            results["serve_peak_rss_mb"] = vm_hwm_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)

        worker = subprocess.Popen([sys.executable, "-m", "driftwatch", "worker", "--once"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0.0
        while worker.poll() is None:
            peak = max(peak, vm_hwm_mb(worker.pid))
            time.sleep(0.05)
        results["worker_peak_rss_mb"] = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if peak == 0 else peak)
    web.stop()
    return results


def startup_s() -> float:
    best = 9.0
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "driftwatch", "--help"], cwd=ROOT, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--growth", action="store_true", help="also 10x and 100x fewer changes and 10x more")
    args = parser.parse_args()
    main_run = measure(args.changes, args.requests, args.clients)
    help_s = startup_s()
    rows = []
    for command, m in main_run["latency"].items():
        rows.append((f"{command}: HTTP response p50 (ms)", m["ack_p50_ms"], "", None))
        rows.append((f"{command}: HTTP response p99 (ms)", m["ack_p99_ms"], "< 300", m["ack_p99_ms"] < 300))
        rows.append((f"{command}: answer p99 (ms)", m["answer_p99_ms"], "< 3000", m["answer_p99_ms"] < 3000))
    rows += [
        (f"digest build, {main_run['digest_items']} items (s)", main_run["digest_build_s"], "< 1", main_run["digest_build_s"] < 1),
        ("serve peak RSS (MB)", main_run["serve_peak_rss_mb"], "< 250", main_run["serve_peak_rss_mb"] < 250),
        ("worker peak RSS (MB)", main_run["worker_peak_rss_mb"], "< 250", main_run["worker_peak_rss_mb"] < 250),
        ("driftwatch --help (s)", help_s, "< 0.5", help_s < 0.5),
    ]
    results = {**main_run, "help_s": help_s, "requests": args.requests, "clients": args.clients}
    if args.growth:
        growth = {}
        for count in (args.changes // 100, args.changes // 10, args.changes * 10):
            measured = measure(count, max(50, args.requests // 4), args.clients)
            growth[str(count)] = {k: measured[k] for k in ("latency", "digest_build_s", "serve_peak_rss_mb")}
            worst = max(m["ack_p99_ms"] for m in measured["latency"].values())
            worst_answer = max(m["answer_p99_ms"] for m in measured["latency"].values())
            rows.append((f"growth {count} changes: worst HTTP p99 (ms)", worst, "", None))
            rows.append((f"growth {count} changes: worst answer p99 (ms)", worst_answer, "", None))
        results["growth"] = growth
    report("bot_latency", rows, results)


if __name__ == "__main__":
    main()
