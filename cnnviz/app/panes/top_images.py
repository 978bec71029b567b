"""The Top images dock: for the chosen conv or dense layer, one row per filter or unit with the
test images of the latest evaluation that excite it most (training/top_images.py), best first.

A conv filter's images are cut down to the patch its map's best cell sees (the cell's receptive
field, drawn at the field's full size: the part outside the image is left dark), scaled up; a
dense unit's are whole images. The score is written under each patch, and the hover text says
what it is; a dead filter's (or unit's) row says so in red instead. Clicking a patch offers its test image as the probe
(image_chosen). Only the rows in view are painted, and a new evaluation is laid out only while
the dock is on screen.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.map_grid import fmt
from cnnviz.engine.receptive import input_box, receptive_fields

PATCH = 56         # a patch's side on screen, pixels
GAP = 6            # between patches
SCORE_H = 14       # the score under each patch
LABEL_W = 92       # the filter's name and mark, left of its row
ROW_H = PATCH + SCORE_H + 6
REFRESH_MS = 200   # a new evaluation is laid out this long after it arrives (at most 5 a second)
OUTSIDE = QColor("#2a2b2f")  # receptive field beyond the image's border
DEAD = QColor("#e0403a")
UNMOVED = QColor(30, 31, 34, 170)  # dims a patch the unit gives 0 (fewer than k excite it)

NO_EVALUATION = "No evaluation yet: the rows fill in after the first test."
TOOLTIP = ("For each filter (conv layer) or unit (dense layer), the test images of the latest "
           "evaluation that make it respond most, best first. A conv filter shows the patch of "
           "the image that its strongest map cell sees (its receptive field), a dense unit the "
           "whole image. The number under a patch is the score: the largest value of the "
           "filter's map after its nonlinearity. Click a patch to make its image the probe.")
DEAD_TIP = ("Dead: {name}'s output was 0 for every one of the {images:,} test images of the "
            "last evaluation. The ReLU after it never lets anything through, so no gradient "
            "reaches its weights and it cannot learn back by itself. Try a smaller learning rate "
            "(a too large step often kills filters), a leaky ReLU or batch norm before the ReLU, "
            "or Reset for new weights.")


def layer_fits(top, summary) -> bool:
    """Whether a LayerTop belongs to this network's layer of the same index (an architecture
    edit leaves the last evaluation's numbers behind until the next one)."""
    layers = summary.layers
    if not (0 <= top.layer < len(layers) and top.layer <= top.tap < len(layers)):
        return False
    info, out = layers[top.layer], layers[top.tap].out_shape
    if info.type != top.kind or out[0] != top.units:
        return False
    if top.kind == "conv":
        positions = top.positions
        return (len(out) == 3 and positions is not None and positions.size > 0
                and int(positions[..., 0].max()) < out[1] and int(positions[..., 1].max()) < out[2])
    return len(out) == 1


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage (owning its pixels) of a (C, h, w) array with values in [0, 1]."""
    data = np.clip(np.nan_to_num(pixels) * 255 + 0.5, 0, 255).astype(np.uint8)
    if data.shape[0] == 1:
        buffer, fmt_ = np.ascontiguousarray(data[0]), QImage.Format.Format_Grayscale8
    else:
        buffer = np.ascontiguousarray(data[:3].transpose(1, 2, 0))
        fmt_ = QImage.Format.Format_RGB888
    h, w = buffer.shape[:2]
    return QImage(buffer.data, w, h, buffer.strides[0], fmt_).copy()


class PatchRows(QWidget):
    """The rows of one layer, painted by hand: only the rows in the exposed rectangle."""
    image_chosen = Signal(int)  # a test-set index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.top = self.summary = self.test_x = self.test_y = None
        self.classes: tuple[str, ...] = ()
        self.evaluated = 0
        self._fields = None
        self._score_font = QFont(self.font())
        self._score_font.setPointSizeF(max(6.0, self._score_font.pointSizeF() * 0.8))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.show_layer(None)

    def show_layer(self, top, summary=None, test_x=None, test_y=None, classes=(),
                   evaluated: int = 0) -> None:
        """Rows for a LayerTop (None: none), cut from these test images."""
        self.top, self.summary, self.test_x, self.test_y = top, summary, test_x, test_y
        self.classes, self.evaluated = tuple(classes), evaluated
        self._fields = None if summary is None else receptive_fields(summary)
        rows = 0 if top is None else top.units
        k = 0 if top is None else top.images.shape[1]
        self.setFixedHeight(max(1, rows * ROW_H))
        self.setMinimumWidth(LABEL_W + k * (PATCH + GAP))
        self.update()

    def sizeHint(self) -> QSize:
        k = 0 if self.top is None else self.top.images.shape[1]
        return QSize(LABEL_W + k * (PATCH + GAP), self.height())

    # ---- geometry ------------------------------------------------------------------------------

    def cell_rect(self, unit: int, rank: int) -> QRect:
        return QRect(LABEL_W + rank * (PATCH + GAP), unit * ROW_H + 2, PATCH, PATCH)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(unit, rank) of the patch under a point, or None."""
        if self.top is None or x < LABEL_W or y < 0:
            return None
        unit, inside_y = divmod(int(y), ROW_H)
        rank, inside_x = divmod(int(x) - LABEL_W, PATCH + GAP)
        if (unit >= self.top.units or rank >= self.top.images.shape[1] or inside_x >= PATCH
                or not 2 <= inside_y < PATCH + 2 or self.is_dead(unit)):
            return None  # a dead filter's row shows no images: none excites it
        return unit, rank

    def unit_name(self, unit: int) -> str:
        top = self.top
        if top.kind == "conv":
            return f"filter {unit}"
        if top.tap == len(self.summary.layers) - 1 and unit < len(self.classes):
            return f"class {self.classes[unit]}"  # the last layer: one unit per class
        return f"unit {unit}"

    def is_dead(self, unit: int) -> bool:
        dead = self.top.dead
        return dead is not None and bool(dead[unit])

    # ---- the patches ---------------------------------------------------------------------------

    def patch(self, unit: int, rank: int) -> tuple[np.ndarray, QRectF]:
        """The pixels to draw for a patch and where in its cell (the cell is the receptive field
        at its full size; a field partly outside the image shows only the part inside)."""
        image = self.test_x[self.top.images[unit, rank]]
        height, width = image.shape[1:]
        if self.top.kind != "conv":
            scale = PATCH / max(height, width)
            return image, QRectF(0, 0, width * scale, height * scale)
        y, x = (int(v) for v in self.top.positions[unit, rank])
        top, left, bottom, right = input_box(self.summary, self.top.tap, y, x)
        field = self._fields[self.top.tap]
        scale = PATCH / max(field.size, bottom - top, right - left)
        # Where the field would start were it not clipped to the image (padding counts).
        first_y = field.centre(y) - (field.size - 1) / 2
        first_x = field.centre(x) - (field.size - 1) / 2
        where = QRectF(max(0.0, left - first_x) * scale, max(0.0, top - first_y) * scale,
                       (right - left) * scale, (bottom - top) * scale)
        return image[:, top:bottom, left:right], where

    def paintEvent(self, event) -> None:
        top = self.top
        if top is None or self.test_x is None:
            return
        painter = QPainter(self)
        exposed = event.rect()
        first = max(0, exposed.top() // ROW_H)
        last = min(top.units - 1, exposed.bottom() // ROW_H)
        text = self.palette().color(self.foregroundRole())
        for unit in range(first, last + 1):
            row_top = unit * ROW_H
            dead = self.is_dead(unit)
            painter.setPen(DEAD if dead else text)
            painter.setFont(self.font())
            label = self.unit_name(unit) + ("\ndead" if dead else "")
            painter.drawText(QRect(2, row_top, LABEL_W - 6, PATCH), Qt.AlignmentFlag.AlignVCenter
                             | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, label)
            k = top.images.shape[1]
            if dead:  # its "best" images would be the first k, all at 0: none is shown
                area = QRect(LABEL_W - 3, row_top, k * (PATCH + GAP), PATCH + 4)
                painter.drawText(area.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter
                                 | Qt.TextFlag.TextWordWrap,
                                 f"0 for all {self.evaluated:,} test images: nothing gets "
                                 "through its ReLU. Hover for what to try.")
                painter.setPen(QPen(DEAD, 2))
                painter.drawRect(area)
                continue
            painter.setFont(self._score_font)
            for rank in range(k):
                cell = self.cell_rect(unit, rank)
                painter.fillRect(cell, OUTSIDE)
                pixels, where = self.patch(unit, rank)
                if pixels.size:
                    painter.drawImage(where.translated(cell.topLeft()), to_qimage(pixels))
                score = float(top.scores[unit, rank])
                if top.dead is not None and score <= 0:  # one of the images it ignores
                    painter.fillRect(cell, UNMOVED)
                painter.setPen(text)
                painter.drawText(QRect(cell.left(), cell.bottom() + 1, PATCH, SCORE_H),
                                 Qt.AlignmentFlag.AlignCenter, fmt(score))
        painter.end()

    # ---- hover and click -----------------------------------------------------------------------

    def describe(self, unit: int, rank: int) -> str:
        """The hover text of a patch."""
        top = self.top
        index = int(top.images[unit, rank])
        name = self.unit_name(unit)
        true = ""
        if self.test_y is not None and index < len(self.test_y):
            label = int(self.test_y[index])
            true = f" (true class {self.classes[label] if label < len(self.classes) else label})"
        score = float(top.scores[unit, rank]) + 0.0
        if top.kind == "conv":
            y, x = (int(v) for v in top.positions[unit, rank])
            what = (f"the largest value of {name}'s map, at row {y}, col {x}; the patch is what "
                    "that cell sees")
        else:
            what = f"{name}'s activation"
        if top.dead is not None and score <= 0:
            what += (f"; 0 means {name} does not respond to it at all: fewer than "
                     f"{top.images.shape[1]} of the test images excite it")
        text = (f"Test image #{index}{true}: rank {rank + 1} of {top.images.shape[1]} for {name}, "
                f"score {score:.4g} ({what}). Click to make it the probe.")
        if self.is_dead(unit):
            text += "\n\n" + DEAD_TIP.format(name=name, images=self.evaluated)
        return text

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()
            cell = self.cell_at(pos.x(), pos.y())
            unit = pos.y() // ROW_H
            if cell is not None:
                QToolTip.showText(event.globalPos(), self.describe(*cell), self)
            elif self.top is not None and 0 <= unit < self.top.units and self.is_dead(unit):
                QToolTip.showText(event.globalPos(),
                                  DEAD_TIP.format(name=self.unit_name(unit),
                                                  images=self.evaluated), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mouseMoveEvent(self, event) -> None:
        over = self.cell_at(event.position().x(), event.position().y()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.image_chosen.emit(int(self.top.images[cell]))
        super().mouseReleaseEvent(event)


class TopImagesPane(QWidget):
    image_chosen = Signal(int)  # a test-set index, to become the probe

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        self.summary = None
        self.test_x = self.test_y = None
        self.classes: tuple[str, ...] = ()
        self.shown = None     # the TopImages laid out
        self.pending = None   # the latest snapshot's, laid out when the pane is in view
        self._left_behind = None  # the old network's, still carried after an architecture edit
        self._step = None
        self.title = QLabel(NO_EVALUATION)
        self.title.setWordWrap(True)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The conv or dense layer whose filters or units to show.")
        self.layer_box.activated.connect(self._show_rows)
        self.rows = PatchRows()
        self.rows.image_chosen.connect(self.image_chosen)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.rows)
        self.scroll.setWidgetResizable(True)
        self.scroll.setToolTip(TOOLTIP)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        head = QHBoxLayout()
        head.addWidget(QLabel("Layer"))
        head.addWidget(self.layer_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(head)
        layout.addWidget(self.scroll, 1)

    def sizeHint(self) -> QSize:
        return QSize(LABEL_W + 8 * (PATCH + GAP) + 30, 320)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 160)

    # ---- data ----------------------------------------------------------------------------------

    def set_test_set(self, x: np.ndarray | None, y: np.ndarray | None, classes=()) -> None:
        """The test images the indices point into, their labels and the class names."""
        self.test_x, self.test_y, self.classes = x, y, tuple(str(c) for c in classes)
        self.clear()

    def set_network(self, summary) -> None:
        """The network drawn from now on; the evaluation shown was of another one (or of the
        weights before a Reset), so it goes until the next evaluation."""
        self._left_behind = self.pending if self.pending is not None else self.shown
        self.summary = summary
        self.clear()

    def clear(self) -> None:
        self.shown = self.pending = None
        self._timer.stop()
        self.layer_box.clear()
        self.rows.show_layer(None)
        self.title.setText(NO_EVALUATION)

    def update_snapshot(self, snapshot) -> None:
        """Take the snapshot's top images; laid out when they changed, and only in view."""
        top = getattr(snapshot, "top_images", None)
        if top is None or top is self.shown or top is self._left_behind:
            return
        self.pending, self._step = top, snapshot.evaluation_step
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.pending is not None:
            self._refresh()

    def _refresh(self) -> None:
        top, self.pending = self.pending, None
        if top is None or self.summary is None or self.test_x is None:
            return
        fitting = [t for t in top.layers if layer_fits(t, self.summary)]
        chosen = self.layer_box.currentData()
        self.shown = top
        self.layer_box.clear()
        for t in fitting:
            info = self.summary.layers[t.layer]
            what = "filters" if t.kind == "conv" else "units"
            self.layer_box.addItem(f"layer {t.layer}: {info.label} ({t.units} {what})", t.layer)
        if chosen is not None and self.layer_box.findData(chosen) >= 0:
            self.layer_box.setCurrentIndex(self.layer_box.findData(chosen))
        self.title.setText(f"Evaluation at step {self._step} on {top.evaluated:,} test images: "
                           f"for each filter or unit, the {top.k} that excite it most. "
                           "Click one to make it the probe.")
        self._show_rows()

    def _show_rows(self, *_) -> None:
        layer = self.layer_box.currentData()
        top = None if self.shown is None or layer is None else self.shown.layer(layer)
        self.rows.show_layer(top, self.summary, self.test_x, self.test_y, self.classes,
                             0 if self.shown is None else self.shown.evaluated)
