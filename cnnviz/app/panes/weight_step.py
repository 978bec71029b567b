"""The "Weight update" dock: one weight's last training step, with its real numbers.

A learner picks a weight (a filter weight in the network view, a weight of the conv Inspector's
filter or of its dense table) and sees the update the optimizer just made: the weight before,
dL/dW of the batch, the learning rate (and momentum's velocity or Adam's moments), the term
subtracted and the weight after, as the formula reads; then where dL/dW comes from, for the
probe image: the sum over every map position of (the input under the weight) x dL/d(map), the
forward pass's sliding sum now carrying the error. Every number arrives in the snapshots
(snapshot.weight_update, weight_value, gradient_sum), so the pane never runs the engine; Step
(S) runs one more batch and the numbers move on by exactly the update shown.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.inspector_grids import NumberGrid
from cnnviz.app.panes.inspector_pages import Names, label, set_text

HINT = ("Choose a weight: click a filter weight in the network view, or a weight in the "
        "Inspector (a cell of a conv filter, a row of a dense unit's table). Its every update "
        "shows here, with the formula's real numbers.")
NUMBERS_UP_TO = 8  # map sides up to this write their numbers; larger ones are heat maps
HELP = {
    "inputs": "The input value under this weight at each position of the map: the filter slides "
              "over the input as in the forward pass (hatched: the zero padding).",
    "delta": "dL/d(map): how much the loss would change per unit change of each cell of this "
             "filter's map, before its activation (red: raising the cell raises the loss).",
    "products": "input × dL/d(map) at each position. Their sum is dL/dW for this image: the "
                "weight's share of the blame at every position where it was used.",
}


def exact(value: float) -> str:
    """Enough digits to tell a float32 from its neighbours."""
    return f"{float(value):.8g}"


def _term(value: float) -> str:
    """A number inside a formula, in brackets when negative: 0.9 × (-0.0012)."""
    text = exact(value)
    return f"({text})" if float(value) < 0 else text


def rows_for(update) -> list[tuple[str, str, float]]:
    """(symbol, formula with the numbers, value) lines of the update, in the order it is
    worked out."""
    g, w, lr = update.grad, update.before, update.lr
    rows = [("w", "the weight before this step", w),
            ("dL/dW", "the gradient of this batch's loss (the mean over its images)", g)]
    if update.weight_decay:
        rows.append(("g", f"dL/dW + weight decay × w = {_term(g)} + {update.weight_decay:g} × "
                          f"{_term(w)}", update.effective_grad))
        g_name = "g"
    else:
        g_name = "dL/dW"
    g = update.effective_grad
    if update.optimizer == "sgd":
        if update.momentum:
            v = update.momentum * update.velocity_before + g
            rows.append(("v", f"momentum × v + {g_name} = {update.momentum:g} × "
                              f"{_term(update.velocity_before)} + {_term(g)}", v))
            step = g + update.momentum * v if update.nesterov else v
            name = f"{g_name} + momentum × v" if update.nesterov else "v"
            rows.append(("lr × step", f"{lr:g} × {_term(step)}  (step = {name})", lr * step))
        else:
            rows.append((f"lr × {g_name}", f"{lr:g} × {_term(g)}", lr * g))
    else:
        b1, b2 = update.beta1, update.beta2
        c1, c2 = update.bias_corrections()
        m = b1 * update.m_before + (1 - b1) * g
        v = b2 * update.v_before + (1 - b2) * g * g
        t = update.adam_step
        rows += [("m", f"β1 m + (1 − β1) {g_name} = {b1:g} × {_term(update.m_before)} + "
                       f"{1 - b1:.3g} × {_term(g)}", m),
                 ("v", f"β2 v + (1 − β2) {g_name}² = {b2:g} × {_term(update.v_before)} + "
                       f"{1 - b2:.3g} × {_term(g)}²", v),
                 ("m̂", f"m / (1 − β1^t), t = {t}: {_term(m)} / {c1:.6g}", m / c1),
                 ("v̂", f"v / (1 − β2^t): {_term(v)} / {c2:.6g}", v / c2),
                 ("lr × m̂ / (√v̂ + ε)", f"{lr:g} × {_term(m / c1)} / (√{exact(v / c2)} + "
                                       f"{update.eps:g})", update.term())]
    rows.append(("w_new", f"w − {rows[-1][0]} = {_term(w)} − {_term(update.term())}",
                 update.expected_after()))
    return rows


def rule(update) -> str:
    if update.optimizer == "adam":
        return "Adam: w_new = w − lr × m̂ / (√v̂ + ε)"
    if update.momentum:
        return (f"SGD with {'Nesterov ' if update.nesterov else ''}momentum "
                f"{update.momentum:g}: v = momentum × v + dL/dW, w_new = w − lr × v")
    return "SGD: w_new = w − lr × dL/dW"


def formula_html(update) -> str:
    cells = "".join(
        f"<tr><td><b>{html.escape(symbol)}</b></td><td>&nbsp;=&nbsp;</td>"
        f"<td>{html.escape(formula)}</td><td>&nbsp;=&nbsp;</td>"
        f"<td align='right'><b>{exact(value)}</b></td></tr>"
        for symbol, formula, value in rows_for(update))
    return f"<table cellspacing='3'>{cells}</table>"


def weight_title(names: Names, ref) -> str:
    layer = f"{names.layer(ref.layer)} (layer {ref.layer})"
    if ref.name == "bias":
        kind = "filter" if names.summary.layers[ref.layer].type == "conv" else "unit"
        return f"{layer} · bias of {kind} {ref.index[0]}"
    if len(ref.index) == 4:
        f, c, y, x = ref.index
        return (f"{layer} · filter {f} · {names.channel(ref.layer - 1, c)} · weight (row {y}, "
                f"column {x})")
    return f"{layer} · unit {ref.index[0]} · weight of input {ref.index[1]}"


def decade(values: np.ndarray) -> int:
    """The power of ten that brings the largest |value| to 1..10, when it is under 0.1; else 0."""
    top = float(np.abs(values).max()) if values.size else 0.0
    if top == 0 or top >= 0.1 or not np.isfinite(top):
        return 0
    return int(np.floor(np.log10(top)))


class SlidingSum(QWidget):
    """inputs × dL/d(map) = products, summed: where one weight's gradient on the probe comes
    from. Built for one shape of map, then refilled."""

    def __init__(self, shape: tuple[int, int]):
        super().__init__()
        rows, cols = shape
        numbers = max(rows, cols) <= NUMBERS_UP_TO
        self.inputs = NumberGrid(rows, cols, "grey", numbers, HELP["inputs"])
        self.delta = NumberGrid(rows, cols, "diverging", numbers, HELP["delta"])
        self.products = NumberGrid(rows, cols, "diverging", numbers, HELP["products"])
        self.caption = label("", 12, wrap=True)
        self.total = label("", 13, bold=True, tip=HELP["products"])
        grids = QGridLayout()
        grids.setHorizontalSpacing(6)
        self.titles = []
        for col, (text, kind, grid) in enumerate((("input under the weight", "inputs", self.inputs),
                                                  ("dL/d(map)", "delta", self.delta),
                                                  ("products", "products", self.products))):
            self.titles.append(label(text, 11, dim=True, tip=HELP[kind]))
            grids.addWidget(self.titles[-1], 0, 2 * col)
            grids.addWidget(grid, 1, 2 * col)
        grids.addWidget(label("×", 18, bold=True), 1, 1)
        grids.addWidget(label("=", 18, bold=True), 1, 3)
        grids.setColumnStretch(6, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.total)
        layout.addLayout(grids)

    def fill(self, summed, names: Names, class_name: str) -> None:
        mask = None
        if summed.channel is not None and summed.padding:  # positions on the zero padding
            mask = self._padding(summed, names)
        self.inputs.set_values(summed.inputs, mask)
        # Gradients are small (1e-4 is usual): scaled by a power of ten, said in the titles, so
        # the grids' numbers have digits to read.
        for grid, title, values, name in ((self.delta, self.titles[1], summed.delta, "dL/d(map)"),
                                          (self.products, self.titles[2], summed.products,
                                           "products")):
            power = decade(values)
            grid.set_values(values * 10.0 ** -power)
            set_text(title, name if power == 0 else f"{name} × 10^{-power}")
        positions = summed.products.size
        where = ("the map's position" if positions == 1 else
                 f"all {positions} positions of the map")
        set_text(self.caption, f"Where dL/dW comes from, for the probe image alone (the loss of "
                               f"class '{class_name}'): the sum over {where} of the input under "
                               f"the weight × dL/d(map). The batch's dL/dW above is the mean of "
                               f"such sums over its images.")
        ok = "✓" if np.isclose(summed.total, summed.engine, rtol=1e-4, atol=1e-7) else "✗"
        set_text(self.total, f"Σ = {exact(summed.total)}   ·   the engine's dL/dW for this "
                             f"image: {exact(summed.engine)} {ok}")

    @staticmethod
    def _padding(summed, names: Names) -> np.ndarray:
        """True where the weight sat on the zero padding around the input."""
        info = names.summary.layers[summed.ref.layer]
        _, height, width = info.in_shape
        _, _, i, j = summed.ref.index
        rows, cols = summed.inputs.shape
        y = np.arange(rows) * summed.stride + i - summed.padding
        x = np.arange(cols) * summed.stride + j - summed.padding
        return ((y < 0) | (y >= height))[:, None] | ((x < 0) | (x >= width))[None, :]


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
        same = update.expected_after() == update.after
        check = (f"The optimizer wrote w_new = {exact(update.after)}"
                 f"{' ✓' if same else f' (worked out here: {exact(update.expected_after())})'}"
                 f"; the weight moved by {exact(update.change)}.")
        if now != update.after:
            check += f" It is {exact(now)} now (the last good weights were restored)."
        set_text(self.check, check)

    def _drop_sum(self) -> None:
        if self.sum is not None:
            self.body.removeWidget(self.sum)
            self.sum.setParent(None)
            self.sum.deleteLater()
        self.sum, self._sum_key = None, None
