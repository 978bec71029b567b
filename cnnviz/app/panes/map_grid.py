"""A grid of small images (feature maps, filter kernels, dense units) drawn as ONE pyqtgraph
ImageItem: the tiles are packed into a preallocated float32 mosaic (mosaic.py) whose gaps are NaN
(drawn transparent), so a column of 48 maps costs one setImage and one texture, not 48 (docs/ARCHITECTURE.md,
rule 8). The mosaic knows where every tile is, so hovering maps back to (tile, y, x).

The network view redraws every column with every snapshot while the worker wants both cores, so
drawing is kept lean: MosaicItem turns the mosaic into pixels in one compiled pass instead of
pyqtgraph's general path (which looks up the NaN gaps pixel by pixel), and labels are cached as
pixmaps, so a repaint does not lay their text out again.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
)

from cnnviz.app.panes.colour_kernel import colour_map
from cnnviz.app.panes.mosaic import Mosaic

# Moved to Qt-free modules; the panes that import them from here still can (the redundant
# aliases mark them as re-exported).
from cnnviz.app.panes.mosaic import normalise_maps as normalise_maps
from cnnviz.app.panes.number_text import fmt as fmt
from cnnviz.app.panes.number_text import plain as plain

TEXT = QColor("#d8d8d8")
DIM_TEXT = QColor("#a0a0a0")


def _lut(colormap: pg.ColorMap) -> np.ndarray:
    return colormap.getLookupTable(0.0, 1.0, 256, alpha=False)


def sequential_lut() -> np.ndarray:
    """Activations: viridis, dark = low, yellow = high (per-map levels)."""
    return _lut(pg.colormap.get("viridis"))


def grey_lut() -> np.ndarray:
    """Input channels: black = low, white = high, as a photo's channel would look."""
    return _lut(pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)]))


def diverging_lut() -> np.ndarray:
    """Weights: blue = negative, white = zero, red = positive (ColorBrewer RdBu)."""
    return _lut(pg.ColorMap([0.0, 0.25, 0.5, 0.75, 1.0],
                            [(33, 102, 172), (103, 169, 207), (247, 247, 247),
                             (239, 138, 98), (178, 24, 43)]))


# Text whose letters would be smaller than this on screen is not drawn (Fit on a big network):
# unreadable labels only blur the maps; zooming in brings them back.
READABLE_PIXELS = 6.5


def readable(painter: QPainter, pixel_size: float) -> bool:
    """Whether text of `pixel_size` scene units is big enough on screen to be read."""
    scale = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
    return pixel_size * scale >= READABLE_PIXELS


class SceneText(QGraphicsSimpleTextItem):
    """A label that is left out while it is too small to read."""

    def paint(self, painter, option, widget=None) -> None:
        if readable(painter, self.font().pixelSize()):
            super().paint(painter, option, widget)


def text_item(scene: QGraphicsScene, text: str, x: float, y: float, size: int,
              bold: bool = False, color: QColor = TEXT, tooltip: str = ""
              ) -> QGraphicsSimpleTextItem:
    """A label in scene units: it zooms with the maps, so it never overlaps them."""
    item = SceneText(text)
    font = QFont()
    font.setPixelSize(size)
    font.setBold(bold)
    item.setFont(font)
    item.setBrush(color)
    item.setPos(x, y)
    # Painting a QGraphicsSimpleTextItem lays its text out anew every time; the network view
    # repaints hundreds of labels with every snapshot, so keep each as a pixmap until it changes.
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    if tooltip:
        item.setToolTip(tooltip)
    scene.addItem(item)
    return item


class MosaicItem(pg.ImageItem):
    """An ImageItem for a float32 mosaic with NaN gaps, an (n, 3) uint8 lookup table and fixed
    levels (no auto levels, no downsampling): the colours pyqtgraph would draw (value v goes to
    table entry (v - low) * n / (high - low), clipped to 0..n-1; NaN is transparent), made in one
    compiled pass (colour_kernel.py) into a reused premultiplied-ARGB buffer, which QPainter draws
    without converting it. `image` is still the float mosaic; anything else (another kind of
    table or image, a colour image) goes pyqtgraph's way."""

    def __init__(self, lut: np.ndarray):
        self._colours = None
        self._argb = None
        super().__init__(axisOrder="row-major")
        self.setLookupTable(lut)

    def setLookupTable(self, lut, update=True):
        table = None if lut is None or callable(lut) else np.asarray(lut)
        if table is not None and table.dtype == np.uint8 and table.ndim == 2 \
                and table.shape[1] == 3 and len(table):
            rgb = table.astype(np.uint32)
            opaque = (0xFF << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
            self._colours = np.append(opaque, np.uint32(0))  # the last entry: NaN, transparent
        else:
            self._colours = None
        super().setLookupTable(lut, update)

    def render(self):
        image, colours = self.image, self._colours
        if (colours is None or image is None or image.ndim != 2 or image.size == 0
                or image.dtype != np.float32 or self.levels is None or self.autoDownsample):
            return super().render()
        if self._argb is None or self._argb.shape != image.shape:
            self._argb = np.empty(image.shape, np.uint32)
        low, high = (float(v) for v in np.ravel(self.levels)[:2])
        n = len(colours) - 1
        colour_map(image, np.float32(low), np.float32(n / (high - low) if high > low else 0.0),
                   colours, self._argb)
        self.qimage = pg.functions.ndarray_to_qimage(self._argb,
                                                     QImage.Format.Format_ARGB32_Premultiplied)
        self._renderRequired = False
        self._unrenderable = False


class MosaicImage:
    """A Mosaic shown by one ImageItem at (x, y) in a scene, each pixel `scale` units wide
    (or `scale_x` x `scale_y`)."""

    def __init__(self, scene: QGraphicsScene, mosaic: Mosaic, lut: np.ndarray, x: float, y: float,
                 scale_x: float, scale_y: float | None = None, levels=(0.0, 1.0), tooltip: str = ""):
        self.mosaic = mosaic
        self.scale_x, self.scale_y = scale_x, scale_y if scale_y is not None else scale_x
        self.levels = levels
        self.item = MosaicItem(lut)
        self.item.setTransform(QTransform.fromScale(self.scale_x, self.scale_y))
        self.item.setPos(x, y)
        if tooltip:
            self.item.setToolTip(tooltip)
        scene.addItem(self.item)
        self.show()

    @property
    def width(self) -> float:
        return self.mosaic.image.shape[1] * self.scale_x

    @property
    def height(self) -> float:
        return self.mosaic.image.shape[0] * self.scale_y

    def show(self, levels=None) -> None:
        if levels is not None:
            self.levels = levels
        self.item.setImage(self.mosaic.image, autoLevels=False, levels=self.levels)

    def to_scene(self, tx: float, ty: float) -> QPointF:
        """Scene position of image pixel coordinates."""
        pos = self.item.pos()
        return QPointF(pos.x() + tx * self.scale_x, pos.y() + ty * self.scale_y)

    def locate(self, scene_pos: QPointF) -> tuple[int, int, int, int] | None:
        pos = self.item.pos()
        return self.mosaic.locate((scene_pos.x() - pos.x()) / self.scale_x,
                                  (scene_pos.y() - pos.y()) / self.scale_y)
