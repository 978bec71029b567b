"""Tests for the CIFAR-10 binary loader, on small real batch files and tarballs built here."""
from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data.cifar import CLASSES, RECORD, SOURCE, TEST_FILE, TRAIN_FILES, load_cifar10
from cnnviz.data.errors import DataError

FOLDER = "cifar-10-batches-bin"
# Records per file for the small test datasets: train batches 1..5, then test.
COUNTS = (3, 2, 4, 1, 2, 5)
META = "\n".join(CLASSES) + "\n\n"  # the real batches.meta.txt ends with a blank line


def records(labels: np.ndarray, images: np.ndarray) -> bytes:
    """Batch file bytes: per record one label byte, then the R, G and B planes row-major."""
    return np.concatenate([labels[:, None], images.reshape(len(labels), -1)], axis=1).tobytes()


def write_members(dest: Path, members: dict[str, bytes], tar: bool, mode: str = "w:gz") -> Path:
    """Write files named ``cifar-10-batches-bin/<name>`` to a tarball at ``dest`` or, for
    tar=False, under the folder ``dest``; return the path to hand to load_cifar10."""
    if not tar:
        (dest / FOLDER).mkdir(parents=True, exist_ok=True)
        for name, data in members.items():
            (dest / FOLDER / name).write_bytes(data)
        return dest
    with tarfile.open(dest, mode) as tf:
        folder = tarfile.TarInfo(FOLDER)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o755
        tf.addfile(folder)
        for name, data in members.items():
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return dest


def write_cifar_binary(folder_or_tar: Path, counts=COUNTS, tar: bool = True, meta: str | None = META,
                       seed: int = 0, mode: str = "w:gz"):
    """Write a small CIFAR-10 binary dataset; return (path to load, train (x, y), test (x, y)),
    the expected arrays as uint8 images (N, 3, 32, 32) and int64 labels."""
    rng = np.random.default_rng(seed)
    members, batches = {}, []
    for name, n in zip((*TRAIN_FILES, TEST_FILE), counts):
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
        members[name] = records(labels, images)
        batches.append((images, labels.astype(np.int64)))
    # Members in the same order as in the real tarball: the train batches are not first.
    order = [TEST_FILE, *TRAIN_FILES[::-1]]
    members = {name: members[name] for name in order}
    if meta is not None:
        members["batches.meta.txt"] = meta.encode()
    path = write_members(folder_or_tar, members, tar, mode)
    train = tuple(np.concatenate(parts) for parts in zip(*batches[:5]))
    return path, train, batches[5]


def good_members(**replace: bytes) -> dict[str, bytes]:
    """Valid one-record batches, with some members replaced (or removed, given None)."""
    one = records(np.array([1], np.uint8), np.zeros((1, 3, 32, 32), np.uint8))
    members = {name: one for name in (*TRAIN_FILES, TEST_FILE)}
    members.update(replace)
    return {k: v for k, v in members.items() if v is not None}


