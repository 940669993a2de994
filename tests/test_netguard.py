"""Network guards: bounded bodies, one deadline per request, no metadata addresses, isolated sources.

Everything here talks to 127.0.0.1 only; metadata addresses are refused before any
connection is attempted (a custom resolver maps test names to addresses).
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import pytest

from driftwatch import netguard
from driftwatch.bot.service import SlackService, make_client
from driftwatch.classify import classify
from driftwatch.config import SourceConfig, load_settings
from driftwatch.errors import ConfigError
from driftwatch.store import Store
from driftwatch.watchers.check import run_check
from driftwatch.watchers.collectors.http import ApiClient, CollectorError
from driftwatch.watchers.fetch import Fetcher

from .conftest import fixture_text
from .fake_slack import BOT_TOKEN, FakeSlack
from .fakeweb import Reply
from .inprocess import run_driftwatch

ROOT = Path(__file__).resolve().parent.parent
RSS_LIMIT_MB = 300


# --- bombs --------------------------------------------------------------------------------------

def _gzip_of_zeros(size: int) -> bytes:
    """A valid gzip of ``size`` zero bytes, built fast: after a full flush every MiB compresses alike."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(1 << 20)
    piece = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(block, crc)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + piece * (size >> 20) + packer.flush(zlib.Z_FINISH)
            + struct.pack("<II", crc, size & 0xFFFFFFFF))


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """1 GiB of zeros, gzip: about 1 MB on the wire."""
    return _gzip_of_zeros(1 << 30)


