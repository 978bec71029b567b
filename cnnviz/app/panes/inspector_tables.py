"""The inspector's pages that are tables: a dense unit (its largest input x weight terms, the
rest, the bias, the total) and the softmax of the output, step by step. Built once per request;
`fill` only writes new numbers into the cells."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.inspector_pages import label, set_text
from cnnviz.app.panes.number_text import num
from cnnviz.engine.weight_update import WeightRef

HELP = {
    "dense": "A dense unit multiplies every input by its own weight and adds the products up, "
             "plus a bias. These are the terms that weigh most, largest first. Click a row to "
             "follow that weight's updates in the Weight update pane.",
    "rest": "All the other input times weight terms, added together.",
    "softmax": "Softmax turns the last layer's outputs (logits) into probabilities that add up "
               "to 1: take exp of each, then divide by their sum.",
    "shift": "Subtracting the largest logit from every logit first changes no probability (it "
             "cancels between each exp and their sum), but keeps exp from overflowing on large "
             "logits: it is done for numerical safety.",
}


def _table(rows: int, headers: list[str], tip: str) -> QTableWidget:
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setToolTip(tip)
    for r in range(rows):
        for c in range(len(headers)):
            table.setItem(r, c, QTableWidgetItem(""))
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(False)
    table.verticalHeader().setDefaultSectionSize(22)
    height = header.sizeHint().height() + 22 * rows + 4
    table.setFixedHeight(height)
    table.setVerticalScrollBarPolicy(table.verticalScrollBarPolicy().ScrollBarAlwaysOff)
    return table


def _fit_width(table: QTableWidget) -> None:
    """As wide as its columns (which size to their contents), no wider."""
    width = table.horizontalHeader().length() + 2 * table.frameWidth()
    if table.width() != width:
        table.setFixedWidth(width)


def _write(table: QTableWidget, row: int, col: int, text: str, bold: bool = False) -> None:
    item = table.item(row, col)
    if item.text() != text:
        item.setText(text)
    if item.font().bold() != bold:
        font = QFont(item.font())
        font.setBold(bold)
        item.setFont(font)


class DensePage(QWidget):
    """A dense unit's largest contributions as a table, then the rest, the bias and the total.
    A click on a row emits weight_chosen(WeightRef) for that term's weight."""
    weight_chosen = Signal(object)

    def __init__(self, names, unit):
        super().__init__()
        self.names, self.unit = names, unit
        self.explain = label("", 12, wrap=True, tip=HELP["dense"])
        self.table = _table(len(unit.contributions), ["from", "input value", "weight",
                                                      "input × weight"], HELP["dense"])
        self.table.cellClicked.connect(self._choose)
        self.rest = label("", 13, tip=HELP["rest"])
        self.bias_label = label("", 13, tip=HELP["dense"])
        self.total_label = label("", 14, bold=True, tip=HELP["dense"])
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addWidget(self.table)
        for widget in (self.rest, self.bias_label):
            layout.addWidget(widget)
        self.result_row = self.total_label  # pinned above the scrolling part by the inspector
        layout.addStretch(1)

    def _choose(self, row: int, _column: int) -> None:
        unit = self.unit
        if row >= len(unit.contributions):
            return
        source = unit.contributions[row].source
        flat = (int(np.ravel_multi_index(source, unit.source_shape))
                if unit.source_shape is not None else int(source[0]))
        self.weight_chosen.emit(WeightRef(unit.layer, "weight", (unit.unit, flat)))

    def source(self, unit, contribution) -> str:
        """Where an input comes from: 'pool3 maps · ch 3 (4, 5)' or 'dense1 units · unit 7'."""
        where = self.names.maps(unit.source_layer)
        if unit.source_shape is not None:
            c, y, x = contribution.source
            return f"{where} · {self.names.channel(unit.source_layer, c)} ({y}, {x})"
        return f"{where} · unit {contribution.source[0]}"

    def fill(self, unit, snapshot, probe) -> None:
        names, self.unit = self.names, unit
        shown = len(unit.contributions)
        set_text(self.explain,
                 f"Unit {unit.unit} of {names.layer(unit.layer)} adds up input × weight over all "
                 f"{unit.inputs} of its inputs ({names.maps(unit.source_layer)}), plus its bias."
                 f" The {shown} terms that weigh most:")
        for row, term in enumerate(unit.contributions):
            _write(self.table, row, 0, self.source(unit, term))
            _write(self.table, row, 1, num(term.value))
            _write(self.table, row, 2, num(term.weight))
            _write(self.table, row, 3, num(term.product), bold=True)
        others = unit.inputs - shown
        _fit_width(self.table)
        set_text(self.rest, f"… and {others} more terms summing to {num(unit.rest)}"
                 if others else "(those are all the terms)")
        set_text(self.bias_label, f"+ bias {num(unit.bias)}")
        top = float(sum(t.product for t in unit.contributions))
        rest = f" + the other {others} terms {num(unit.rest)}" if others else ""
        set_text(self.total_label, f"total = the {shown} largest terms {num(top)}{rest} + bias "
                                   f"{num(unit.bias)} = {num(unit.total)}{names.after(unit.after)}")


class SoftmaxPage(QWidget):
    """Logits, minus the largest, exp, sum, probabilities: one row per class."""

    def __init__(self, names, steps):
        super().__init__()
        self.classes = list(names.summary.classes)
        self.explain = label("The last layer's outputs (logits) become probabilities in four "
                             "steps: subtract the largest logit from each, take exp, add the "
                             "exps up, divide each exp by that sum.", 12, wrap=True,
                             tip=HELP["softmax"])
        self.table = _table(len(steps.logits), ["class", "logit", "1. logit − max",
                                                "2. exp(logit − max)", "4. probability"],
                            HELP["softmax"])
        self.shift_label = label("", 13, wrap=True, tip=HELP["shift"])
        self.sum_label = label("", 14, bold=True, tip=HELP["softmax"])
        self.divide_label = label("", 14, bold=True, tip=HELP["softmax"])
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        row = QHBoxLayout()
        row.addWidget(self.table)
        row.addSpacing(12)
        notes = QVBoxLayout()
        notes.addWidget(self.shift_label)
        notes.addWidget(self.sum_label)
        notes.addWidget(self.divide_label)
        notes.addStretch(1)
        row.addLayout(notes, 1)
        layout.addLayout(row)
        layout.addStretch(1)

    def name(self, i: int) -> str:
        return self.classes[i] if i < len(self.classes) else f"class {i}"

    def fill(self, steps, snapshot, probe) -> None:
        best = int(np.argmax(steps.probabilities))
        for i in range(len(steps.logits)):
            bold = i == best
            _write(self.table, i, 0, self.name(i), bold)
            _write(self.table, i, 1, num(steps.logits[i]), bold)
            _write(self.table, i, 2, num(steps.shifted[i]), bold)
            _write(self.table, i, 3, num(steps.exps[i]), bold)
            p = steps.probabilities[i]
            _write(self.table, i, 4, f"{num(p)}  ({p:.1%})", bold)
        _fit_width(self.table)
        set_text(self.shift_label,
                 f"1. The largest logit is {num(steps.shift)} ({self.name(best)}); it is "
                 f"subtracted from every logit for numerical safety: exp of a large logit would "
                 f"overflow, and the same number taken from all of them changes no probability.")
        set_text(self.sum_label, f"3. sum of the exps = {num(steps.sum)}")
        set_text(self.divide_label, f"4. probability = exp / {num(steps.sum)}")
