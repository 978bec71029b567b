"""The receptive field of the cell under the mouse, drawn over the network view.

Hovering a cell of any map (or a dense unit, or a class) outlines the input pixels that cell can
see (engine/receptive.py's input_box) on every input channel tile, the cells of the layer's input
maps that it reads, and the cell itself. The boxes are worked out once per network, for each row
and each column of each layer (a cell's box is the product of the two), so hovering only moves a
few rectangles. When the view rebuilds its scene (set_network, the gradients toggle) it says
so (NetworkView.rebuilt), and the items are made again.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from cnnviz.engine.receptive import input_box, window
from cnnviz.engine.spec import WINDOWED

LINE = QColor("#00e5ff")          # the outlines
HALO = QColor(0, 0, 0, 190)       # under them, so they show on white and on yellow alike
Z_HIGHLIGHT = 10


def spans(layers, cells: int, axis: int) -> np.ndarray:
    """(cells, 2): for each cell index along one axis (0: rows, 1: columns) of the last of
    `layers`' output, the half-open range of cells of the first layer's input that it reads,
    walking each window back and clipping it to its input (as input_box does)."""
    first = np.arange(cells)
    end = first + 1
    for info in reversed(layers):
        if info.type in WINDOWED:
            k, stride, pad = window(info)
            size = info.in_shape[1 + axis]
            first, end = np.maximum(0, first * stride - pad), np.minimum(size, (end - 1) * stride
                                                                         - pad + k)
    return np.stack([first, end], axis=1)


def _input_spans(summary, layer: int, cells: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the input seen by each row and column of a map layer, by input_box."""
    rows = np.array([input_box(summary, layer, y, 0)[0::2] for y in range(cells[0])])
    cols = np.array([input_box(summary, layer, 0, x)[1::2] for x in range(cells[1])])
    return rows, cols


class _Geometry:
    """One map column's precomputed boxes: on the input, and on the map column before it."""

    def __init__(self, summary, column, before):
        layer, h, w = column.tap, column.shape[1], column.shape[2]
        self.rows, self.cols = _input_spans(summary, layer, (h, w))
        self.before = before if before is not None and before.kind != "input" else None
        if self.before is not None:
            walk = summary.layers[self.before.tap + 1:layer + 1]
            self.before_rows, self.before_cols = spans(walk, h, 0), spans(walk, w, 1)


def tile_rect(column, tile: int, box) -> QRectF:
    """Scene rectangle of box (top, left, bottom, right) in tile `tile` of a map column."""
    top, left, bottom, right = box
    tx, ty = column.mosaic.tile_origin(*divmod(tile, column.mosaic.cols))
    return QRectF(column.image.to_scene(tx + left, ty + top),
                  column.image.to_scene(tx + right, ty + bottom))


