"""Which preparation a dataset's probe gets, without Qt: grey drawings on black, colour ones on
white, digits centred like MNIST; files flattened on the dataset's paper; and a probe shown again
as an RGB picture."""
import numpy as np
import pytest
from PIL import Image

from cnnviz.app.panes.probe_pictures import drawing_probe, file_probe, frozen_copy, paper, to_rgb8
from cnnviz.data.errors import DataError
from cnnviz.data.images import load_digit


def picture(background, box, colour, side=280):
    """An (side, side, 3) uint8 canvas picture of `background` with the `box` (top, left,
    bottom, right; in fractions of the side) painted `colour`."""
    rgb = np.empty((side, side, 3), np.uint8)
    rgb[:] = background
    top, left, bottom, right = (round(f * side) for f in box)
    rgb[top:bottom, left:right] = colour
    return rgb


def test_colour_datasets_draw_on_white_and_grey_ones_on_black():
    assert paper(3) == "white" and paper(1) == "black"


def test_a_grey_drawing_is_white_ink_on_black_at_the_input_size():
    probe = drawing_probe(picture(0, (0, 0, 0.5, 0.5), 255), 1, (28, 28), False)
    assert probe.shape == (1, 28, 28) and probe.dtype == np.float32 and not probe.flags.writeable
    assert probe[0, 2:12, 2:12].min() > 0.95  # inside the square, away from its edges
    assert probe[0, 16:, :].max() < 0.05 and probe[0, :, 16:].max() < 0.05


def test_a_colour_drawing_keeps_its_ink_colour_on_white():
    probe = drawing_probe(picture(255, (0.5, 0.5, 1, 1), (255, 0, 0)), 3, (32, 32), False)
    assert probe.shape == (3, 32, 32)
    np.testing.assert_allclose(probe[:, 24, 24], [1, 0, 0], atol=0.02)  # red, in the square
    np.testing.assert_allclose(probe[:, 4, 4], [1, 1, 1], atol=0.02)    # white paper


def test_a_digit_drawing_is_centred_like_mnist():
    probe = drawing_probe(picture(0, (0.05, 0.05, 0.3, 0.1), 255), 1, (28, 28), True)  # a corner
    weights = probe[0] / probe[0].sum()
    rows, cols = np.indices((28, 28))
    assert abs((weights * rows).sum() - 14) < 1 and abs((weights * cols).sum() - 14) < 1
    assert not probe.flags.writeable
    assert drawing_probe(picture(0, (0, 0, 0, 0), 0), 1, (28, 28), True).max() == 0  # blank


def test_a_digit_of_a_dataset_not_28_pixels_wide_comes_at_its_size():
    assert drawing_probe(picture(0, (0.2, 0.4, 0.8, 0.6), 255), 1, (20, 24), True).shape == (1, 20, 24)


@pytest.fixture
def transparent_png(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(path)
    return path


def test_a_transparent_file_is_flattened_on_the_datasets_paper(transparent_png):
    grey = file_probe(transparent_png, 1, (28, 28), False, (280, 280))
    colour = file_probe(transparent_png, 3, (32, 32), False, (288, 288))
    assert grey.shape == (1, 28, 28) and grey.max() == 0      # black paper
    assert colour.shape == (3, 32, 32) and colour.min() == 1  # white paper


def test_a_digit_file_is_read_large_then_prepared_as_a_digit(tmp_path):
    path = tmp_path / "seven.png"
    image = Image.new("L", (100, 100), 255)  # black ink on white paper, off centre
    image.paste(0, (10, 10, 30, 60))
    image.save(path)
    probe = file_probe(path, 1, (28, 28), True, (280, 280))
    np.testing.assert_array_equal(probe, load_digit(path, (28, 28), (280, 280)))
    assert probe[0, 14, 14] > 0.9 and probe[0, 0].max() == 0  # bright ink, moved to the middle


def test_a_bad_file_raises_the_data_layers_error(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    for digit_like in (False, True):
        with pytest.raises(DataError, match="bad.png"):
            file_probe(bad, 1, (28, 28), digit_like, (280, 280))


def test_a_frozen_copy_is_read_only_and_leaves_its_source_writable():
    source = np.linspace(0, 1, 12).reshape(3, 2, 2)  # float64
    probe = frozen_copy(source)
    assert probe.dtype == np.float32 and not probe.flags.writeable
    assert source.flags.writeable and not np.shares_memory(probe, source)
    np.testing.assert_allclose(probe, source, atol=1e-7)
    same_type = np.zeros((1, 2, 2), np.float32)
    assert not np.shares_memory(frozen_copy(same_type), same_type)  # a copy even then


def test_a_probe_shown_as_rgb():
    grey = np.array([[[0.0, 0.5], [1.0, 1.2]]], np.float32)  # out of range values are clipped
    rgb = to_rgb8(grey)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    np.testing.assert_array_equal(rgb[:, :, 0], [[0, 128], [255, 255]])
    np.testing.assert_array_equal(rgb[:, :, 0], rgb[:, :, 2])  # grey: the same in R, G and B
    colour = np.random.default_rng(0).random((3, 4, 5), dtype=np.float32)
    rgb = to_rgb8(colour)
    assert rgb.shape == (4, 5, 3)
    for c in range(3):
        np.testing.assert_array_equal(rgb[:, :, c], np.round(colour[c] * 255))
