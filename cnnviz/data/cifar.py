"""CIFAR-10 from its binary distribution (cifar-10-binary.tar.gz), as a tarball or extracted.

Only the binary version is read. The "python version" of CIFAR-10 is a set of pickles, and
unpickling a downloaded file can run arbitrary code, so cnnviz never does it.

Each binary batch file is a run of 3073-byte records: one label byte, then a 32x32 image as 1024
red, 1024 green and 1024 blue bytes, each plane row-major. That is already NCHW order, so a
batch becomes arrays with one reshape and no per-record work.

A tarball is read in one pass with tarfile.extractfile, never extracted to disk, so member
names (absolute paths, "..", links) cannot write or point anywhere.
"""
from __future__ import annotations

import gzip
import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from cnnviz.data.dataset import Dataset
from cnnviz.data.errors import DataError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
META_FILE = "batches.meta.txt"
FOLDER = "cifar-10-batches-bin"
RECORD = 1 + 3 * 32 * 32
SOURCE = ("Alex Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009; "
          "https://www.cs.toronto.edu/~kriz/cifar.html")

# A real batch holds 10,000 records (30 MB); refuse a member claiming far more before reading it.
MAX_RECORDS_PER_FILE = 200_000
MAX_META_BYTES = 64 << 10
_WANTED = (*TRAIN_FILES, TEST_FILE, META_FILE)
_PICKLED = ("this is the Python (pickled) version of CIFAR-10, which cnnviz does not read "
            "because unpickling can run code; use the binary version, cifar-10-binary.tar.gz")
# What a damaged .tar.gz raises while being read.
_ARCHIVE_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


