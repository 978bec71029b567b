"""The inspector's pages for map cells: a conv cell (patch x filter = products, their sum, the bias
and what follows) and a pooled cell (the block, with the max outlined or the mean written out),
and the names the inspector gives layers, maps and channels. Pages are built once per request
and then only given new numbers (`show`)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnnviz.app.panes.inspector_grids import DIM_STYLE, InputThumbnail, NumberGrid
from cnnviz.app.panes.inspector_play import Flashlight
from cnnviz.app.panes.number_text import num
from cnnviz.engine.spec import ELEMENTWISE
from cnnviz.engine.weight_update import WeightRef

STEP_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "sigmoid": "sigmoid",
              "batchnorm": "batch norm", "dropout": "dropout (off outside training)"}
NUMBERS_UP_TO = 5   # kernels up to 5x5 show every number; larger ones are heat maps
CHANNELS_SHOWN = 3  # input channels drawn with numbers (heat maps: twice as many)
THUMBNAIL = 100

HELP = {
    "patch": "The patch: the part of the layer's input that the filter covers for this cell. "
             "Hatched cells lie in the padding, zeros added around the input.",
    "weights": "The filter's weights for this input channel, learned in training. Red = "
               "positive, blue = negative. Click a weight to follow its updates in the Weight "
               "update pane.",
    "products": "The products: each input value times the weight on top of it. Their sum is "
                "what the filter answers at this position: large when the patch looks like "
                "the filter.",
    "sum": "The cell's value worked out: all the products added up, plus the filter's bias, "
           "then the layers that act on each value (batch norm, the activation).",
    "field": "The receptive field: the pixels of the input image that this cell can see "
             "through all the layers below it. Nothing outside the box changes its value.",
    "block": "The block of the layer's input that this pooled value comes from.",
}


class Names:
    """How the inspector names the layers of one network: conv1, pool2, dense1, ..."""

    def __init__(self, summary):
        self.summary = summary
        self.stage: dict[int, str] = {}
        counts: dict[str, int] = {}
        for layer in summary.layers:
            group = {"conv": "conv", "maxpool": "pool", "avgpool": "pool",
                     "dense": "dense"}.get(layer.type)
            if group:
                counts[group] = counts.get(group, 0) + 1
                self.stage[layer.index] = f"{group}{counts[group]}"

    def layer(self, index: int) -> str:
        return self.stage.get(index, self.summary.layers[index].label)

    def maps(self, index: int) -> str:
        """The output of layer `index` (-1: the input image), e.g. "conv1 maps after ReLU"."""
        if index < 0:
            return "the input image"
        steps, layers = [], self.summary.layers
        while index >= 0 and layers[index].type in ELEMENTWISE:
            if layers[index].type != "dropout":
                steps.insert(0, STEP_NAMES[layers[index].type])
            index -= 1
        if index < 0:
            return "the input image"
        if layers[index].type == "flatten":
            return self.maps(index - 1)
        noun = "units" if len(layers[index].out_shape) == 1 else "maps"
        return f"{self.layer(index)} {noun}" + (f" after {' and '.join(steps)}" if steps else "")

    def channel(self, index: int, channel: int) -> str:
        """Channel `channel` of layer `index`'s output (-1: the input image)."""
        if index < 0 and self.summary.input[0] == 3:
            return ("red", "green", "blue")[channel]
        return f"ch {channel}"

    def step(self, index: int) -> str:
        return STEP_NAMES.get(self.summary.layers[index].type, self.summary.layers[index].label)

    def after(self, steps) -> str:
        """' → ReLU → 0.512' for each (layer, label, value) step; dropout is left out."""
        return "".join(f"  → {self.step(i)} → {num(v)}" for i, _, v in steps
                       if self.summary.layers[i].type != "dropout")

    def conv_index(self, layer: int) -> int:
        """Which of the snapshot's conv_weights belongs to conv layer `layer`."""
        return sum(1 for info in self.summary.layers[:layer] if info.type == "conv")


def label(text: str = "", size: int = 12, bold: bool = False, dim: bool = False,
          tip: str = "", wrap: bool = False) -> QLabel:
    widget = QLabel(text)
    font = QFont()
    font.setPixelSize(size)
    font.setBold(bold)
    widget.setFont(font)
    if dim:
        widget.setStyleSheet(DIM_STYLE)
    if tip:
        widget.setToolTip(tip)
    widget.setWordWrap(wrap)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


def set_text(widget: QLabel, text: str) -> None:
    if widget.text() != text:  # a label that does not change is not laid out again
        widget.setText(text)


