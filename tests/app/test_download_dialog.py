"""Choosing a dataset that must be downloaded: asked first, fetched from a server on 127.0.0.1
(never the internet) behind a progress dialog, cancelled, or failing, with the app kept usable."""
from __future__ import annotations

import hashlib
import http.server
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPushButton

from cnnviz.app import download_dialog
from cnnviz.app.main_window import MainWindow
from cnnviz.data import catalog, download
from cnnviz.data.download import RemoteFile
from cnnviz.data.idx import write_idx

TRAIN, TEST = 300, 20   # the training images file is ~230 kB: long enough to cancel in


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        self.server.log.append(name)
        body = self.server.files.get(name)
        if body is None or name in self.server.missing:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if self.server.pace is None:
                self.wfile.write(body)
                return
            piece, pause = self.server.pace
            for start in range(0, len(body), piece):
                self.wfile.write(body[start:start + piece])
                self.wfile.flush()
                if self.server.release.wait(pause):
                    return
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up: a cancel

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(tmp_path, monkeypatch):
    """An MNIST-format dataset (gzipped IDX) served on loopback; the catalog's mnist entry
    points at it, and the cache is an empty folder."""
    rng = np.random.default_rng(0)
    arrays = {catalog.IDX_NAMES[0]: rng.integers(0, 256, (TRAIN, 28, 28), dtype=np.uint8),
              catalog.IDX_NAMES[1]: rng.integers(0, 10, TRAIN, dtype=np.uint8),
              catalog.IDX_NAMES[2]: rng.integers(0, 256, (TEST, 28, 28), dtype=np.uint8),
              catalog.IDX_NAMES[3]: rng.integers(0, 10, TEST, dtype=np.uint8)}
    files = {}
    for name, array in arrays.items():
        write_idx(tmp_path / name, array, compress=True)
        files[name] = (tmp_path / name).read_bytes()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files, httpd.log, httpd.missing, httpd.pace = files, [], set(), None
    httpd.release = threading.Event()
    httpd.handle_error = lambda request, address: None
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()

    def point_catalog_at_server(sha=lambda name, body: hashlib.sha256(body).hexdigest()):
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        remote = tuple(RemoteFile(name, sha(name, body), len(body), (base + name,))
                       for name, body in files.items())
        original = catalog.CATALOG["mnist"]
        monkeypatch.setitem(catalog.CATALOG, "mnist", catalog.DatasetInfo(
            original.name, original.title, original.classes, original.input_shape, (TRAIN, TEST),
            original.description, original.source, original.digit_like, files=remote))

    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("no_proxy", "*")   # a proxy from the environment must not see 127.0.0.1
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setattr(download, "BACKOFF", 0.0)
    point_catalog_at_server()
    httpd.point_catalog_at_server = point_catalog_at_server
    httpd.cache = tmp_path / "cache" / "mnist"
    httpd.arrays = arrays
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=2)


@pytest.fixture
def window(qtbot, tmp_path, served):
    errors = []
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings, show_error=lambda title, text: errors.append((title, text)),
                     ask_unsaved=lambda text: "discard")  # no modal "save first?" in a test
    win.errors = errors
    win.asked = []
    win.downloads.ask = lambda info, folder: win.asked.append((info.name, folder)) or True
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def choose(window, name: str) -> None:
    """Pick a dataset in the toolbar's chooser, as a click would (returns when it is done)."""
    index = window.dataset_box.findData(name)
    assert index >= 0
    window.dataset_box.setCurrentIndex(index)
    window.dataset_box.activated.emit(index)


def status(window) -> str:
    return window.statusBar().currentMessage()


def trains(qtbot, window, steps=3) -> None:
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest is not None
                    and window.session.latest.step >= steps, timeout=30000)


def test_chooser_lists_every_dataset_and_which_need_a_download(window, served):
    box = window.dataset_box
    assert [box.itemData(i) for i in range(box.count())] == list(catalog.CATALOG)
    labels = {box.itemData(i): box.itemText(i) for i in range(box.count())}
    assert labels["shapes"] == "shapes"
    size = sum(len(body) for body in served.files.values())
    assert labels["mnist"] == f"mnist (download {size / 1e6:.1f} MB)"
    assert labels["cifar10"] == ("cifar10" if catalog.info("cifar10").locate()
                                 else "cifar10 (download 170 MB)")
    assert box.currentText() == "shapes" and box.currentData() == "shapes"


