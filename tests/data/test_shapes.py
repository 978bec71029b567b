"""Tests for the built-in Shapes dataset and the Dataset record."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.data.dataset import Dataset
from cnnviz.data.shapes import CLASSES, make_shapes

TRAIN, TEST = 800, 240


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return make_shapes(train_size=TRAIN, test_size=TEST, seed=0)


# ---- helpers: find the shape in an image without knowing its colour ------------------

def _border(x: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels, (N, C, 4*(S-1)); shapes never reach it."""
    return np.concatenate([x[:, :, 0, :-1], x[:, :, :-1, -1], x[:, :, -1, 1:], x[:, :, 1:, 0]], axis=2)


def _luma(x: np.ndarray) -> np.ndarray:
    return np.tensordot(np.array([0.299, 0.587, 0.114], dtype=np.float32), x, axes=([0], [1]))


def _foreground(x: np.ndarray) -> np.ndarray:
    """Per-image 0/1 mask of pixels whose colour is far from the background's.

    Half the largest distance separates shape from noise: the noise moves a
    channel by at most 0.1, the shape colour differs by much more.
    """
    bg = np.median(_border(x), axis=2)[:, :, None, None]
    dist = np.sqrt(((x - bg) ** 2).sum(axis=1))
    return (dist > 0.5 * dist.max(axis=(1, 2), keepdims=True)).astype(np.float32)


def _centred(mask: np.ndarray) -> np.ndarray:
    """Roll each mask so its centre of mass sits in the middle: removes the random position."""
    size = mask.shape[-1]
    coords = np.arange(size) + 0.5
    out = np.empty_like(mask)
    for i, m in enumerate(mask):
        total = m.sum()
        cy, cx = (m.sum(axis=1) @ coords) / total, (m.sum(axis=0) @ coords) / total
        out[i] = np.roll(m, (round(size / 2 - cy), round(size / 2 - cx)), axis=(0, 1))
    return out


# ---- the generated data ---------------------------------------------------------------

def test_shapes_dtypes_and_ranges(ds):
    assert ds.name == "Shapes"
    assert ds.classes == CLASSES
    assert ds.classes[:8] == ("circle", "ring", "square", "triangle", "cross", "star",
                              "horizontal line", "vertical line")
    assert ds.input_shape == (3, 32, 32)
    assert ds.train_x.shape == (TRAIN, 3, 32, 32) and ds.test_x.shape == (TEST, 3, 32, 32)
    assert ds.train_x.dtype == np.float32 and ds.test_x.dtype == np.float32
    assert ds.train_y.dtype == np.int64 and ds.test_y.dtype == np.int64
    for x in (ds.train_x, ds.test_x):
        assert x.min() >= 0.0 and x.max() <= 1.0 and np.isfinite(x).all()
    assert ds.description and "public domain" in ds.source.lower()


def test_size_is_configurable():
    small = make_shapes(train_size=16, test_size=8, size=16)
    assert small.input_shape == (3, 16, 16)
    assert small.train_x.shape == (16, 3, 16, 16) and small.test_x.shape == (8, 3, 16, 16)


def test_empty_splits_are_allowed():
    empty = make_shapes(train_size=0, test_size=0)
    assert empty.train_x.shape == (0, 3, 32, 32) and empty.test_y.shape == (0,)


@settings(max_examples=25, deadline=None)
@given(train=st.integers(0, 40), test=st.integers(0, 20), seed=st.integers(0, 2**32 - 1),
       size=st.integers(8, 48))
