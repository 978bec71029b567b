"""The inspector's small pictures: grids of numbers and a thumbnail of the input.

- NumberGrid: a rows x cols grid of values, each cell coloured (grey for inputs, blue-white-red
  for weights and products) and, when small enough, with its number written in it; larger grids
  are heat maps whose numbers show on hover. Padding cells are hatched; one cell can be outlined
  (the winner of a max pool). Built once, then only given new values.
- InputThumbnail: the network's input image with a box drawn on it (the receptive field).

The number formats the inspector writes, num() and cell_text(), are in number_text.py.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from cnnviz.app.panes.map_grid import diverging_lut, grey_lut, sequential_lut
from cnnviz.app.panes.number_text import cell_text, plain

NUMBER_CELL = QSize(42, 17)    # a cell with its number written in it, in pixels
PAD_COLOUR = QColor("#3a3c42")
GRID_LINE = QColor("#202124")
MARK = QColor("#ff3df2")       # the same magenta as the picked cell in the network view
FIELD = QColor("#00e5ff")      # the same cyan as the receptive field on hover
DIM_STYLE = "color: #5f6368"  # captions: quieter than the numbers, readable on the light panes


class NumberGrid(QWidget):
    """A grid of values. palette: "grey" (inputs: black = low, white = high), "diverging"
    (weights, products: blue < 0 < red, white = 0) or "sequential" (viridis). numbers: write
    every number in its cell; otherwise cells are small and the numbers show on hover. A click
    on a cell emits clicked(row, column)."""
    clicked = Signal(int, int)

    def __init__(self, rows: int, cols: int, palette: str, numbers: bool, help_text: str,
                 parent=None):
        super().__init__(parent)
        self.rows, self.cols, self.palette, self.numbers = rows, cols, palette, numbers
        self.help = help_text
        self.lut = {"grey": grey_lut, "diverging": diverging_lut,
                    "sequential": sequential_lut}[palette]()
        if numbers:
            self.cell = NUMBER_CELL
        else:
            side = max(4, min(12, 64 // max(rows, cols)))  # about as tall as 3 rows of numbers
            self.cell = QSize(side, side)
        self.setFixedSize(cols * self.cell.width() + 1, rows * self.cell.height() + 1)
        self.values = np.zeros((rows, cols))
        self.mask = np.zeros((rows, cols), bool)
        self.highlight: tuple[int, int] | None = None
        self._colours = np.zeros((rows, cols, 3), np.uint8)
        self._texts: list[list[str]] = [["" for _ in range(cols)] for _ in range(rows)]
        self.setToolTip(help_text)
        font = QFont()
        font.setPixelSize(11)
        self.setFont(font)

    def set_values(self, values, mask=None, highlight=None, levels=None) -> None:
        """New values (rows, cols); mask marks padding cells, highlight a (row, col) to outline,
        levels the (low, high) of the colour scale (default: the values' own range; symmetric
        about 0 for the diverging palette)."""
        values = np.asarray(values, dtype=np.float64).reshape(self.rows, self.cols)
        self.values = values
        self.mask = (np.zeros(values.shape, bool) if mask is None
                     else np.asarray(mask, bool).reshape(values.shape))
        self.highlight = highlight
        real = values[~self.mask]
        if levels is None:
            if self.palette == "diverging":
                bound = float(np.abs(real).max()) if real.size else 1.0
                levels = (-bound, bound)
            else:
                levels = (float(real.min()), float(real.max())) if real.size else (0.0, 1.0)
        low, high = levels
        span = high - low if high > low else 1.0
        index = np.clip((values - low) / span * 255, 0, 255).astype(np.intp)
        self._colours = self.lut[index]
        if self.numbers:
            self._texts = [[cell_text(v) for v in row] for row in values.tolist()]
        self.update()

    def text(self, row: int, col: int) -> str:
        """What is written in a cell (its number; "" when the grid shows no numbers)."""
        return self._texts[row][col] if self.numbers else ""

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        row, col = int(y // self.cell.height()), int(x // self.cell.width())
        return (row, col) if 0 <= row < self.rows and 0 <= col < self.cols else None

    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(*cell)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        w, h = self.cell.width(), self.cell.height()
        for r in range(self.rows):
            for c in range(self.cols):
                rect = QRect(c * w, r * h, w, h)
                if self.mask[r, c]:
                    painter.fillRect(rect, PAD_COLOUR)
                    painter.fillRect(rect, QBrush(QColor("#55585f"), Qt.BrushStyle.BDiagPattern))
                    ink = QColor("#9a9da5")
                else:
                    red, green, blue = (int(v) for v in self._colours[r, c])
                    painter.fillRect(rect, QColor(red, green, blue))
                    light = 0.299 * red + 0.587 * green + 0.114 * blue
                    ink = QColor("#111111") if light > 140 else QColor("#f2f2f2")
                if self.numbers:
                    painter.setPen(ink)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._texts[r][c])
        painter.setPen(QPen(GRID_LINE, 1))
        for r in range(self.rows + 1):
            painter.drawLine(0, r * h, self.cols * w, r * h)
        for c in range(self.cols + 1):
            painter.drawLine(c * w, 0, c * w, self.rows * h)
        if self.highlight is not None:
            r, c = self.highlight
            painter.setPen(QPen(MARK, 3))
            painter.drawRect(QRect(c * w + 1, r * h + 1, w - 2, h - 2))
        painter.end()

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            cell = self.cell_at(event.pos().x(), event.pos().y())
            if cell is None:
                QToolTip.showText(event.globalPos(), self.help, self)
            else:
                r, c = cell
                what = " (padding: a zero added around the input)" if self.mask[r, c] else ""
                QToolTip.showText(event.globalPos(), f"Row {r}, column {c}: "
                                  f"{plain(self.values[r, c]):.6g}{what}.\n\n{self.help}", self)
            return True
        return super().event(event)


def image_rgb(image: np.ndarray) -> np.ndarray:
    """A (C, H, W) image as (H, W, 3) uint8 for display: three channels as colour, anything
    else as the grey mean of its channels, stretched to its own range."""
    image = np.asarray(image, dtype=np.float32)
    grey = image.mean(axis=0) if image.shape[0] != 3 else None
    rgb = np.stack([grey] * 3) if grey is not None else image
    low, high = float(rgb.min()), float(rgb.max())
    scaled = (rgb - low) / (high - low) if high > low else np.zeros_like(rgb)
    return np.ascontiguousarray((np.clip(scaled, 0, 1) * 255).astype(np.uint8).transpose(1, 2, 0))


def to_qimage(rgb: np.ndarray) -> QImage:
    h, w, _ = rgb.shape
    rgb = np.ascontiguousarray(rgb)
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class InputThumbnail(QWidget):
    """The network's input image, enlarged, with `box` (top, left, bottom, right) outlined."""

    def __init__(self, side: int, help_text: str, parent=None):
        super().__init__(parent)
        self.side = side
        self.box: tuple[int, int, int, int] | None = None
        self._image: QImage | None = None
        self._source = None
        self._shape = (1, 1)
        self.setToolTip(help_text)
        self.setFixedSize(side, side)

    def set_image(self, image: np.ndarray | None, box=None) -> None:
        box = None if box is None else tuple(int(v) for v in box)
        if image is self._source and box == self.box:
            return  # the same picture (every snapshot of one probe): nothing to redraw
        self.box, self._source = box, image
        if image is not None:
            self._shape = image.shape[1:]
            self._image = to_qimage(image_rgb(image))
        else:
            self._image = None
        self.update()

    def _scale(self) -> float:
        return self.side / max(self._shape)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#1e1f22"))
        scale = self._scale()
        h, w = self._shape
        if self._image is not None:
            painter.drawImage(QRectF(0, 0, w * scale, h * scale), self._image)
        if self.box is not None:
            top, left, bottom, right = self.box
            rect = QRectF(left * scale, top * scale, (right - left) * scale,
                          (bottom - top) * scale)
            painter.setPen(QPen(QColor(0, 0, 0, 200), 4))
            painter.drawRect(rect)
            painter.setPen(QPen(FIELD, 2))
            painter.drawRect(rect)
        painter.end()
