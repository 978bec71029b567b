"""The Evaluation pane: the latest test evaluation's confusion matrix (rows the true class,
columns the predicted one), and a strip of the test images behind a clicked cell; clicking one
of those images offers it as the probe (image_chosen)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHeaderView, QLabel, QListView,
                               QListWidget, QListWidgetItem, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

MAX_SHOWN = 100      # thumbnails in the strip at most
THUMB = 56           # thumbnail size in pixels
INDEX_ROLE = Qt.ItemDataRole.UserRole

CORRECT = QColor(40, 100, 200)     # the diagonal: right answers
WRONG = QColor(210, 60, 40)        # everything else: mistakes
EMPTY = QColor(250, 250, 250)
ZERO_TEXT = QColor(175, 175, 175)

TOOLTIP = ("Confusion matrix of the latest test evaluation: each row is the true class of the test "
           "images, each column the class the network predicted. The blue diagonal counts right "
           "answers, red cells count mistakes. Click a cell to see its images.")


class VerticalLabel(QWidget):
    """A text label turned 90 degrees (reads bottom to top), for the row axis title."""

    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = text
        metrics = self.fontMetrics()
        self.setFixedWidth(metrics.height() + 6)
        self.setMinimumHeight(metrics.horizontalAdvance(text) + 6)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.translate(0, self.height())
        painter.rotate(-90)
        painter.drawText(0, 0, self.height(), self.width(), Qt.AlignmentFlag.AlignCenter, self.text)


def cell_colour(count: int, largest: int, diagonal: bool) -> QColor:
    """White for 0, up to the full hue for the largest count; the square root makes a few
    mistakes visible next to hundreds of right answers."""
    if count <= 0 or largest <= 0:
        return EMPTY
    t = 0.12 + 0.88 * np.sqrt(count / largest)
    hue = CORRECT if diagonal else WRONG
    return QColor(*(round(255 + t * (getattr(hue, c)() - 255)) for c in ("red", "green", "blue")))


def thumbnail(image: np.ndarray, size: int = THUMB) -> QPixmap:
    """A pixmap of one (C, H, W) image with values in [0, 1] (1 or 3 channels)."""
    pixels = np.clip(np.nan_to_num(image) * 255 + 0.5, 0, 255).astype(np.uint8)
    if pixels.shape[0] == 1:
        buffer = np.ascontiguousarray(pixels[0])
        fmt = QImage.Format.Format_Grayscale8
    else:
        buffer = np.ascontiguousarray(pixels[:3].transpose(1, 2, 0))
        fmt = QImage.Format.Format_RGB888
    h, w = buffer.shape[:2]
    qimage = QImage(buffer.data, w, h, buffer.strides[0], fmt).copy()  # copy: own the pixels
    return QPixmap.fromImage(qimage.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation))


class EvaluationPane(QWidget):
    cell_clicked = Signal(int, int)   # (true class, predicted class)
    image_chosen = Signal(int)        # a test-set index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        self.classes: tuple[str, ...] = ()
        self.test_x: np.ndarray | None = None
        self.test_y: np.ndarray | None = None
        self.predictions: np.ndarray | None = None
        self.snapshot = None
        self.selected: tuple[int, int] | None = None
        self._shown_key = None  # which evaluation the table shows

        self.title = QLabel("No evaluation yet: the matrix fills in after the first test.")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # No selection colour over the count colours: the clicked cell is shown in bold instead.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setSectionsClickable(False)
        self.table.horizontalHeader().setMinimumSectionSize(36)
        self.table.cellClicked.connect(self._on_cell)

        predicted = QLabel("predicted class")
        predicted.setAlignment(Qt.AlignmentFlag.AlignCenter)
        true = VerticalLabel("true class")
        for label in (predicted, true):
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        true.setFixedWidth(true.fontMetrics().height() + 6)
        grid = QGridLayout()
        grid.setSpacing(2)
        grid.addWidget(predicted, 0, 1)
        grid.addWidget(true, 1, 0)
        grid.addWidget(self.table, 1, 1)

        self.caption = QLabel("Click a cell to see its test images.")
        self.caption.setWordWrap(True)
        self.strip = QListWidget()
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setSpacing(2)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setFixedHeight(THUMB + 24 + self.strip.horizontalScrollBar().sizeHint().height())
        self.strip.setToolTip("Click an image to make it the probe that every pane shows.")
        self.strip.itemClicked.connect(self._on_image)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(grid, stretch=1)
        layout.addWidget(self.caption)
        layout.addWidget(self.strip)

    # ---- data ------------------------------------------------------------------------------

    def set_classes(self, names) -> None:
        """Build the table for these class names (rows and columns in class order)."""
        self._build(tuple(str(n) for n in names))
        if self.snapshot is not None and self.snapshot.confusion.shape[0] == len(self.classes):
            self._show()

    def _build(self, classes: tuple[str, ...]) -> None:
        self.classes = classes
        n = len(classes)
        self.table.clear()
        self.table.setRowCount(n)
        self.table.setColumnCount(n)
        self.table.setVerticalHeaderLabels(list(classes))
        # A long name wraps onto two lines so the columns can stay narrow.
        self.table.setHorizontalHeaderLabels([name.replace(" ", "\n", 1) for name in classes])
        for row in range(n):
            for col in range(n):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.selected = None
        self.strip.clear()
        self.caption.setText("Click a cell to see its test images.")

    def set_test_images(self, x: np.ndarray | None) -> None:
        self.test_x = x
        self._refresh_strip()

    def set_test_labels(self, y: np.ndarray | None) -> None:
        self.test_y = None if y is None else np.asarray(y)
        self._refresh_strip()

    def set_predictions(self, pred: np.ndarray | None) -> None:
        """The predicted class of every test image, if the app has it: then an off-diagonal
        cell shows exactly its images."""
        self.predictions = None if pred is None else np.asarray(pred)
        self._refresh_strip()

    def update_snapshot(self, snapshot) -> None:
        """Show the snapshot's evaluation; cheap when the evaluation did not change."""
        confusion = snapshot.confusion
        if confusion is None:
            return
        key = (snapshot.evaluation_step, id(confusion))
        unchanged = self.snapshot is not None and key == self._shown_key
        self.snapshot, self._shown_key = snapshot, key
        if unchanged:
            return
        if confusion.shape[0] != len(self.classes):  # no (or wrong) names: number the classes
            self._build(self.classes[:confusion.shape[0]] + tuple(
                str(i) for i in range(len(self.classes), confusion.shape[0])))
        self._show()

    def _show(self) -> None:
        snapshot = self.snapshot
        self._fill(snapshot.confusion)
        accuracy = ("" if snapshot.test_accuracy is None
                    else f": {100 * snapshot.test_accuracy:.1f}% correct")
        self.title.setText(f"Test evaluation at step {snapshot.evaluation_step} on "
                           f"{snapshot.evaluated_images} images{accuracy}.")
        self._refresh_strip()

    def _fill(self, confusion: np.ndarray) -> None:
        largest = int(confusion.max()) if confusion.size else 0
        white, black = QBrush(QColor(255, 255, 255)), QBrush(QColor(20, 20, 20))
        for row, true_name in enumerate(self.classes):
            for col, predicted_name in enumerate(self.classes):
                count = int(confusion[row, col])
                item = self.table.item(row, col)
                item.setText(str(count))
                colour = cell_colour(count, largest, row == col)
                item.setBackground(QBrush(colour))
                dark = colour.lightnessF() < 0.55
                item.setForeground(white if dark else (black if count else QBrush(ZERO_TEXT)))
                what = ("were classified correctly" if row == col
                        else f"were taken for '{predicted_name}'")
                item.setToolTip(f"{count} test images of '{true_name}' {what}. "
                                "Click to see them.")

    # ---- the strip of images ---------------------------------------------------------------

    def _on_cell(self, row: int, col: int) -> None:
        self._mark(self.selected, False)
        self.selected = (row, col)
        self._mark(self.selected, True)
        self._refresh_strip()
        self.cell_clicked.emit(row, col)

    def _mark(self, cell: tuple[int, int] | None, on: bool) -> None:
        item = None if cell is None else self.table.item(*cell)
        if item is not None:
            font = item.font()
            font.setBold(on)
            font.setUnderline(on)
            item.setFont(font)

    def _on_image(self, item: QListWidgetItem) -> None:
        self.image_chosen.emit(int(item.data(INDEX_ROLE)))

    def cell_images(self, row: int, col: int) -> tuple[np.ndarray, str]:
        """(test indices to show for a cell, a note on how they were found)."""
        labels = self.test_y
        if labels is None or self.snapshot is None:
            return np.zeros(0, np.int64), "No test labels were given."
        true = labels == row
        pred = self.predictions
        if pred is not None and len(pred) == len(labels):
            return np.flatnonzero(true & (pred == col)), ""
        wrong = np.zeros(len(labels), bool)
        if self.snapshot.misclassified is not None:
            wrong[self.snapshot.misclassified[self.snapshot.misclassified < len(labels)]] = True
        if row == col:
            note = ("" if self.snapshot.evaluated_images >= len(labels) else
                    " (this evaluation used a subset, so some were not tested)")
            return np.flatnonzero(true & ~wrong), note
        return (np.flatnonzero(true & wrong),
                f" The predicted class of each image is not known here, so these are all "
                f"misclassified '{self.classes[row]}' images, whatever they were taken for.")

    def _refresh_strip(self) -> None:
        if self.selected is None or self.snapshot is None:
            return
        row, col = self.selected
        if row >= len(self.classes) or col >= len(self.classes):
            return
        indices, note = self.cell_images(row, col)
        count = int(self.snapshot.confusion[row, col])
        true_name, predicted_name = self.classes[row], self.classes[col]
        what = "classified correctly" if row == col else f"taken for '{predicted_name}'"
        shown = min(len(indices), MAX_SHOWN) if self.test_x is not None else 0
        text = f"'{true_name}' {what}: {count} in the matrix; showing {shown}"
        if len(indices) > shown:
            text += f" of {len(indices)}"
        text += "."
        if row == col and note:
            text = text[:-1] + note + "."
        elif note:
            text += note
        if shown:
            text += " Click an image to make it the probe."
        self.strip.clear()
        self.caption.setText(text)
        for index in indices[:shown]:
            item = QListWidgetItem(QIcon(thumbnail(self.test_x[index])), "")
            item.setData(INDEX_ROLE, int(index))
            item.setToolTip(f"Test image #{index} (true class '{true_name}'). "
                            "Click to make it the probe.")
            self.strip.addItem(item)

    def shown_indices(self) -> list[int]:
        """Test indices of the images in the strip, in order (for tests)."""
        return [int(self.strip.item(i).data(INDEX_ROLE)) for i in range(self.strip.count())]