def layer_input(snapshot, probe, index: int):
    """The output of layer `index` for the probe (-1: the probe itself), or None."""
    if index < 0:
        return probe
    return snapshot.probe_taps[index] if snapshot.probe_taps else None


def span(first: int, end: int) -> str:
    return f"{first}" if end - first == 1 else f"{first}–{end - 1}"


class FieldBox(QWidget):
    """The input image with a cell's receptive field outlined, and its size in words."""

    def __init__(self):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.thumbnail = InputThumbnail(THUMBNAIL, HELP["field"])
        self.caption = label("", 11, dim=True, tip=HELP["field"], wrap=True)
        self.caption.setFixedWidth(THUMBNAIL + 24)
        layout.addWidget(label("receptive field", 12, bold=True, tip=HELP["field"]))
        layout.addWidget(self.thumbnail)
        layout.addWidget(self.caption)
        layout.addStretch(1)

    def show_field(self, probe, box, input_shape) -> None:
        image = probe if probe is not None and probe.shape == tuple(input_shape) else None
        self.thumbnail.set_image(image, box)
        top, left, bottom, right = box
        set_text(self.caption, f"receptive field {bottom - top}×{right - left} input pixels "
                               f"(of {input_shape[1]}×{input_shape[2]})")


class ConvPage(QWidget):
    """patch × weights = products, per input channel; the sum line; the receptive field; Play.
    A click on a weight of the filter emits weight_chosen(WeightRef)."""
    weight_chosen = Signal(object)

    def __init__(self, names: Names, cell):
        super().__init__()
        self.names, self.layer = names, cell.layer
        channels, k, _ = cell.weights.shape
        self.numbers = k <= NUMBERS_UP_TO
        self.shown = min(channels, CHANNELS_SHOWN if self.numbers else 2 * CHANNELS_SHOWN)
        self.channels, self.k = channels, k
        self.where = ""  # where the filter sits, for the inspector's heading line
        grids = QGridLayout()
        grids.setHorizontalSpacing(6)
        grids.setVerticalSpacing(6)
        for col, text, tip in ((1, "patch of the input", HELP["patch"]),
                               (3, f"filter {cell.channel}", HELP["weights"]),
                               (5, "products", HELP["products"])):
            grids.addWidget(label(text, 11, dim=True, tip=tip), 0, col)
        grids.addWidget(label("channel sum", 11, dim=True, tip=HELP["products"]), 0, 6)
        self.patches, self.weights, self.products, self.channel_sums = [], [], [], []
        for c in range(self.shown):
            row = c + 1
            grids.addWidget(label(names.channel(cell.input_layer, c), 12, bold=True), row, 0,
                            Qt.AlignmentFlag.AlignVCenter)
            for col, (kind, palette, store) in enumerate(
                    (("patch", "grey", self.patches), ("weights", "diverging", self.weights),
                     ("products", "diverging", self.products))):
                grid = NumberGrid(k, k, palette, self.numbers, HELP[kind])
                if kind == "weights":
                    grid.clicked.connect(lambda y, x, c=c: self.weight_chosen.emit(
                        WeightRef(cell.layer, "weight", (cell.channel, c, y, x))))
                    grid.setCursor(Qt.CursorShape.PointingHandCursor)
                store.append(grid)
                grids.addWidget(grid, row, 1 + 2 * col)
            grids.addWidget(label("×", 18, bold=True), row, 2)
            grids.addWidget(label("=", 18, bold=True), row, 4)
            self.channel_sums.append(label("", 12, tip=HELP["products"]))
            grids.addWidget(self.channel_sums[-1], row, 6)
        self.rest = label("", 12, dim=True, tip=HELP["products"])
        self.sum_label = label("", 13, bold=True, tip=HELP["sum"])
        self.bias_label = label("", 13, bold=False, tip=HELP["sum"])
        self.pre_label = label("", 13, bold=True, tip=HELP["sum"])
        self.after_label = label("", 13, bold=True, tip=HELP["sum"])
        # The answer, pinned by the inspector above its scrolling part so it is always in view.
        self.result_row = QWidget()
        sums = QHBoxLayout(self.result_row)
        sums.setContentsMargins(4, 0, 4, 0)
        for widget in (self.sum_label, self.bias_label, self.pre_label, self.after_label):
            sums.addWidget(widget)
        sums.addStretch(1)
        grids.setColumnStretch(7, 1)  # the grids keep their size; the rest of the row is empty
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addLayout(grids)
        left.addWidget(self.rest)
        left.addStretch(1)
        self.field = FieldBox()
        self.flashlight = Flashlight(names, cell)
        # grids | receptive field | Play
        page = QGridLayout(self)
        page.setContentsMargins(4, 0, 4, 4)
        page.setHorizontalSpacing(14)
        page.setVerticalSpacing(4)
        page.addLayout(left, 0, 0)
        page.addWidget(self.field, 0, 1)
        page.addWidget(self.flashlight, 0, 2)
        page.setColumnStretch(3, 1)
        page.setRowStretch(1, 1)

    def fill(self, cell, snapshot, probe) -> None:
        names, k = self.names, self.k
        source = layer_input(snapshot, probe, cell.input_layer)
        levels = None if source is None else (float(np.min(source)), float(np.max(source)))
        bound_w = float(np.abs(cell.weights).max()) or 1.0
        bound_p = float(np.abs(cell.products).max()) or 1.0
        self.where = (f"on rows {span(*cell.rows)}, columns {span(*cell.cols)} of "
                      f"{names.maps(cell.input_layer)}, stride {cell.stride}, padding "
                      f"{cell.padding}")
        for c in range(self.shown):
            self.patches[c].set_values(cell.patch[c], cell.padding_mask[c], levels=levels)
            self.weights[c].set_values(cell.weights[c], levels=(-bound_w, bound_w))
            self.products[c].set_values(cell.products[c], levels=(-bound_p, bound_p))
            set_text(self.channel_sums[c], f"= {num(cell.products[c].sum())}")
        if self.channels > self.shown:
            hidden = self.channels - self.shown
            set_text(self.rest, f"+ {hidden} more input channels ({hidden * k * k} products), "
                                f"adding up to {num(cell.products[self.shown:].sum())}")
        set_text(self.sum_label, f"sum of {cell.products.size} products = {num(cell.total)}")
        set_text(self.bias_label, f"  + bias {num(cell.bias)}")
        set_text(self.pre_label, f"  = {num(cell.pre_activation)} (pre-activation)")
        set_text(self.after_label, names.after(cell.after))
        self.field.show_field(probe, cell.field, names.summary.input)
        self.flashlight.show_cell(cell, snapshot, probe)


