"""Clicking a cell in the network view: what to inspect, and a marker on what was picked.

CellPicker listens to the view's canvas (a click is a press and release without a drag, so
dragging to pan never picks anything), asks the view which cell was clicked (its one
hit-test, NetworkView.cell_at) and turns it into an InspectRequest: a pixel of a conv,
activation or pooled map asks for (channel, y, x) of the layer that column shows, a unit of a
dense strip for (unit,), the output column for the softmax. The view emits it as
`cell_clicked`; a weight of a filter (or its gradient) gives a WeightRef, whose update the
window shows. The marker outlines the picked cell; it is made again when the view rebuilds
its columns (set_network clears the scene), and the pick is then forgotten.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem

from cnnviz.app.panes.network_geometry import Cell
from cnnviz.app.panes.overlay_items import outline_pen, overlay, scene_rect
from cnnviz.engine.inspect import SOFTMAX, InspectRequest
from cnnviz.engine.weight_update import WeightRef

MARK = QColor("#ff3df2")        # the picked cell's outline (the hover outline is cyan)
MARK_HALO = QColor(0, 0, 0, 200)
Z_MARK = 12


def request_for(cell: Cell, column) -> InspectRequest | WeightRef | None:
    """What clicking `cell` of `column` asks for: None for the input and the gradient maps,
    which have no arithmetic of their own to show."""
    if cell.kind in ("maps", "pooled"):
        return InspectRequest(column.tap, (cell.tile, cell.y, cell.x))
    if cell.kind == "filters":  # a weight (or its gradient): its update
        return WeightRef(column.layer, "weight", (cell.tile, cell.inner, cell.y, cell.x))
    if cell.kind == "dense":
        return InspectRequest(column.tap, (cell.tile,))
    if cell.kind == "output":
        return InspectRequest(SOFTMAX)
    return None


class CellPicker:
    """Turns clicks on the view's canvas into the view's cell_clicked(InspectRequest)."""

    def __init__(self, view):
        self.view = view
        self.request: InspectRequest | None = None  # what is marked
        self._items: list[QGraphicsRectItem] = []
        view.canvas.clicked.connect(self.click)
        view.rebuilt.connect(self._rebuild)

    def click(self, pos: QPointF) -> None:
        hit = self.request_at(pos)
        if hit is None:
            return
        request, rect = hit
        self.mark(request, rect)
        self.view.cell_clicked.emit(request)

    def request_at(self, pos: QPointF) -> tuple[InspectRequest | WeightRef, QRectF] | None:
        """The request a click at this scene position makes, and the rect its marker rings:
        the cell a unit wider on each side, so that the ring shows the pixel instead of
        hiding it however small the pixel is drawn (the output's bars, bigger, by 3)."""
        cell = self.view.cell_at(pos)
        request = None if cell is None else request_for(cell, self.view.columns[cell.column])
        if request is None:
            return None
        margin = 3 if cell.kind == "output" else 1
        rect = scene_rect(self.view.geometry.cell_rect(cell))
        return request, rect.adjusted(-margin, -margin, margin, margin)

    def mark(self, request: InspectRequest | None, rect: QRectF | None = None) -> None:
        """Outline `rect` as the picked cell; None takes the marker away."""
        self.request = request
        for item in self._items:
            if rect is not None:
                item.setRect(rect)
            item.setVisible(request is not None and rect is not None)

    def clear(self) -> None:
        self.mark(None)

    def marked_rect(self) -> QRectF | None:
        """The scene rect outlined now, or None."""
        if not self._items or not self._items[-1].isVisible():
            return None
        return self._items[-1].rect()

    def _rebuild(self) -> None:
        """Make the marker's items again for the view's new scene; the pick is forgotten."""
        self.request = None
        self._items = [overlay(self.view.scene, QGraphicsRectItem(), outline_pen(colour, width),
                               Z_MARK) for colour, width in ((MARK_HALO, 4.0), (MARK, 2.0))]
