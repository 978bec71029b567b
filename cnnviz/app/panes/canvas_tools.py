"""The row of drawing tools under the Input dock's canvas: Brush and Eraser, the brush size, the
pen colour (colour datasets only) and Clear. The tools set the canvas's brush and ink directly;
Clear is the dock's to connect, since emptying the canvas also changes the probe. They also say
which paper and ink the canvas of a dataset uses: grey datasets draw white on black, colour ones
in the chosen pen colour on white (probe_pictures.paper)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from cnnviz.app.panes.canvas import Canvas
from cnnviz.app.panes.probe_pictures import paper


class CanvasTools(QWidget):
    def __init__(self, canvas: Canvas, ask_colour: Callable[[QWidget, QColor], QColor | None],
                 parent: QWidget | None = None) -> None:
        """`ask_colour(parent, current)` asks the user for a pen colour (None: cancelled)."""
        super().__init__(parent)
        self._canvas, self._ask_colour = canvas, ask_colour
        self._channels = 1
        self._pen = QColor(Qt.black)
        self.brush_button = self._tool("Brush", "Draw with the pen (right mouse button erases).")
        self.eraser_button = self._tool("Eraser", "Rub out: paint with the background colour.")
        self.brush_button.setChecked(True)
        self.brush_button.clicked.connect(lambda: self._set_eraser(False))
        self.eraser_button.clicked.connect(lambda: self._set_eraser(True))
        self.size_slider = QSlider(Qt.Horizontal)
        self.size_slider.setRange(4, 80)
        self.size_slider.setValue(22)
        self.size_slider.setMinimumWidth(60)
        self.size_slider.setToolTip("Brush size (the dashed circle on the canvas shows it).")
        self.size_slider.valueChanged.connect(canvas.set_brush_size)
        self.colour_button = QToolButton()
        self.colour_button.setToolTip("Pen colour (colour datasets only).")
        self.colour_button.clicked.connect(self._choose_colour)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Empty the canvas.")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.brush_button)
        row.addWidget(self.eraser_button)
        row.addWidget(QLabel("Size"))
        row.addWidget(self.size_slider, 1)
        row.addWidget(self.colour_button)
        row.addWidget(self.clear_button)

    def _tool(self, text: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setCheckable(True)
        b.setAutoExclusive(True)
        return b

    def configure(self, channels: int) -> None:
        """Tools for a dataset of `channels` (1 or 3): the pen colour only for colour, and the
        brush (not the eraser) in hand."""
        self._channels = channels
        self.colour_button.setVisible(channels == 3)
        self._paint_colour_button()
        self._set_eraser(False)

    def paper(self) -> QColor:
        return QColor(paper(self._channels))

    def ink(self) -> QColor:
        return QColor(self._pen) if self._channels == 3 else QColor(Qt.white)

    def set_pen_colour(self, colour: QColor) -> None:
        """The ink for colour datasets (grey datasets always draw white on black)."""
        self._pen = QColor(colour)
        if self._channels == 3:
            self._canvas.set_ink(self._pen)
        self._paint_colour_button()

    def _choose_colour(self) -> None:
        colour = self._ask_colour(self, self._pen)
        if colour is not None:
            self.set_pen_colour(colour)
            self._set_eraser(False)

    def _set_eraser(self, on: bool) -> None:
        self._canvas.set_eraser(on)
        (self.eraser_button if on else self.brush_button).setChecked(True)

    def _paint_colour_button(self) -> None:
        swatch = QPixmap(16, 16)
        swatch.fill(self._pen)
        self.colour_button.setIcon(swatch)
