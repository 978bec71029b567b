"""The pixels a MosaicImage puts on screen: a scene holding one, rendered to a QImage, shows each
value in its lookup table's colour (worked out here from the table and the levels) and leaves
the NaN gaps transparent, at the network view's scales (square maps and the dense strips' tall
cells)."""
import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QGraphicsScene

from cnnviz.app.panes.map_grid import MosaicImage, diverging_lut, grey_lut, sequential_lut
from cnnviz.app.panes.mosaic import Mosaic


def argb(lut: np.ndarray) -> np.ndarray:
    """Opaque premultiplied ARGB32 words of an (n, 3) table."""
    rgb = lut.astype(np.uint32)
    return (0xFF << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]


def bin_centres(rng, low: float, high: float, shape) -> tuple[np.ndarray, np.ndarray]:
    """Values in the middle of random table entries (so no rounding can move one to its
    neighbour), some below `low` and above `high`; returns (values, the entries they take)."""
    entries = rng.integers(0, 256, size=shape)
    values = low + (entries + 0.5) * (high - low) / 256
    below, above = rng.random(shape) < 0.05, rng.random(shape) < 0.05
    values[below], entries[below] = low - 1.0 - rng.random(below.sum()), 0
    values[above], entries[above] = high + 1.0 + rng.random(above.sum()), 255
    return values.astype(np.float32), entries


def rendered(scene: QGraphicsScene, rect: QRectF) -> np.ndarray:
    """The scene's `rect` at one pixel per scene unit (the view at 1:1), on a transparent image,
    as premultiplied ARGB32 words."""
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    return np.frombuffer(image.constBits(), np.uint32, image.width() * image.height()).reshape(
        image.height(), image.width()).copy()


@pytest.mark.parametrize(("lut", "levels", "scale"), [
    (sequential_lut(), (0.0, 1.0), (3, 3)),      # activation maps (28x28 at 3 units a pixel)
    (grey_lut(), (0.0, 1.0), (2, 2)),            # the input
    (diverging_lut(), (-1.0, 1.0), (5, 5)),      # filters
    (sequential_lut(), (-2.5, 7.0), (20, 4)),    # a dense strip: wide, short cells
])
def test_a_mosaic_in_a_scene_shows_its_values_in_the_tables_colours_and_its_gaps_transparent(
        qapp, lut, levels, scale):
    sx, sy = scale
    mosaic = Mosaic(3, 4, 6, 5, 8, 7)  # 12 tiles, 2-pixel gaps below and beside each
    rng = np.random.default_rng(7)
    values, entries = bin_centres(rng, *levels, (10, 6, 5))
    mosaic.fill_sequence(values)  # the last two tiles stay NaN
    scene = QGraphicsScene()
    x, y = 40, 30
    shown = MosaicImage(scene, mosaic, lut, x, y, sx, sy, levels=levels)
    assert (shown.width, shown.height) == (mosaic.image.shape[1] * sx, mosaic.image.shape[0] * sy)
    margin = 4  # a border of scene round the mosaic: nothing drawn there
    area = QRectF(x - margin, y - margin, shown.width + 2 * margin, shown.height + 2 * margin)
    drawn = rendered(scene, area)

    expected_mosaic = np.zeros(mosaic.image.shape, np.uint32)  # gaps: transparent
    colours = argb(lut)
    for i in range(len(values)):
        tx, ty = mosaic.tile_origin(*divmod(i, mosaic.cols))
        expected_mosaic[ty:ty + mosaic.th, tx:tx + mosaic.tw] = colours[entries[i]]
    expected = np.zeros(drawn.shape, np.uint32)
    expected[margin:margin + int(shown.height), margin:margin + int(shown.width)] = np.repeat(
        np.repeat(expected_mosaic, sy, axis=0), sx, axis=1)
    np.testing.assert_array_equal(drawn, expected)


def test_a_mosaic_shown_again_draws_its_new_values_and_levels(qapp):
    mosaic = Mosaic(1, 2, 3, 3, 4, 4)
    scene = QGraphicsScene()
    shown = MosaicImage(scene, mosaic, grey_lut(), 0, 0, 1)
    area = QRectF(0, 0, shown.width, shown.height)
    assert not rendered(scene, area).any()  # all gaps: nothing drawn
    mosaic.tiles[0, 0] = 1.0
    mosaic.tiles[0, 1] = 3.0
    shown.show(levels=(1.0, 3.0))
    drawn = rendered(scene, area)
    black, white = argb(grey_lut())[[0, 255]]
    assert (drawn[:3, :3] == black).all() and (drawn[:3, 4:7] == white).all()
    assert not drawn[3].any() and not drawn[:, 3].any() and not drawn[:, 7].any()
    mosaic.blank()
    shown.show()
    assert not rendered(scene, area).any()
