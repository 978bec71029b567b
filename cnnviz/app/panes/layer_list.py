"""The architecture editor's list of layers: a tree widget with six columns (arch_rows.COLUMNS)
that paints the rows arch_rows.py writes, an error row in red and the rows after it in grey.

Apart from the editor pane (`arch_editor.py`), which wires the list to its buttons and its
model, so that the pane reads as what it does and this as how a row looks.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from .arch_rows import COL_INDEX, COL_LAYER, COL_MACS, COL_PARAMS, COL_RF, COLUMNS, HEADER_TIPS, Row, RowState
from .layer_form import ERROR_COLOUR

ERROR_BACKGROUND = "#fde2e0"
PENDING_COLOUR = "#8a8a8a"
NUMBER_COLUMNS = (COL_INDEX, COL_RF, COL_PARAMS, COL_MACS)  # right-aligned
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class LayerList(QTreeWidget):
    """One row a layer; the columns size to their contents but the layer's name, which takes
    what is left (no horizontal scroll bar: the pane is a narrow dock)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(HEADER_TIPS):
            self.headerItem().setToolTip(column, tip)
        for column in NUMBER_COLUMNS:
            self.headerItem().setTextAlignment(column, RIGHT)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(16)
        for column in range(len(COLUMNS)):
            mode = (QHeaderView.ResizeMode.Stretch if column == COL_LAYER
                    else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(column, mode)

    def current_index(self) -> int | None:
        item = self.currentItem()
        return self.indexOfTopLevelItem(item) if item is not None else None

    def select_layer(self, index: int) -> None:
        item = self.topLevelItem(index)
        if item is not None:
            self.setCurrentItem(item)

    def show_rows(self, rows: list[Row], rebuild: bool) -> None:
        """Write `rows` into the list; its items are made anew when `rebuild` (the layers
        changed), without a selection signal for the items that go."""
        if rebuild or self.topLevelItemCount() != len(rows):
            self.blockSignals(True)
            self.clear()
            self.addTopLevelItems([QTreeWidgetItem() for _ in rows])
            self.blockSignals(False)
        for index, row in enumerate(rows):
            self._paint(self.topLevelItem(index), row)

    def _paint(self, item: QTreeWidgetItem, row: Row) -> None:
        bad = row.state is RowState.ERROR
        for column, (text, tip) in enumerate(zip(row.texts, row.tips)):
            item.setText(column, text)
            item.setToolTip(column, tip)
            if column in NUMBER_COLUMNS:
                item.setTextAlignment(column, RIGHT)
            if bad:
                item.setForeground(column, QBrush(QColor(ERROR_COLOUR)))
                item.setBackground(column, QBrush(QColor(ERROR_BACKGROUND)))
            elif row.state is RowState.PENDING:
                item.setForeground(column, QBrush(QColor(PENDING_COLOUR)))
                item.setBackground(column, QBrush())
            else:
                item.setForeground(column, self.palette().text())
                item.setBackground(column, QBrush())
        font = item.font(COL_LAYER)
        font.setBold(bad)
        for column in range(len(COLUMNS)):
            item.setFont(column, font)
