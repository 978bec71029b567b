"""The Evaluation pane: the latest test evaluation's confusion matrix (rows the true class,
columns the predicted one), and a strip of the test images behind a clicked cell; clicking one
of those images offers it as the probe (image_chosen).

The matrix fits a narrow dock: `_fit` shares the table's width between the class names and the
counts (names first up to a share, then the counts' font shrinks a little), and the headers
draw each name whole when it fits, otherwise elided with "…" and the whole name in the tooltip.
Column names that do not fit across a column are turned 90 degrees."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyleOptionHeader,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

MAX_SHOWN = 100      # thumbnails in the strip at most
THUMB = 44           # thumbnail size in pixels
INDEX_ROLE = Qt.ItemDataRole.UserRole
PAD = 4              # pixels of room at each end of a class name in a header
NAMES_SHARE = 0.3    # the names may take this share of the width when the counts then still fit
SQUEEZE = 0.8        # ... at this fraction of their font size at the least
SMALLEST_POINTS = 6  # the counts' font never shrinks below this (a scroll bar comes instead)

CORRECT = QColor(40, 100, 200)     # the diagonal: right answers
WRONG = QColor(210, 60, 40)        # everything else: mistakes
EMPTY = QColor(250, 250, 250)
ZERO_TEXT = QColor(175, 175, 175)

NO_EVALUATION = "No evaluation yet: the matrix fills in after the first test."
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


class ClassHeader(QHeaderView):
    """Class names along one side of the matrix, never clipped: a name is drawn whole when it
    fits and elided with "…" otherwise (its header item's tooltip holds the whole name). The
    column header turns its names 90 degrees (`rotated`) when they do not fit across a column.
    The pane sets the header's depth (the row header's width, the column header's height)."""

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None):
        super().__init__(orientation, parent)
        self.rotated = False
        self.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setSectionsClickable(False)
        self.setHighlightSections(False)

    def name(self, logical: int) -> str:
        model = self.model()
        value = None if model is None else model.headerData(logical, self.orientation())
        return "" if value is None else str(value)

    def room(self, logical: int) -> int:
        """Pixels the name of section `logical` may run along."""
        if self.orientation() == Qt.Orientation.Vertical:
            length = self.width()
        elif self.rotated:
            length = self.height()
        else:
            length = self.sectionSize(logical)
        return max(0, length - 2 * PAD)

    def shown_text(self, logical: int) -> str:
        """The name as it is drawn: whole, or elided to fit its room."""
        return self.fontMetrics().elidedText(self.name(logical), Qt.TextElideMode.ElideRight,
                                             self.room(logical))

    def paintSection(self, painter: QPainter, rect: QRect, logical: int) -> None:
        option = QStyleOptionHeader()
        self.initStyleOptionForIndex(option, logical)
        option.rect, option.text = rect, ""
        painter.save()
        self.style().drawControl(QStyle.ControlElement.CE_Header, option, painter, self)
        painter.setPen(self.palette().color(QPalette.ColorRole.ButtonText))
        painter.setFont(self.font())
        align = Qt.AlignmentFlag.AlignVCenter
        if self.rotated:  # reads bottom to top, starting next to the cells
            painter.translate(rect.left(), rect.top() + rect.height())
            painter.rotate(-90)
            area = QRect(PAD, 0, rect.height() - 2 * PAD, rect.width())
            align |= Qt.AlignmentFlag.AlignLeft
        else:
            area = rect.adjusted(PAD, 0, -PAD, 0)
            align |= (Qt.AlignmentFlag.AlignRight if self.orientation() == Qt.Orientation.Vertical
                      else Qt.AlignmentFlag.AlignHCenter)
        painter.drawText(area, align, self.shown_text(logical))
        painter.restore()


class ConfusionTable(QTableWidget):
    """The matrix; `resized` lets the pane share out the new room."""
    resized = Signal()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()


