"""The Evaluation pane: the latest test evaluation's confusion matrix (rows the true class,
columns the predicted one), and a strip of the test images behind a clicked cell; clicking one
of those images offers it as the probe (image_chosen).

The matrix fits a narrow dock: the table shares its width between the class names and the
counts (names first up to a share, then the counts' font shrinks a little), and the headers
draw each name whole when it fits, otherwise elided with "…" and the whole name in the tooltip.
Column names that do not fit across a column are turned 90 degrees.

This module is the pane: which evaluation it shows (and when to drop it), the test images behind
the clicked cell, and the strip of them. The table and its headers are confusion_widgets', the
arithmetic of their layout and colours confusion_layout's, the sentences and the images behind a
cell confusion_cells' (these two without Qt)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes import confusion_cells as cells
from cnnviz.app.panes.confusion_cells import NO_EVALUATION, PICK_A_CELL
from cnnviz.app.panes.confusion_widgets import ConfusionTable, VerticalLabel
from cnnviz.app.panes.map_grid import to_qimage

MAX_SHOWN = 100      # thumbnails in the strip at most
THUMB = 44           # thumbnail size in pixels
INDEX_ROLE = Qt.ItemDataRole.UserRole

TOOLTIP = ("Confusion matrix of the latest test evaluation: each row is the true class of the test "
           "images, each column the class the network predicted. The blue diagonal counts right "
           "answers, red cells count mistakes. Click a cell to see its images.")


def thumbnail(image: np.ndarray, size: int = THUMB) -> QPixmap:
    """A pixmap of one (C, H, W) image with values in [0, 1] (1 or 3 channels)."""
    return QPixmap.fromImage(to_qimage(image).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.FastTransformation))


class EvaluationPane(QWidget):
    """The confusion matrix of the latest evaluation and the test images of a clicked cell; fed
    by set_classes, set_test_images, set_test_labels and update_snapshot."""
    cell_clicked = Signal(int, int)   # (true class, predicted class)
    image_chosen = Signal(int)        # a test-set index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        self.test_x: np.ndarray | None = None
        self.test_y: np.ndarray | None = None
        self.predictions: np.ndarray | None = None
        self.snapshot = None
        self._shown_key = None  # which evaluation the table shows

        self.title = QLabel(NO_EVALUATION)
        self.title.setWordWrap(True)
        self.table = ConfusionTable()
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

        self.caption = QLabel(PICK_A_CELL)
        self.caption.setWordWrap(True)
        self.strip = QListWidget()
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setSpacing(2)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.strip.setFixedHeight(THUMB + 14 + self.strip.horizontalScrollBar().sizeHint().height())
        self.strip.setToolTip("Click an image to make it the probe that every pane shows.")
        self.strip.itemClicked.connect(self._on_image)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(grid, stretch=1)
        layout.addWidget(self.caption)
        layout.addWidget(self.strip)

    # ---- data ------------------------------------------------------------------------------

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names of the table's rows and columns."""
        return self.table.classes

    def set_classes(self, names) -> None:
        """Build the table for these class names (rows and columns in class order)."""
        classes = tuple(str(n) for n in names)
        if self.snapshot is not None and self.snapshot.confusion.shape[0] != len(classes):
            self._forget()
        self._build(classes)
        if self.snapshot is not None:
            self._show()

    def clear(self) -> None:
        """Show no evaluation (Reset: the one shown was of weights that are gone)."""
        self.predictions = None
        self._forget()
        self._build(self.classes)
        self._refresh_strip()

    def _forget(self) -> None:
        """Drop the evaluation shown: it belongs to other classes or other test images."""
        self.snapshot = self._shown_key = None
        self.title.setText(NO_EVALUATION)

    def _build(self, classes: tuple[str, ...]) -> None:
        self.table.build(classes)
        self.strip.clear()
        self.caption.setText(PICK_A_CELL)

    def set_test_images(self, x: np.ndarray | None) -> None:
        self.test_x = x
        self._refresh_strip()

    def set_test_labels(self, y: np.ndarray | None) -> None:
        """The test set's labels; new ones (another dataset) drop the evaluation shown and the
        predictions, which were made on other images."""
        old, self.test_y = self.test_y, None if y is None else np.asarray(y)
        if cells.labels_changed(old, self.test_y):
            self.predictions = None
            self._forget()
            self._build(self.classes)
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
        self.predictions = getattr(snapshot, "predictions", None)
        if confusion.shape[0] != len(self.classes):  # no (or wrong) names: number the classes
            self._build(cells.class_names(self.classes, confusion.shape[0]))
        self._show()

    def _show(self) -> None:
        snapshot = self.snapshot
        self.table.show_counts(snapshot.confusion)
        self.title.setText(cells.title(snapshot.evaluation_step, snapshot.evaluated_images,
                                       snapshot.test_accuracy))
        self._refresh_strip()

    # ---- the strip of images ---------------------------------------------------------------

    def _on_cell(self, row: int, col: int) -> None:
        self.table.select((row, col))
        self._refresh_strip()
        self.cell_clicked.emit(row, col)

    def _on_image(self, item: QListWidgetItem) -> None:
        self.image_chosen.emit(int(item.data(INDEX_ROLE)))

    def _refresh_strip(self) -> None:
        if self.table.selected is None or self.snapshot is None:
            return
        row, col = self.table.selected
        if row >= len(self.classes) or col >= len(self.classes):
            return
        snapshot, true_name = self.snapshot, self.classes[row]
        indices, note = cells.cell_images(row, col, self.test_y, self.predictions,
                                          snapshot.misclassified, snapshot.evaluated_images,
                                          true_name)
        shown = min(len(indices), MAX_SHOWN) if self.test_x is not None else 0
        self.strip.clear()
        self.caption.setText(cells.caption(int(snapshot.confusion[row, col]), true_name,
                                           self.classes[col], row == col, len(indices), shown,
                                           note))
        for index in indices[:shown]:
            item = QListWidgetItem(QIcon(thumbnail(self.test_x[index])), "")
            item.setData(INDEX_ROLE, int(index))
            item.setToolTip(f"Test image #{index} (true class '{true_name}'). "
                            "Click to make it the probe.")
            self.strip.addItem(item)

    def shown_indices(self) -> list[int]:
        """Test indices of the images in the strip, in order (for tests)."""
        return [int(self.strip.item(i).data(INDEX_ROLE)) for i in range(self.strip.count())]
