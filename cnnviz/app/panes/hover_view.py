"""The view the network and the filter timeline show their scenes in: dark, top-left aligned,
reporting the scene point under the mouse (`moved`) and the mouse leaving (`left`), so the pane
can say what lies there."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

from cnnviz.app.panes.network_columns import BACKGROUND


class HoverView(QGraphicsView):
    moved = Signal(QPointF)
    left = Signal()

    def __init__(self, scene):
        super().__init__(scene)
        self.setMouseTracking(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setBackgroundBrush(BACKGROUND)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        self.moved.emit(self.mapToScene(event.position().toPoint()))

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.left.emit()
