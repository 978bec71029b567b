"""Mosaic (cnnviz/app/panes/mosaic.py, no Qt): where each tile of the network view's pictures
sits in the one float32 image, what a point of the image falls on, and each map's own scale."""
import numpy as np
import pytest

from cnnviz.app.panes.mosaic import Mosaic, normalise_maps


def test_tiles_are_laid_row_by_row_at_their_pitch_with_nan_between():
    mosaic = Mosaic(2, 3, 2, 3, 4, 5)  # 2 x 3 tiles of 2 x 3 pixels, every 4 rows and 5 columns
    assert mosaic.image.shape == (8, 15) and mosaic.image.dtype == np.float32
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    mosaic.fill_sequence(tiles)
    expected = np.full((8, 15), np.nan, np.float32)
    for i, tile in enumerate(tiles):
        row, col = divmod(i, 3)
        expected[4 * row:4 * row + 2, 5 * col:5 * col + 3] = tile
    np.testing.assert_array_equal(mosaic.image, expected)
    assert [mosaic.tile_origin(*divmod(i, 3)) for i in range(6)] == [
        (0, 0), (5, 0), (10, 0), (0, 4), (5, 4), (10, 4)]


def test_fewer_tiles_leave_the_rest_as_they_were_and_blank_clears_every_tile():
    mosaic = Mosaic(2, 2, 1, 1, 2, 2)
    mosaic.fill_sequence(np.ones((4, 1, 1), np.float32))
    mosaic.fill_sequence(np.full((3, 1, 1), 2.0, np.float32))  # less than a full grid
    assert mosaic.image[0, 0] == mosaic.image[0, 2] == mosaic.image[2, 0] == 2.0
    assert mosaic.image[2, 2] == 1.0
    mosaic.fill_sequence(np.full((1, 1, 1), 3.0, np.float32))  # less than a full row
    assert mosaic.image[0, 0] == 3.0 and mosaic.image[0, 2] == 2.0
    mosaic.blank()
    assert np.isnan(mosaic.image).all()


@pytest.mark.parametrize(("x", "y", "where"), [
    (0, 0, (0, 0, 0, 0)),
    (2.9, 1.5, (0, 0, 1, 2)),     # inside the first tile: fractions fall on their pixel
    (5, 0, (0, 1, 0, 0)),         # the second tile's first pixel
    (12.2, 5.9, (1, 2, 1, 2)),    # the last tile's last pixel
    (3, 0, None), (0, 2, None),   # the gaps beside and below a tile
    (15, 0, None), (0, 8, None),  # beyond the grid
    (-0.5, 0, None), (0, -0.5, None),
])
def test_locate_maps_image_coordinates_to_tile_and_pixel(x, y, where):
    assert Mosaic(2, 3, 2, 3, 4, 5).locate(x, y) == where


def test_each_map_is_scaled_by_its_own_range_and_a_constant_map_gives_zero():
    maps = np.array([[[1.0, 3.0], [2.0, 5.0]],
                     [[-2.0, -2.0], [-2.0, -2.0]],
                     [[0.0, -4.0], [4.0, 2.0]]])
    scaled, low, high = normalise_maps(maps)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[[0.0, 0.5], [0.25, 1.0]],
                                        [[0.0, 0.0], [0.0, 0.0]],
                                        [[0.5, 0.0], [1.0, 0.75]]])
    np.testing.assert_array_equal(low, [1.0, -2.0, -4.0])
    np.testing.assert_array_equal(high, [5.0, -2.0, 4.0])
