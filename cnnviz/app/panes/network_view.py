"""The Network view: what the network does with the probe image, stage by stage, left to right.

Columns: the input channels; for each conv layer its filters (out x in grid of kernels,
blue-white-red centred at zero) and its activation maps (after the layer's nonlinearity); the
pooled maps after each pool; dense layers as activation strips; the class probabilities as
labelled bars. Everything lives in one QGraphicsScene (one ImageItem per column, see map_grid),
built once per network by `set_network` and only updated by `update_snapshot`.
Wheel scrolls (sideways when everything fits vertically), Ctrl+wheel zooms, drag pans.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.enlarged_map import EnlargedMap, Pick
from cnnviz.app.panes.inspector_select import CellPicker
from cnnviz.app.panes.map_grid import (
    DIM_TEXT,
    TEXT,
    Mosaic,
    MosaicImage,
    diverging_lut,
    fmt,
    grey_lut,
    normalise_maps,
    plain,
    sequential_lut,
    text_item,
)
from cnnviz.app.panes.receptive_overlay import ReceptiveHighlight
from cnnviz.app.panes.saliency_overlay import SaliencyOverlay
from cnnviz.app.panes.text_sheet import TextSheet
from cnnviz.engine.spec import ELEMENTWISE, POOLS

MAX_MAPS = 64          # maps drawn per column; the rest are counted as "+N more"
MAX_KERNELS = 64       # filter rows (out) and columns (in) drawn per conv layer
COLUMN_H = 600         # target height of a column's content, scene units (~ screen pixels)
TOP = 58               # where content starts below a column's header
GAP = 36               # between columns
BACKGROUND = QColor("#1e1f22")
# While training, the maps' range labels change at most this often (seconds): nobody reads
# numbers at the snapshot rate, and rewriting a few hundred labels was a third of the view's time
# per snapshot (benchmarks/gui_responsiveness.py). A snapshot that is not "running" writes them.
LABELS_EVERY = 0.25
DEAD_MARK = QColor("#ff4d40")
DEAD_TIP = ("Dead filter {f}: its map was 0 for every one of the {n:,} test images of the last "
            "evaluation. The ReLU after it never lets anything through, so no gradient reaches "
            "its weights and it cannot learn back by itself. Try a smaller learning rate (a too "
            "large step often kills filters), a leaky ReLU or batch norm before the ReLU, or Reset "
            "for new weights. The Top images dock shows what the live filters respond to.")

HELP = {
    "input": "The probe image, one channel per tile (for colour images: red, green, blue). "
             "Bright = high value.",
    "filters": "A conv layer's filters: row f holds the small kernels that filter f slides over "
               "each input channel (columns). Red = positive weight, blue = negative, white = 0.",
    "maps": "Activation maps: what each filter responds to in the probe image, after the "
            "nonlinearity. Each map has its own colour scale (yellow = its highest value).",
    "pooled": "Pooled maps: each map shrunk by keeping the largest (max pooling) or average value "
              "of each small window, so the network keeps what was found and forgets exactly where.",
    "dense": "A dense layer: one cell per unit, from the top, coloured by its activation "
             "(yellow = highest in this layer).",
    "output": "Class probabilities (softmax of the last layer): how sure the network is that "
              "the probe image shows each class.",
    "gradients": "dL/d(map): how the probe's loss changes when a cell of the map beside it goes "
                 "up (red: the loss rises, blue: it falls, white: no effect). Backpropagation "
                 "carries this from the output back to every layer; each map has its own scale.",
    "filter gradients": "dL/dW for the probe: the direction each weight of the filters would be "
                        "pushed by this one image (red: lowering the weight lowers the loss).",
}


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape)


@dataclass
class Stage:
    """Layers drawn as one column of maps or one strip: a conv/pool/dense layer and the
    elementwise layers after it (relu, batchnorm, dropout, ...). `last` is the tap shown."""
    first: int
    last: int
    type: str


def plan_stages(summary) -> list[Stage]:
    stages: list[Stage] = []
    for layer in summary.layers:
        if layer.type in ELEMENTWISE and stages:
            stages[-1].last = layer.index
        else:
            stages.append(Stage(layer.index, layer.index, layer.type))
    return stages


class Column:
    """One column of the view. `data` is the array last drawn (None before the first)."""
    kind = ""

    def __init__(self, scene: QGraphicsScene, x: float, title: str, subtitle: str, help_text: str):
        self.scene, self.x, self.title = scene, x, title
        self.data: np.ndarray | None = None
        self.span = ""
        self.head = text_item(scene, title, x, 0, 13, bold=True, tooltip=help_text)
        self.sub = text_item(scene, subtitle, x, 18, 11, color=DIM_TEXT, tooltip=help_text)
        self.note = text_item(scene, "", x, 34, 11, color=DIM_TEXT, tooltip=help_text)
        self.width = max(self.head.boundingRect().width(), self.sub.boundingRect().width())
        self.height = TOP

    def grow(self, width: float, bottom: float) -> None:
        self.width, self.height = max(self.width, width), max(self.height, bottom)

    def contains(self, pos: QPointF) -> bool:
        return self.x <= pos.x() < self.x + self.width and 0 <= pos.y() < self.height

    def lookup(self, pos: QPointF) -> str | None:
        return None

    def pick(self, pos: QPointF) -> tuple[int, int | None] | None:
        """The (map, None) or (filter, input) under `pos` that a double-click enlarges."""
        return None

    def part(self, channel: int, inner: int | None) -> np.ndarray | None:
        """The 2-D array of a pick, from the data last drawn."""
        return None

    def blank(self) -> None:
        self.data = None
        self.note.setText(self.span)


class MapColumn(Column):
    """A grid of maps (C, H, W), each with its own colour levels and a label under it."""

    def __init__(self, scene, x, title, subtitle, kind, shape, tap: int | None,
                 names: list[str] | None = None):
        super().__init__(scene, x, title, subtitle, HELP[kind])
        self.kind, self.tap, self.shape = kind, tap, tuple(shape)
        channels, h, w = self.shape
        self.shown = min(channels, MAX_MAPS)
        self.names = names or [f"ch {i}" for i in range(self.shown)]
        side = max(h, w)
        scale = min(max(1, math.ceil(48 / side)), 96 / side)  # a map is 48-96 units wide
        px = max(w + math.ceil(6 / scale), math.ceil(66 / scale))  # room for the label
        py = h + math.ceil(30 / scale)
        rows_fit = max(1, int(COLUMN_H // (py * scale)))
        cols = math.ceil(self.shown / rows_fit)
        rows = math.ceil(self.shown / cols)
        self.mosaic = Mosaic(rows, cols, h, w, py, px)
        lut = {"input": grey_lut, "gradients": diverging_lut}.get(kind, sequential_lut)()
        self.image = MosaicImage(scene, self.mosaic, lut, x, TOP, scale, tooltip=HELP[kind])
        # Each map's name, and its value range under it (a sheet each: see text_sheet.py).
        names, ranges = TextSheet(scene, 10, TEXT), TextSheet(scene, 10, DIM_TEXT)
        self.labels = []
        for i in range(self.shown):
            tx, ty = self.mosaic.tile_origin(*divmod(i, cols))
            at = self.image.to_scene(tx, ty + h)
            names.add(self.names[i], at.x(), at.y() + 1)
            self.labels.append(ranges.add("", at.x(), at.y() + 14))
        self.grow(self.image.width, TOP + self.image.height)
        if channels > self.shown:
            more = text_item(scene, f"+{channels - self.shown} more (not drawn)", x,
                             TOP + self.image.height + 2, 11, color=DIM_TEXT)
            self.grow(more.boundingRect().width(), TOP + self.image.height + 20)

    def update(self, maps: np.ndarray, labels: bool = True) -> None:
        """Draw the maps; with labels, also write each map's range under it."""
        self.data = maps
        shown = maps[:self.shown]
        scaled, low, high = normalise_maps(shown)
        self.mosaic.fill_sequence(scaled)
        self.image.show()
        if not labels:
            return
        for label, lo, hi in zip(self.labels, low.tolist(), high.tolist()):
            text = f"{fmt(lo)} … {fmt(hi)}"
            if label.text() != text:
                label.setText(text)

    def blank(self) -> None:
        super().blank()
        self.mosaic.blank()
        self.image.show()
        for label in self.labels:
            label.setText("")

    def pick(self, pos):
        where = self.image.locate(pos)
        if where is None or where[0] * self.mosaic.cols + where[1] >= self.shown:
            return None
        return where[0] * self.mosaic.cols + where[1], None

    def part(self, channel, inner):
        return None if self.data is None else self.data[channel]

    def lookup(self, pos):
        where = self.image.locate(pos)
        if where is None or self.data is None:
            return None
        row, col, y, x = where
        i = row * self.mosaic.cols + col
        if i >= self.shown:
            return None
        m = self.data[i]
        return (f"{self.title} · {self.names[i]} of {self.shape[0]} · map {_shape(m.shape)} · "
                f"pixel (row {y}, col {x}) = {plain(m[y, x]):.4g} · "
                f"map range {plain(m.min()):.3g} … {plain(m.max()):.3g}")


