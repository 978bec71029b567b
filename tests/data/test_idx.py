"""Tests for the IDX reader/writer and the MNIST-style image/label pair loader.

Files are real: written by write_idx or by hand (bytes laid out as the format says), so the
reader is checked against the format itself and not only against the writer.
"""
from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnviz.data.errors import DataError
from cnnviz.data.idx import MAX_ELEMENTS, load_idx_pair, read_idx, write_idx

# (type code, native dtype) for every type the format defines.
CODES = [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
         (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)]

FASHION = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(code: int, shape: tuple[int, ...], body: bytes) -> bytes:
    """An IDX file laid out by hand from the format description."""
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + body


def put(path: Path, data: bytes, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def raises_data_error(path: Path, *phrases: str, call=read_idx) -> DataError:
    """Call ``call(path)``; expect a DataError naming the path and containing every phrase."""
    with pytest.raises(DataError) as info:
        call(path)
    msg = str(info.value)
    assert str(path) in msg, msg
    for phrase in phrases:
        assert phrase in msg, msg
    return info.value


# ---- round trips -------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("code,dtype", CODES, ids=[d.__name__ for _, d in CODES])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (4, 2, 3), (2, 3, 1, 2), (0, 28, 28)])
def test_round_trip_every_type_and_rank(tmp_path, code, dtype, shape, compress):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        a = rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
    else:
        a = (rng.standard_normal(shape) * 1e3).astype(dtype)
    path = tmp_path / "a.idx"
    write_idx(path, a, compress)
    b = read_idx(path)
    assert b.dtype == dtype and b.dtype.isnative and b.shape == shape
    np.testing.assert_array_equal(a, b)
    assert b.flags.writeable


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("code,dtype", CODES, ids=[d.__name__ for _, d in CODES])
def test_reads_hand_made_big_endian_files(tmp_path, code, dtype, compress):
    a = np.arange(-3, 9).astype(dtype).reshape(2, 3, 2)  # as uint8, -3 wraps to 253
    body = a.astype(np.dtype(dtype).newbyteorder(">")).tobytes()
    path = put(tmp_path / "hand", idx_bytes(code, (2, 3, 2), body), compress)
    np.testing.assert_array_equal(read_idx(path), a)


@pytest.mark.parametrize("code,dtype", CODES, ids=[d.__name__ for _, d in CODES])
def test_writer_lays_out_bytes_as_the_format_says(tmp_path, code, dtype):
    a = np.arange(6, dtype=dtype).reshape(3, 2)
    write_idx(tmp_path / "w", a, compress=False)
    expected = idx_bytes(code, (3, 2), a.astype(np.dtype(dtype).newbyteorder(">")).tobytes())
    assert (tmp_path / "w").read_bytes() == expected
    write_idx(tmp_path / "w.gz", a, compress=True)
    assert gzip.decompress((tmp_path / "w.gz").read_bytes()) == expected


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=hnp.arrays(dtype=st.sampled_from([d for _, d in CODES]),
                    shape=hnp.array_shapes(min_dims=1, max_dims=5, min_side=0, max_side=5)),
       compress=st.booleans())
def test_round_trip_any_array(tmp_path, a, compress):
    path = tmp_path / "h.idx"
    write_idx(path, a, compress)
    b = read_idx(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)  # NaNs compare equal here


def test_gzip_is_detected_by_content_not_by_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_idx(tmp_path / "looks-raw.idx", a, compress=True)
    write_idx(tmp_path / "looks-gzipped.gz", a, compress=False)
    assert (tmp_path / "looks-raw.idx").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-raw.idx"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-gzipped.gz"), a)


def test_accepts_str_paths_and_multi_member_gzip(tmp_path):
    data = idx_bytes(0x08, (4,), bytes([1, 2, 3, 4]))
    # gzip allows concatenated members; `cat a.gz b.gz` files are valid gzip.
    path = tmp_path / "two-members.gz"
    path.write_bytes(gzip.compress(data[:6]) + gzip.compress(data[6:]))
    np.testing.assert_array_equal(read_idx(str(path)), [1, 2, 3, 4])


def test_write_is_atomic_deterministic_and_overwrites(tmp_path):
    path = tmp_path / "out.gz"
    path.write_bytes(b"old contents")
    a = np.arange(100, dtype=np.int16).reshape(10, 10)
    write_idx(path, a, compress=True)
    first = path.read_bytes()
    write_idx(path, a, compress=True)
    assert path.read_bytes() == first  # no timestamp or temp name inside the gzip header
    assert os.listdir(tmp_path) == ["out.gz"]  # no temp file left behind


