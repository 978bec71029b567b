"""The receptive field of the cell under the mouse, drawn over the network view.

Hovering a cell of any map (or a dense unit, or a class) outlines the input pixels that cell can
see on every input channel tile, the cells of the layer's input maps that it reads, and the cell
itself. What a cell sees is receptive_boxes.py's (worked out once per network from the engine's
input_box); which cell is hovered is the view's one hit-test (NetworkView.cell_at), so hovering
only moves a few rectangles. When the view rebuilds its scene (set_network, the gradients
toggle) it says so (NetworkView.rebuilt), and the items are made again.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from cnnviz.app.panes.overlay_items import outline_pen, overlay, scene_rect
from cnnviz.app.panes.receptive_boxes import ReceptiveTables

LINE = QColor("#00e5ff")          # the outlines
HALO = QColor(0, 0, 0, 190)       # under them, so they show on white and on yellow alike
Z_HIGHLIGHT = 10


class Outline:
    """An outline of one or more rectangles (one path), in cyan over a dark halo."""

    def __init__(self, scene, width: float):
        self.items = [overlay(scene, QGraphicsPathItem(), outline_pen(colour, pen_width), Z_HIGHLIGHT)
                      for colour, pen_width in ((HALO, width + 2.5), (LINE, width))]
        self.rects: list[QRectF] = []

    def show(self, rects: list[tuple[float, float, float, float]]) -> None:
        """Outline these scene rectangles (left, top, right, bottom); none: hide."""
        rects = [scene_rect(rect) for rect in rects]
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
    layer reads (None when those are the input), `cell` the hovered Cell."""

    def __init__(self, view):
        self.view = view
        self._forget()
        view.rebuilt.connect(self._rebuild)
        view.canvas.moved.connect(self.hover)
        view.canvas.left.connect(self.clear)

    def _forget(self) -> None:
        self.input = self.tables = None  # the input column, what each column's cells see
        self.box = self.before_box = self.cell = None

    def _rebuild(self) -> None:
        """Make the outlines and tables for the view's new scene (none without a network)."""
        view = self.view
        self._forget()
        if view.summary is None or not view.columns or view.columns[0].kind != "input":
            return
        self.input, self.tables = view.columns[0], ReceptiveTables(view.summary, view.columns)
        self.on_input = Outline(view.scene, 1.5)    # the field, on every input channel tile
        self.on_before = Outline(view.scene, 1.0)   # the cells read, on each map of the layer input
        self.on_cell = Outline(view.scene, 1.0)     # the hovered cell

    def hover(self, pos: QPointF) -> None:
        if self.input is None:
            return
        cell = self.view.cell_at(pos)
        if cell == self.cell:
            return
        self.cell = cell
        seen = None if cell is None else self.tables.seen(cell)
        self.box = None if seen is None else seen.box
        self.before_box = None if seen is None else seen.before_box
        geometry = self.view.geometry
        self.on_input.show([] if seen is None else geometry.tile_rects(0, seen.box))
        self.on_before.show([] if self.before_box is None else
                            geometry.tile_rects(seen.before, seen.before_box))
        self.on_cell.show([geometry.cell_rect(cell)] if seen is not None
                          and cell.kind in ("maps", "pooled") else [])

    def clear(self) -> None:
        """Nothing hovered (the mouse left the view)."""
        if self.input is not None:
            self.cell = self.box = self.before_box = None
            for outline in (self.on_input, self.on_before, self.on_cell):
                outline.show([])

    def input_rects(self) -> list[QRectF]:
        """The outlines drawn on the input tiles, in scene coordinates (empty: none)."""
        return self.on_input.drawn() if self.input is not None else []