def raises_data_error(path: Path, *phrases: str) -> str:
    with pytest.raises(DataError) as info:
        load_cifar10(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    for phrase in phrases:
        assert phrase in msg, msg
    return msg


# ---- loading -----------------------------------------------------------------------------

def check_dataset(ds, train, test):
    assert ds.name == "CIFAR-10" and ds.source == SOURCE
    assert ds.input_shape == (3, 32, 32) and ds.classes == CLASSES
    assert "\n" not in ds.description and f"{sum(COUNTS[:5])} for training, {COUNTS[5]} for testing" in ds.description
    for x, y, (images, labels) in ((ds.train_x, ds.train_y, train), (ds.test_x, ds.test_y, test)):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.shape == (len(labels), 3, 32, 32)
        np.testing.assert_array_equal(y, labels)
        np.testing.assert_array_equal(np.rint(x * 255).astype(np.uint8), images)
        assert x.min() >= 0.0 and x.max() <= 1.0


@pytest.mark.parametrize("mode", ["w:gz", "w"], ids=["tar.gz", "plain tar"])
def test_loads_from_tarball(tmp_path, mode):
    path, train, test = write_cifar_binary(tmp_path / "cifar-10-binary.tar.gz", mode=mode)
    check_dataset(load_cifar10(path), train, test)
    assert os.listdir(tmp_path) == ["cifar-10-binary.tar.gz"]  # nothing extracted


@pytest.mark.parametrize("inner", [False, True], ids=["parent folder", "batches folder"])
def test_loads_from_extracted_folder(tmp_path, inner):
    path, train, test = write_cifar_binary(tmp_path, tar=False)
    check_dataset(load_cifar10(path / FOLDER if inner else str(path)), train, test)


def test_channel_planes_and_pixel_order(tmp_path):
    # One record whose bytes are all different positions: R plane 0.., G plane, B plane.
    image = (np.arange(3 * 32 * 32) % 251).astype(np.uint8).reshape(3, 32, 32)
    body = bytes([7]) + image.tobytes()
    members = good_members(**{TEST_FILE: body})
    ds = load_cifar10(write_members(tmp_path / "c.tar.gz", members, tar=True))
    assert ds.test_y.tolist() == [7]
    assert ds.test_x[0, 0, 0, 1] == np.float32(1 / 255)  # second byte of the red plane
    assert ds.test_x[0, 1, 0, 0] == np.float32((1024 % 251) / 255)  # first green byte
    assert ds.test_x[0, 2, 31, 31] == np.float32((3071 % 251) / 255)  # last blue byte


def test_class_names_come_from_the_meta_file(tmp_path):
    names = [f"class {i}" for i in range(10)]
    path, _, _ = write_cifar_binary(tmp_path / "c.tar.gz", meta="\r\n".join(names) + "\r\n")
    assert load_cifar10(path).classes == tuple(names)


def test_standard_class_names_without_meta_file(tmp_path):
    path, _, _ = write_cifar_binary(tmp_path, tar=False, meta=None)
    assert load_cifar10(path).classes == CLASSES


def test_path_traversal_names_are_read_never_written(tmp_path):
    # Member names that extractall would write outside the target folder are only ever read.
    one = good_members()[TEST_FILE]
    path = tmp_path / "a" / "evil.tar.gz"
    path.parent.mkdir()
    with tarfile.open(path, "w:gz") as tf:
        for name in (*TRAIN_FILES, TEST_FILE):
            info = tarfile.TarInfo(f"../../{name}")
            info.size = len(one)
            tf.addfile(info, io.BytesIO(one))
    assert len(load_cifar10(path).test_y) == 1
    assert sorted(os.listdir(tmp_path)) == ["a"] and os.listdir(tmp_path / "a") == ["evil.tar.gz"]


# ---- bad input: each one a DataError naming the file and the reason -------------------------

def test_missing_path(tmp_path):
    raises_data_error(tmp_path / "cifar-10-binary.tar.gz", "not found")


def test_folder_without_batches(tmp_path):
    (tmp_path / "other.txt").write_text("hello")
    raises_data_error(tmp_path, "no CIFAR-10 binary batches here", FOLDER)


@pytest.mark.parametrize("tar", [True, False], ids=["tar.gz", "folder"])
def test_missing_batch_files(tmp_path, tar):
    members = good_members(**{TRAIN_FILES[3]: None, TEST_FILE: None})
    path = write_members(tmp_path / "c.tar.gz" if tar else tmp_path, members, tar)
    raises_data_error(path, "missing data_batch_4.bin, test_batch.bin")


@pytest.mark.parametrize("tar", [True, False], ids=["tar.gz", "folder"])
def test_size_not_a_whole_number_of_records(tmp_path, tar):
    one = good_members()[TEST_FILE]
    members = good_members(**{TRAIN_FILES[1]: one * 2 + b"\0" * 100})
    path = write_members(tmp_path / "c.tar.gz" if tar else tmp_path, members, tar)
    msg = raises_data_error(path, "data_batch_2.bin", "6,246 bytes",
                            f"not a whole number of {RECORD}-byte records")
    if not tar:
        assert str(path / FOLDER / "data_batch_2.bin") in msg


@pytest.mark.parametrize("tar", [True, False], ids=["tar.gz", "folder"])
def test_empty_batch_file(tmp_path, tar):
    path = write_members(tmp_path / "c.tar.gz" if tar else tmp_path,
                         good_members(**{TEST_FILE: b""}), tar)
    raises_data_error(path, "test_batch.bin", "the file is empty")


@pytest.mark.parametrize("tar", [True, False], ids=["tar.gz", "folder"])
def test_label_out_of_range(tmp_path, tar):
    labels = np.array([3, 9, 10, 255], np.uint8)
    body = records(labels, np.zeros((4, 3, 32, 32), np.uint8))
    path = write_members(tmp_path / "c.tar.gz" if tar else tmp_path,
                         good_members(**{TRAIN_FILES[4]: body}), tar)
    raises_data_error(path, "data_batch_5.bin", "record 2 has label 10",
                      "labels are 0-9", "2 bad labels")


def test_truncated_tar_gz(tmp_path):
    path, _, _ = write_cifar_binary(tmp_path / "c.tar.gz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    raises_data_error(path, "corrupt, truncated or not a tar archive")


def test_tar_gz_missing_its_last_bytes(tmp_path):
    path, _, _ = write_cifar_binary(tmp_path / "c.tar.gz")
    path.write_bytes(path.read_bytes()[:-4])
    raises_data_error(path, "corrupt, truncated or not a tar archive")


def test_garbled_tar_gz(tmp_path):
    path, _, _ = write_cifar_binary(tmp_path / "c.tar.gz")
    data = bytearray(path.read_bytes())
    data[20:200] = os.urandom(180)
    path.write_bytes(bytes(data))
    raises_data_error(path, "corrupt, truncated or not a tar archive")


@pytest.mark.parametrize("content", [b"", b"just some text\n" * 100, b"\x1f\x8b" + bytes(50)],
                         ids=["empty", "text", "bad gzip"])
def test_file_that_is_not_a_tarball(tmp_path, content):
    path = tmp_path / "cifar-10-binary.tar.gz"
    path.write_bytes(content)
    raises_data_error(path, "not a tar archive")


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE,
                                  tarfile.FIFOTYPE], ids=["symlink", "hardlink", "dir", "fifo"])