def test_failed_write_leaves_nothing_behind(tmp_path):
    # os.replace cannot put a file over a non-empty folder: the write fails at the last step.
    path = tmp_path / "taken"
    path.mkdir()
    (path / "keep").write_bytes(b"")
    raises_data_error(path, "cannot write the file",
                      call=lambda p: write_idx(p, np.zeros(3, np.uint8), compress=True))
    assert os.listdir(tmp_path) == ["taken"]  # the temporary file was removed


@pytest.mark.parametrize("array,phrase", [
    (np.zeros(3, dtype=np.int64), "cannot write an array of type int64"),
    (np.zeros(3, dtype=bool), "cannot write an array of type bool"),
    (np.zeros(3, dtype=np.uint16), "supported types are"),
    (np.array(5, dtype=np.uint8), "cannot write a 0-D array"),
])
def test_write_refuses_what_idx_cannot_hold(tmp_path, array, phrase):
    raises_data_error(tmp_path / "bad.idx", phrase,
                      call=lambda p: write_idx(p, array, compress=False))


def test_write_into_missing_folder_is_a_data_error(tmp_path):
    path = tmp_path / "no-such-folder" / "a.idx"
    raises_data_error(path, "cannot write the file",
                      call=lambda p: write_idx(p, np.zeros(2, np.uint8), compress=False))


# ---- bad input: each one a DataError naming the file and the reason -------------------------

def test_missing_file(tmp_path):
    raises_data_error(tmp_path / "nope-idx3-ubyte.gz", "file not found")


def test_folder_instead_of_file(tmp_path):
    raises_data_error(tmp_path, "not a regular file")


def test_empty_file(tmp_path):
    raises_data_error(put(tmp_path / "empty", b""), "the file is empty")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_too_short_for_a_header(tmp_path, compress):
    raises_data_error(put(tmp_path / "short", b"\0\0\x08", compress), "too short", "3 bytes")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_bad_magic(tmp_path, compress):
    path = put(tmp_path / "png", b"\x89PNG\r\n\x1a\n" + bytes(100), compress)
    raises_data_error(path, "not an IDX file", "89 50")


@pytest.mark.parametrize("code", [0x00, 0x07, 0x0A, 0x0F, 0xFF])
def test_unknown_type_code(tmp_path, code):
    path = put(tmp_path / "code", idx_bytes(code, (2,), b"\0\0"))
    raises_data_error(path, f"unknown IDX data type code 0x{code:02X}")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_zero_dimensions(tmp_path, compress):
    raises_data_error(put(tmp_path / "zero", b"\0\0\x08\0" + b"\x05", compress),
                      "declares 0 dimensions")


def test_header_cut_inside_the_dimension_sizes(tmp_path):
    path = put(tmp_path / "dims", b"\0\0\x08\x03" + struct.pack(">2I", 60000, 28) + b"\0")
    raises_data_error(path, "truncated", "declares 3 dimensions", "after 2 of their sizes")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_truncated_data_says_how_many_items_are_there(tmp_path, compress):
    body = bytes(4 * 5 * 5 - 1)  # one byte short of 4 images of 5x5
    path = put(tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(0x08, (4, 5, 5), body), compress)
    raises_data_error(path, "truncated: the header promises 4 images of 5x5 "
                            "but the file holds 3 (only 99 of 100 data bytes)")


def test_truncated_labels(tmp_path):
    path = put(tmp_path / "labels", idx_bytes(0x08, (10,), bytes(7)))
    raises_data_error(path, "truncated: the header promises 10 values but the file holds 7")


def test_truncated_wide_type_counts_bytes_not_elements(tmp_path):
    path = put(tmp_path / "doubles", idx_bytes(0x0E, (3, 2), bytes(8 * 5 + 3)))
    raises_data_error(path, "promises 3 items of 2 but the file holds 2", "43 of 48 data bytes")


def test_trailing_garbage_raw_counts_the_bytes(tmp_path):
    path = put(tmp_path / "extra", idx_bytes(0x08, (2, 2), bytes(4)) + b"garbage")
    raises_data_error(path, "7 bytes of unexpected extra data after the 2 items of 2")


def test_trailing_garbage_gzip(tmp_path):
    path = put(tmp_path / "extra.gz", idx_bytes(0x08, (2, 2, 2), bytes(8)) + b"\0", compress=True)
    raises_data_error(path, "unexpected extra data after the 2 images of 2x2")


