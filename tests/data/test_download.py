"""Tests for the dataset downloader against a real HTTP server on 127.0.0.1 (never the internet)."""
from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cnnviz.data import download
from cnnviz.data.download import RemoteFile, fetch
from cnnviz.data.errors import DataError

DATA = os.urandom(300_000)
SHA = hashlib.sha256(DATA).hexdigest()
HALF = len(DATA) // 2


# ---- a loopback server whose every answer the test decides -----------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.log.append((self.path, self.headers.get("Range")))
        try:
            self.server.routes[self.path](self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (a cancel test): nothing to answer

    def log_message(self, *args) -> None:  # keep test output clean
        pass


class Server:
    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.log = []
        self.httpd.routes = {}
        self.httpd.handle_error = lambda request, address: None
        self.release = threading.Event()  # set at teardown so stalled handlers end
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def route(self, path: str, answer: Callable[[http.server.BaseHTTPRequestHandler], None]) -> str:
        self.httpd.routes[path] = answer
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    @property
    def log(self) -> list[tuple[str, str | None]]:
        return self.httpd.log


@pytest.fixture
def server():
    s = Server()
    yield s
    s.release.set()
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join(timeout=2)


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch):
    monkeypatch.setattr(download, "BACKOFF", 0.0)
    monkeypatch.setenv("no_proxy", "*")  # a proxy from the environment must not see 127.0.0.1
    monkeypatch.setenv("NO_PROXY", "*")


def send(h, body: bytes = DATA, ranges: bool = True, length: bool = True) -> None:
    """Answer with body: 206 with the asked-for rest when ranges and a Range header, else 200."""
    start = 0
    asked = h.headers.get("Range")
    if ranges and asked:
        start = int(asked.removeprefix("bytes=").removesuffix("-"))
        h.send_response(206)
        h.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
    else:
        h.send_response(200)
    if length:
        h.send_header("Content-Length", str(len(body) - start))
    h.end_headers()
    h.wfile.write(body[start:])


def truncated(h) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(len(DATA)))
    h.end_headers()
    h.wfile.write(DATA[:HALF])  # then the handler returns and the server closes the connection


def not_found(h) -> None:
    h.send_error(404)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remote(*urls: str, size: int | None = len(DATA), sha: str = SHA) -> RemoteFile:
    return RemoteFile(name="data.bin", sha256=sha, size=size, urls=urls)


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- success ---------------------------------------------------------------------------

def test_downloads_creates_folder_and_reports_progress(server, tmp_path):
    url = server.route("/f", send)
    folder = tmp_path / "new" / "dir"
    calls = []
    path = fetch(remote(url), folder, progress=lambda done, total: calls.append((done, total)), timeout=5)
    assert path == folder / "data.bin"
    assert path.read_bytes() == DATA
    assert files(folder) == ["data.bin"]
    assert calls[0] == (0, len(DATA)) and calls[-1] == (len(DATA), len(DATA))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_unknown_size_without_content_length(server, tmp_path):
    url = server.route("/f", lambda h: send(h, length=False))
    calls = []
    path = fetch(remote(url, size=None), tmp_path, progress=lambda d, t: calls.append((d, t)), timeout=5)
    assert path.read_bytes() == DATA
    assert calls[-1] == (len(DATA), None)


def test_existing_correct_file_is_not_downloaded_again(server, tmp_path):
    url = server.route("/f", send)
    (tmp_path / "data.bin").write_bytes(DATA)
    assert fetch(remote(url), tmp_path) == tmp_path / "data.bin"
    assert server.log == []


def test_existing_wrong_file_is_replaced(server, tmp_path):
    url = server.route("/f", send)
    (tmp_path / "data.bin").write_bytes(b"not it")
    assert fetch(remote(url), tmp_path, timeout=5).read_bytes() == DATA
    assert files(tmp_path) == ["data.bin"]


def test_complete_part_from_an_earlier_run_is_just_renamed(server, tmp_path):
    url = server.route("/f", send)
    (tmp_path / "data.bin.part").write_bytes(DATA)
    assert fetch(remote(url), tmp_path).read_bytes() == DATA
    assert server.log == [] and files(tmp_path) == ["data.bin"]


# ---- resume ----------------------------------------------------------------------------

def test_resumes_a_part_with_a_range_request(server, tmp_path):
    url = server.route("/f", send)
    (tmp_path / "data.bin.part").write_bytes(DATA[:HALF])
    calls = []
    path = fetch(remote(url), tmp_path, progress=lambda d, t: calls.append((d, t)), timeout=5)
    assert server.log == [("/f", f"bytes={HALF}-")]
    assert path.read_bytes() == DATA and files(tmp_path) == ["data.bin"]
    assert calls[0] == (HALF, len(DATA))


def test_server_ignoring_range_means_start_over(server, tmp_path):
    url = server.route("/f", lambda h: send(h, ranges=False))
    (tmp_path / "data.bin.part").write_bytes(DATA[:HALF])
    assert fetch(remote(url), tmp_path, timeout=5).read_bytes() == DATA
    assert server.log == [("/f", f"bytes={HALF}-")]
    assert files(tmp_path) == ["data.bin"]


