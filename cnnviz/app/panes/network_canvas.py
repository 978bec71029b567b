"""The network view's canvas: the scrollable, zoomable QGraphicsView its scene is shown in,
with the zoom buttons that go with it.

Wheel scrolls (sideways when everything fits vertically), Ctrl+wheel zooms, drag pans. Until
the user zooms (a button, Ctrl+wheel, Fit or 1:1) the canvas fits itself (auto_fit): full size,
or smaller so that a column's whole height is in view. It reports the scene position under the
mouse, a click that was not a drag and a double-click; what lies there is the view's business.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QApplication, QGraphicsView, QToolButton

from cnnviz.app.panes.hover_view import HoverView

MIN_ZOOM, MAX_ZOOM = 0.1, 8.0
BUTTON_STEP = 1.25       # the − and + buttons
WHEEL_STEP = 1.0015      # Ctrl+wheel, per unit of the wheel's angle (120 a notch)


class NetworkCanvas(HoverView):
    """Scrollable, zoomable view of the scene; reports the scene position under the mouse.
    `zoomed` says that the user chose a zoom (the canvas stops fitting itself)."""
    zoomed = Signal()
    clicked = Signal(QPointF)  # a left click that was not a drag
    double_clicked = Signal(QPointF)

    def __init__(self, scene):
        super().__init__(scene)
        self.auto_zoom = True
        self._pressed_at = None
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)

    def zoom_buttons(self) -> list[QToolButton]:
        """−, +, Fit and 1:1, with their tips."""
        buttons = []
        for text, tip, slot in (("−", "Zoom out (Ctrl+wheel)", lambda: self.zoom(1 / BUTTON_STEP)),
                                ("+", "Zoom in (Ctrl+wheel)", lambda: self.zoom(BUTTON_STEP)),
                                ("Fit", "Show the whole network", self.fit),
                                ("1:1", "Actual size", self.actual_size)):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.append(button)
        return buttons

    def zoom(self, factor: float) -> None:
        current = self.transform().m11()
        factor = min(max(current * factor, MIN_ZOOM), MAX_ZOOM) / current
        self.scale(factor, factor)
        self._chosen()

    def fit(self) -> None:
        """The whole scene in view."""
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._chosen()

    def actual_size(self) -> None:
        self.resetTransform()
        self._chosen()

    def _chosen(self) -> None:
        self.auto_zoom = False
        self.zoomed.emit()

    def auto_fit(self) -> None:
        """Until the user zooms: full size, or smaller so a column's whole height is in view."""
        if not self.auto_zoom:
            return
        height = self.sceneRect().height()
        room = self.viewport().height()
        scale = min(1.0, max(0.5, room / height)) if height > 0 and room > 50 else 1.0
        # Scale about the scene's top left, not the view's centre, so the input column stays in view.
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.resetTransform()
        self.scale(scale, scale)
        self.setTransformationAnchor(anchor)

    def wheelEvent(self, event):
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(WHEEL_STEP ** delta)
        elif (event.modifiers() & Qt.KeyboardModifier.ShiftModifier
              or self.verticalScrollBar().maximum() == 0):
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - delta)
        else:
            super().wheelEvent(event)

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
        pressed, self._pressed_at = self._pressed_at, None
        if (pressed is not None and event.button() == Qt.MouseButton.LeftButton
                and (event.position() - pressed).manhattanLength()
                < QApplication.startDragDistance()):
            self.clicked.emit(self.mapToScene(event.position().toPoint()))