def _rss_child(script: str, env_extra: dict[str, str]) -> dict:
    """Run ``script`` in a new interpreter; its RESULT and its own peak resident memory.

    The peak is the child's VmHWM: on Linux, ru_maxrss also counts the memory of the process
    that started the child (fork and exec carry it over), which is the test runner's, not ours.
    """
    code = textwrap.dedent(script) + textwrap.dedent("""
        import json, resource
        def peak_mb():
            try:
                with open("/proc/self/status") as status:
                    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
            except (OSError, StopIteration):
                return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"result": RESULT, "max_rss_mb": peak_mb()}))
    """)
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT), **env_extra},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_stacked_and_single_gzip_bombs_stay_small(web, bomb: bytes) -> None:
    stacked = gzip.compress(bomb, 9)
    assert len(stacked) < 10_000  # a few kB on the wire
    web.route("/stacked", Reply(200, stacked, {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}))
    web.route("/single", Reply(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    web.route("/two-headers", Reply(200, stacked, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    child = _rss_child("""
        import os
        from driftwatch.watchers.fetch import Fetcher
        with Fetcher(retries=0, timeout=60, max_bytes=20_000_000) as f:
            RESULT = {p: f.fetch(os.environ["BASE"] + p).error for p in ("/stacked", "/single", "/two-headers")}
    """, {"BASE": web.base_url})
    assert "stacked Content-Encoding" in child["result"]["/stacked"]
    assert "too large" in child["result"]["/single"]
    # a gzip whose content is itself gzip (one header) is one layer: its bytes are stored, not expanded
    assert child["result"]["/two-headers"] is None
    assert child["max_rss_mb"] < RSS_LIMIT_MB, child


def test_compliance_log_download_and_api_bodies_are_capped(web, bomb: bytes) -> None:
    web.route("/signed/log.jsonl", Reply(200, bomb, {"Content-Type": "application/jsonl",
                                                     "Content-Encoding": "gzip"}, etag=False))
    web.route("/v1/big", Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"},
                               etag=False))
    child = _rss_child("""
        import os
        from driftwatch.watchers.collectors.http import ApiClient, CollectorError
        RESULT = {}
        with ApiClient(os.environ["BASE"] + "/v1", "ck-key-123456", api_name="Compliance API",
                       key_env="CHATGPT_COMPLIANCE_API_KEY", retries=0, timeout=60) as client:
            for name, call in (("download", lambda: client.download(os.environ["BASE"] + "/signed/log.jsonl")),
                               ("api", lambda: client.get_json("big"))):
                try:
                    call()
                    RESULT[name] = None
                except CollectorError as exc:
                    RESULT[name] = str(exc)
    """, {"BASE": web.base_url})
    assert "too large" in child["result"]["download"]
    assert "too large" in child["result"]["api"]
    assert child["max_rss_mb"] < RSS_LIMIT_MB, child


def test_decoder_counts_output_not_input() -> None:
    body = _gzip_of_zeros(50 << 20)
    assert zlib.decompress(body, 31) == bytes(50 << 20)  # the test's bomb is a real gzip
    pieces = netguard.decode_chunks([body], ["gzip"], max_bytes=60 << 20)
    assert max(len(p) for p in pieces) <= 65536
    with pytest.raises(netguard.BodyTooLarge):
        b"".join(netguard.decode_chunks([body], ["gzip"], max_bytes=1 << 20))
    raw = zlib.compress(b"hello " * 1000)
    assert b"".join(netguard.decode_chunks([raw[:10], raw[10:]], ["deflate"], 10**6)) == b"hello " * 1000
    with pytest.raises(netguard.BadEncoding):
        list(netguard.decode_chunks([b"x"], ["br"], 10))


# --- deadlines ----------------------------------------------------------------------------------

class Trickle:
    """A loopback server that sends its answer one byte a second, forever."""

    def __init__(self, headers_too: bool = False) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.headers_too = headers_too
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/slow"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
        try:
            conn.recv(65536)
            if not self.headers_too:
                conn.sendall(head)
                head = b""
            for byte in head + b"x" * 100000:
                if self.stop.is_set():
                    break
                conn.sendall(bytes([byte]))
                time.sleep(0.25)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.mark.parametrize("headers_too", [False, True])
def test_a_trickling_server_is_cut_at_the_whole_request_deadline(headers_too: bool) -> None:
    server = Trickle(headers_too)
    try:
        started = time.monotonic()
        with Fetcher(retries=0, timeout=1.5) as fetcher:
            result = fetcher.fetch(server.url)
        took = time.monotonic() - started
    finally:
        server.close()
    assert result.error and "timed out" in result.error
    assert took < 3.0, f"took {took:.1f}s for a 1.5s deadline"


class Blackhole:
    """Accepts TCP connections (the kernel's backlog) and never answers: an unreachable Slack."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=50)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/"

    def close(self) -> None:
        self.sock.close()


def _queue_alerts(settings, count: int) -> None:
    with Store.open(settings.db_path) as store, store.transaction():
        for i in range(count):
            store.enqueue("confirmation", f"c:{i}", channel="C1", payload={"text": f"message {i}"})


def test_unreachable_slack_ends_within_the_budget_and_keeps_everything_queued(tmp_path: Path) -> None:
    hole = Blackhole()
    config = tmp_path / "driftwatch.toml"
    config.write_text('[storage]\npath = "u.db"\n[slack]\nchannel = "C1"\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": hole.url})
    Store.open(settings.db_path).close()
    _queue_alerts(settings, 400)
    try:
        started = time.monotonic()
        report = SlackService(make_client(settings), settings).flush(max_wait=3)
        took = time.monotonic() - started
    finally:
        hole.close()
    assert took < 9, f"flush(max_wait=3) took {took:.1f}s with Slack unreachable"
    assert report.sent == 0 and report.waiting == 400
    with Store.open(settings.db_path) as store:
        assert store.outbox_counts().get("pending") == 400  # all still queued, none lost or failed


def test_check_with_slack_down_ends_promptly_and_alerts_stay_queued(tmp_path: Path, web) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    from .test_operations import hot_page

    web.page("/notes", hot_page(8))
    config = tmp_path / "driftwatch.toml"
    config.write_text(f'[storage]\npath = "d.db"\n[fetch]\nretries = 0\n[slack]\nchannel = "C1"\n'
                      f'[[sources]]\nname = "notes"\nkind = "release_notes"\nurl = "{web.url("/notes")}"\n')
    env = {**os.environ, "DRIFTWATCH_CONFIG": str(config), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_API_URL": f"http://127.0.0.1:{port}/api/", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = run_driftwatch(["check", "--json"], env=env, cwd=ROOT)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert took < 40
    with Store.open(tmp_path / "d.db") as store:
        counts = store.outbox_counts()
    assert counts.get("pending", 0) >= 8 and not counts.get("failed")


def test_slack_app_refuses_a_huge_body_before_reading_it(tmp_path: Path, web) -> None:
    from driftwatch.bot.app import MAX_BODY, create_app, http_server

    fake = FakeSlack(web)
    config = tmp_path / "driftwatch.toml"
    config.write_text('[storage]\npath = "a.db"\n[slack]\nchannel = "C1"\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "x" * 20,
                                               "SLACK_API_URL": fake.base_url})
    app, _ = create_app(settings, process_before_response=True)
    server = http_server(app, settings, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as conn:
            conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 300000000\r\n\r\n" + b"{" * 1000)
            answer = conn.recv(4096)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.startswith(b"HTTP/1.0 413") or answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert MAX_BODY < 300_000_000


# --- SSRF --------------------------------------------------------------------------------------

METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[fe80::1]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://2852039166/",  # 169.254.169.254 as one number
    "http://[::ffff:169.254.169.254]/",
]


@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_addresses_are_refused_by_the_guard(url: str) -> None:
    assert netguard.url_problem(url) is not None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://10.1.2.3/", "http://192.168.1.5/x",
                                 "https://[::1]/", "http://proxy.internal:3128/", "https://example.com/"])
def test_loopback_private_and_public_addresses_stay_allowed(url: str) -> None:
    assert netguard.url_problem(url) is None


def _config_with(tmp_path: Path, body: str) -> str:
    path = tmp_path / "driftwatch.toml"
    path.write_text('[storage]\npath = "s.db"\n' + body)
    return str(path)


@pytest.mark.parametrize("body", [
    '[[sources]]\nname = "x"\nkind = "feed"\nurl = "http://169.254.169.254/latest/meta-data/"\n',
    '[[workspaces]]\nname = "w"\ncompliance_workspace_id = "a"\ncompliance_base_url = "http://[fd00:ec2::254]/v1"\n',
    '[[workspaces]]\nname = "w"\nplatform_admin = true\nplatform_base_url = "http://100.100.100.200/v1"\n',
    '[[workspaces]]\nname = "w"\ncodex_requirements = ["http://169.254.170.2/requirements.toml"]\n',
])
def test_config_refuses_metadata_urls(tmp_path: Path, body: str) -> None:
    with pytest.raises(ConfigError, match="metadata"):
        load_settings(_config_with(tmp_path, body), env={})


def test_slack_api_url_and_cli_exit_code(tmp_path: Path) -> None:
    path = _config_with(tmp_path, "")
    with pytest.raises(ConfigError, match="SLACK_API_URL.*metadata"):
        load_settings(path, env={"SLACK_API_URL": "http://169.254.169.254/api/"})
    bad = _config_with(tmp_path, '[[sources]]\nname = "x"\nkind = "feed"\nurl = "http://169.254.169.254/"\n')
    done = run_driftwatch(["--config", bad, "sources"], cwd=ROOT, env=dict(os.environ))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "metadata" in done.stderr


def test_a_redirect_to_the_metadata_address_is_refused_before_connecting(web, monkeypatch) -> None:
    attempts: list[tuple] = []
    real = socket.create_connection

    def spy(address, *args, **kwargs):
        attempts.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    web.route("/go", Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/iam/"}))
    with Fetcher(retries=2, timeout=5) as fetcher:
        result = fetcher.fetch(web.url("/go"))
    assert result.error and "metadata" in result.error
    assert result.attempts == 1  # refused for good, not retried
    assert all(host == "127.0.0.1" for host, *_ in attempts)  # never dialled the metadata address


def test_resolved_addresses_are_checked_and_used(web) -> None:
    web.page("/page", "<html><body>hello</body></html>")
    names = {"mirror.test": ["127.0.0.1"], "rebind.test": ["169.254.169.254"],
             "mixed.test": ["127.0.0.1", "fe80::1"]}
    resolver = lambda host, port: names[host]  # noqa: E731
    port = web.httpd.server_address[1]
    with Fetcher(retries=0, timeout=5, transport=netguard.guarded_transport(resolver)) as fetcher:
        assert fetcher.fetch(f"http://mirror.test:{port}/page").ok
        for name in ("rebind.test", "mixed.test"):
            result = fetcher.fetch(f"http://{name}:{port}/page")
            assert result.error and "link-local or cloud metadata" in result.error, result.error
    with pytest.raises(netguard.BlockedAddress):
        netguard.vetted_addresses("rebind.test", 80, resolver)


def test_the_api_key_goes_only_to_the_configured_host(web) -> None:
    web.route("/v1/file", Reply(307, b"", {"Location": web.url("/signed/f1")}, etag=False))
    web.route("/signed/f1", Reply(200, b'{"ok": 1}\n', {"Content-Type": "application/jsonl"}, etag=False))
    web.route("/v1/meta", Reply(307, b"", {"Location": "http://169.254.169.254/latest/"}, etag=False))
    key = "ck-secret-key-abcdef"
    with ApiClient(web.url("/v1"), key, api_name="Compliance API", key_env="K", retries=0) as client:
        location = client.get("file").headers["Location"]  # the keyed client follows no redirect
        assert client.download(location) == b'{"ok": 1}\n'
        with pytest.raises(CollectorError, match="refused to send the key"):
            client.get("http://localhost:%d/v1/file" % web.httpd.server_address[1])
        with pytest.raises(CollectorError, match="metadata"):
            client.download(client.get("meta").headers["Location"])
    signed = web.hits("/signed/f1")
    assert signed and all("authorization" not in s.headers for s in signed)
    assert all(key not in json.dumps(s.headers) for s in web.requests if not s.path.startswith("/v1/"))


def test_slack_client_follows_no_redirect_with_the_token(web) -> None:
    web.route("/api/auth.test", Reply(302, b"", {"Location": web.url("/elsewhere")}, etag=False))
    web.page("/elsewhere", '{"ok": true}', "application/json")
    config = Path("driftwatch.toml")
    config.write_text('[slack]\nchannel = "C1"\n')
    settings = load_settings(str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": web.url("/api/")})
    with pytest.raises(Exception):
        make_client(settings).auth_test()
    assert web.hits("/elsewhere") == []


# --- isolation ---------------------------------------------------------------------------------

def test_one_source_redirecting_to_javascript_does_not_stop_the_others(tmp_path: Path, web) -> None:
    web.page("/notes", fixture_text("release-notes-current.html"))
    web.route("/js", Reply(302, b"", {"Location": "javascript:alert(1)"}))
    web.route("/meta", Reply(302, b"", {"Location": "http://169.254.169.254/"}))
    web.route("/ftp", Reply(302, b"", {"Location": "ftp://127.0.0.1/notes"}))
    sources = [SourceConfig(name=n, kind="release_notes", url=web.url(p))
               for n, p in (("js", "/js"), ("meta", "/meta"), ("ftp", "/ftp"), ("notes", "/notes"))]
    with Store.open(tmp_path / "i.db") as store, Fetcher(retries=0) as fetcher:
        report = run_check(store, sources, fetcher, classify)
    outcome = {s.name: s for s in report.sources}
    assert outcome["notes"].status == "ok" and outcome["notes"].new > 0
    for name in ("js", "meta", "ftp"):
        assert outcome[name].status == "error", outcome[name]
        assert outcome[name].error and "\n" not in outcome[name].error
    assert "non-http" in outcome["js"].error and "non-http" in outcome["ftp"].error


def test_fetch_errors_are_fetch_results_never_httpx_exceptions(web) -> None:
    web.route("/bad-location", Reply(302, b"", {"Location": "http://[::1"}))
    with Fetcher(retries=0, timeout=3) as fetcher:
        result = fetcher.fetch(web.url("/bad-location"))
    assert result.error and not result.ok and "\n" not in result.error
