"""The network view's columns, one per stage: maps (the input, activation and pooled maps,
and with gradients on their dL/d(map)), dense strips and the output's probability bars; the
filters are in filter_column.py. Each column is built once for its network and then only
given new arrays (update). Its `region` tells network_geometry.py where its cells are, and
`describe` what one of them holds, for the hover text."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QGraphicsRectItem,
    QGraphicsScene,
)

from cnnviz.app.panes.map_grid import DIM_TEXT, TEXT, MosaicImage, diverging_lut, grey_lut, sequential_lut, text_item
from cnnviz.app.panes.mosaic import Mosaic, normalise_maps
from cnnviz.app.panes.network_geometry import (
    Cell,
    Grid,
    MapRegion,
    NetworkGeometry,
    Region,
    RowsRegion,
    StripRegion,
)
from cnnviz.app.panes.network_help import HELP
from cnnviz.app.panes.number_text import fmt, plain, shape_text
from cnnviz.app.panes.text_sheet import TextSheet

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


def set_text(label, text: str) -> None:
    """Write a label (a scene text or a TextSheet's) only when its text changes: each write
    lays the text out again and repaints it."""
    if label.text() != text:
        label.setText(text)


def grid(image: MosaicImage) -> Grid:
    """Where a MosaicImage's tiles lie in the scene, for the view's hit-test."""
    pos = image.item.pos()
    return Grid(image.mosaic, pos.x(), pos.y(), image.scale_x, image.scale_y)


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
        return self.region().contains(pos.x(), pos.y())

    def region(self) -> Region:
        """Where the column and its cells are, for the view's hit-test (network_geometry.py)."""
        return Region(self.kind, self.x, self.width, self.height)

    def describe(self, cell: Cell) -> str | None:
        """What a cell holds, from the data last drawn (None before any)."""
        return None

    def lookup(self, pos: QPointF) -> str | None:
        """What is under a scene position, for a pane that shows this column on its own (the
        network view asks its geometry, which holds all of its columns)."""
        cell = NetworkGeometry([self.region()]).cell_at(pos.x(), pos.y())
        return None if cell is None else self.describe(cell)

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
            set_text(label, f"{fmt(lo)} … {fmt(hi)}")

    def blank(self) -> None:
        super().blank()
        self.mosaic.blank()
        self.image.show()
        for label in self.labels:
            label.setText("")

    def region(self):
        return MapRegion(self.kind, self.x, self.width, self.height, grid(self.image), self.shown)

    def part(self, channel, inner):
        return None if self.data is None else self.data[channel]

    def describe(self, cell):
        if self.data is None:
            return None
        m, y, x = self.data[cell.tile], cell.y, cell.x
        return (f"{self.title} · {self.names[cell.tile]} of {self.shape[0]} · map "
                f"{shape_text(m.shape)} · pixel (row {y}, col {x}) = {plain(m[y, x]):.4g} · "
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
                set_text(label, f"±{fmt(b)}")


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
        set_text(self.range, f"{fmt(low)} … {fmt(high)}")

    def blank(self) -> None:
        super().blank()
        self.mosaic.blank()
        self.image.show()
        self.range.setText("")

    def region(self):
        return StripRegion(self.kind, self.x, self.width, self.height, grid(self.image),
                           self.per, self.units)

    def describe(self, cell):
        if self.data is None:
            return None
        return (f"{self.title} · unit {cell.tile} of {self.units} = "
                f"{plain(self.data[cell.tile]):.4g}")


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

    def region(self):
        return RowsRegion(self.kind, self.x, self.width, self.height, TOP, self.row,
                          len(self.classes))

    def describe(self, cell):
        if self.data is None:
            return None
        i = cell.tile
        rank = int((self.data > self.data[i]).sum()) + 1
        return (f"output · class '{self.classes[i]}' · probability {float(self.data[i]):.4f} "
                f"(rank {rank} of {len(self.classes)})")
