"""The "Weight update" dock: one weight's last training step, with its real numbers.

A learner picks a weight (a filter weight in the network view, a weight of the conv Inspector's
filter or of its dense table) and sees the update the optimizer just made: the weight before,
dL/dW of the batch, the learning rate (and momentum's velocity or Adam's moments), the term
subtracted and the weight after, as the formula reads; then where dL/dW comes from, for the
probe image: the sum over every map position of (the input under the weight) x dL/d(map), the
forward pass's sliding sum now carrying the error. Every number arrives in the snapshots
(snapshot.weight_update, weight_value, gradient_sum), so the pane never runs the engine; Step
(S) runs one more batch and the numbers move on by exactly the update shown.

This module is the pane; the sliding sum is its own widget (sliding_sum.py), and the formula's
lines, the checks and the headings are plain text worked out without Qt (weight_formula.py).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from cnnviz.app.panes.inspector_pages import Names, label, set_text
from cnnviz.app.panes.sliding_sum import SlidingSum
from cnnviz.app.panes.weight_formula import check_text, exact, formula_html, rule, weight_title

HINT = ("Choose a weight: click a filter weight in the network view, or a weight in the "
        "Inspector (a cell of a conv filter, a row of a dense unit's table). Its every update "
        "shows here, with the formula's real numbers.")


class WeightStepPane(QWidget):
    """The pane. The window gives it the network (set_network), the chosen weight (set_weight)
    and every snapshot (update_snapshot); step_requested asks for one training step."""
    step_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setToolTip("One weight's last update by the optimizer, with its real numbers, and "
                        "where its gradient comes from.")
        self.summary, self.names = None, None
        self.ref = None
        self.heading = label("", 14, bold=True)
        self.status = label(HINT, 12, dim=True, wrap=True)
        self.rule = label("", 12)
        self.formula = label("", 12)
        self.check = label("", 13, bold=True)
        self.step_button = QPushButton("Step (S)")
        self.step_button.setToolTip("Run one training batch: the weight moves by the update "
                                    "shown (S).")
        self.step_button.clicked.connect(self.step_requested)
        self.sum: SlidingSum | None = None
        self._sum_key = None
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.step_button)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(4, 0, 4, 4)
        for widget in (self.rule, self.formula, self.check):
            self.body.addWidget(widget)
        self.body.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)

    def set_network(self, summary, keep: bool = False) -> None:
        """The network the snapshots come from; keep: go on watching the same weight (after an
        edit or a Reset; the snapshots say when the network no longer has it)."""
        self.summary = summary
        self.names = None if summary is None else Names(summary)
        self.set_weight(self.ref if keep else None)

    def set_weight(self, ref) -> None:
        self.ref = ref
        set_text(self.heading, "" if ref is None or self.names is None
                 else weight_title(self.names, ref))
        set_text(self.status, HINT if ref is None else "Waiting for the next snapshot…")
        for widget in (self.rule, self.formula, self.check):
            set_text(widget, "")
        self._drop_sum()

    def update_snapshot(self, snap) -> None:
        if self.ref is None or self.names is None or not self.isVisible():
            return
        update = snap.weight_update
        if snap.weight_value is None:
            set_text(self.status, "The network has no such weight any more (the architecture "
                                  "changed): choose another.")
            return
        if update is None or update.ref != self.ref:
            set_text(self.status, f"The weight is {exact(snap.weight_value)} now. Press Step "
                                  f"(S) or Train: its next update shows here.")
            set_text(self.formula, "")
            set_text(self.check, "")
        else:
            self._show_update(update, snap.weight_value)
        summed = snap.gradient_sum
        if summed is not None and summed.ref == self.ref:
            key = (summed.ref, summed.inputs.shape)
            if key != self._sum_key:
                self._drop_sum()
                self.sum, self._sum_key = SlidingSum(summed.inputs.shape), key
                self.body.insertWidget(self.body.count() - 1, self.sum)
            self.sum.fill(summed, self.names, self.names.summary.classes[summed.class_index])
        elif self.sum is not None and snap.probe_taps == ():
            self._drop_sum()

    def _show_update(self, update, now: float) -> None:
        set_text(self.status, f"The update of step {update.step} (learning rate "
                              f"{update.lr:g}).")
        set_text(self.rule, rule(update))
        self.formula.setText(formula_html(update))
        set_text(self.check, check_text(update, now))

    def _drop_sum(self) -> None:
        if self.sum is not None:
            self.body.removeWidget(self.sum)
            self.sum.setParent(None)
            self.sum.deleteLater()
        self.sum, self._sum_key = None, None