def split_width(width: float, n: int, want: float, floor: float, count_w: float) -> float:
    """The row header's width: the names' whole width (`want`) if the n counts fit beside it
    at full size (`count_w` each); less down to a share of the width when they still fit
    squeezed; never below `floor` (room for a few letters)."""
    full = width - n * count_w
    squeezed = min(width - n * count_w * SQUEEZE, width * NAMES_SHARE)
    return min(want, max(full, squeezed, floor))


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

        self.title = QLabel(NO_EVALUATION)
        self.title.setWordWrap(True)
        self.table = ConfusionTable(0, 0)
        self.table.setHorizontalHeader(ClassHeader(Qt.Orientation.Horizontal, self.table))
        self.table.setVerticalHeader(ClassHeader(Qt.Orientation.Vertical, self.table))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # No selection colour over the count colours: the clicked cell is shown in bold instead.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setMinimumSectionSize(self.table.fontMetrics().height() + 4)
        self.cell_font = QFont(self.table.font())
        self.table.cellClicked.connect(self._on_cell)
        self.table.resized.connect(self._fit)

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
        self.classes = classes
        n = len(classes)
        self.table.clear()
        self.table.setRowCount(n)
        self.table.setColumnCount(n)
        self.table.setVerticalHeaderLabels(list(classes))
        self.table.setHorizontalHeaderLabels(list(classes))
        for i, name in enumerate(classes):
            self.table.verticalHeaderItem(i).setToolTip(
                f"True class {i}: {name}. This row counts the test images of {name}, by the "
                "class the network took them for.")
            self.table.horizontalHeaderItem(i).setToolTip(
                f"Predicted class {i}: {name}. This column counts the test images the network "
                f"took for {name}, by their true class.")
        for row in range(n):
            for col in range(n):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.selected = None
        self.strip.clear()
        self.caption.setText("Click a cell to see its test images.")
        self._fit()

    def set_test_images(self, x: np.ndarray | None) -> None:
        self.test_x = x
        self._refresh_strip()

    def set_test_labels(self, y: np.ndarray | None) -> None:
        """The test set's labels; new ones (another dataset) drop the evaluation shown and the
        predictions, which were made on other images."""
        old, self.test_y = self.test_y, None if y is None else np.asarray(y)
        if old is not None and self.test_y is not old and not (
                self.test_y is not None and np.array_equal(old, self.test_y)):
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
            self._build(self.classes[:confusion.shape[0]] + tuple(
                str(i) for i in range(len(self.classes), confusion.shape[0])))
        self._show()

    def _show(self) -> None:
        snapshot = self.snapshot
        self._fill(snapshot.confusion)
        self._fit()  # the largest count may have another number of digits
        accuracy = ("" if snapshot.test_accuracy is None
                    else f": {100 * snapshot.test_accuracy:.1f}% correct")
        self.title.setText(f"Test evaluation at step {snapshot.evaluation_step} on "
                           f"{snapshot.evaluated_images} images{accuracy}.")
        self._refresh_strip()

    def _fit(self) -> None:
        """Share the table's room between the class names and the counts, so that nothing is
        clipped: see split_width for the width; a column header of turned names gets what the
        rows leave of the height, within the same bounds. Called on every resize and whenever
        the names or the counts change."""
        n, table = len(self.classes), self.table
        if n == 0:
            return
        rows, cols = table.verticalHeader(), table.horizontalHeader()
        metrics = rows.fontMetrics()
        # +2: elidedText wants a pixel or two more than the rounded advance of a name
        want = max(metrics.horizontalAdvance(name) for name in self.classes) + 2 * PAD + 2
        floor = min(want, 3 * metrics.averageCharWidth() + metrics.horizontalAdvance("…")
                    + 2 * PAD)
        count_w = self._count_width(table.font())
        frame = 2 * table.frameWidth()
        bar = table.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, table)
        row_h = rows.minimumSectionSize()
        for scroll_bar in (False, True):  # a vertical scroll bar when the rows do not fit
            width = table.width() - frame - (bar if scroll_bar else 0)
            height = table.height() - frame
            names_w = math.floor(split_width(width, n, want, floor, count_w))
            cell_w = (width - names_w) // n
            rotated = want > cell_w
            if rotated:
                depth = math.floor(split_width(height, n, want, floor, row_h))
            else:
                depth = metrics.height() + 2 * PAD
            if scroll_bar or height - depth >= n * row_h:
                break
        # The counts' font shrinks until the largest count fits a column, down to a smallest
        # size; below that the columns keep the width it needs and a scroll bar comes instead.
        font = QFont(table.font())
        needed = self._count_width(font)
        while needed > cell_w and font.pointSizeF() > SMALLEST_POINTS:
            font.setPointSizeF(max(SMALLEST_POINTS, font.pointSizeF() - 0.25))
            needed = self._count_width(font)
        self.cell_font = font
        cols.setMinimumSectionSize(needed)
        cols.rotated = rotated
        rows.setFixedWidth(names_w)
        cols.setFixedHeight(depth)
        self._apply_fonts()
        table.updateGeometries()
        cols.viewport().update()
        rows.viewport().update()

    def _cell_margin(self) -> int:
        """Pixels of a cell not available to its text: the item view's text margins, the grid
        line, and two that elidedText wants beyond a text's rounded advance."""
        style = self.table.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self.table) + 1
        return 2 * margin + 1 + 2

    def _count_width(self, font: QFont) -> int:
        """The width a column needs for the largest count (at least two digits) in this font,
        made bold (as the clicked cell is)."""
        largest = 0 if self.snapshot is None else int(self.snapshot.confusion.max(initial=0))
        bold = QFont(font)
        bold.setBold(True)
        digits = "0" * max(2, len(str(largest)))
        return QFontMetrics(bold).horizontalAdvance(digits) + self._cell_margin()

    def _apply_fonts(self) -> None:
        for row in range(self.table.rowCount()):
            for col in range(self.table.columnCount()):
                item = self.table.item(row, col)
                if item is not None:
                    item.setFont(self._font_for((row, col)))

    def _font_for(self, cell: tuple[int, int]) -> QFont:
        font = QFont(self.cell_font)
        chosen = cell == self.selected
        font.setBold(chosen)
        font.setUnderline(chosen)
        return font

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
        previous, self.selected = self.selected, (row, col)
        self._mark(previous)
        self._mark(self.selected)
        self._refresh_strip()
        self.cell_clicked.emit(row, col)

    def _mark(self, cell: tuple[int, int] | None) -> None:
        item = None if cell is None else self.table.item(*cell)
        if item is not None:
            item.setFont(self._font_for(cell))

    def _on_image(self, item: QListWidgetItem) -> None:
        self.image_chosen.emit(int(item.data(INDEX_ROLE)))

    def cell_images(self, row: int, col: int) -> tuple[np.ndarray, str]:
        """(test indices to show for a cell, a sentence on how they were found or "")."""
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
                    "This evaluation used a subset of the test images, so some of these were "
                    "not tested.")
            return np.flatnonzero(true & ~wrong), note
        return (np.flatnonzero(true & wrong),
                f"The predicted class of each image is not known here, so these are all "
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
        if note:
            text += " " + note
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
