"""The confusion matrix's Qt widgets: the table (counts in coloured cells, the room shared out so
that nothing is clipped), its class-name headers (a name whole, elided with "…", or turned 90
degrees), and the turned "true class" title. They draw the counts and names the Evaluation pane
(evaluation.py) gives them, with the arithmetic of confusion_layout; apart from the pane because
how the matrix is laid out and painted is theirs, and what it shows (which evaluation, which
images behind a cell) is the pane's."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyleOptionHeader,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from cnnviz.app.panes import confusion_cells as cells
from cnnviz.app.panes.confusion_layout import (
    PAD,
    cell_rgb,
    matrix_layout,
    names_room,
    shrunk_points,
    text_rgb,
)


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
    """The matrix: a count in each cell, coloured by confusion_layout.cell_rgb, the class names
    in ClassHeaders, the clicked cell (`selected`) in bold. It shares its room between the names
    and the counts (fit) whenever it is resized or they change, so that nothing is clipped."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 0, parent)
        self.classes: tuple[str, ...] = ()
        self.largest = 0  # the largest count shown: its digits set the columns' least width
        self.selected: tuple[int, int] | None = None
        self.setHorizontalHeader(ClassHeader(Qt.Orientation.Horizontal, self))
        self.setVerticalHeader(ClassHeader(Qt.Orientation.Vertical, self))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # No selection colour over the count colours: the clicked cell is shown in bold instead.
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 4)
        self.cell_font = QFont(self.font())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()

    def build(self, classes: tuple[str, ...]) -> None:
        """Empty cells for these classes (rows and columns in class order), none selected."""
        self.classes, n = classes, len(classes)
        self.largest, self.selected = 0, None
        self.clear()
        self.setRowCount(n)
        self.setColumnCount(n)
        self.setVerticalHeaderLabels(list(classes))
        self.setHorizontalHeaderLabels(list(classes))
        for i, name in enumerate(classes):
            self.verticalHeaderItem(i).setToolTip(cells.row_tooltip(i, name))
            self.horizontalHeaderItem(i).setToolTip(cells.column_tooltip(i, name))
        for row in range(n):
            for col in range(n):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(row, col, item)
        self.fit()

    def show_counts(self, confusion: np.ndarray) -> None:
        """Write the counts of an n x n confusion matrix (n = len(classes)) in the cells."""
        self.largest = int(confusion.max(initial=0))
        for row, true_name in enumerate(self.classes):
            for col, predicted_name in enumerate(self.classes):
                count = int(confusion[row, col])
                item = self.item(row, col)
                item.setText(str(count))
                colour = cell_rgb(count, self.largest, row == col)
                item.setBackground(QBrush(QColor(*colour)))
                item.setForeground(QBrush(QColor(*text_rgb(colour, count))))
                item.setToolTip(cells.cell_tooltip(count, true_name, predicted_name, row == col))
        self.fit()  # the largest count may have another number of digits

    def select(self, cell: tuple[int, int]) -> None:
        previous, self.selected = self.selected, cell
        for marked in (previous, cell):
            item = None if marked is None else self.item(*marked)
            if item is not None:
                item.setFont(self._font_for(marked))

    def fit(self) -> None:
        """Share the room between the class names and the counts, so that nothing is clipped
        (confusion_layout.matrix_layout), then let the counts' font shrink until the largest
        count fits a column (shrunk_points)."""
        n = len(self.classes)
        if n == 0:
            return
        rows, cols = self.verticalHeader(), self.horizontalHeader()
        metrics = rows.fontMetrics()
        want, floor = names_room(max(metrics.horizontalAdvance(name) for name in self.classes),
                                 metrics.averageCharWidth(), metrics.horizontalAdvance("…"))
        frame = 2 * self.frameWidth()
        layout = matrix_layout(
            self.width() - frame, self.height() - frame, n, want, floor,
            self._count_width(self.font()), rows.minimumSectionSize(),
            self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self),
            metrics.height() + 2 * PAD)
        points, needed = shrunk_points(self.font().pointSizeF(),
                                       lambda p: self._count_width(self._font_at(p)),
                                       layout.cell_width)
        self.cell_font = self._font_at(points)
        cols.setMinimumSectionSize(needed)
        cols.rotated = layout.rotated
        rows.setFixedWidth(layout.names_width)
        cols.setFixedHeight(layout.depth)
        for row in range(self.rowCount()):
            for col in range(self.columnCount()):
                item = self.item(row, col)
                if item is not None:
                    item.setFont(self._font_for((row, col)))
        self.updateGeometries()
        cols.viewport().update()
        rows.viewport().update()

    def _font_at(self, points: float) -> QFont:
        font = QFont(self.font())
        if points != font.pointSizeF():
            font.setPointSizeF(points)
        return font

    def _count_width(self, font: QFont) -> int:
        """The width a column needs for the largest count (at least two digits) in this font,
        made bold (as the clicked cell is): the item view's text margins, the grid line, and two
        pixels that elidedText wants beyond a text's rounded advance come on top."""
        bold = QFont(font)
        bold.setBold(True)
        digits = "0" * max(2, len(str(self.largest)))
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        return QFontMetrics(bold).horizontalAdvance(digits) + 2 * margin + 1 + 2

    def _font_for(self, cell: tuple[int, int]) -> QFont:
        font = QFont(self.cell_font)
        chosen = cell == self.selected
        font.setBold(chosen)
        font.setUnderline(chosen)
        return font
