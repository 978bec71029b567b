"""A Mosaic (mosaic.py: small images packed into one float32 image with NaN gaps) drawn in the
network view's scene as ONE item, MosaicImage, so a column of 48 maps costs one setImage and one
image, not 48 (docs/ARCHITECTURE.md, rule 8); it maps scene points back to (tile, y, x) for
hovering. Also the colour tables the panes share, and the view's small labels.

The network view redraws every column with every snapshot while the worker wants both cores, so
drawing is kept lean: MosaicItem turns a mosaic into pixels in one compiled pass, more than
twice as fast as a pyqtgraph ImageItem (measured in its docstring), and labels are cached as
pixmaps, so a repaint does not lay their text out again.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
)

from cnnviz.app.panes.colour_kernel import colour
from cnnviz.app.panes.mosaic import Mosaic

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


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage (owning its pixels) of a (C, h, w) array with values in [0, 1]."""
    data = np.clip(np.nan_to_num(pixels) * 255 + 0.5, 0, 255).astype(np.uint8)
    if data.shape[0] == 1:
        buffer, fmt_ = np.ascontiguousarray(data[0]), QImage.Format.Format_Grayscale8
    else:
        buffer = np.ascontiguousarray(data[:3].transpose(1, 2, 0))
        fmt_ = QImage.Format.Format_RGB888
    h, w = buffer.shape[:2]
    return QImage(buffer.data, w, h, buffer.strides[0], fmt_).copy()


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


class MosaicItem(QGraphicsObject):
    """A float32 mosaic drawn through an (n, 3) uint8 lookup table at fixed levels, its NaN gaps
    transparent: the pixels pyqtgraph's ImageItem draws for it (value v goes to table entry
    (v - low) * n / (high - low), clipped to 0..n-1), made in one compiled pass (colour_kernel.py)
    into a reused premultiplied-ARGB buffer, which QPainter draws without converting it. Like an
    ImageItem it has setLookupTable and setImage(image, autoLevels=False, levels=...), `image`
    (the float mosaic itself, not a copy), `lut` and `levels`, and one image pixel per unit of its
    own coordinates; the colours are made when it is next painted, as ImageItem's are.

    Why not a plain pg.ImageItem: benchmarks/mosaic_vs_imageitem.py, 2026-12-03, on a 2-core AMD
    EPYC shared with other work (load 7), offscreen (Qt's raster engine), pyqtgraph 0.14.0 with
    numba. fashion-2conv's 14 mosaics with gradients on (348k pixels, about half NaN): setImage on
    each and the scene rendered, per snapshot, median ms of the process's CPU time (wall clock):

        the view's scale    MosaicItem    pg.ImageItem    ratio
        1:1                 5.9 (21)      15.9 (56)       2.7x
        0.5                 1.6 (1.6)      8.3 (28)       5.2x

    The pixels are the same. pyqtgraph finds the NaNs and makes a non-premultiplied RGBA image,
    which Qt converts again whenever it is drawn (drawing alone: 1.3x at 1:1, 5x at 0.5). The
    ImageItem subclass this replaces (it set pyqtgraph's private render state) cost 1.1-1.3x
    this item's CPU time, measured beside it.
    """

    def __init__(self, lut: np.ndarray):
        super().__init__()
        self.image: np.ndarray | None = None
        self.lut: np.ndarray | None = None
        self.levels = (0.0, 1.0)
        self._argb: np.ndarray | None = None
        self._picture: QImage | None = None  # None: to be made from `image` before painting
        self.setLookupTable(lut)

    def setLookupTable(self, lut: np.ndarray) -> None:
        table = np.asarray(lut)
        if table.dtype != np.uint8 or table.ndim != 2 or table.shape[1] != 3 or not len(table):
            raise ValueError(f"a mosaic's lookup table is (n, 3) uint8, not {table.dtype} "
                             f"{table.shape}")
        self.lut = table
        rgb = table.astype(np.uint32)
        opaque = (0xFF << 24) | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        self._colours = np.append(opaque, np.uint32(0))  # the last entry: NaN, transparent
        self._changed()

    def setImage(self, image: np.ndarray, autoLevels: bool = False, levels=None) -> None:
        """Show `image` (2-D float32, kept, not copied) at `levels` (low, high), or at the levels
        it had. Levels are never worked out from the image (autoLevels must be False)."""
        if autoLevels:
            raise ValueError("a mosaic's levels are given, not found: autoLevels=False")
        if image.dtype != np.float32 or image.ndim != 2:
            raise ValueError(f"a mosaic is a 2-D float32 image, not {image.dtype} {image.shape}")
        if self.image is None or image.shape != self.image.shape:
            self.prepareGeometryChange()
        self.image = image
        if levels is not None:
            low, high = levels
            self.levels = (float(low), float(high))
        self._changed()

    def _changed(self) -> None:
        self._picture = None
        self.update()

    def picture(self) -> QImage:
        """What paint draws (after a setImage): the image's colours, premultiplied ARGB32, made
        anew if the image, its levels or the table changed since."""
        if self._picture is None:
            image = self.image
            if self._argb is None or self._argb.shape != image.shape:
                self._argb = np.empty(image.shape, np.uint32)
            low, high = self.levels
            n = len(self._colours) - 1
            colour(image, np.float32(low), np.float32(n / (high - low) if high > low else 0.0),
                       self._colours, self._argb)
            self._picture = pg.functions.ndarray_to_qimage(
                self._argb, QImage.Format.Format_ARGB32_Premultiplied)
        return self._picture

    def boundingRect(self) -> QRectF:
        if self.image is None:
            return QRectF()
        height, width = self.image.shape
        return QRectF(0, 0, width, height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.image is not None and self.image.size:
            painter.drawImage(self.boundingRect(), self.picture())


class MosaicImage:
    """A Mosaic shown by one MosaicItem at (x, y) in a scene, each pixel `scale` units wide
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
