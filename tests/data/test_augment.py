"""Tests for batch augmentation: the transforms, the resampler, presets and preview."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnviz.data.augment import (
    Augmentation,
    augment,
    gaussian_noise,
    preview,
    random_transforms,
    resample,
    transform_matrices,
)

NONE = Augmentation.none()


def matrices(n=1, h=9, w=9, shift=(0.0, 0.0), angle=0.0, scale=1.0, flip=False):
    """The same known transform for n images of h x w."""
    return transform_matrices(h, w, shifts=np.tile(shift, (n, 1)), angles=np.full(n, angle),
                              scales=np.full(n, scale), flips=np.full(n, flip))


def reference_resample(batch, mats, fill):
    """Textbook bilinear sampling, one pixel at a time, to check the kernel against."""
    n, c, h, w = batch.shape
    out = np.zeros(batch.shape)

    def pixel(i, ch, y, x):
        if fill == "edge":
            return batch[i, ch, min(max(y, 0), h - 1), min(max(x, 0), w - 1)]
        return batch[i, ch, y, x] if 0 <= y < h and 0 <= x < w else 0.0

    for i in range(n):
        for y in range(h):
            for x in range(w):
                sx, sy = mats[i] @ [x, y, 1.0]
                x0, y0 = math.floor(sx), math.floor(sy)
                fx, fy = sx - x0, sy - y0
                for ch in range(c):
                    top = (1 - fx) * pixel(i, ch, y0, x0) + fx * pixel(i, ch, y0, x0 + 1)
                    bottom = (1 - fx) * pixel(i, ch, y0 + 1, x0) + fx * pixel(i, ch, y0 + 1, x0 + 1)
                    out[i, ch, y, x] = (1 - fy) * top + fy * bottom
    return out


batch_shapes = st.tuples(st.integers(0, 4), st.integers(1, 3), st.integers(1, 12), st.integers(1, 12))
unit_floats = st.floats(0.0, 1.0, width=32)


def batches(shapes=batch_shapes):
    return shapes.flatmap(lambda s: hnp.arrays(np.float32, s, elements=unit_floats))


augmentations = st.builds(Augmentation, shift=st.floats(0.0, 0.5), rotation=st.floats(0.0, 180.0),
                          scale=st.floats(0.0, 0.9), flip=st.booleans(), noise=st.floats(0.0, 1.0),
                          fill=st.sampled_from(["zero", "edge"]))


# ---- exact transforms ----------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(batches(), st.sampled_from(["zero", "edge"]))
def test_identity_transform_reproduces_the_batch_exactly(x, fill):
    n, _, h, w = x.shape
    out = resample(x, random_transforms(n, h, w, NONE, np.random.default_rng(0)), fill)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(augment(x, NONE, np.random.default_rng(0)), x)


def test_flip_mirrors_exactly():
    x = np.zeros((1, 1, 4, 6), np.float32)
    x[..., 3:] = 1.0  # left half black, right half white
    out = resample(x, matrices(h=4, w=6, flip=True))
    np.testing.assert_array_equal(out[..., :3], 1.0)
    np.testing.assert_array_equal(out[..., 3:], 0.0)


def test_random_flips_mirror_some_images_and_only_flip():
    rng = np.random.default_rng(1)
    x = rng.random((40, 3, 5, 7), dtype=np.float32)
    out = augment(x, Augmentation(shift=0, rotation=0, scale=0, flip=True, noise=0), rng)
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(same | mirrored)
    assert same.any() and mirrored.any()


def test_integer_shift_moves_a_bright_pixel():
    x = np.zeros((1, 1, 32, 32), np.float32)
    x[0, 0, 10, 12] = 1.0
    out = resample(x, matrices(h=32, w=32, shift=(3.0, -2.0)))  # 3 right, 2 up
    expected = np.zeros_like(x)
    expected[0, 0, 8, 15] = 1.0
    np.testing.assert_array_equal(out, expected)


def test_half_pixel_shift_splits_the_pixel():
    x = np.zeros((1, 1, 5, 5), np.float32)
    x[0, 0, 2, 2] = 1.0
    out = resample(x, matrices(h=5, w=5, shift=(0.5, 0.0)))
    np.testing.assert_allclose(out[0, 0, 2, 2:4], [0.5, 0.5])
    assert out.sum() == pytest.approx(1.0)


def test_rotation_by_90_degrees_is_counter_clockwise():
    x = np.zeros((1, 1, 9, 9), np.float32)
    x[0, 0, 4, 6] = 1.0  # two pixels right of the centre (4, 4)
    out = resample(x, matrices(angle=90.0))
    assert out[0, 0, 2, 4] == pytest.approx(1.0)  # now two pixels above it
    assert out.sum() == pytest.approx(1.0)
    photo = np.random.default_rng(2).random((2, 3, 8, 8), dtype=np.float32)
    np.testing.assert_allclose(resample(photo, matrices(n=2, h=8, w=8, angle=90.0)),
                               np.rot90(photo, 1, axes=(2, 3)), atol=1e-5)


def test_scale_enlarges_about_the_centre():
    x = np.zeros((1, 1, 9, 9), np.float32)
    x[0, 0, 4, 4:6] = 1.0
    out = resample(x, matrices(scale=2.0))
    np.testing.assert_allclose(out[0, 0, 4, 2:8], [0.0, 0.5, 1.0, 1.0, 1.0, 0.5], atol=1e-6)


def test_fill_zero_is_black_and_fill_edge_repeats_the_border():
    x = np.ones((1, 1, 6, 6), np.float32)
    moved = matrices(h=6, w=6, shift=(3.0, 0.0))
    np.testing.assert_array_equal(resample(x, moved, "zero")[..., :3], 0.0)
    np.testing.assert_array_equal(resample(x, moved, "edge"), 1.0)


@settings(max_examples=30, deadline=None)
@given(batches(st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 6), st.integers(1, 6))),
       st.integers(0, 2**32 - 1), st.sampled_from(["zero", "edge"]))
def test_kernel_matches_textbook_bilinear(x, seed, fill):
    n, _, h, w = x.shape
    mats = random_transforms(n, h, w, Augmentation(shift=0.5, rotation=180, scale=0.9, flip=True),
                             np.random.default_rng(seed))
    np.testing.assert_allclose(resample(x, mats, fill), reference_resample(x, mats, fill), atol=1e-5)


def test_random_transforms_stay_within_their_strengths():
    aug = Augmentation(shift=0.25, rotation=30.0, scale=0.2, flip=False)
    mats = random_transforms(2000, 16, 16, aug, np.random.default_rng(3))
    inverse_scale = np.sqrt(np.linalg.det(mats[:, :, :2]))
    assert np.all((1 / inverse_scale >= 0.8 - 1e-9) & (1 / inverse_scale <= 1.2 + 1e-9))
    angles = np.degrees(np.arctan2(mats[:, 1, 0], mats[:, 0, 0]))
    assert np.all(np.abs(angles) <= 30.0 + 1e-9) and np.abs(angles).max() > 25.0
    only_shift = random_transforms(2000, 16, 16, Augmentation(shift=0.25, rotation=0, scale=0, flip=False),
                                   np.random.default_rng(3))
    assert np.all(np.abs(only_shift[:, :, 2]) <= 4.0) and np.abs(only_shift[:, :, 2]).max() > 3.5


# ---- augment: properties ------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(batches(), augmentations, st.integers(0, 2**32 - 1))
def test_augment_keeps_shape_dtype_range_and_input(x, aug, seed):
    before = x.copy()
    x.setflags(write=False)  # any write to the input would raise
    out = augment(x, aug, np.random.default_rng(seed))
    assert out.shape == x.shape and out.dtype == np.float32
    assert np.all((out >= 0.0) & (out <= 1.0))
    assert out is not x and not np.shares_memory(out, x)
    np.testing.assert_array_equal(x, before)


def test_float64_input_gives_float32_output():
    x = np.full((2, 1, 4, 4), 0.5)
    assert augment(x, Augmentation(), np.random.default_rng(0)).dtype == np.float32


def test_same_seed_same_output_other_seed_other_output():
    x = np.random.default_rng(4).random((8, 3, 16, 16), dtype=np.float32)
    aug = Augmentation()
    a = augment(x, aug, np.random.default_rng(7))
    b = augment(x, aug, np.random.default_rng(7))
    c = augment(x, aug, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_noise_has_the_requested_spread():
    x = np.full((16, 1, 32, 32), 0.5, np.float32)
    aug = Augmentation(shift=0, rotation=0, scale=0, flip=False, noise=0.05)
    delta = augment(x, aug, np.random.default_rng(5)) - 0.5
    assert abs(delta.mean()) < 0.002
    assert delta.std() == pytest.approx(0.05, rel=0.03)


def test_gaussian_noise_is_standard_normal():
    z = gaussian_noise((200_000,), np.random.default_rng(6))
    assert z.dtype == np.float32
    assert abs(z.mean()) < 0.01 and z.std() == pytest.approx(1.0, abs=0.01)
    assert np.mean(np.abs(z) < 1.0) == pytest.approx(0.6827, abs=0.005)


def test_augment_rejects_a_non_batch():
    with pytest.raises(ValueError, match="N, C, H, W"):
        augment(np.zeros((3, 8, 8), np.float32), Augmentation(), np.random.default_rng(0))


# ---- presets and validation ---------------------------------------------------------------

def test_presets():
    digits, photos = Augmentation.for_digits(), Augmentation.for_photos()
    assert digits.flip is False and 0 < digits.shift <= 0.1 and 0 < digits.rotation <= 15
    assert photos.flip is True and photos.shift > 0 and photos.rotation <= 10
    assert NONE.is_identity and not digits.is_identity and not Augmentation().is_identity


@pytest.mark.parametrize("kwargs", [dict(shift=-0.1), dict(shift=0.6), dict(rotation=181.0),
                                    dict(scale=1.0), dict(noise=float("nan")), dict(noise="0.1"),
                                    dict(flip=1), dict(fill="reflect"), dict(rotation=True)])
def test_invalid_strengths_are_rejected(kwargs):
    with pytest.raises(ValueError, match="Augmentation"):
        Augmentation(**kwargs)


# ---- preview ------------------------------------------------------------------------------

def test_preview_gives_count_versions_of_one_image():
    batch = np.random.default_rng(9).random((5, 3, 12, 12), dtype=np.float32)
    views = preview(batch, Augmentation(), count=6, seed=1)
    assert views.shape == (6, 3, 12, 12) and views.dtype == np.float32
    np.testing.assert_array_equal(views, preview(batch[0], Augmentation(), count=6, seed=1))
    assert len({v.tobytes() for v in views}) == 6  # all different
    assert not np.array_equal(views, preview(batch, Augmentation(), count=6, seed=2))


def test_preview_without_augmentation_repeats_the_image():
    image = np.random.default_rng(10).random((1, 7, 7), dtype=np.float32)
    np.testing.assert_array_equal(preview(image, NONE, count=3, seed=0), np.stack([image] * 3))


@pytest.mark.parametrize("images, count", [(np.zeros((0, 1, 4, 4)), 2), (np.zeros((4, 4)), 2),
                                           (np.zeros((1, 4, 4)), 0)])
def test_preview_rejects_bad_arguments(images, count):
    with pytest.raises(ValueError, match="preview"):
        preview(images, Augmentation(), count=count, seed=0)
