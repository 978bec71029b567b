"""The drawing canvas: a QImage the user paints on with a round brush or an eraser.

The picture is kept at a fixed working resolution (about 280 pixels along its longer side,
a whole multiple of the network's input size) and drawn scaled to fit the widget. Mouse and
tablet (with pressure; the stylus's eraser end erases) both draw; the right mouse button
erases too. Image files dropped on the canvas are announced with ``file_dropped``; the pane
decides what to do with them. The canvas knows nothing of networks or datasets; its
arithmetic (the picture's size and place, the brush's width) is in canvas_geometry.py.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPointingDevice
from PySide6.QtWidgets import QSizePolicy, QWidget

from cnnviz.app.panes.canvas_geometry import (
    brush_radius_on_screen,
    fit_centred,
    stroke_width,
    to_picture,
    working_scale,
)

HINT = "Draw here\nor drop an image file"
# Over a picture the user did not draw (a test image): how to make one's own.
PICTURE_HINT = "draw on it · Ctrl+L: blank"


class Canvas(QWidget):
    """A paintable picture. ``edited`` fires on every stroke segment the user draws."""

    edited = Signal()
    file_dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._background = QColor(Qt.black)
        self._ink = QColor(Qt.white)
        self._brush_size = 22.0
        self._eraser = False
        self._stroke_erases = False
        self._last: QPointF | None = None   # the stroke's last point, in picture pixels
        self._hover: QPointF | None = None  # the mouse, in widget pixels
        self._blank = True
        self._drawn = False  # the user has drawn on the picture shown
        self._image = QImage()
        self.setAcceptDrops(True)
        self.setMouseTracking(True)
        self.setAttribute(Qt.WA_TabletTracking)
        self.setCursor(Qt.CrossCursor)
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.reset(28, 28, self._background, self._ink)

    # ---- set-up and state -------------------------------------------------------------------
    def reset(self, height: int, width: int, background: QColor, ink: QColor) -> None:
        """A new blank picture for inputs of height x width, and the colours to use."""
        scale = working_scale(height, width)
        self._image = QImage(width * scale, height * scale, QImage.Format_RGB32)
        self._background = QColor(background)
        self._ink = QColor(ink)
        self._last = None
        self.clear()

    def clear(self) -> None:
        """Fill the picture with the background colour (no ``edited`` signal)."""
        self._image.fill(self._background)
        self._blank = True
        self.update()

    def set_picture(self, rgb: np.ndarray) -> None:
        """Show an (h, w, 3) uint8 picture, enlarged (each pixel a block) to fill the canvas."""
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        h, w = rgb.shape[:2]
        small = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888)
        big = small.scaled(self._image.width(), self._image.height(),
                           Qt.IgnoreAspectRatio, Qt.FastTransformation)
        self._image = big.convertToFormat(QImage.Format_RGB32)  # a copy: detached from rgb
        self._last = None
        self._blank, self._drawn = False, False
        self.update()

    def to_array(self) -> np.ndarray:
        """The picture as an (H, W, 3) uint8 RGB array (a copy)."""
        img = self._image
        h, w = img.height(), img.width()
        raw = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
        bgra = raw.reshape(h, img.bytesPerLine())[:, :4 * w].reshape(h, w, 4)
        return bgra[:, :, 2::-1].copy()  # Format_RGB32 is B, G, R, 0xff in memory

    def picture_size(self) -> tuple[int, int]:
        return self._image.height(), self._image.width()

    def is_blank(self) -> bool:
        return self._blank

    def set_ink(self, colour: QColor) -> None:
        self._ink = QColor(colour)

    def ink(self) -> QColor:
        return QColor(self._ink)

    def set_eraser(self, on: bool) -> None:
        self._eraser = bool(on)

    def set_brush_size(self, pixels: float) -> None:
        """Brush diameter in picture pixels."""
        self._brush_size = float(pixels)
        self.update()

    def brush_size(self) -> float:
        return self._brush_size

    # ---- strokes ----------------------------------------------------------------------------
    def _target(self) -> QRectF:
        """Where the picture is drawn: as large as fits, centred, keeping its aspect ratio."""
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        return QRectF(*fit_centred(area.getRect(), (self._image.width(), self._image.height())))

    def _to_picture(self, pos: QPointF) -> QPointF:
        return QPointF(*to_picture(pos.x(), pos.y(), self._target().getRect(), self._image.width()))

    def _begin(self, pos: QPointF, erase: bool, pressure: float = 1.0) -> None:
        self._stroke_erases = erase or self._eraser
        self._last = self._to_picture(pos)
        self._paint(self._last, self._last, pressure)

    def _extend(self, pos: QPointF, pressure: float = 1.0) -> None:
        if self._last is None:
            return
        p = self._to_picture(pos)
        self._paint(self._last, p, pressure)
        self._last = p

    def _end(self) -> None:
        self._last = None

    def _paint(self, a: QPointF, b: QPointF, pressure: float) -> None:
        colour = self._background if self._stroke_erases else self._ink
        width = stroke_width(self._brush_size, pressure)  # a mouse has pressure 1
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(colour, width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
        if a == b:
            painter.drawPoint(a)
        else:
            painter.drawLine(a, b)
        painter.end()
        if not self._stroke_erases:
            self._blank = False
        self._drawn = True
        self.update()
        self.edited.emit()

    # ---- events -----------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() in (Qt.LeftButton, Qt.RightButton) and self._last is None:
            self._begin(event.position(), erase=event.button() == Qt.RightButton)
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        self._hover = event.position()
        if self._last is not None:
            self._extend(event.position())
        else:
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._last is not None:
            self._extend(event.position())
            self._end()

    def tabletEvent(self, event) -> None:
        kind, pos, pressure = event.type(), event.position(), event.pressure()
        self._hover = pos
        if kind == QEvent.TabletPress:
            eraser_end = event.pointerType() == QPointingDevice.PointerType.Eraser
            self._begin(pos, erase=eraser_end, pressure=pressure)
        elif kind == QEvent.TabletMove:
            self._extend(pos, pressure)
        elif kind == QEvent.TabletRelease:
            self._end()
        event.accept()  # no synthesized mouse events on top

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    def event(self, event) -> bool:
        if event.type() == QEvent.ToolTip and self._last is not None:
            return True  # no tooltip popping up in the middle of a stroke
        return super().event(event)

    def dragEnterEvent(self, event) -> None:
        if _first_local_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:
        path = _first_local_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.file_dropped.emit(path)
        else:
            event.ignore()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        target = self._target()
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.drawImage(target, self._image)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor(128, 128, 128), 1))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        if self._blank:
            painter.setPen(QColor(140, 140, 140))
            painter.drawText(target, Qt.AlignCenter, HINT)
        elif not self._drawn:
            strip = QRectF(target.left(), target.bottom() - 20, target.width(), 20)
            painter.fillRect(strip, QColor(0, 0, 0, 150))
            painter.setPen(QColor(235, 235, 235))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 0.85)
            painter.setFont(font)
            text = painter.fontMetrics().elidedText(PICTURE_HINT, Qt.ElideRight,
                                                    int(strip.width()) - 4)
            painter.drawText(strip, Qt.AlignCenter, text)
        if self._hover is not None and target.contains(self._hover):
            radius = brush_radius_on_screen(self._brush_size, target.width(), self._image.width())
            painter.setPen(QPen(QColor(128, 128, 128), 1, Qt.DashLine))
            painter.drawEllipse(self._hover, radius, radius)
        painter.end()


def _first_local_file(mime) -> str | None:
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return url.toLocalFile()
    return None
