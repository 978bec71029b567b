"""Play: the tutorials' "flashlight". The filter of an inspected conv cell slides over the layer's
input (padding and stride included) and fills that filter's map cell by cell, at a chosen speed.

The arithmetic per position is a dot product of numbers the snapshot already holds (the layer's
input: a tap, or the probe image; the filter: conv_weights; the bias: the inspected cell's), done
here in the GUI thread as display arithmetic; the engine is never called. Play takes the numbers
of the snapshot shown when it starts and keeps them to the end, so the finished map is the conv
layer's own output (its tap) for that snapshot, even while training goes on.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.inspector_grids import DIM_STYLE, FIELD, MARK, image_rgb, to_qimage
from cnnviz.app.panes.map_grid import sequential_lut
from cnnviz.app.panes.number_text import num

SIDE = 120          # pixels of each picture's longer side
TICK_MS = 33        # the animation's clock (about 30 frames a second)
SPEED_STEPS = 30    # slider positions: 10 ** (position / 10) cells per second, 1 to 1000
HELP = {
    "input": "The layer's input, padding hatched around it. The outlined window is where the "
             "filter sits now; it moves by the stride.",
    "map": "The filter's map being built: each cell is the sum of the products of the filter "
           "and the window under it, plus the bias (before the activation).",
    "play": "Play: slide the filter over the whole input and fill its map cell by cell, as the "
            "flashlight of the tutorials does. Press again to pause.",
    "speed": "How many cells of the map to fill per second.",
    "step": "Move the filter to the next position and work out one more cell.",
}


class _Picture(QWidget):
    """An image (H, W, 3 uint8), with hatched padding around it and outlined rectangles."""

    def __init__(self, help_text: str):
        super().__init__()
        self.setToolTip(help_text)
        self.setFixedSize(SIDE, SIDE)
        self.image, self.shape, self.pad = None, (1, 1), 0
        self.boxes: list[tuple[QRectF, QColor]] = []

    def set_picture(self, rgb: np.ndarray | None, pad: int = 0) -> None:
        if rgb is not None:
            self.image, self.shape = to_qimage(rgb), rgb.shape[:2]
        self.pad = pad
        self.update()

    def scale(self) -> float:
        return SIDE / (max(self.shape) + 2 * self.pad)

    def cells(self, top: float, left: float, bottom: float, right: float) -> QRectF:
        """Widget rect of image cells [top, bottom) x [left, right) (padding counts from -pad)."""
        s = self.scale()
        return QRectF((left + self.pad) * s, (top + self.pad) * s, (right - left) * s,
                      (bottom - top) * s)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        h, w = self.shape
        outer = self.cells(-self.pad, -self.pad, h + self.pad, w + self.pad)
        painter.fillRect(outer, QColor("#3a3c42"))
        painter.fillRect(outer, QBrush(QColor("#55585f"), Qt.BrushStyle.BDiagPattern))
        if self.image is not None:
            painter.drawImage(self.cells(0, 0, h, w), self.image)
        for rect, colour in self.boxes:
            painter.setPen(QPen(QColor(0, 0, 0, 200), 4))
            painter.drawRect(rect)
            painter.setPen(QPen(colour, 2))
            painter.drawRect(rect)
        painter.end()


class Flashlight(QWidget):
    """The Play panel of a conv cell: the moving window, the growing map, the controls."""

    def __init__(self, names, cell):
        super().__init__()
        self.names, self.cell, self.snapshot, self.probe = names, cell, None, None
        self.built: np.ndarray | None = None   # the map so far (NaN: not yet); None: not started
        self.position = 0                       # cells done
        self.played = None                      # the snapshot the animation uses
        self.lut = sequential_lut()
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.play_button = QToolButton()
        self.play_button.setText("▶ Play")
        self.play_button.setToolTip(HELP["play"])
        self.play_button.clicked.connect(self.toggle)
        self.step_button = QToolButton()
        self.step_button.setText("Step")
        self.step_button.setToolTip(HELP["step"])
        self.step_button.clicked.connect(self.step)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, SPEED_STEPS)
        self.speed.setValue(13)  # 20 cells per second
        self.speed.setToolTip(HELP["speed"])
        self.speed.valueChanged.connect(self._speed_changed)
        self.speed_label = QLabel()
        self.speed_label.setToolTip(HELP["speed"])
        self.speed_label.setMinimumWidth(62)
        self.speed.setMinimumWidth(70)
        self.input_picture = _Picture(HELP["input"])
        self.map_picture = _Picture(HELP["map"])
        self.input_caption, self.map_caption = QLabel(), QLabel()
        self.sum_label = QLabel()
        for caption in (self.input_caption, self.map_caption, self.sum_label):
            caption.setWordWrap(True)
        for caption in (self.input_caption, self.map_caption):
            caption.setStyleSheet(DIM_STYLE)
        self.input_caption.setToolTip(HELP["input"])
        self.map_caption.setToolTip(HELP["map"])
        self.sum_label.setToolTip(HELP["map"])
        self.input_caption.setFixedWidth(SIDE)
        self.map_caption.setFixedWidth(SIDE)
        controls = QHBoxLayout()
        controls.setSpacing(4)
        for widget in (self.play_button, self.step_button, self.speed, self.speed_label):
            controls.addWidget(widget)
        pictures = QGridLayout()
        pictures.addWidget(self.input_picture, 0, 0)
        pictures.addWidget(self.map_picture, 0, 1)
        pictures.addWidget(self.input_caption, 1, 0, Qt.AlignmentFlag.AlignTop)
        pictures.addWidget(self.map_caption, 1, 1, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("the filter sliding over its input")
        title.setStyleSheet("font-weight: bold")
        title.setToolTip(HELP["play"])
        layout.addWidget(title)
        layout.addLayout(controls)
        layout.addWidget(self.sum_label)
        layout.addLayout(pictures)
        layout.addStretch(1)
        self._speed_changed()

    # -- data ----------------------------------------------------------------------------------

    def show_cell(self, cell, snapshot, probe) -> None:
        """The latest numbers: shown as they are until Play starts (the window on the inspected
        cell); an animation under way keeps its own."""
        self.cell, self.snapshot, self.probe = cell, snapshot, probe
        if self.built is None:
            self._draw(cell.y, cell.x)

    def _frame(self, snapshot, probe):
        """(input (C, H, W), filter (C, k, k), bias, map shape) of the inspected filter."""
        cell = self.cell
        source = probe if cell.input_layer < 0 else snapshot.probe_taps[cell.input_layer]
        weights = snapshot.conv_weights[self.names.conv_index(cell.layer)][cell.channel]
        return (np.asarray(source, np.float64), np.asarray(weights, np.float64), cell.bias,
                snapshot.probe_taps[cell.layer].shape[1:])

    def value_at(self, y: int, x: int) -> float:
        """One cell of the map: the window at (y, x) of the padded input, times the filter,
        summed, plus the bias."""
        k, s = self.k, self.cell.stride
        window = self.padded[:, y * s:y * s + k, x * s:x * s + k]
        return float(np.dot(window.ravel(), self.weights.ravel())) + self.bias

    @property
    def total(self) -> int:
        return 0 if self.built is None else self.built.size

    @property
    def finished(self) -> bool:
        return self.built is not None and self.position >= self.total

    # -- playing -------------------------------------------------------------------------------

    def start(self) -> bool:
        """Take the current snapshot's numbers and an empty map; False without a probe."""
        snapshot, probe = self.snapshot, self.probe
        if snapshot is None or not snapshot.probe_taps or (self.cell.input_layer < 0
                                                             and probe is None):
            return False
        source, self.weights, self.bias, shape = self._frame(snapshot, probe)
        pad = self.cell.padding
        self.k = self.weights.shape[-1]
        self.padded = np.pad(source, ((0, 0), (pad, pad), (pad, pad)))
        self.played, self.source = snapshot, source
        self.built = np.full(shape, np.nan)
        self.tap = np.asarray(snapshot.probe_taps[self.cell.layer][self.cell.channel])
        self.position = 0
        self.input_picture.set_picture(image_rgb(source), pad)
        return True

    def toggle(self) -> None:
        if self.timer.isActive():
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if (self.built is None or self.finished) and not self.start():
            return
        self._base = (self.position, time.perf_counter())
        self.play_button.setText("❚❚ Pause")
        self.timer.start()
        self.tick()

    def pause(self) -> None:
        self.timer.stop()
        self.play_button.setText("▶ Play again" if self.finished else "▶ Play")

    def step(self) -> None:
        if self.timer.isActive():
            self.pause()
        if (self.built is None or self.finished) and not self.start():
            return
        self._advance(self.position + 1)

    def tick(self) -> None:
        done, since = self._base
        due = done + 1 + int((time.perf_counter() - since) * self.cells_per_second())
        self._advance(due)
        if self.finished:
            self.pause()

    def _advance(self, due: int) -> None:
        width = self.built.shape[1]
        due = min(due, self.total)
        while self.position < due:
            y, x = divmod(self.position, width)
            self.built[y, x] = self.value_at(y, x)
            self.position += 1
        self._draw(*divmod(self.position - 1, width))

    def cells_per_second(self) -> float:
        return round(10 ** (self.speed.value() / 10))

    def _speed_changed(self, *_) -> None:
        self.speed_label.setText(f"{self.cells_per_second():.0f} cells/s")
        if self.timer.isActive():
            self._base = (self.position, time.perf_counter())

    # -- drawing -------------------------------------------------------------------------------

    def _draw(self, y: int, x: int) -> None:
        """The window at map cell (y, x), the map so far, the sum there."""
        cell, names = self.cell, self.names
        k, s, pad = cell.weights.shape[-1], cell.stride, cell.padding
        source_name = names.maps(cell.input_layer)
        if self.built is None:
            source = (self.probe if cell.input_layer < 0 else
                      self.snapshot.probe_taps[cell.input_layer] if self.snapshot is not None
                      and self.snapshot.probe_taps else None)
            if source is not None:
                self.input_picture.set_picture(image_rgb(source), pad)
            out = (self.snapshot.probe_taps[cell.layer].shape[1:]
                   if self.snapshot is not None and self.snapshot.probe_taps else (1, 1))
            self.map_picture.set_picture(np.zeros((*out, 3), np.uint8))
            sum_text = f"Press Play to slide filter {cell.channel} over its input."
        else:
            out = self.built.shape
            self.map_picture.set_picture(self._map_rgb())
            value = self.built[y, x]
            sum_text = (f"cell (row {y}, column {x}) = sum {num(value - self.bias)} + bias "
                        f"{num(self.bias)} = {num(value)}\nwindow rows {y * s - pad}–"
                        f"{y * s - pad + k - 1}, columns {x * s - pad}–{x * s - pad + k - 1} · "
                        f"{self.position} of {self.total} cells")
        channels = cell.weights.shape[0]
        mean = "" if channels in (1, 3) or cell.input_layer < 0 else f" (mean of {channels})"
        self.input_caption.setText(f"{source_name}{mean}, padding {pad}, stride {s}")
        self.map_caption.setText(f"filter {cell.channel}'s map {out[0]}×{out[1]}, "
                                 f"before the activation")
        self.input_picture.boxes = [(self.input_picture.cells(y * s - pad, x * s - pad,
                                                              y * s - pad + k, x * s - pad + k),
                                     FIELD)]
        self.map_picture.boxes = [(self.map_picture.cells(y, x, y + 1, x + 1), MARK)]
        self.input_picture.update()
        self.map_picture.update()
        self.sum_label.setText(sum_text)

    def _map_rgb(self) -> np.ndarray:
        """The map so far in viridis on the finished map's range (from the tap); not yet
        computed cells dark."""
        low, high = float(self.tap.min()), float(self.tap.max())
        span = high - low if high > low else 1.0
        index = np.clip((np.nan_to_num(self.built, nan=low) - low) / span * 255, 0, 255)
        rgb = self.lut[index.astype(np.intp)].astype(np.uint8)
        rgb[np.isnan(self.built)] = (40, 42, 46)
        return np.ascontiguousarray(rgb)