def test_download_shows_progress_then_loads_and_trains(qtbot, window, served, monkeypatch):
    monkeypatch.setattr(download_dialog, "REPORT_EVERY", 0.01)
    served.pace = (8 * 1024, 0.01)
    seen = []

    def look(done, total):  # emitted once the dialog shows it
        dialog = window.downloads.dialog
        seen.append((done, total, dialog.isVisible(), dialog.value(), dialog.labelText()))
    window.downloads.progress.connect(look)
    choose(window, "mnist")

    assert window.asked == [("mnist", served.cache)]
    assert window.errors == []
    total = sum(len(b) for b in served.files.values())
    assert len(seen) > 5 and all(t == total for _, t, *_ in seen)
    assert [d for d, *_ in seen] == sorted(d for d, *_ in seen) and seen[-1][0] == total
    assert all(visible for _, _, visible, _, _ in seen)
    assert seen[-1][3] == 1000 and 0 < seen[len(seen) // 2][3] < 1000
    assert f"{total / 1e6:.1f} of {total / 1e6:.1f} MB" in seen[-1][4]
    assert str(served.cache) in seen[-1][4]
    assert window.downloads.dialog is None and not window.downloads.busy()
    assert sorted(p.name for p in served.cache.iterdir()) == sorted(served.files)
    assert "Downloaded MNIST" in status(window)
    # loaded, and a session started on it, as for any dataset
    assert window.dataset_name == "mnist" and window.dataset.train_x.shape == (TRAIN, 1, 28, 28)
    np.testing.assert_array_equal(window.dataset.test_y, served.arrays[catalog.IDX_NAMES[3]])
    assert window.dataset_box.currentText() == window.dataset_box.currentData() == "mnist"
    assert window.session is not None and window.session.dataset is window.dataset
    trains(qtbot, window)
    # on disk now: choosing it again neither asks nor downloads
    served.log.clear()
    choose(window, "shapes")
    choose(window, "mnist")
    assert served.log == [] and len(window.asked) == 1 and window.dataset_name == "mnist"


def test_cancel_stops_at_once_and_keeps_the_previous_dataset(qtbot, window, served):
    served.pace = (2048, 0.05)   # the training images file would take ~6 s
    old_session = window.session
    clicked = []

    def cancel_once_bytes_arrive(done, total):
        if done > 20_000 and not clicked:
            button = window.downloads.dialog.findChild(QPushButton)
            assert button.text() == "Cancel"
            clicked.append(time.monotonic())
            button.click()
    window.downloads.progress.connect(cancel_once_bytes_arrive)
    assert not window.load_dataset("mnist", download=True)
    returned = time.monotonic()

    assert clicked
    thread = window.downloads.download_thread
    assert not thread.is_alive()
    assert window.downloads.ended_at - clicked[0] < 1.0   # the thread stopped within a second
    assert returned - clicked[0] < 1.0
    assert window.errors == []   # no error dialog: a status line says so
    assert "cancelled" in status(window)
    assert window.downloads.dialog is None
    # the previous dataset and its session stay, and the app goes on working
    assert window.dataset_name == "shapes" and window.session is old_session
    assert window.dataset_box.currentText() == "shapes"
    assert not (served.cache / catalog.IDX_NAMES[0]).exists()   # no half-written final file
    assert (served.cache / (catalog.IDX_NAMES[0] + ".part")).is_file()
    trains(qtbot, window)
    # a later try gets it
    served.pace = None
    window.downloads.progress.disconnect(cancel_once_bytes_arrive)
    choose(window, "mnist")
    assert window.dataset_name == "mnist" and window.errors == []
    assert not any(served.cache.glob("*.part"))


@pytest.mark.parametrize("failure", ["404", "checksum"])
def test_failed_download_shows_the_error_and_the_app_goes_on(qtbot, window, served, failure):
    if failure == "404":
        served.missing.add(catalog.IDX_NAMES[2])
    else:
        served.point_catalog_at_server(
            sha=lambda name, body: "0" * 64 if name == catalog.IDX_NAMES[2]
            else hashlib.sha256(body).hexdigest())
    old_session = window.session
    choose(window, "mnist")

    assert len(window.errors) == 1
    title, text = window.errors[0]
    assert title == "Could not download MNIST"
    assert f"Could not download {catalog.IDX_NAMES[2]}" in text
    assert ("HTTP 404" if failure == "404" else "SHA-256") in text
    assert not window.downloads.busy() and window.downloads.dialog is None
    assert window.dataset_name == "shapes" and window.session is old_session
    assert window.dataset_box.currentText() == "shapes"
    assert not (served.cache / catalog.IDX_NAMES[2]).exists()
    assert not any(served.cache.glob("*.part"))   # a wrong file is deleted, never kept
    trains(qtbot, window)


def test_declining_downloads_nothing(window, served):
    window.downloads.ask = lambda info, folder: window.asked.append(info.name) or False
    assert not window.load_dataset("mnist", download=True)
    assert window.asked == ["mnist"] and served.log == [] and window.errors == []
    assert window.dataset_name == "shapes" and window.dataset_box.currentText() == "shapes"
    assert "not downloaded" in status(window)


def test_cancel_while_the_server_stalls_gives_the_app_back_at_once(qtbot, window, served):
    """Cancel is polled between chunks; when none comes, the dialog still closes within
    CANCEL_GRACE_MS, and the thread reports when the connection ends."""
    served.pace = (2048, 3600)   # one piece, then nothing
    clicked = []

    def cancel(done, total):
        if done and not clicked:
            clicked.append(time.monotonic())
            window.downloads.dialog.findChild(QPushButton).click()
    window.downloads.progress.connect(cancel)
    assert not window.load_dataset("mnist", download=True)
    assert time.monotonic() - clicked[0] < download_dialog.CANCEL_GRACE_MS / 1000 + 0.5
    assert window.downloads.busy() and "Cancelling" in status(window)
    assert window.downloads.dialog is None and window.errors == []
    assert window.dataset_name == "shapes" and window.dataset_box.currentText() == "shapes"
    # no second download into the same .part while the first is stopping
    assert not window.load_dataset("mnist", download=True)
    assert len(window.asked) == 1 and "still stopping" in status(window)
    served.release.set()   # the server hangs up: the thread sees the cancel and ends
    qtbot.waitUntil(lambda: not window.downloads.busy(), timeout=5000)
    qtbot.waitUntil(lambda: "cancelled" in status(window), timeout=5000)
    assert window.errors == [] and not (served.cache / catalog.IDX_NAMES[0]).exists()