class GradientMapColumn(MapColumn):
    """dL/d(map) of the map column before it, for the probe: blue-white-red, each map scaled
    to its own ±max|gradient|."""

    def update(self, maps: np.ndarray, labels: bool = True) -> None:
        self.data = maps
        shown = maps[:self.shown]
        bound = np.abs(shown.reshape(len(shown), -1)).max(axis=1)
        scale = np.where(bound > 0, bound, 1.0)
        self.mosaic.fill_sequence((0.5 + 0.5 * shown / scale[:, None, None]).astype(np.float32))
        self.image.show()
        if labels:
            for label, b in zip(self.labels, bound.tolist()):
                text = f"±{fmt(b)}"
                if label.text() != text:
                    label.setText(text)


class FilterColumn(Column):
    """A conv layer's weights (F, C, k, k): one row per filter, one column per input channel,
    on a diverging colour map with symmetric levels ±max|w|; with gradient, the probe's dL/dW
    in the same layout."""
    kind = "filters"

    def __init__(self, scene, x, title, shape, conv: int, layer: int,
                 in_names: list[str] | None, gradient: bool = False):
        f, c, k, _ = shape
        help_text = HELP["filter gradients" if gradient else "filters"]
        super().__init__(scene, x, title, f"{f} filters × {c} inputs, {k}×{k}", help_text)
        self.gradient, self.what = gradient, "dL/dW" if gradient else "weights"
        self.conv, self.layer, self.shape = conv, layer, tuple(shape)
        self.rows, self.cols = min(f, MAX_KERNELS), min(c, MAX_KERNELS)
        self.in_names = in_names if in_names and len(in_names) == c else None
        scale = max(2, round(10 / k))
        pitch = (k + 1) * scale
        left = 22  # room for the filter numbers
        self.mosaic = Mosaic(self.rows, self.cols, k, k, k + 1, k + 1)
        top = TOP + 14
        self.image = MosaicImage(scene, self.mosaic, diverging_lut(), x + left, top, scale,
                                 levels=(-1.0, 1.0), tooltip=help_text)
        numbers = TextSheet(scene, 9, DIM_TEXT)  # the inputs along the top, the filters down
        numbers.add("out", x, top - 14)
        step = max(1, math.ceil(18 / pitch))
        for j in range(0, self.cols, step):
            name = self.in_names[j] if self.in_names else str(j)
            numbers.add(name, x + left + j * pitch, top - 13)
        step = max(1, math.ceil(11 / pitch))
        for i in range(0, self.rows, step):
            numbers.add(str(i), x, top + i * pitch + (k * scale - 11) / 2)
        bottom = top + self.image.height
        self.note.setText(f"layer {layer} · {self.what} ±0.000")
        self.grow(max(left + self.image.width, self.note.boundingRect().width()), bottom)
        self.note.setText(f"layer {layer}")
        # A red outline round each dead filter's row, made when the first one is found.
        self.kernels_at, self.scale = (x + left, top), scale
        self.dead: np.ndarray | None = None
        self.evaluated, self._dead_marks, self._dead_from = 0, [], None
        hidden = [f"{f - self.rows} filters"] if f > self.rows else []
        hidden += [f"{c - self.cols} inputs"] if c > self.cols else []
        if hidden:
            more = text_item(scene, "+ " + ", ".join(hidden) + " more (not drawn)", x, bottom + 2,
                             11, color=DIM_TEXT)
            self.grow(more.boundingRect().width(), bottom + 20)

    def update(self, weights: np.ndarray) -> None:
        self.data = weights
        self.mosaic.tiles[...] = weights[:self.rows, :self.cols]
        bound = float(np.abs(weights).max()) or 1.0
        self.image.show(levels=(-bound, bound))
        text = f"layer {self.layer} · {self.what} ±{fmt(bound)}"
        if self.note.text() != text:
            self.note.setText(text)

    def blank(self) -> None:
        super().blank()
        self.mosaic.blank()
        self.image.show()
        self.note.setText(f"layer {self.layer}")
        self.show_dead(None)

    def show_dead(self, top) -> None:
        """Outline the filters that the last evaluation found dead (top: the snapshot's
        TopImages, None: no evaluation of this network); a no-op when it did not change."""
        if top is self._dead_from:
            return
        self._dead_from = top
        found = None if top is None else top.layer(self.layer)
        dead = None
        if (found is not None and found.kind == "conv" and found.dead is not None
                and found.units == self.shape[0]):
            dead = found.dead
        self.dead, self.evaluated = dead, 0 if top is None else top.evaluated
        if dead is not None and dead[:self.rows].any() and not self._dead_marks:
            (x, y), scale, k = self.kernels_at, self.scale, self.shape[2]
            for i in range(self.rows):  # the row's kernels dimmed, in a red frame
                mark = QGraphicsRectItem(x - 1, y + i * (k + 1) * scale - 1,
                                         self.image.width - scale + 2, k * scale + 2)
                mark.setPen(QPen(DEAD_MARK, 1.5))
                mark.setBrush(QBrush(QColor(30, 31, 34, 150)))
                mark.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                mark.setZValue(5)
                mark.hide()
                self.scene.addItem(mark)
                self._dead_marks.append(mark)
        for i, mark in enumerate(self._dead_marks):
            mark.setVisible(dead is not None and bool(dead[i]))
            mark.setToolTip(DEAD_TIP.format(f=i, n=self.evaluated))

    def pick(self, pos):
        where = self.image.locate(pos)
        return None if where is None else (where[0], where[1])

    def part(self, channel, inner):
        return None if self.data is None else self.data[channel, inner]

    def lookup(self, pos):
        where = self.image.locate(pos)
        if where is None or self.data is None:
            return None
        f, c, y, x = where
        name = f"input {self.in_names[c]}" if self.in_names else f"input channel {c}"
        what = "dL/dW" if self.gradient else "weight"
        text = (f"{self.title} · filter {f} (makes map ch {f}) · {name} · "
                f"{what} (row {y}, col {x}) = {plain(self.data[f, c, y, x]):.4g} · "
                f"blue < 0 < red{'' if self.gradient else ' · click: its update'}")
        if self.dead is not None and self.dead[f]:
            text += (f" · DEAD: its map was 0 for all {self.evaluated} test images of the last "
                     "evaluation (hover the red outline for what to try)")
        return text


