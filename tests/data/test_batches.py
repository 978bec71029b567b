"""Tests for shuffled, optionally augmented minibatches."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.data.augment import Augmentation, augment
from cnnviz.data.batches import minibatches


def numbered(n, shape=(1, 2, 2)):
    """Images whose pixels all hold their own index (scaled into [0, 1]), labels = index."""
    y = np.arange(n, dtype=np.int64)
    x = np.broadcast_to((y / max(n, 1)).astype(np.float32)[:, None, None, None], (n, *shape)).copy()
    x.setflags(write=False)  # like a Dataset's arrays
    return x, y


def collect(*args, **kwargs):
    return list(minibatches(*args, **kwargs))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 50), st.integers(1, 20), st.booleans(), st.integers(0, 2**32 - 1))
def test_a_pass_covers_every_index_once_in_batches_of_the_right_size(n, batch_size, drop_last, seed):
    x, y = numbered(n)
    batches = collect(x, y, batch_size, np.random.default_rng(seed), drop_last=drop_last)
    sizes = [len(yb) for _, yb in batches]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest and not drop_last else [])
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], np.int64)
    assert len(np.unique(seen)) == len(seen)
    if not drop_last:
        np.testing.assert_array_equal(np.sort(seen), y)
    for xb, yb in batches:  # images travel with their labels
        np.testing.assert_array_equal(xb[:, 0, 0, 0], x[yb, 0, 0, 0])


def test_batches_are_contiguous_float32_copies():
    x, y = numbered(10)
    for xb, yb in minibatches(x, y, 4, np.random.default_rng(0)):
        assert xb.dtype == np.float32 and xb.flags.c_contiguous and xb.flags.writeable
        assert not np.shares_memory(xb, x) and yb.dtype == np.int64
        xb[:] = 0.0  # the caller may scribble on a batch; the data is untouched
    np.testing.assert_array_equal(x, numbered(10)[0])


def test_float64_data_is_delivered_as_float32():
    x = np.random.default_rng(0).random((6, 1, 3, 3))
    (xb, _), = collect(x, np.zeros(6, np.int64), 6, np.random.default_rng(0))
    assert xb.dtype == np.float32


def test_order_is_shuffled_and_fresh_each_pass():
    x, y = numbered(100)
    rng = np.random.default_rng(1)
    first = np.concatenate([yb for _, yb in minibatches(x, y, 100, rng)])
    second = np.concatenate([yb for _, yb in minibatches(x, y, 100, rng)])
    assert not np.array_equal(first, y) and not np.array_equal(first, second)


def test_same_seed_replays_the_same_batches():
    x, y = numbered(30)
    aug = Augmentation()
    a = collect(x, y, 8, np.random.default_rng(5), augmentation=aug)
    b = collect(x, y, 8, np.random.default_rng(5), augmentation=aug)
    assert len(a) == len(b) == 4
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_augmentation_uses_the_same_rng_after_the_permutation():
    x = np.random.default_rng(2).random((12, 3, 8, 8), dtype=np.float32)
    y = np.arange(12)
    aug = Augmentation()
    got = collect(x, y, 5, np.random.default_rng(3), augmentation=aug)
    rng = np.random.default_rng(3)
    order = rng.permutation(12)
    for (xb, yb), start in zip(got, range(0, 12, 5)):
        index = order[start:start + 5]
        np.testing.assert_array_equal(yb, index)
        np.testing.assert_array_equal(xb, augment(x[index], aug, rng))


def test_no_augmentation_and_identity_augmentation_agree():
    x, y = numbered(9)
    plain = collect(x, y, 4, np.random.default_rng(4))
    identity = collect(x, y, 4, np.random.default_rng(4), augmentation=Augmentation.none())
    for (xa, ya), (xb, yb) in zip(plain, identity, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_batch_larger_than_the_data():
    x, y = numbered(3)
    assert [len(yb) for _, yb in minibatches(x, y, 10, np.random.default_rng(0))] == [3]
    assert collect(x, y, 10, np.random.default_rng(0), drop_last=True) == []


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "4"])
def test_bad_batch_size_is_rejected_at_call_time(batch_size):
    x, y = numbered(4)
    with pytest.raises(ValueError, match="batch_size"):
        minibatches(x, y, batch_size, np.random.default_rng(0))  # no next() needed


def test_mismatched_lengths_are_rejected():
    x, y = numbered(4)
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        minibatches(x, y[:3], 2, np.random.default_rng(0))


def test_bad_augmentation_is_rejected():
    x, y = numbered(4)
    with pytest.raises(ValueError, match="augmentation"):
        minibatches(x, y, 2, np.random.default_rng(0), augmentation="flip")
