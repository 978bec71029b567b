"""Items drawn over the network view's columns: the receptive-field outlines, the picked
cell's marker, the dead filters' frames. They are made the same way (a pen, a place above the
maps, hidden until needed, and the mouse going through them to the maps), so they are made
here, once."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QAbstractGraphicsShapeItem, QGraphicsScene


def outline_pen(colour: QColor, width: float) -> QPen:
    """A pen as wide on screen at any zoom, with square corners."""
    pen = QPen(colour)
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen


def overlay(scene: QGraphicsScene, item: QAbstractGraphicsShapeItem, pen: QPen, z: float):
    """Put `item` in the scene above the maps (at z), drawn with `pen`, hidden, and letting the
    mouse through (a click or a hover is for the cell beneath). Returns the item."""
    item.setPen(pen)
    item.setZValue(z)
    item.setVisible(False)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    scene.addItem(item)
    return item


def scene_rect(rect: tuple[float, float, float, float]) -> QRectF:
    """A (left, top, right, bottom) rectangle of network_geometry.py as a QRectF."""
    left, top, right, bottom = rect
    return QRectF(QPointF(left, top), QPointF(right, bottom))