class StripColumn(Column):
    """A dense layer's activations (D,) as vertical strips of cells, one cell per unit."""
    kind = "dense"
    PER_STRIP = 128

    def __init__(self, scene, x, title, units: int, tap: int):
        super().__init__(scene, x, title, f"{units} units", HELP["dense"])
        self.tap, self.units = tap, units
        strips = math.ceil(units / self.PER_STRIP)
        self.per = min(units, self.PER_STRIP)
        cell_h = min(16.0, max(3.0, 512 / self.per))
        self.mosaic = Mosaic(1, strips, self.per, 1, self.per, 2)
        self.flat = np.full(strips * self.per, np.nan, dtype=np.float32)
        self.image = MosaicImage(scene, self.mosaic, sequential_lut(), x, TOP, 20, cell_h,
                                 tooltip=HELP["dense"])
        bottom = TOP + self.image.height
        text_item(scene, "range", x, bottom + 2, 10, color=DIM_TEXT)
        self.range = text_item(scene, "-0.00 … 0.00", x, bottom + 15, 10, color=DIM_TEXT)
        self.grow(max(self.image.width, self.range.boundingRect().width()), bottom + 30)
        self.range.setText("")

    def update(self, values: np.ndarray) -> None:
        self.data = values
        low, high = float(values.min()), float(values.max())
        self.flat[:self.units] = values
        self.mosaic.tiles[0, :, :, 0] = self.flat.reshape(-1, self.per)
        self.image.show(levels=(low, high if high > low else low + 1))
        text = f"{fmt(low)} … {fmt(high)}"
        if self.range.text() != text:
            self.range.setText(text)

    def blank(self) -> None:
        super().blank()
        self.mosaic.blank()
        self.image.show()
        self.range.setText("")

    def lookup(self, pos):
        where = self.image.locate(pos)
        if where is None or self.data is None:
            return None
        _, strip, y, _ = where
        unit = strip * self.per + y
        if unit >= self.units:
            return None
        return f"{self.title} · unit {unit} of {self.units} = {plain(self.data[unit]):.4g}"


