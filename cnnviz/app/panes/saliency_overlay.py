"""Saliency and Grad-CAM maps as heat over the probe.

SaliencyOverlay draws a snapshot's map (snapshot.saliency) as a translucent heat layer over every
tile of the network view's input column, with a caption ("Saliency for 'ring' (predicted)") and
a legend under the column. The colours (heat_rgba, blend, legend_image) and the caption are shared
with the Input dock's preview. Like the receptive field highlight, it makes its items again when
the view says it rebuilt its scene (NetworkView.rebuilt).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsTextItem

TEXT = QColor("#d8d8d8")
DIM_TEXT = QColor("#a0a0a0")
ALPHA_MAX = 0.8                   # opacity of the hottest pixel; cold pixels are clear
Z_HEAT = 5
MODE_NAMES = {"saliency": "Saliency", "gradcam": "Grad-CAM"}
MODE_HELP = {
    None: "No heat map.",
    "saliency": "Saliency: how strongly the class's score changes when each pixel changes (the "
                "size of its gradient, largest over the colour channels). Hot pixels matter most.",
    "gradcam": "Grad-CAM: where the last conv layer's maps that raise the class's score light "
               "up, brought back to the input's size. Hot regions speak for the class.",
}
LEGEND_HELP = ("Heat over the probe: clear = the class's score does not depend on the pixel, "
               "yellow = it depends on it most (the top 1% of the map's values all look "
               "yellow).")
TOP_PERCENTILE = 99  # the map's values at or above this percentile are drawn at full heat


_LUT = pg.colormap.get("inferno").getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)


def normalise(heat: np.ndarray) -> np.ndarray:
    """A saliency or Grad-CAM map scaled to 0..1: divided by its TOP_PERCENTILE-th percentile and
    clipped at 1 (zeros stay zeros). A saliency map is spiky: scaled by its single largest value,
    all but a handful of pixels would be too faint to see (Captum's visualisation clips the top 2%
    for the same reason); a Grad-CAM map, already smooth, hardly changes."""
    heat = np.nan_to_num(np.asarray(heat, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    heat = np.maximum(heat, 0)
    top = float(np.percentile(heat, TOP_PERCENTILE)) if heat.size else 0.0
    if top <= 0:
        top = float(heat.max()) if heat.size else 0.0
    return np.minimum(heat / top, 1).astype(np.float32) if top > 0 else np.zeros_like(heat)


def heat_rgba(norm: np.ndarray) -> np.ndarray:
    """(H, W) in 0..1 -> (H, W, 4) uint8, not premultiplied: inferno colours, opacity rising
    with the heat up to ALPHA_MAX."""
    index = np.clip(np.round(norm * 255), 0, 255).astype(np.intp)
    rgba = np.empty(norm.shape + (4,), np.uint8)
    rgba[..., :3] = _LUT[index]
    rgba[..., 3] = np.round(np.clip(norm, 0, 1) * ALPHA_MAX * 255).astype(np.uint8)
    return rgba


def blend(rgb: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """The heat over an (H, W, 3) uint8 picture, as (H, W, 3) uint8."""
    rgba = heat_rgba(norm).astype(np.float32)
    alpha = rgba[..., 3:] / 255
    out = rgb.astype(np.float32) * (1 - alpha) + rgba[..., :3] * alpha
    return np.round(out).astype(np.uint8)


def to_qimage(rgba: np.ndarray) -> QImage:
    rgba = np.ascontiguousarray(rgba)
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def legend_image(width: int, height: int) -> QImage:
    """A bar from cold (left) to hot (right) in the heat's colours, fully opaque."""
    norm = np.tile(np.linspace(0, 1, width, dtype=np.float32), (height, 1))
    rgba = heat_rgba(norm)
    rgba[..., 3] = 255
    return to_qimage(rgba)


def caption(mode: str | None, class_index: int | None, classes, predicted: int | None) -> str:
    """"Saliency for 'ring' (predicted)", or "... (predicted: 'star')" for another class."""
    if mode is None or class_index is None:
        return ""
    name = _name(classes, class_index)
    if predicted is None:
        return f"{MODE_NAMES.get(mode, mode)} for '{name}'"
    which = "predicted" if predicted == class_index else f"predicted: '{_name(classes, predicted)}'"
    return f"{MODE_NAMES.get(mode, mode)} for '{name}' ({which})"