def test_any_small_request_gives_a_valid_balanced_dataset(train, test, seed, size):
    d = make_shapes(train_size=train, test_size=test, seed=seed, size=size)
    assert d.train_x.shape == (train, 3, size, size) and d.test_x.shape == (test, 3, size, size)
    for x, y in ((d.train_x, d.train_y), (d.test_x, d.test_y)):
        assert np.isfinite(x).all() and (x >= 0).all() and (x <= 1).all()
        counts = np.bincount(y, minlength=len(CLASSES))
        assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("kwargs", [{"train_size": -1}, {"test_size": -5}, {"size": 4}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        make_shapes(**kwargs)


def test_same_seed_gives_identical_bytes(ds):
    again = make_shapes(train_size=TRAIN, test_size=TEST, seed=0)
    for field in ("train_x", "train_y", "test_x", "test_y"):
        assert getattr(again, field).tobytes() == getattr(ds, field).tobytes(), field


def test_different_seeds_differ(ds):
    other = make_shapes(train_size=TRAIN, test_size=TEST, seed=1)
    assert not np.array_equal(other.train_x, ds.train_x)
    assert not np.array_equal(other.test_x, ds.test_x)
    assert not np.array_equal(other.train_y, ds.train_y)


def test_test_set_does_not_depend_on_train_size(ds):
    # Independent streams: asking for more or fewer training images keeps the test set.
    other = make_shapes(train_size=40, test_size=TEST, seed=0)
    assert np.array_equal(other.test_x, ds.test_x) and np.array_equal(other.test_y, ds.test_y)


def test_no_test_image_is_a_train_image(ds):
    train = {img.tobytes() for img in ds.train_x}
    assert not any(img.tobytes() in train for img in ds.test_x)
    assert len({img.tobytes() for img in ds.test_x}) == TEST


@pytest.mark.parametrize("n", [TRAIN, 83, 7])
def test_classes_are_balanced_and_shuffled(n):
    y = make_shapes(train_size=n, test_size=0, seed=3).train_y
    counts = np.bincount(y, minlength=len(CLASSES))
    assert counts.max() - counts.min() <= 1
    if n >= 80:
        round_robin = np.arange(n) % len(CLASSES)
        assert not np.array_equal(y, round_robin) and not np.array_equal(y, np.sort(y))


def test_shapes_stay_inside_the_image(ds):
    # The outermost pixels are background plus noise (at most +-0.1), never shape.
    border = _border(ds.train_x)
    bg = np.median(border, axis=2, keepdims=True)
    assert np.abs(border - bg).max() <= 0.2 + 1e-6


def test_background_is_dark_or_light_and_shape_contrasts(ds):
    x = ds.train_x
    bg = np.median(_border(x), axis=2)  # (N, 3)
    bg_luma = bg @ np.array([0.299, 0.587, 0.114])
    assert ((bg_luma < 0.35) | (bg_luma > 0.65)).all()
    contrast = np.abs(_luma(x) - bg_luma[:, None, None]).max(axis=(1, 2))
    assert contrast.min() >= 0.2


def test_colour_alone_does_not_predict_the_class(ds):
    # Nearest class mean on each image's average colour should be close to chance.
    def feats(x):
        return x.mean(axis=(2, 3))
    acc = _nearest_mean_accuracy(feats(ds.train_x), ds.train_y, feats(ds.test_x), ds.test_y)
    assert acc < 0.3


def test_shape_alone_predicts_the_class(ds):
    # A colour-blind, position-free nearest-class-mean classifier beats chance (1/8) by far.
    def feats(x):
        return _centred(_foreground(x)).reshape(len(x), -1)
    acc = _nearest_mean_accuracy(feats(ds.train_x), ds.train_y, feats(ds.test_x), ds.test_y)
    assert acc > 0.5


def test_class_means_reflect_the_shapes(ds):
    masks = _centred(_foreground(ds.train_x))
    mean = {name: masks[ds.train_y == c].mean(axis=0) for c, name in enumerate(CLASSES)}
    mid = slice(14, 18)
    # A horizontal line spreads along rows, a vertical line along columns.
    h, v = mean["horizontal line"], mean["vertical line"]
    assert h[mid, :].sum() > 2 * h[:, mid].sum()
    assert v[:, mid].sum() > 2 * v[mid, :].sum()
    # A ring has a hole in the middle, a circle does not.
    assert mean["ring"][mid, mid].mean() < 0.5 * mean["circle"][mid, mid].mean()


def _nearest_mean_accuracy(train_f, train_y, test_f, test_y) -> float:
    means = np.stack([train_f[train_y == c].mean(axis=0) for c in range(len(CLASSES))])
    dist = ((test_f[:, None, :] - means[None]) ** 2).sum(axis=2)
    return float((dist.argmin(axis=1) == test_y).mean())


# ---- the Dataset record ---------------------------------------------------------------

def test_arrays_are_read_only_and_dataset_frozen(ds):
    for field in ("train_x", "train_y", "test_x", "test_y"):
        arr = getattr(ds, field)
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"


def _valid_fields() -> dict:
    rng = np.random.default_rng(0)
    return dict(
        name="tiny", classes=("a", "b"), input_shape=(1, 4, 4),
        train_x=rng.random((6, 1, 4, 4), dtype=np.float32), train_y=np.array([0, 1] * 3),
        test_x=rng.random((2, 1, 4, 4), dtype=np.float32), test_y=np.array([1, 0]),
        description="tiny test set", source="made up in a test",
    )


def test_valid_dataset_builds():
    d = Dataset(**_valid_fields())
    assert d.num_classes == 2 and not d.test_x.flags.writeable


@pytest.mark.parametrize("field, value, match", [
    ("name", "", "name"),
    ("classes", (), "classes"),
    ("classes", ["a", "b"], "classes"),
    ("classes", ("a", "a"), "duplicate"),
    ("input_shape", (4, 4), "input_shape"),
    ("input_shape", (1, 0, 4), "input_shape"),
    ("train_x", np.zeros((6, 1, 4, 4)), "train_x.*float32"),
    ("train_x", np.zeros((6, 16), np.float32), "train_x.*4-D"),
    ("train_x", [[0.0]], "train_x"),
    ("test_x", np.zeros((2, 1, 5, 5), np.float32), "test_x.*input_shape"),
    ("train_x", np.full((6, 1, 4, 4), 1.5, np.float32), r"train_x.*\[0, 1\]"),
    ("test_x", np.full((2, 1, 4, 4), np.nan, np.float32), r"test_x.*\[0, 1\]"),
    ("train_y", np.array([0, 1] * 3, np.int32), "train_y.*int64"),
    ("train_y", np.zeros((6, 1), np.int64), "train_y.*1-D"),
    ("test_y", np.array([0, 1, 0]), "test_y.*3 labels.*test_x.*2"),
    ("test_y", np.array([0, 2]), "test_y.*labels"),
    ("train_y", np.array([0, -1] * 3), "train_y.*labels"),
    ("source", None, "source"),
])
def test_dataset_validation_names_the_field(field, value, match):
    fields = _valid_fields()
    fields[field] = value
    with pytest.raises(ValueError, match=match):
        Dataset(**fields)