class OutputColumn(Column):
    """Class probabilities as labelled horizontal bars; the most likely class stands out."""
    kind = "output"
    BAR = 160

    def __init__(self, scene, x, classes):
        super().__init__(scene, x, "output", "class probabilities", HELP["output"])
        self.classes = list(classes)
        n = len(self.classes)
        self.row = min(24.0, max(14.0, 560 / max(n, 1)))
        size = int(min(12, self.row - 8))
        names = [text_item(scene, name, x, 0, size, tooltip=HELP["output"]) for name in classes]
        name_w = max((t.boundingRect().width() for t in names), default=0) + 8
        self.bar_x = x + name_w
        self.tracks, self.bars, self.values = [], [], []
        for i, name in enumerate(names):
            y = TOP + i * self.row
            name.setPos(self.bar_x - 8 - name.boundingRect().width(),
                        y + (self.row - 2 - name.boundingRect().height()) / 2)
            track = QGraphicsRectItem(self.bar_x, y, self.BAR, self.row - 4)
            track.setBrush(QBrush(QColor("#34363b")))
            track.setPen(QPen(Qt.PenStyle.NoPen))
            bar = QGraphicsRectItem(self.bar_x, y, 0, self.row - 4)
            bar.setPen(QPen(Qt.PenStyle.NoPen))
            for item in (track, bar):
                item.setToolTip(HELP["output"])
                scene.addItem(item)
            value = text_item(scene, "", self.bar_x + self.BAR + 6, name.y(), size)
            self.tracks.append(track)
            self.bars.append(bar)
            self.values.append(value)
        self.grow(name_w + self.BAR + 52, TOP + n * self.row)

    def update(self, probabilities: np.ndarray) -> None:
        self.data = probabilities
        best = int(np.argmax(probabilities))
        for i, (bar, value, p) in enumerate(zip(self.bars, self.values, probabilities.tolist())):
            rect = bar.rect()
            bar.setRect(rect.x(), rect.y(), self.BAR * p, rect.height())
            bar.setBrush(QBrush(QColor("#f0a030" if i == best else "#4a8bd6")))
            value.setText(f"{100 * p:.1f}%")
        self.note.setText(f"best guess: {self.classes[best]}")

    def blank(self) -> None:
        super().blank()
        for bar, value in zip(self.bars, self.values):
            rect = bar.rect()
            bar.setRect(rect.x(), rect.y(), 0, rect.height())
            value.setText("")

    def lookup(self, pos):
        if self.data is None or pos.y() < TOP:
            return None
        i = int((pos.y() - TOP) // self.row)
        if i >= len(self.classes):
            return None
        rank = int((self.data > self.data[i]).sum()) + 1
        return (f"output · class '{self.classes[i]}' · probability {float(self.data[i]):.4f} "
                f"(rank {rank} of {len(self.classes)})")


class _Canvas(QGraphicsView):
    """Scrollable, zoomable view of the scene; reports the scene position under the mouse."""
    moved = Signal(QPointF)
    left = Signal()
    zoomed = Signal()
    clicked = Signal(QPointF)  # a left click that was not a drag
    double_clicked = Signal(QPointF)
    # pyqtgraph items in a scene look for these on their view (pg.GraphicsView has them);
    # nothing here depends on them, so they are never emitted.
    sigDeviceRangeChanged = Signal(object, object)
    sigDeviceTransformChanged = Signal(object)

    def __init__(self, scene):
        super().__init__(scene)
        self.setMouseTracking(True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setBackgroundBrush(BACKGROUND)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = min(max(current * factor, 0.1), 8.0) / current
        self.scale(factor, factor)
        self.zoomed.emit()

    def wheelEvent(self, event):
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.0015 ** delta)
        elif (event.modifiers() & Qt.KeyboardModifier.ShiftModifier
              or self.verticalScrollBar().maximum() == 0):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
        else:
            super().wheelEvent(event)

    def mouseMoveEvent(self, event):
        super().mouseMoveEvent(event)
        self.moved.emit(self.mapToScene(event.position().toPoint()))

    def leaveEvent(self, event):
        super().leaveEvent(event)
        self.left.emit()

    def mousePressEvent(self, event):
        left = event.button() == Qt.MouseButton.LeftButton
        self._pressed_at = event.position() if left else None
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event):
        super().mouseDoubleClickEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.double_clicked.emit(self.mapToScene(event.position().toPoint()))

    def mouseReleaseEvent(self, event):
        super().mouseReleaseEvent(event)
        pressed, self._pressed_at = getattr(self, "_pressed_at", None), None
        if (pressed is not None and event.button() == Qt.MouseButton.LeftButton
                and (event.position() - pressed).manhattanLength()
                < QApplication.startDragDistance()):
            self.clicked.emit(self.mapToScene(event.position().toPoint()))


