"""The IDX file format of MNIST, Fashion-MNIST and KMNIST: read, write, load an image/label pair.

An IDX file is: two zero bytes, a type code byte, a dimension count byte, one big-endian uint32
per dimension, then the elements in row-major order, big-endian. The files are usually gzipped;
gzip is recognised by its magic bytes, never by the file name, because renamed and
browser-decompressed downloads are common.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from cnnviz.data.errors import DataError
from cnnviz.engine.spec import shape_text
from cnnviz.files import atomic_write

# type code -> big-endian dtype, as in the format's description on Yann LeCun's MNIST page.
TYPE_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_NAMES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short",
               0x0C: "int", 0x0D: "float", 0x0E: "double"}

# A corrupt header can declare any shape; refuse one this large before allocating for it.
# (The largest real IDX file, the 60000x28x28 training images, has 47 million elements.)
MAX_ELEMENTS = 500_000_000

_GZIP_MAGIC = b"\x1f\x8b"
# Gzip data is read in pieces so that memory grows with what the file really holds, not with
# what a (possibly corrupt) header claims.
_CHUNK = 16 << 20
# Everything gzip raises for a damaged stream: BadGzipFile (an OSError), EOFError when the
# stream stops early, zlib.error for bad deflate data or a bad checksum.
_GZIP_ERRORS = (OSError, EOFError, zlib.error)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not, into a native-byte-order array of the declared shape."""
    path = Path(path)
    _check_is_file(path)
    try:
        with open(path, "rb") as raw:
            if raw.read(2) != _GZIP_MAGIC:
                raw.seek(0)
                return _read_stream(path, raw, file_size=os.fstat(raw.fileno()).st_size)
            raw.seek(0)
            try:
                with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                    return _read_stream(path, gz, file_size=None)
            except _GZIP_ERRORS as e:
                raise DataError(f"{path}: corrupt or truncated gzip data ({e})") from e
    except DataError:
        raise
    except OSError as e:
        raise DataError(f"{path}: cannot read the file: {e.strerror or e}") from e


def _check_is_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: is not a regular file (a folder?)")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")


def _read_stream(path: Path, f, file_size: int | None) -> np.ndarray:
    """Parse one IDX stream; ``file_size`` is known for raw files and None for gzip."""
    head = f.read(4)
    if len(head) < 4:
        raise DataError(f"{path}: too short to be an IDX file: it holds {len(head)} bytes, "
                        "the header alone needs at least 4")
    if head[:2] != b"\0\0":
        raise DataError(f"{path}: not an IDX file: it starts with bytes {head[:2].hex(' ')}, "
                        "an IDX file starts with 00 00 (nor is it gzip, which starts with 1f 8b)")
    code, ndim = head[2], head[3]
    if code not in TYPE_CODES:
        known = ", ".join(f"0x{c:02X} {n}" for c, n in _CODE_NAMES.items())
        raise DataError(f"{path}: unknown IDX data type code 0x{code:02X} (known codes: {known})")
    if ndim == 0:
        raise DataError(f"{path}: the IDX header declares 0 dimensions; it needs at least one")
    dims_bytes = f.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise DataError(f"{path}: truncated: the header declares {ndim} dimensions but the file "
                        f"ends after {len(dims_bytes) // 4} of their sizes")
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    # Python ints, so the product cannot overflow.
    count = 1
    for d in shape:
        count *= d
    if count > MAX_ELEMENTS:
        raise DataError(f"{path}: the header declares shape {shape_text(shape)} = {count:,} elements, "
                        f"more than the {MAX_ELEMENTS:,} this reader accepts; "
                        "the header is probably corrupt")
    dtype = TYPE_CODES[code]
    want = count * dtype.itemsize
    header = 4 + 4 * ndim
    if file_size is not None and file_size < header + want:
        # A raw file's size is known: report truncation without reading (or allocating) anything.
        raise DataError(_truncated(path, shape, dtype, file_size - header))
    data = _read_up_to(f, want + 1)  # one byte more, to notice trailing garbage
    if len(data) < want:
        raise DataError(_truncated(path, shape, dtype, len(data)))
    if len(data) > want:
        extra = f"{file_size - header - want:,} bytes of " if file_size is not None else ""
        raise DataError(f"{path}: {extra}unexpected extra data after the {_what(shape)} the "
                        "header describes; the file is corrupt or not what its header says")
    # astype copies into a writeable array in the machine's own byte order.
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape).astype(dtype.newbyteorder("="))


