"""Clicking a cell in the network view: what to inspect, and a marker on what was picked.

CellPicker listens to the view's canvas (a click is a press and release without a drag, so
dragging to pan never picks anything) and turns the scene position into an InspectRequest:
a pixel of a conv, activation or pooled map asks for (channel, y, x) of the layer that column
shows, a unit of a dense strip for (unit,), the output column for the softmax. The view emits it
as `cell_clicked`; a weight of a filter (or its gradient) gives a WeightRef, whose update the
window shows. The marker outlines the picked cell; it is made again when the view rebuilds
its columns (set_network clears the scene), and the pick is then forgotten.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from cnnviz.engine.inspect import SOFTMAX, InspectRequest
from cnnviz.engine.weight_update import WeightRef

MARK = QColor("#ff3df2")        # the picked cell's outline (the hover outline is cyan)
MARK_HALO = QColor(0, 0, 0, 200)
Z_MARK = 12


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
        """The request a click at this scene position makes, and the scene rect of the cell."""
        for column in self.view.columns:
            if not column.contains(pos):
                continue
            if column.kind in ("maps", "pooled") and column.tap is not None:
                where = column.image.locate(pos)
                if where is None:
                    return None
                row, col, y, x = where
                channel = row * column.mosaic.cols + col
                if channel >= column.shown:
                    return None
                tx, ty = column.mosaic.tile_origin(row, col)
                return (InspectRequest(column.tap, (channel, y, x)),
                        _rect(column.image, tx + x, ty + y))
            if column.kind == "filters":  # a weight (or its gradient): its update
                where = column.image.locate(pos)
                if where is None:
                    return None
                f, c, y, x = where
                tx, ty = column.mosaic.tile_origin(f, c)
                return (WeightRef(column.layer, "weight", (f, c, y, x)),
                        _rect(column.image, tx + x, ty + y))
            if column.kind == "dense":
                where = column.image.locate(pos)
                if where is None:
                    return None
                _, strip, y, _ = where
                unit = strip * column.per + y
                if unit >= column.units:
                    return None
                tx, ty = column.mosaic.tile_origin(0, strip)
                return InspectRequest(column.tap, (unit,)), _rect(column.image, tx, ty + y)
            if column.kind == "output" and column.tracks:
                top = column.tracks[0].rect().top()
                bottom = column.tracks[-1].rect().bottom()
                if not top <= pos.y() <= bottom + 4:
                    return None
                return (InspectRequest(SOFTMAX),
                        QRectF(column.x - 3, top - 3, column.width + 6, bottom - top + 6))
            return None
        return None

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
        view = self.view
        self.request, self._items = None, []
        for colour, width in ((MARK_HALO, 4.0), (MARK, 2.0)):
            pen = QPen(colour, width)
            pen.setCosmetic(True)  # as thick at any zoom
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            item = QGraphicsRectItem()
            item.setPen(pen)
            item.setZValue(Z_MARK)
            item.setVisible(False)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            view.scene.addItem(item)
            self._items.append(item)


def _rect(image, tx: float, ty: float) -> QRectF:
    """Scene rect around image pixel (tx, ty) of a MosaicImage: a unit wider on each side, so
    the outline rings the pixel instead of hiding it, however small the pixel is drawn."""
    top_left = image.to_scene(tx, ty)
    return QRectF(top_left, image.to_scene(tx + 1, ty + 1)).adjusted(-1, -1, 1, 1)
