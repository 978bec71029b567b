"""Many small labels of one font and colour, drawn by one scene item.

The network view labels every map (its channel and its value range) and every filter row and
column: about 550 labels for fashion-2conv. As separate QGraphicsSimpleTextItems, each cached as
a pixmap, they cost Qt ~1.5 ms per repaint (its work per item, not the drawing), a quarter of the
window's time per snapshot while training. A TextSheet draws its labels in one paint, cached as
one pixmap that is drawn again only where a label changed.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from cnnviz.app.panes.map_grid import readable


class SheetLabel:
    """One label of a TextSheet, at (x, y) (its top left, in scene units)."""

    def __init__(self, sheet: TextSheet, text: str, x: float, y: float):
        self.sheet, self._text, self._x, self._y = sheet, text, x, y

    def text(self) -> str:
        return self._text

    def x(self) -> float:
        return self._x

    def y(self) -> float:
        return self._y

    def rect(self) -> QRectF:
        metrics = self.sheet.metrics
        return QRectF(self._x, self._y, metrics.horizontalAdvance(self._text), metrics.height())

    def setText(self, text: str) -> None:
        if text != self._text:
            old = self.rect()
            self._text = text
            self.sheet.changed(old.united(self.rect()))


class TextSheet(QGraphicsItem):
    def __init__(self, scene: QGraphicsScene, size: int, color: QColor):
        super().__init__()
        self.font = QFont()
        self.font.setPixelSize(size)
        self.metrics = QFontMetricsF(self.font)
        self.color = QColor(color)
        self.labels: list[SheetLabel] = []
        self._bounds = QRectF()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        scene.addItem(self)

    def add(self, text: str, x: float, y: float) -> SheetLabel:
        label = SheetLabel(self, text, x, y)
        self.labels.append(label)
        self.changed(label.rect())
        return label

    def changed(self, area: QRectF) -> None:
        """Repaint `area` (a label's old and new extent), growing the bounds if it sticks out."""
        if not self._bounds.contains(area):
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(area)
        self.update(area)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter, option, widget=None) -> None:
        if not readable(painter, self.font.pixelSize()):
            return
        painter.setFont(self.font)
        painter.setPen(self.color)
        ascent = self.metrics.ascent()
        for label in self.labels:
            text = label.text()
            if text:
                painter.drawText(QPointF(label.x(), label.y() + ascent), text)