def test_member_that_is_not_a_regular_file(tmp_path, kind):
    path = tmp_path / "c.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in good_members(**{TRAIN_FILES[0]: None}).items():
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"{FOLDER}/data_batch_1.bin")
        link.type, link.linkname = kind, "/etc/passwd"
        tf.addfile(link)
    raises_data_error(path, f"{FOLDER}/data_batch_1.bin", "not a regular file")


def test_member_present_twice(tmp_path):
    path = tmp_path / "c.tar.gz"
    one = good_members()[TEST_FILE]
    with tarfile.open(path, "w:gz") as tf:
        for name in (*TRAIN_FILES, TEST_FILE, TEST_FILE):
            info = tarfile.TarInfo(f"{FOLDER}/{name}")
            info.size = len(one)
            tf.addfile(info, io.BytesIO(one))
    raises_data_error(path, "holds test_batch.bin more than once")


@pytest.mark.parametrize("tar", [True, False], ids=["tar.gz", "folder"])
def test_pickled_python_version_is_refused(tmp_path, tar):
    if tar:
        path = tmp_path / "cifar-10-python.tar.gz"
        with tarfile.open(path, "w:gz") as tf:
            info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
            info.size = 4
            tf.addfile(info, io.BytesIO(b"\x80\x04N."))  # a pickle: never to be loaded
    else:
        path = tmp_path / "cifar-10-batches-py"
        path.mkdir()
        (path / "data_batch_1").write_bytes(b"\x80\x04N.")
    raises_data_error(path, "Python (pickled) version", "cifar-10-binary.tar.gz")


@pytest.mark.parametrize("meta,phrase", [
    ("airplane\nautomobile\n", "expected 10 different class names", ),
    ("\n".join(["cat"] * 10), "expected 10 different class names"),
])
def test_bad_meta_file(tmp_path, meta, phrase):
    path, _, _ = write_cifar_binary(tmp_path, tar=False, meta=meta)
    msg = raises_data_error(path, "batches.meta.txt", phrase)
    assert str(path / FOLDER / "batches.meta.txt") in msg


def test_meta_file_not_text(tmp_path):
    members = good_members(**{"batches.meta.txt": b"\xff\xfe\x00binary"})
    path = write_members(tmp_path / "c.tar.gz", members, tar=True)
    raises_data_error(path, "batches.meta.txt", "not a text file of class names")


def test_batch_path_that_is_a_folder(tmp_path):
    path = write_members(tmp_path, good_members(**{TEST_FILE: None}), tar=False)
    (path / FOLDER / TEST_FILE).mkdir()
    raises_data_error(path, f"{FOLDER}/{TEST_FILE}: is not a regular file")
