"""The Weight update dock's lower half (SlidingSum): where one weight's gradient on the probe
comes from, as three grids, the input under the weight at each map position × dL/d(map) =
their products, and the products' sum beside the engine's dL/dW.

Apart from the pane (weight_step.py), which shows the optimizer's update and builds one of
these per shape of map; the numbers and sentences are worked out in weight_formula.py."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from cnnviz.app.panes.inspector_grids import NumberGrid
from cnnviz.app.panes.inspector_pages import Names, label, set_text
from cnnviz.app.panes.weight_formula import (
    decade,
    padding_mask,
    scaled_title,
    sum_caption,
    sum_total,
)

NUMBERS_UP_TO = 8  # map sides up to this write their numbers; larger ones are heat maps
HELP = {
    "inputs": "The input value under this weight at each position of the map: the filter slides "
              "over the input as in the forward pass (hatched: the zero padding).",
    "delta": "dL/d(map): how much the loss would change per unit change of each cell of this "
             "filter's map, before its activation (red: raising the cell raises the loss).",
    "products": "input × dL/d(map) at each position. Their sum is dL/dW for this image: the "
                "weight's share of the blame at every position where it was used.",
}


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
            mask = padding_mask(summed, names.summary.layers[summed.ref.layer].in_shape)
        self.inputs.set_values(summed.inputs, mask)
        # Gradients are small (1e-4 is usual): scaled by a power of ten, said in the titles, so
        # the grids' numbers have digits to read.
        for grid, title, values, name in ((self.delta, self.titles[1], summed.delta, "dL/d(map)"),
                                          (self.products, self.titles[2], summed.products,
                                           "products")):
            power = decade(values)
            grid.set_values(values * 10.0 ** -power)
            set_text(title, scaled_title(name, power))
        set_text(self.caption, sum_caption(summed.products.size, class_name))
        set_text(self.total, sum_total(summed))