def test_gzip_cut_short(tmp_path):
    full = gzip.compress(idx_bytes(0x08, (100, 10, 10), os.urandom(10000)))
    path = put(tmp_path / "cut.gz", full[: len(full) // 2])
    raises_data_error(path, "corrupt or truncated gzip data")


def test_gzip_missing_only_its_checksum_trailer(tmp_path):
    full = gzip.compress(idx_bytes(0x08, (10,), bytes(range(10))))
    raises_data_error(put(tmp_path / "notrailer.gz", full[:-8]), "corrupt or truncated gzip data")


def test_gzip_with_wrong_checksum(tmp_path):
    full = bytearray(gzip.compress(idx_bytes(0x08, (10,), bytes(range(10)))))
    full[-8] ^= 0xFF  # the CRC-32 of the uncompressed data
    raises_data_error(put(tmp_path / "crc.gz", bytes(full)), "corrupt or truncated gzip data")


def test_gzip_with_garbled_deflate_data(tmp_path):
    full = bytearray(gzip.compress(idx_bytes(0x08, (1000,), os.urandom(1000))))
    full[12:40] = b"\xff" * 28
    raises_data_error(put(tmp_path / "garbled.gz", bytes(full)), "corrupt or truncated gzip data")


def test_gzip_header_only(tmp_path):
    raises_data_error(put(tmp_path / "magic.gz", b"\x1f\x8b\x08"), "corrupt or truncated gzip")


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_absurd_shape_is_refused_before_allocating(tmp_path, compress):
    # 4e12 doubles would be 32 TB: if the reader tried to allocate, the test would crash.
    path = put(tmp_path / "huge", idx_bytes(0x0E, (20000, 20000, 10000), bytes(64)), compress)
    raises_data_error(path, "20000x20000x10000 = 4,000,000,000,000 elements",
                      f"{MAX_ELEMENTS:,}", "probably corrupt")


def test_largest_shape_allowed_but_truncated_is_truncation_not_allocation(tmp_path):
    # Within the cap but not backed by data: a raw file is judged by its size alone.
    path = put(tmp_path / "big", idx_bytes(0x0E, (MAX_ELEMENTS,), bytes(16)))
    raises_data_error(path, "truncated", f"promises {MAX_ELEMENTS} values but the file holds 2")


# ---- image/label pairs -------------------------------------------------------------------

def make_pair(folder: Path, n_images: int, n_labels: int, compress: bool = True):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(n_images, 6, 5), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255  # make sure both ends of the range occur
    labels = rng.integers(0, 10, size=n_labels, dtype=np.uint8)
    ip, lp = folder / "images-idx3-ubyte.gz", folder / "labels-idx1-ubyte.gz"
    write_idx(ip, images, compress)
    write_idx(lp, labels, compress)
    return ip, lp, images, labels


def test_pair_loads_as_float_nchw_and_int64(tmp_path):
    ip, lp, images, labels = make_pair(tmp_path, 9, 9)
    x, y = load_idx_pair(ip, lp)
    assert x.shape == (9, 1, 6, 5) and x.dtype == np.float32
    assert y.shape == (9,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_allclose(x[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_pair_count_mismatch_names_both_files(tmp_path):
    ip, lp, _, _ = make_pair(tmp_path, 9, 8)
    with pytest.raises(DataError) as info:
        load_idx_pair(ip, lp)
    msg = str(info.value)
    assert str(ip) in msg and str(lp) in msg
    assert "holds 9 images" in msg and "holds 8 labels" in msg


def test_pair_rejects_labels_given_as_images(tmp_path):
    ip, lp, _, _ = make_pair(tmp_path, 4, 4)
    raises_data_error(lp, "expected images", "1-D uint8", call=lambda p: load_idx_pair(p, lp))


def test_pair_rejects_images_given_as_labels(tmp_path):
    ip, lp, _, _ = make_pair(tmp_path, 4, 4)
    raises_data_error(ip, "expected labels", "3-D uint8", call=lambda p: load_idx_pair(ip, p))


def test_pair_rejects_non_byte_images(tmp_path):
    _, lp, _, _ = make_pair(tmp_path, 4, 4)
    ip = tmp_path / "float-images"
    write_idx(ip, np.zeros((4, 6, 5), np.float32), compress=False)
    raises_data_error(ip, "expected images", "float32", call=lambda p: load_idx_pair(p, lp))


def test_pair_passes_on_read_errors(tmp_path):
    ip, _, _, _ = make_pair(tmp_path, 4, 4)
    missing = tmp_path / "labels-missing"
    raises_data_error(missing, "file not found", call=lambda p: load_idx_pair(ip, p))


@pytest.mark.skipif(not FASHION.is_dir(),
                    reason=f"Fashion-MNIST is not installed at {FASHION} "
                           "(apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist():
    for prefix, n in (("train", 60000), ("t10k", 10000)):
        x, y = load_idx_pair(FASHION / f"{prefix}-images-idx3-ubyte.gz",
                             FASHION / f"{prefix}-labels-idx1-ubyte.gz")
        assert x.shape == (n, 1, 28, 28) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert y.min() == 0 and y.max() == 9
        assert np.bincount(y).tolist() == [n // 10] * 10  # Fashion-MNIST is exactly balanced
        assert 0.0 <= x.min() and x.max() <= 1.0