def _read_up_to(f, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        part = f.read(min(_CHUNK, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _what(shape) -> str:
    """'60000 values', '60000 images of 28x28', '5 items of 2x3x4': how a user counts them."""
    if len(shape) == 1:
        return f"{shape[0]} values"
    kind = "images" if len(shape) == 3 else "items"
    return f"{shape[0]} {kind} of {shape_text(shape[1:])}"


def _truncated(path: Path, shape, dtype: np.dtype, got_bytes: int) -> str:
    item_bytes = dtype.itemsize
    for d in shape[1:]:
        item_bytes *= d
    whole = got_bytes // item_bytes if item_bytes else 0
    return (f"{path}: truncated: the header promises {_what(shape)} but the file holds "
            f"{whole} (only {got_bytes:,} of {item_bytes * shape[0]:,} data bytes)")


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool) -> None:
    """Write ``array`` as an IDX file (gzipped if ``compress``), atomically.

    The file appears complete or not at all (cnnviz/files.py): a crash never leaves a half-written
    dataset behind.
    """
    path = Path(path)
    array = np.asarray(array)
    code = next((c for c, dt in TYPE_CODES.items() if dt.newbyteorder("=") == array.dtype), None)
    if code is None:
        raise DataError(f"{path}: cannot write an array of type {array.dtype} as IDX; supported types are "
                        "uint8, int8, int16, int32, float32 and float64")
    if not 1 <= array.ndim <= 255:
        raise DataError(f"{path}: cannot write a {array.ndim}-D array as IDX; "
                        "it needs 1 to 255 dimensions")
    if any(d > 0xFFFFFFFF for d in array.shape):
        raise DataError(f"{path}: cannot write shape {shape_text(array.shape)} as IDX; "
                        "each dimension must fit in 32 bits")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()
    try:
        _write_atomically(path, header, body, compress)
    except OSError as e:
        raise DataError(f"{path}: cannot write the file: {e.strerror or e}") from e


def _write_atomically(path: Path, header: bytes, body: bytes, compress: bool) -> None:
    with atomic_write(path) as out:
        if compress:
            # filename="" and mtime=0: the same array always gives the same bytes.
            with gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as gz:
                gz.write(header)
                gz.write(body)
        else:
            out.write(header)
            out.write(body)


def load_idx_pair(images_path: str | os.PathLike,
                  labels_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Load an MNIST-style images file and its labels file.

    Returns ``x`` float32 in [0, 1] of shape (N, 1, H, W) and ``y`` int64 of shape (N,).
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or 0 in images.shape[1:]:
        raise DataError(f"{images_path}: expected images, a 3-D array of unsigned bytes "
                        f"(count x height x width), but the file holds a {images.ndim}-D "
                        f"{images.dtype} array of shape {shape_text(images.shape)}")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{labels_path}: expected labels, a 1-D array of unsigned bytes, "
                        f"but the file holds a {labels.ndim}-D {labels.dtype} array "
                        f"of shape {shape_text(labels.shape)}")
    if len(images) != len(labels):
        raise DataError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                        f"{len(labels)} labels; they must match (are they from the same split?)")
    # One pass straight into float32; 255 / 255 is exactly 1.0, so x stays within [0, 1].
    x = np.divide(images[:, None, :, :], np.float32(255.0), dtype=np.float32)
    return x, labels.astype(np.int64)