def load_cifar10(path: str | os.PathLike) -> Dataset:
    """Load CIFAR-10 from cifar-10-binary.tar.gz, its cifar-10-batches-bin folder, or that
    folder's parent."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: not found")
    files = _read_tarball(path) if path.is_file() else _read_folder(_batches_folder(path))
    missing = [n for n in (*TRAIN_FILES, TEST_FILE) if n not in files]
    if missing:
        raise DataError(f"{path}: missing {', '.join(missing)}; the CIFAR-10 binary version "
                        f"has {', '.join(TRAIN_FILES)} and {TEST_FILE}")
    train = [_parse_batch(*files[n]) for n in TRAIN_FILES]
    test = [_parse_batch(*files[TEST_FILE])]
    classes = _parse_meta(*files[META_FILE]) if META_FILE in files else CLASSES
    return Dataset(
        name="CIFAR-10",
        classes=classes,
        input_shape=(3, 32, 32),
        train_x=_to_float([x for x, _ in train]), train_y=np.concatenate([y for _, y in train]),
        test_x=_to_float([x for x, _ in test]), test_y=test[0][1],
        description=(f"32x32 colour photographs of 10 classes of vehicles and animals: "
                     f"{sum(len(y) for _, y in train):,} for training, "
                     f"{len(test[0][1]):,} for testing."),
        source=SOURCE,
    )


# ---- finding and reading the files: each returns {name: (where, bytes)} -----------------

def _batches_folder(path: Path) -> Path:
    for folder in (path, path / FOLDER):
        if any((folder / n).exists() for n in (*TRAIN_FILES, TEST_FILE)):
            return folder
    if (path / "data_batch_1").exists() or (path / "cifar-10-batches-py").exists():
        raise DataError(f"{path}: {_PICKLED}")
    raise DataError(f"{path}: no CIFAR-10 binary batches here: expected {TRAIN_FILES[0]} ... "
                    f"{TEST_FILE} in this folder or in a {FOLDER} folder inside it")


def _read_folder(folder: Path) -> dict[str, tuple[str, bytes]]:
    files = {}
    for name in _WANTED:
        file = folder / name
        if not file.exists():
            continue
        if not file.is_file():
            raise DataError(f"{file}: is not a regular file")
        _check_size(str(file), name, file.stat().st_size)
        try:
            files[name] = (str(file), file.read_bytes())
        except OSError as e:
            raise DataError(f"{file}: cannot read the file: {e.strerror or e}") from e
    return files


def _read_tarball(path: Path) -> dict[str, tuple[str, bytes]]:
    files: dict[str, tuple[str, bytes]] = {}
    try:
        with open(path, "rb") as raw:
            # Gzip is recognised by its magic bytes; anything else is tried as a plain tar.
            is_gzip = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip else raw
            with stream, tarfile.open(fileobj=stream, mode="r:") as tar:
                _read_members(path, tar, files)
                # tarfile stops at the end-of-archive blocks; reading on to the end makes gzip
                # check its CRC and length trailer, so a damaged download cannot slip through.
                while stream.read(1 << 20):
                    pass
    except DataError:
        raise
    except _ARCHIVE_ERRORS as e:
        raise DataError(f"{path}: cannot read it as a .tar.gz archive: it is corrupt, truncated "
                        f"or not a tar archive ({e})") from e
    return files


def _read_members(path: Path, tar: tarfile.TarFile, files: dict[str, tuple[str, bytes]]) -> None:
    # Iterating reads members in order and extractfile reads the current one, so the gzip
    # stream is decompressed once, front to back.
    for member in tar:
        name = PurePosixPath(member.name).name
        if "cifar-10-batches-py" in member.name:
            raise DataError(f"{path}: {_PICKLED}")
        if name not in _WANTED:
            continue
        where = f"{path}: {member.name}"
        if not member.isreg():
            raise DataError(f"{where}: is not a regular file (a link, folder or device "
                            "entry) and will not be read")
        if name in files:
            raise DataError(f"{where}: the archive holds {name} more than once")
        _check_size(where, name, member.size)
        data = tar.extractfile(member).read()
        if len(data) != member.size:
            raise DataError(f"{where}: truncated: {len(data):,} of {member.size:,} bytes")
        files[name] = (where, data)


def _check_size(where: str, name: str, size: int) -> None:
    """Check a file's size before reading it, so a bad one costs no memory."""
    if name == META_FILE:
        if size > MAX_META_BYTES:
            raise DataError(f"{where}: {size:,} bytes is far too large for a list of class names")
        return
    if size == 0:
        raise DataError(f"{where}: the file is empty")
    if size % RECORD:
        raise DataError(f"{where}: its size, {size:,} bytes, is not a whole number of "
                        f"{RECORD}-byte records (1 label byte + 32x32x3 image bytes); "
                        "the file is truncated or not a CIFAR-10 batch")
    if size // RECORD > MAX_RECORDS_PER_FILE:
        raise DataError(f"{where}: holds {size // RECORD:,} records, more than the "
                        f"{MAX_RECORDS_PER_FILE:,} a CIFAR-10 batch could plausibly have")


# ---- parsing ---------------------------------------------------------------------------

def _parse_batch(where: str, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Records -> (uint8 images (N, 3, 32, 32), int64 labels (N,))."""
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    bad = np.flatnonzero(labels >= len(CLASSES))
    if bad.size:
        raise DataError(f"{where}: record {bad[0]} has label {labels[bad[0]]}, but CIFAR-10 "
                        f"labels are 0-9 ({bad.size} bad labels in all)")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def _parse_meta(where: str, data: bytes) -> tuple[str, ...]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{where}: not a text file of class names ({e})") from e
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(names) != len(CLASSES) or len(set(names)) != len(names):
        raise DataError(f"{where}: expected {len(CLASSES)} different class names, one per line, "
                        f"but found {len(names)}: {', '.join(names[:12])}"
                        f"{' ...' if len(names) > 12 else ''}")
    return names


def _to_float(batches: list[np.ndarray]) -> np.ndarray:
    """Stack uint8 batches into one float32 array in [0, 1], converting straight into place
    (no uint8 concatenation, no second pass: at 50,000 images each pass costs 600 MB of writes)."""
    x = np.empty((sum(len(b) for b in batches), 3, 32, 32), dtype=np.float32)
    start = 0
    for b in batches:
        # 255 / 255 is exactly 1.0, so x stays within [0, 1]
        np.divide(b, np.float32(255.0), out=x[start:start + len(b)])
        start += len(b)
    return x