def _name(classes, k: int) -> str:
    return str(classes[k]) if classes is not None and 0 <= k < len(classes) else f"class {k}"


class SaliencyOverlay:
    """The snapshot's saliency or Grad-CAM map over every input channel tile, translucent, with
    a caption ("Saliency for 'ring' (predicted)") and a legend under the input column. `heat` is
    the normalised map shown (None: none) and `text` the caption."""

    LEGEND_W, LEGEND_H = 64, 8

    def __init__(self, view):
        self.view = view
        self.input = None
        self.heat: np.ndarray | None = None
        self.text = ""
        view.rebuilt.connect(self._rebuild)

    def _rebuild(self) -> None:
        """Make the heat's items for the view's new scene (none without a network)."""
        view = self.view
        self.input, self.heat, self.text = None, None, ""
        if view.summary is None or not view.columns or view.columns[0].kind != "input":
            return
        column = self.input = view.columns[0]
        self.rgba = np.zeros(column.mosaic.image.shape + (4,), np.uint8)
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.item.setPos(column.image.item.pos())
        self.item.setTransform(QTransform.fromScale(column.image.scale_x, column.image.scale_y))
        self.item.setZValue(Z_HEAT)
        self.item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        below = column.height + 8
        self.label = QGraphicsTextItem()
        font = QFont()
        font.setPixelSize(11)
        self.label.setFont(font)
        self.label.setDefaultTextColor(TEXT)
        self.label.setTextWidth(max(column.width + 24, 96))
        self.label.setPos(column.x - 4, below)  # the text item's margin: flush with the tiles
        self.label.setToolTip(LEGEND_HELP)
        self.legend = QGraphicsPixmapItem(QPixmap.fromImage(legend_image(self.LEGEND_W,
                                                                         self.LEGEND_H)))
        self.legend.setToolTip(LEGEND_HELP)
        small = QFont()
        small.setPixelSize(10)
        self.low, self.high = QGraphicsTextItem("low"), QGraphicsTextItem("high")
        for item in (self.low, self.high):
            item.setFont(small)
            item.setDefaultTextColor(DIM_TEXT)
            item.setToolTip(LEGEND_HELP)
        for item in (self.item, self.label, self.legend, self.low, self.high):
            item.setVisible(False)
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            view.scene.addItem(item)

    def update(self, snapshot) -> None:
        """Show the snapshot's map, or take it away when it has none (or no probe drawn)."""
        if self.input is None:
            return
        heat = getattr(snapshot, "saliency", None)
        column = self.input
        if heat is None or column.data is None or heat.shape != column.shape[1:]:
            self.clear()
            return
        self.heat = normalise(heat)
        tile = heat_rgba(self.heat)
        mosaic = column.mosaic
        for i in range(column.shown):
            tx, ty = mosaic.tile_origin(*divmod(i, mosaic.cols))
            self.rgba[ty:ty + mosaic.th, tx:tx + mosaic.tw] = tile
        self.item.setPixmap(QPixmap.fromImage(to_qimage(self.rgba)))
        probabilities = snapshot.probe_probabilities
        predicted = None if probabilities is None else int(np.argmax(probabilities))
        self._caption(caption(snapshot.saliency_mode, snapshot.saliency_class,
                              self.view.summary.classes, predicted))
        for item in (self.item, self.label, self.legend, self.low, self.high):
            item.setVisible(True)

    def _caption(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        self.label.setPlainText(text)
        x, y = self.input.x, self.label.pos().y() + self.label.boundingRect().height() + 2
        self.low.setPos(x - 4, y + self.LEGEND_H - 2)
        self.legend.setPos(x, y)
        self.high.setPos(x + self.LEGEND_W - self.high.boundingRect().width() + 4,
                         y + self.LEGEND_H - 2)
        needed = self.label.sceneBoundingRect().united(self.high.sceneBoundingRect())
        scene = self.view.scene
        if not scene.sceneRect().contains(needed):
            scene.setSceneRect(scene.sceneRect().united(needed.adjusted(0, 0, 12, 12)))

    def clear(self) -> None:
        if self.input is None:
            return
        self.heat = None
        for item in (self.item, self.label, self.legend, self.low, self.high):
            item.setVisible(False)