def test_connection_stalling_midway_keeps_part_and_retry_resumes(server, tmp_path):
    def stall_then_serve(h):
        if len(server.log) == 1:
            truncated_body_then_stall(h)
        else:
            send(h)

    def truncated_body_then_stall(h):
        h.send_response(200)
        h.send_header("Content-Length", str(len(DATA)))
        h.end_headers()
        h.wfile.write(DATA[:HALF])
        h.wfile.flush()
        server.release.wait(3)

    url = server.route("/f", stall_then_serve)
    assert fetch(remote(url), tmp_path, timeout=0.3).read_bytes() == DATA
    assert server.log == [("/f", None), ("/f", f"bytes={HALF}-")]
    assert files(tmp_path) == ["data.bin"]


def test_cancel_midway_keeps_the_part(server, tmp_path):
    url = server.route("/f", send)
    seen = []
    with pytest.raises(DataError, match="cancelled") as err:
        fetch(remote(url), tmp_path, progress=lambda d, t: seen.append(d),
              cancel=lambda: bool(seen) and seen[-1] > 0, timeout=5)
    assert "data.bin.part" in str(err.value)
    assert files(tmp_path) == ["data.bin.part"]
    assert 0 < (tmp_path / "data.bin.part").stat().st_size < len(DATA)
    # ... and a later call resumes from it
    fetch(remote(url), tmp_path, timeout=5)
    assert server.log[-1][1] == f"bytes={seen[-1]}-"
    assert (tmp_path / "data.bin").read_bytes() == DATA and files(tmp_path) == ["data.bin"]


# ---- failures: a DataError, and nothing left behind ------------------------------------

def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    url = server.route("/f", lambda h: send(h, body=os.urandom(len(DATA))))
    with pytest.raises(DataError, match="SHA-256") as err:
        fetch(remote(url), tmp_path, retries=1, timeout=5)
    assert url in str(err.value) and "expected " + SHA in str(err.value)
    assert files(tmp_path) == []
    assert len(server.log) == 2  # 1 + retries


def test_truncated_transfer_leaves_nothing(server, tmp_path):
    url = server.route("/f", truncated)
    with pytest.raises(DataError, match=f"cut short: got {HALF:,} of {len(DATA):,} bytes"):
        fetch(remote(url), tmp_path, retries=0, timeout=5)
    assert files(tmp_path) == []


def test_server_error_is_retried(server, tmp_path):
    url = server.route("/f", lambda h: h.send_error(500) if len(server.log) == 1 else send(h))
    assert fetch(remote(url), tmp_path, timeout=5).read_bytes() == DATA
    assert len(server.log) == 2 and files(tmp_path) == ["data.bin"]


def test_404_everywhere_explains_and_leaves_nothing(server, tmp_path):
    url = server.route("/missing", not_found)
    with pytest.raises(DataError) as err:
        fetch(remote(url), tmp_path, retries=2, timeout=5)
    message = str(err.value)
    assert message.startswith("Could not download data.bin.")
    assert url in message and "HTTP 404" in message
    assert str(tmp_path / "data.bin") in message and SHA in message
    assert len(server.log) == 3
    assert files(tmp_path) == []


def test_second_mirror_is_used_when_the_first_fails(server, tmp_path):
    bad = server.route("/bad", not_found)
    good = server.route("/good", send)
    assert fetch(remote(bad, good), tmp_path, retries=1, timeout=5).read_bytes() == DATA
    assert [p for p, _ in server.log] == ["/bad", "/bad", "/good"]
    assert files(tmp_path) == ["data.bin"]


def test_offline_gives_a_clear_error(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/data.bin"
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        fetch(remote(url), tmp_path, retries=1, timeout=2)
    message = str(err.value)
    assert url in message and "refused" in message.lower()
    assert str(tmp_path / "data.bin") in message and SHA in message
    assert files(tmp_path) == []
    assert time.monotonic() - start < 2


def test_all_mirrors_failing_lists_each_reason(server, tmp_path):
    missing = server.route("/missing", not_found)
    wrong = server.route("/wrong", lambda h: send(h, body=DATA[::-1]))
    offline = f"http://127.0.0.1:{closed_port()}/x"
    with pytest.raises(DataError) as err:
        fetch(remote(missing, wrong, offline), tmp_path, retries=0, timeout=5)
    lines = str(err.value).splitlines()
    for url, reason in [(missing, "HTTP 404"), (wrong, "SHA-256"), (offline, "refused")]:
        i = lines.index("  " + url)
        assert reason.lower() in lines[i + 1].lower()
    assert files(tmp_path) == []


def test_stall_on_every_try_keeps_the_part_and_says_so(server, tmp_path):
    def stall(h):
        h.send_response(200)
        h.send_header("Content-Length", str(len(DATA)))
        h.end_headers()
        h.wfile.write(DATA[:HALF])
        h.wfile.flush()
        server.release.wait(3)

    url = server.route("/f", stall)
    with pytest.raises(DataError, match="no answer within 0.3 seconds") as err:
        fetch(remote(url), tmp_path, retries=0, timeout=0.3)
    assert "is kept; the next try continues from it" in str(err.value)
    assert files(tmp_path) == ["data.bin.part"]
