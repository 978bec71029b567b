"""The dataset catalogue: what is where on this machine, loading, downloading into the cache."""
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from cnnviz.cli import main
from cnnviz.data import catalog
from cnnviz.data.download import RemoteFile
from cnnviz.data.errors import DataError
from cnnviz.data.idx import write_idx

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_every_dataset_has_files_with_checksums_and_sizes():
    for item in catalog.CATALOG.values():
        if item.builtin:
            continue
        assert item.files and item.download_size > 0
        for remote in item.files:
            assert len(remote.sha256) == 64 and remote.size and remote.urls


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(DataError, match="no dataset named 'nope'"):
        catalog.load("nope")


def test_missing_dataset_says_how_to_get_it(empty_cache):
    with pytest.raises(DataError) as info:
        catalog.load("kmnist")
    assert "not on this machine" in str(info.value)
    assert "cnnviz datasets --download kmnist" in str(info.value)
    assert str(empty_cache / "kmnist") in str(info.value)


def test_datasets_command_tells_the_truth(capsys, empty_cache):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for name in catalog.CATALOG:
        status = lines[lines.index(next(line for line in lines if line.startswith(name + " "))) + 1]
        located = catalog.CATALOG[name].locate()
        if catalog.CATALOG[name].builtin:
            assert "built in" in status
        elif located is not None:
            assert f"available in {located}" in status
        else:
            assert "not on this machine" in status
    assert str(empty_cache) in out


@needs_fashion
def test_real_fashion_mnist_from_the_system():
    assert catalog.info("fashion-mnist").locate() == FASHION
    data = catalog.load("fashion-mnist")
    assert data.train_x.shape == (60000, 1, 28, 28) and data.test_x.shape == (10000, 1, 28, 28)
    assert data.train_x.dtype == np.float32 and 0 <= data.train_x.min() and data.train_x.max() <= 1
    assert sorted(set(data.train_y.tolist())) == list(range(10))
    assert data.classes[9] == "Ankle boot"


def test_shapes_is_built_in():
    data = catalog.load("shapes", train_size=100)
    assert data.name == "Shapes" and len(data.train_x) == 100


class _Files(http.server.BaseHTTPRequestHandler):
    files: dict = {}

    def do_GET(self):
        body = self.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_download_into_the_cache_then_load(tmp_path, empty_cache, monkeypatch):
    """A small MNIST-shaped dataset served on 127.0.0.1, fetched, checked and loaded."""
    rng = np.random.default_rng(0)
    arrays = {catalog.IDX_NAMES[0]: rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              catalog.IDX_NAMES[1]: rng.integers(0, 10, 12, dtype=np.uint8),
              catalog.IDX_NAMES[2]: rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              catalog.IDX_NAMES[3]: rng.integers(0, 10, 5, dtype=np.uint8)}
    served = {}
    for name, array in arrays.items():
        write_idx(tmp_path / name, array, compress=True)
        served[name] = (tmp_path / name).read_bytes()
    _Files.files = served
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        files = tuple(RemoteFile(name, hashlib.sha256(body).hexdigest(), len(body), (base + name,))
                      for name, body in served.items())
        original = catalog.CATALOG["mnist"]
        test_info = catalog.DatasetInfo(
            original.name, original.title, original.classes, original.input_shape, (12, 5),
            original.description, original.source, original.digit_like, files=files)
        monkeypatch.setitem(catalog.CATALOG, "mnist", test_info)
        seen = []
        data = catalog.load("mnist", download_missing=True, progress=lambda d, t: seen.append((d, t)))
    finally:
        server.shutdown()
        server.server_close()
    assert (empty_cache / "mnist" / catalog.IDX_NAMES[0]).is_file()
    np.testing.assert_array_equal(data.train_x[:, 0] * 255, arrays[catalog.IDX_NAMES[0]])
    np.testing.assert_array_equal(data.test_y, arrays[catalog.IDX_NAMES[3]])
    assert seen and seen[-1][0] == seen[-1][1] == sum(len(b) for b in served.values())
    assert catalog.info("mnist").status().startswith("available in")


def test_offline_download_lists_every_file_to_place_by_hand(empty_cache, monkeypatch):
    import socket

    from cnnviz.data import download
    monkeypatch.setattr(download, "BACKOFF", 0)
    with socket.socket() as sock:  # a port on loopback that nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    original = catalog.CATALOG["kmnist"]
    files = tuple(RemoteFile(f.name, f.sha256, f.size, (dead + f.name,)) for f in original.files)
    monkeypatch.setitem(catalog.CATALOG, "kmnist", catalog.DatasetInfo(
        original.name, original.title, original.classes, original.input_shape, original.sizes,
        original.description, original.source, original.digit_like, files=files))
    with pytest.raises(DataError) as info:
        catalog.download("kmnist")
    message = str(info.value)
    assert "Could not download train-images-idx3-ubyte.gz" in message
    for remote in files:
        assert remote.name in message and remote.sha256 in message
    assert str(empty_cache / "kmnist") in message
    assert not any((empty_cache / "kmnist").glob("*"))