class NetworkView(QWidget):
    """The centre of the app: the network's stages left to right, drawn from snapshots."""
    hovered = Signal(str)
    cell_clicked = Signal(object)  # an InspectRequest or a WeightRef (inspector_select.py)
    gradients_toggled = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setToolTip("What the network does with the probe image, stage by stage from left "
                        "to right: filters, the maps they make, pooling, dense layers and the "
                        "class probabilities. Hover a pixel for its value and its receptive "
                        "field (outlined in cyan on the input); click it to see its "
                        "arithmetic in the Inspector.")
        self.scene = QGraphicsScene(self)
        self.canvas = _Canvas(self.scene)
        self.status = QLabel("")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for text, tip, slot in (("−", "Zoom out (Ctrl+wheel)", lambda: self.canvas.zoom(1 / 1.25)),
                                ("+", "Zoom in (Ctrl+wheel)", lambda: self.canvas.zoom(1.25)),
                                ("Fit", "Show the whole network", self.fit),
                                ("1:1", "Actual size", self.actual_size)):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        self.gradients_button = QToolButton()
        self.gradients_button.setText("Gradients")
        self.gradients_button.setCheckable(True)
        self.gradients_button.setToolTip(
            "Show the backward pass beside the forward one: the gradient of the probe image's "
            "loss with respect to each conv layer's weights and to each map (the loss of its "
            "true class for a test image, else of the class chosen under Explain, else of the "
            "predicted class). Red: the loss rises "
            "with the value, blue: it falls. Shortcut: G.")
        self.gradients_button.toggled.connect(self.set_gradients)
        buttons.addWidget(self.gradients_button)
        hint = QLabel("wheel: scroll · Ctrl+wheel: zoom · drag: pan · click: inspect · "
                      "double-click: enlarge")
        hint.setStyleSheet("color: gray")
        hint.setToolTip(hint.text())
        # Cut off in a narrow window rather than widening it.
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        buttons.addWidget(hint)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(buttons)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.status)
        self.canvas.moved.connect(self._hover)
        self.canvas.double_clicked.connect(self.enlarge_at)
        self.enlarged: dict[Pick, EnlargedMap] = {}
        self.canvas.left.connect(lambda: self._say(""))
        self.canvas.zoomed.connect(self._user_zoomed)
        self.columns: list[Column] = []
        self.summary = None
        self.show_gradients = False
        self.probe: np.ndarray | None = None
        self._auto_zoom = True
        self._labels_due = 0.0  # when the range labels may next be rewritten (time.perf_counter)
        self._latest = None  # the last snapshot drawn, and the columns it was not drawn in
        self._stale: list[Column] = []
        self._left_behind = None  # the previous network's evaluation (its dead filters)
        self.clear()
        for bar in (self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()):
            bar.valueChanged.connect(self._draw_stale)
            bar.rangeChanged.connect(self._draw_stale)
        self.canvas.zoomed.connect(self._draw_stale)
        # Overlays: the receptive field of the hovered cell, the saliency heat on the input.
        self.receptive = ReceptiveHighlight(self)
        self.saliency = SaliencyOverlay(self)
        self.picker = CellPicker(self)  # a click on a cell: cell_clicked, and a marker

    # -- building ----------------------------------------------------------------------------

    def set_network(self, summary) -> None:
        """Build every column for this network (once); data arrives with update_snapshot."""
        self._labels_due = 0.0
        # The last evaluation's dead filters were found in the network drawn until now.
        self._left_behind = getattr(self._latest, "top_images", None)
        self._latest, self._stale = None, []
        if summary == self.summary:  # the same architecture (Reset): keep the columns, not the data
            for column in self.columns:
                column.blank()
            return
        self._build(summary)

    def set_gradients(self, on: bool) -> None:
        """Show the gradient columns beside the filters and maps, or not (the columns are made
        again; the window asks the worker for the gradients through gradients_toggled)."""
        if on == self.show_gradients:
            return
        self.show_gradients = on
        if self.gradients_button.isChecked() != on:
            self.gradients_button.setChecked(on)
        if self.summary is not None:
            latest = self._latest
            self._build(self.summary)
            if latest is not None:
                self.update_snapshot(latest)
        self.gradients_toggled.emit(on)

    def _build(self, summary) -> None:
        self._latest, self._stale = None, []
        self._close_enlarged()
        self.scene.clear()
        self.columns, self.summary, self._x = [], summary, 0.0
        channels = summary.input[0]
        names = ["red", "green", "blue"] if channels == 3 else None
        self._add(MapColumn(self.scene, 0.0, "input",
                            f"{channels} channels · {_shape(summary.input[1:])}",
                            "input", summary.input, None, names))
        layers = summary.layers
        conv = 0
        for stage in plan_stages(summary):
            first, last = layers[stage.first], layers[stage.last]
            title = " → ".join(layers[i].label for i in range(stage.first, stage.last + 1)
                               if layers[i].type != "dropout")
            span = (f"layer {stage.first}" if stage.first == stage.last
                    else f"layers {stage.first}–{stage.last}")
            shape = last.out_shape
            if stage.type == "conv":
                weights = (first.config["filters"], first.in_shape[0], first.config["kernel"],
                           first.config["kernel"])
                in_names = names if stage.first == 0 else None
                self._add(FilterColumn(self.scene, self._x, f"{first.label} filters", weights,
                                       conv, stage.first, in_names))
                if self.show_gradients:
                    self._add(FilterColumn(self.scene, self._x, f"{first.label} dL/dW", weights,
                                           conv, stage.first, in_names, gradient=True))
                conv += 1
            if len(shape) == 3:
                kind = "pooled" if stage.type in POOLS else "maps"
                self._add(MapColumn(self.scene, self._x, title,
                                    f"{shape[0]} maps · {_shape(shape[1:])}", kind, shape,
                                    stage.last), span)
                if self.show_gradients:
                    self._add(GradientMapColumn(self.scene, self._x, f"dL/d({layers[stage.last].label})",
                                                "red: loss rises · blue: falls", "gradients",
                                                shape, stage.last), span)
            elif len(shape) == 1 and stage.type != "flatten" and not (
                    stage.type == "dense" and stage.last == len(layers) - 1):
                self._add(StripColumn(self.scene, self._x, title, shape[0], stage.last), span)
            # flatten (a reshape) and the last dense layer (drawn as the output) get no column
        self._add(OutputColumn(self.scene, self._x, summary.classes))
        # The columns' own extent too: the output's percentages are written only with data.
        bounds = self.scene.itemsBoundingRect().united(QRectF(
            0, 0, max(c.x + c.width for c in self.columns), max(c.height for c in self.columns)))
        self.scene.setSceneRect(bounds.adjusted(-12, -10, 12, 12))
        self._auto_zoom = True
        self._auto_fit()

    def _add(self, column: Column, span: str = "") -> None:
        if span:
            column.span = span
            column.note.setText(span)
        column.grow(column.note.boundingRect().width(), 0)
        self.columns.append(column)
        self._x = column.x + column.width + GAP

    def clear(self) -> None:
        """Forget the network: an empty view with a hint."""
        self._close_enlarged()
        self.scene.clear()
        self.columns, self.summary, self.probe = [], None, None
        self._latest, self._stale = None, []
        text_item(self.scene, "No network yet: choose an architecture and a dataset.", 0, 0, 14,
                  color=DIM_TEXT)
        self.scene.setSceneRect(self.scene.itemsBoundingRect())
        self._say("")

    # -- updating ----------------------------------------------------------------------------

    def set_probe(self, image: np.ndarray | None) -> None:
        """The probe image (C, H, W) that the snapshots' taps were computed from: the snapshot
        does not carry it, so the window hands it over when it sends it to the worker."""
        self.probe = None if image is None else np.asarray(image, dtype=np.float32)

    def matches(self, snapshot) -> bool:
        """Whether the snapshot's taps and weights belong to the network that is drawn."""
        if self.summary is None:
            return False
        layers = self.summary.layers
        taps = snapshot.probe_taps
        if taps and (len(taps) != len(layers)
                     or any(t.shape != info.out_shape for t, info in zip(taps, layers))):
            return False
        convs = [info for info in layers if info.type == "conv"]
        weights = snapshot.conv_weights
        if len(weights) != len(convs) or any(
                w.shape != (c.config["filters"], c.in_shape[0], c.config["kernel"],
                            c.config["kernel"]) for w, c in zip(weights, convs)):
            return False
        p = snapshot.probe_probabilities
        return p is None or p.shape == (len(self.summary.classes),)

    def update_snapshot(self, snapshot) -> bool:
        """Redraw from a snapshot; False (and nothing changed) if it belongs to another network.
        Columns scrolled out of view are drawn when they come into view (most of a big network
        is off screen, and the worker wants the cores the drawing would take)."""
        if not self.matches(snapshot):
            return False
        now = time.perf_counter()
        labels = getattr(snapshot, "state", None) != "running" or now >= self._labels_due
        if labels:
            self._labels_due = now + LABELS_EVERY
        self._latest = snapshot
        visible = self._visible_columns()
        self._stale = [column for column in self.columns if column not in visible]
        for column in visible:
            self._draw(column, snapshot, labels)
        self.saliency.update(snapshot)
        return True

    def _draw(self, column: Column, snapshot, labels: bool) -> None:
        self._draw_column(column, snapshot, labels)
        for pick, window in self.enlarged.items():
            if self.columns[pick.column] is column:
                part = column.part(pick.channel, pick.inner)
                if part is not None:
                    window.show_array(part)

    def enlarge_at(self, pos: QPointF) -> EnlargedMap | None:
        """Open the map or filter under `pos` large, in a window that follows training."""
        for index, column in enumerate(self.columns):
            picked = column.pick(pos) if column.contains(pos) else None
            if picked is not None:
                return self.enlarge(Pick(index, *picked))
        return None

    def enlarge(self, pick: Pick) -> EnlargedMap:
        window = self.enlarged.get(pick)
        if window is None:
            column = self.columns[pick.column]
            if pick.inner is None:
                what = f"{column.title} · {column.names[pick.channel]}"
            else:
                name = column.in_names[pick.inner] if column.in_names else str(pick.inner)
                what = f"{column.title} · filter {pick.channel} on input {name}"
            window = EnlargedMap(f"{what} — cnnviz", column.kind, self)
            window.destroyed.connect(lambda *_: self.enlarged.pop(pick, None))
            self.enlarged[pick] = window
            part = column.part(pick.channel, pick.inner)
            if part is not None:
                window.show_array(part)
        window.show()
        window.raise_()
        return window

    def _close_enlarged(self) -> None:
        for window in list(self.enlarged.values()):  # their columns are gone
            window.close()
        self.enlarged.clear()

    def _draw_column(self, column: Column, snapshot, labels: bool) -> None:
        taps = snapshot.probe_taps
        probe = getattr(snapshot, "probe", None)
        probe = self.probe if probe is None else probe
        gradients = getattr(snapshot, "probe_gradients", None)
        if isinstance(column, FilterColumn) and column.gradient:
            if gradients is None or len(gradients.filters) <= column.conv:
                column.blank()
            else:
                column.update(gradients.filters[column.conv])
        elif isinstance(column, GradientMapColumn):
            grad = None if gradients is None else gradients.maps[column.tap]
            if grad is None or grad.shape != column.shape:
                column.blank()
            else:
                column.update(grad, labels)
        elif isinstance(column, FilterColumn):
            column.update(snapshot.conv_weights[column.conv])
            top = getattr(snapshot, "top_images", None)
            column.show_dead(None if top is self._left_behind else top)
        elif isinstance(column, OutputColumn):
            if snapshot.probe_probabilities is None:
                column.blank()
            else:
                column.update(snapshot.probe_probabilities)
        elif column.kind == "input":
            if taps and probe is not None and probe.shape == column.shape:
                column.update(probe, labels)
            else:
                column.blank()
        elif taps and isinstance(column, MapColumn):
            column.update(taps[column.tap], labels)
        elif taps:
            column.update(taps[column.tap])
        else:
            column.blank()

    def _visible_columns(self) -> list[Column]:
        """The columns at least partly in view (all of them while the view is not on screen);
        the input always, which the saliency overlay reads."""
        if not self.canvas.isVisible():
            return self.columns
        shown = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        return [column for i, column in enumerate(self.columns)
                if i == 0 or (column.x < shown.right() and column.x + column.width > shown.left())]

    def _draw_stale(self) -> None:
        """Draw the columns that came into view since the last snapshot, from it."""
        if not self._stale or self._latest is None:
            return
        visible = self._visible_columns()
        for column in [c for c in self._stale if c in visible]:
            self._draw(column, self._latest, True)
            self._stale.remove(column)

    # -- view ----------------------------------------------------------------------------------

    def fit(self) -> None:
        self.canvas.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._auto_zoom = False
        self._draw_stale()

    def actual_size(self) -> None:
        self.canvas.resetTransform()
        self._auto_zoom = False
        self._draw_stale()

    def _user_zoomed(self) -> None:
        self._auto_zoom = False

    def _auto_fit(self) -> None:
        """Until the user zooms: full size, or smaller so a column's whole height is in view."""
        if not self._auto_zoom:
            return
        height = self.scene.sceneRect().height()
        room = self.canvas.viewport().height()
        scale = min(1.0, max(0.5, room / height)) if height > 0 and room > 50 else 1.0
        # Scale about the scene's top left, not the view's centre, so the input column stays in view.
        anchor = self.canvas.transformationAnchor()
        self.canvas.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.canvas.resetTransform()
        self.canvas.scale(scale, scale)
        self.canvas.setTransformationAnchor(anchor)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._auto_fit()
        self._draw_stale()

    def showEvent(self, event):
        super().showEvent(event)
        self._draw_stale()

    def _hover(self, pos: QPointF) -> None:
        for column in self.columns:
            if column.contains(pos):
                self._say(column.lookup(pos) or "")
                return
        self._say("")

    def _say(self, text: str) -> None:
        if text != self.status.text():
            self.status.setText(text)
            self.hovered.emit(text)