class Outline:
    """An outline of one or more rectangles (one path), in cyan over a dark halo."""

    def __init__(self, scene, width: float):
        self.items = []
        for colour, pen_width in ((HALO, width + 2.5), (LINE, width)):
            pen = QPen(colour)
            pen.setWidthF(pen_width)
            pen.setCosmetic(True)  # the same on screen at any zoom
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            item = QGraphicsPathItem()
            item.setPen(pen)
            item.setZValue(Z_HIGHLIGHT)
            item.setVisible(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            scene.addItem(item)
            self.items.append(item)
        self.rects: list[QRectF] = []

    def show(self, rects: list[QRectF]) -> None:
        if rects != self.rects:
            path = QPainterPath()
            for rect in rects:
                path.addRect(rect)
            for item in self.items:
                item.setPath(path)
        self.rects = rects
        for item in self.items:
            item.setVisible(bool(rects))

    def drawn(self) -> list[QRectF]:
        """The rectangles as drawn: read back from the outline's path, in scene coordinates."""
        line = self.items[1]
        if not line.isVisible():
            return []
        return [line.mapRectToScene(polygon.boundingRect())
                for polygon in line.path().toSubpathPolygons()]


class ReceptiveHighlight:
    """Outlines the receptive field of the cell under the mouse (see the module docstring):
    `box` is the input box shown (None: nothing), `before_box` the box on the maps the hovered
    layer reads (None when those are the input), `cell` the hovered (column index, tile, y, x)."""

    def __init__(self, view):
        self.view = view
        self._forget()
        view.rebuilt.connect(self._rebuild)
        view.canvas.moved.connect(self.hover)
        view.canvas.left.connect(self.clear)

    def _forget(self) -> None:
        self.input = None
        self.box = self.before_box = self.cell = None
        self.geometry, self.flat_boxes = {}, {}

    # -- building ----------------------------------------------------------------------------

    def _rebuild(self) -> None:
        """Make the outlines and tables for the view's new scene (none without a network)."""
        view = self.view
        self._forget()
        if view.summary is None or not view.columns or view.columns[0].kind != "input":
            return
        summary, self.input = view.summary, view.columns[0]
        self.on_input = Outline(view.scene, 1.5)    # the field, on every input channel tile
        self.on_before = Outline(view.scene, 1.0)   # the cells read, on each map of the layer input
        self.on_cell = Outline(view.scene, 1.0)     # the hovered cell
        before = None
        last = len(summary.layers) - 1
        for index, column in enumerate(view.columns):
            if column.kind in ("maps", "pooled"):
                self.geometry[index] = _Geometry(summary, column, before)
                before = column
            elif column.kind == "dense":
                self.flat_boxes[index] = input_box(summary, column.tap)
            elif column.kind == "output":
                self.flat_boxes[index] = input_box(summary, last)

    # -- hovering ----------------------------------------------------------------------------

    def cell_at(self, pos: QPointF):
        """(column index, tile, y, x) of the cell under a scene position, or None. Dense units
        and classes give (index, 0, 0, 0): they all see the same."""
        for index, column in enumerate(self.view.columns):
            if not column.contains(pos):
                continue
            if column.kind in ("input", "maps", "pooled"):
                where = column.image.locate(pos)
                if where is None:
                    return None
                row, col, y, x = where
                tile = row * column.mosaic.cols + col
                return (index, tile, y, x) if tile < column.shown else None
            if column.kind == "dense":
                where = column.image.locate(pos)
                if where is None or where[1] * column.per + where[2] >= column.units:
                    return None
                return index, 0, 0, 0
            if column.kind == "output" and column.tracks:
                top = column.tracks[0].rect().top()
                row = (pos.y() - top) // column.row
                return (index, 0, 0, 0) if 0 <= row < len(column.classes) else None
            return None
        return None

    def hover(self, pos: QPointF) -> None:
        if self.input is None:
            return
        cell = self.cell_at(pos)
        if cell == self.cell:
            return
        self.cell = cell
        box = before_box = before = None
        mark = []
        if cell is not None:
            index, tile, y, x = cell
            column = self.view.columns[index]
            if column.kind == "input":
                box = (y, x, y + 1, x + 1)
            elif index in self.geometry:
                g = self.geometry[index]
                box = (int(g.rows[y, 0]), int(g.cols[x, 0]), int(g.rows[y, 1]), int(g.cols[x, 1]))
                if g.before is not None:
                    before = g.before
                    before_box = (int(g.before_rows[y, 0]), int(g.before_cols[x, 0]),
                                  int(g.before_rows[y, 1]), int(g.before_cols[x, 1]))
                mark = [tile_rect(column, tile, (y, x, y + 1, x + 1))]
            else:
                box = self.flat_boxes.get(index)
        self.box, self.before_box = box, before_box
        self.on_input.show([] if box is None else
                           [tile_rect(self.input, t, box) for t in range(self.input.shown)])
        self.on_before.show([] if before is None else
                            [tile_rect(before, t, before_box) for t in range(before.shown)])
        self.on_cell.show(mark)

    def clear(self) -> None:
        """Nothing hovered (the mouse left the view)."""
        if self.input is not None:
            self.cell = self.box = self.before_box = None
            for outline in (self.on_input, self.on_before, self.on_cell):
                outline.show([])

    def input_rects(self) -> list[QRectF]:
        """The outlines drawn on the input tiles, in scene coordinates (empty: none)."""
        return self.on_input.drawn() if self.input is not None else []