class PoolPage(QWidget):
    """The block a pooled value comes from: the max outlined, or the mean written out."""

    def __init__(self, names: Names, cell):
        super().__init__()
        self.names = names
        k = cell.block.shape[0]
        self.explain = label("", 12, wrap=True)
        self.block = NumberGrid(k, k, "grey", k <= 2 * NUMBERS_UP_TO, HELP["block"])
        self.result = label("", 14, bold=True, tip=HELP["block"], wrap=True)
        self.after_label = label("", 14, bold=True)
        for widget in (self.explain, self.result):
            widget.setMinimumWidth(480)  # a wrapped label is otherwise given a narrow column
        left = QVBoxLayout()
        left.addWidget(self.explain)
        left.addWidget(self.block)
        left.addWidget(self.result)
        left.addWidget(self.after_label)
        left.addStretch(1)
        self.field = FieldBox()
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addSpacing(24)
        layout.addWidget(self.field)
        layout.addStretch(1)

    def fill(self, cell, snapshot, probe) -> None:
        names, k = self.names, cell.block.shape[0]
        what = "largest" if cell.kind == "max" else "average"
        set_text(self.explain,
                 f"{names.layer(cell.layer)} ({cell.kind} pooling, {k}×{k}, stride {cell.stride})"
                 f" keeps the {what} of the {cell.block.size} values in a block of "
                 f"{names.maps(cell.input_layer)}, {names.channel(cell.input_layer, cell.channel)},"
                 f" rows {span(*cell.rows)}, columns {span(*cell.cols)}.")
        self.block.set_values(cell.block, highlight=cell.winner)
        if cell.kind == "max":
            r, c = cell.winner
            text = (f"max of the {cell.block.size} values = {num(cell.value)} "
                    f"(outlined: row {r}, column {c} of the block)")
        elif cell.block.size <= 9:
            terms = " + ".join(num(v) for v in cell.block.ravel())
            text = f"mean = ({terms}) / {cell.block.size} = {num(cell.value)}"
        else:
            text = (f"mean = sum {num(cell.block.sum())} / {cell.block.size} values "
                    f"= {num(cell.value)}")
        set_text(self.result, text)
        set_text(self.after_label, names.after(cell.after))
        self.field.show_field(probe, cell.field, names.summary.input)
