"""Tests for cnnviz.data.images, on real files written with Pillow."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cnnviz.data.errors import DataError
from cnnviz.data.images import MAX_SIDE, array_to_input, load_image, mnist_style

# Big flat blocks, so even lossy formats give back nearly the same colours.
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def _blocks(w: int = 32, h: int = 16) -> Image.Image:
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    for i, colour in enumerate((RED, GREEN, BLUE, WHITE)):
        d.rectangle([i * w // 4, 0, (i + 1) * w // 4 - 1, h - 1], fill=colour)
    return img


def _noise(w: int = 64, h: int = 64) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def _hwc(x: np.ndarray) -> np.ndarray:
    return x.transpose(1, 2, 0)


# ---- formats --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, ext, tol", [
    ("PNG", "png", 0.0), ("BMP", "bmp", 0.0), ("GIF", "gif", 0.0), ("TIFF", "tif", 0.0),
    ("JPEG", "jpg", 0.1), ("WEBP", "webp", 0.1),
])
def test_each_format_round_trips(tmp_path: Path, fmt: str, ext: str, tol: float) -> None:
    img = _blocks()
    path = tmp_path / f"blocks.{ext}"
    img.save(path, fmt)
    x = load_image(path, 3, (16, 32))
    assert x.shape == (3, 16, 32) and x.dtype == np.float32 and x.flags.c_contiguous
    expected = np.asarray(img, dtype=np.float32) / 255
    # Lossy codecs blur the block edges; compare the block interiors.
    inner = np.ones((16, 32), bool)
    for edge in (8, 16, 24):
        inner[:, edge - 2:edge + 2] = False
    np.testing.assert_allclose(_hwc(x)[inner], expected[inner], atol=tol)


def test_format_is_judged_by_content_not_extension(tmp_path: Path) -> None:
    path = tmp_path / "really_a_png.jpg"
    _blocks().save(path, "PNG")
    np.testing.assert_array_equal(load_image(path, 3, (16, 32)),
                                  load_image(_saved(tmp_path, _blocks(), "PNG"), 3, (16, 32)))


def _saved(tmp_path: Path, img: Image.Image, fmt: str, name: str = "img", **kw) -> Path:
    path = tmp_path / f"{name}.{fmt.lower()}"
    img.save(path, fmt, **kw)
    return path


def test_other_formats_are_refused_by_name(tmp_path: Path) -> None:
    path = _saved(tmp_path, _blocks(), "PPM")
    with pytest.raises(DataError, match=r"is a PPM image; cnnviz reads PNG, JPEG, BMP, GIF, "
                                        r"WebP and TIFF"):
        load_image(path, 3, (16, 32))


def test_gif_reads_the_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in (RED, BLUE, GREEN)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    x = load_image(path, 3, (8, 8))
    np.testing.assert_array_equal(x[:, 4, 4], [1, 0, 0])


# ---- transparency ---------------------------------------------------------------------

@pytest.mark.parametrize("background, level", [("white", 1.0), ("black", 0.0)])
def test_rgba_is_flattened_onto_the_background(tmp_path: Path, background: str,
                                               level: float) -> None:
    img = Image.new("RGBA", (8, 8), (0, 0, 0, 0))  # fully transparent black
    ImageDraw.Draw(img).rectangle([0, 0, 3, 7], fill=(255, 0, 0, 255))  # opaque red left half
    ImageDraw.Draw(img).rectangle([4, 0, 7, 3], fill=(0, 0, 255, 128))  # half-transparent blue
    x = load_image(_saved(tmp_path, img, "PNG"), 3, (8, 8), background=background)
    np.testing.assert_array_equal(x[:, 6, 6], [level] * 3)  # transparent: background shows
    np.testing.assert_array_equal(x[:, 4, 1], [1, 0, 0])  # opaque: untouched
    np.testing.assert_allclose(x[:, 1, 6], [level / 2, level / 2, 0.5 + level / 2], atol=0.01)


@pytest.mark.parametrize("background, level", [("white", 1.0), ("black", 0.0)])
def test_grey_with_alpha_is_flattened(tmp_path: Path, background: str, level: float) -> None:
    img = Image.new("LA", (8, 8), (0, 0))
    ImageDraw.Draw(img).rectangle([0, 0, 3, 7], fill=(128, 255))
    x = load_image(_saved(tmp_path, img, "PNG"), 1, (8, 8), background=background)
    assert x[0, 4, 6] == level
    assert x[0, 4, 1] == pytest.approx(128 / 255)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
@pytest.mark.parametrize("background, level", [("white", 1.0), ("black", 0.0)])
def test_palette_with_transparency_is_flattened(tmp_path: Path, fmt: str, background: str,
                                                level: float) -> None:
    img = Image.new("P", (8, 8), 0)
    img.putpalette([0, 255, 0, 255, 0, 0] + [0] * (254 * 3))  # 0: green (transparent), 1: red
    ImageDraw.Draw(img).rectangle([0, 0, 3, 7], fill=1)
    x = load_image(_saved(tmp_path, img, fmt, transparency=0), 3, (8, 8), background=background)
    np.testing.assert_array_equal(x[:, 4, 6], [level] * 3)  # not the green underneath
    np.testing.assert_array_equal(x[:, 4, 1], [1, 0, 0])


# ---- orientation, size, channels ------------------------------------------------------

def test_exif_orientation_is_respected(tmp_path: Path) -> None:
    img = Image.new("L", (40, 20), 255)
    ImageDraw.Draw(img).rectangle([0, 0, 19, 19], fill=0)  # stored: left half black
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = _saved(tmp_path, img, "JPEG", exif=exif)
    x = load_image(path, 1, (40, 20))[0]  # shown upright it is 20 wide and 40 tall
    # Turned clockwise, the stored left edge becomes the top.
    assert x[:20].mean() < 0.05 and x[20:].mean() > 0.95
    plain = load_image(_saved(tmp_path, img, "JPEG", name="plain"), 1, (20, 40))[0]
    assert plain[:, :20].mean() < 0.05 and plain[:, 20:].mean() > 0.95


@pytest.mark.parametrize("background, level", [("white", 1.0), ("black", 0.0)])
def test_wide_image_keeps_its_aspect_ratio_and_is_padded(tmp_path: Path, background: str,
                                                          level: float) -> None:
    path = _saved(tmp_path, Image.new("RGB", (40, 20), (128, 128, 128)), "PNG")
    x = load_image(path, 3, (10, 10), background=background)
    grey = np.isclose(x, 128 / 255, atol=1e-6).all(axis=(0, 2))
    pad = (x == level).all(axis=(0, 2))
    # 40x20 shrinks to 10x5: five grey rows in a block, centred, the rest background.
    assert grey.sum() == 5 and pad.sum() == 5
    first = int(np.argmax(grey))
    assert first in (2, 3) and grey[first:first + 5].all()


def test_tall_image_is_padded_left_and_right(tmp_path: Path) -> None:
    path = _saved(tmp_path, Image.new("L", (10, 30), 0), "PNG")
    x = load_image(path, 1, (12, 12))[0]
    cols = (x == 0).all(axis=0)
    assert cols.sum() == 4 and cols[4:8].all()  # 10x30 -> 4x12, centred
    assert (x[:, :4] == 1).all() and (x[:, 8:] == 1).all()


def test_small_image_is_enlarged(tmp_path: Path) -> None:
    x = load_image(_saved(tmp_path, Image.new("L", (4, 4), 0), "PNG"), 1, (28, 28))
    assert x.shape == (1, 28, 28) and x.max() == 0


def test_grey_to_rgb_and_rgb_to_grey(tmp_path: Path) -> None:
    grey = load_image(_saved(tmp_path, Image.new("L", (6, 6), 100), "PNG", "grey"), 3, (6, 6))
    assert grey.shape == (3, 6, 6)
    np.testing.assert_array_equal(grey, np.full((3, 6, 6), 100 / 255, np.float32))
    red = load_image(_saved(tmp_path, Image.new("RGB", (6, 6), RED), "PNG", "red"), 1, (6, 6))
    assert red.shape == (1, 6, 6)
    np.testing.assert_allclose(red, 0.299, atol=1 / 255)  # ITU-R 601 luma of pure red


def test_sixteen_bit_grey_keeps_its_levels(tmp_path: Path) -> None:
    a = np.full((6, 6), 32768, dtype=np.uint16)
    path = _saved(tmp_path, Image.fromarray(a), "PNG")
    np.testing.assert_allclose(load_image(path, 1, (6, 6)), 0.5, atol=1 / 255)


# ---- bad input ------------------------------------------------------------------------

def _refused(path: Path, match: str) -> str:
    with pytest.raises(DataError, match=match) as info:
        load_image(path, 3, (8, 8))
    assert str(info.value).startswith(str(path))
    return str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nope.png", "no such file")


def test_folder_is_not_an_image(tmp_path: Path) -> None:
    _refused(tmp_path, "is a folder, not an image file")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    _refused(tmp_path / "empty.png", r"is empty \(0 bytes\)")


def test_text_file_named_png(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("these are not pixels\n" * 10)
    _refused(tmp_path / "notes.png", "is not an image file")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_file(tmp_path: Path, fmt: str) -> None:
    path = _saved(tmp_path, _noise(), fmt)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    _refused(path, "is truncated or corrupt")


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"])
def test_file_cut_inside_its_header(tmp_path: Path, fmt: str) -> None:
    path = _saved(tmp_path, _noise(), fmt)
    path.write_bytes(path.read_bytes()[:14])
    _refused(path, "is truncated or corrupt")


def test_corrupt_bytes_in_the_middle(tmp_path: Path) -> None:
    path = _saved(tmp_path, _noise(), "PNG")
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = np.random.default_rng(1).integers(0, 256, 64, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    _refused(path, "is truncated or corrupt")


def test_decompression_bomb_at_pillows_own_limit(tmp_path: Path) -> None:
    # 10000x10000 one-bit pixels of zero: 12 kB on disk, 100 million pixels once decoded.
    path = _saved(tmp_path, Image.new("1", (10000, 10000)), "PNG")
    msg = _refused(path, "has 100000000 pixels, more than the")
    assert f"more than the {Image.MAX_IMAGE_PIXELS} Pillow allows" in msg


@pytest.mark.parametrize("w, h", [(150, 100), (300, 100)])  # Pillow's warning, then its error
def test_decompression_bomb_with_a_lowered_limit(tmp_path: Path, monkeypatch, w: int,
                                                 h: int) -> None:
    path = _saved(tmp_path, Image.new("L", (w, h)), "PNG")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10000)
    _refused(path, f"has {w * h} pixels, more than the 10000 Pillow allows")


def test_side_longer_than_the_limit(tmp_path: Path) -> None:
    path = _saved(tmp_path, Image.new("1", (MAX_SIDE + 1, 2)), "PNG")
    _refused(path, f"is {MAX_SIDE + 1}x2 pixels; cnnviz refuses images with a side longer "
                   f"than {MAX_SIDE} pixels")


def test_bad_arguments_are_plain_value_errors(tmp_path: Path) -> None:
    path = _saved(tmp_path, _blocks(), "PNG")
    for kwargs in ({"channels": 2}, {"size": (0, 8)}, {"size": [8, 8]},
                   {"background": "grey"}):
        args = {"channels": 3, "size": (8, 8), **kwargs}
        with pytest.raises(ValueError) as info:
            load_image(path, **args)
        assert not isinstance(info.value, DataError)


# ---- in-memory images (the drawing canvas) --------------------------------------------

def test_array_to_input_matches_load_image(tmp_path: Path) -> None:
    img = _blocks()
    from_file = load_image(_saved(tmp_path, img, "PNG"), 1, (10, 10), "black")
    from_array = array_to_input(np.asarray(img), 1, (10, 10), "black")
    np.testing.assert_array_equal(from_array, from_file)


def test_array_to_input_float_grey_and_rgba() -> None:
    a = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    np.testing.assert_allclose(array_to_input(a, 1, (8, 8))[0], a, atol=0.5 / 255)
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent
    np.testing.assert_array_equal(array_to_input(rgba, 3, (8, 8), "white"), 1.0)


@pytest.mark.parametrize("bad", [np.zeros((8, 8, 2)), np.zeros(8), np.zeros((0, 8)),
                                 np.full((8, 8), np.nan), np.zeros((8, 8), np.int64)])
def test_array_to_input_refuses_bad_arrays(bad: np.ndarray) -> None:
    with pytest.raises(DataError, match="The image"):
        array_to_input(bad, 1, (8, 8))


# ---- MNIST's recipe -------------------------------------------------------------------

def _canvas(draw, background: int = 255, ink: int = 0) -> np.ndarray:
    img = Image.new("L", (280, 280), background)
    draw(ImageDraw.Draw(img), ink)
    return np.asarray(img, dtype=np.float32) / 255


def _seven(d: ImageDraw.ImageDraw, ink: int) -> None:  # large, up and to the right
    d.line([(130, 20), (265, 20), (170, 260)], fill=ink, width=28, joint="curve")


def _ring(d: ImageDraw.ImageDraw, ink: int) -> None:  # small, down and to the left
    d.ellipse([20, 150, 120, 270], outline=ink, width=18)


def _one(d: ImageDraw.ImageDraw, ink: int) -> None:  # a thin upright stroke
    d.line([(60, 40), (60, 200)], fill=ink, width=20)


def _centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(x.shape)
    return float((rows * x).sum() / x.sum()), float((cols * x).sum() / x.sum())


@pytest.mark.parametrize("draw", [_seven, _ring, _one])
def test_mnist_style_sizes_and_centres_the_digit(draw) -> None:
    out = mnist_style(_canvas(draw))
    assert out.shape == (1, 28, 28) and out.dtype == np.float32
    x = out[0]
    assert x.min() >= 0 and x.max() == pytest.approx(1.0, abs=0.05)  # ink is bright
    rows, cols = np.nonzero(x > 0.05)
    longer = max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)
    assert 19 <= longer <= 21
    cy, cx = _centre_of_mass(x)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert x[0].max() == x[-1].max() == x[:, 0].max() == x[:, -1].max() == 0  # dark frame


def test_mnist_style_dark_canvas_is_not_inverted() -> None:
    light = mnist_style(_canvas(_seven))
    dark = mnist_style(_canvas(_seven, background=0, ink=255))
    np.testing.assert_allclose(dark, light, atol=1e-6)


@pytest.mark.parametrize("level", [0.0, 1.0, 0.97])
def test_mnist_style_empty_canvas_gives_zeros(level: float) -> None:
    out = mnist_style(np.full((280, 280), level, np.float32))
    np.testing.assert_array_equal(out, np.zeros((1, 28, 28), np.float32))


def test_mnist_style_refuses_non_2d() -> None:
    with pytest.raises(DataError, match="2-D grey array"):
        mnist_style(np.zeros((28, 28, 3)))


@settings(max_examples=40, deadline=None)
@given(y0=st.integers(0, 90), x0=st.integers(0, 90), h=st.integers(1, 99),
       w=st.integers(1, 99), canvas=st.integers(20, 100))
def test_mnist_style_any_blob_fits_and_is_centred(y0: int, x0: int, h: int, w: int,
                                                  canvas: int) -> None:
    g = np.ones((canvas, canvas), np.float32)  # white paper, black ink
    g[y0 % canvas:y0 % canvas + h, x0 % canvas:x0 % canvas + w] = 0
    if np.median(np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])) <= 0.5:
        return  # the blob covers most of the border: it *is* the background
    x = mnist_style(g)[0]
    assert 0 <= x.min() and x.max() <= 1
    rows, cols = np.nonzero(x)
    assert max(np.ptp(rows) + 1, np.ptp(cols) + 1) <= 20
    cy, cx = _centre_of_mass(x)  # a filled rectangle is symmetric: always centrable
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


def test_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    import os
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(tmp_path / "pipe.png")
    _refused(tmp_path / "pipe.png", "is not a regular file")


def test_digit_input_is_mnist_style_then_the_datasets_size():
    """One recipe for digits (the canvas, an opened file, cnnviz predict): at 28x28 exactly
    mnist_style's result; for a digit-like dataset of another size, that result resized."""
    from cnnviz.data.images import array_to_input, digit_input, mnist_style

    drawing = np.zeros((200, 200), np.uint8)
    drawing[40:160, 90:110] = 255  # a "1"
    np.testing.assert_array_equal(digit_input(drawing, (28, 28)), mnist_style(drawing))
    small = digit_input(drawing, (16, 16))
    assert small.shape == (1, 16, 16)
    np.testing.assert_array_equal(small, array_to_input(mnist_style(drawing)[0], 1, (16, 16),
                                                        "black"))


def test_load_digit_reads_the_file_large_on_white(tmp_path):
    from PIL import Image

    from cnnviz.data.images import digit_input, load_digit, load_image

    path = tmp_path / "seven.png"
    picture = np.full((120, 90), 255, np.uint8)
    picture[20:30, 20:70] = 0
    picture[30:100, 55:65] = 0
    Image.fromarray(picture).save(path)
    expected = digit_input(load_image(path, 1, (280, 280), "white")[0], (28, 28))
    np.testing.assert_array_equal(load_digit(path, (28, 28), (280, 280)), expected)
    assert expected.max() > 0.99 and expected[0, 0, 0] == 0.0  # ink bright on black
