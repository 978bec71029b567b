"""A conv layer's filters in the network view (FilterColumn): one row per filter, one column
per input channel, on a diverging colour map; with gradients on, the probe's dL/dW in the
same layout; dead filters (a map of zeros for every test image) framed in red."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from cnnviz.app.panes.map_grid import DIM_TEXT, MosaicImage, diverging_lut, text_item
from cnnviz.app.panes.mosaic import Mosaic
from cnnviz.app.panes.network_columns import (
    DEAD_MARK,
    MAX_KERNELS,
    TOP,
    Column,
    grid,
    set_text,
)
from cnnviz.app.panes.network_geometry import FilterRegion
from cnnviz.app.panes.network_help import DEAD_TIP, HELP
from cnnviz.app.panes.number_text import fmt, plain
from cnnviz.app.panes.overlay_items import overlay
from cnnviz.app.panes.text_sheet import TextSheet


class FilterColumn(Column):
    """A conv layer's weights (F, C, k, k): one row per filter, one column per input channel,
    on a diverging colour map with symmetric levels ±max|w|; with gradient, the probe's dL/dW
    in the same layout."""
    kind = "filters"

    def __init__(self, scene, x, title, shape, conv: int, layer: int,
                 in_names: list[str] | None, gradient: bool = False):
        f, c, k, _ = shape
        help_text = HELP["filter gradients" if gradient else "filters"]
        super().__init__(scene, x, title, f"{f} filters × {c} inputs, {k}×{k}", help_text)
        self.gradient, self.what = gradient, "dL/dW" if gradient else "weights"
        self.conv, self.layer, self.shape = conv, layer, tuple(shape)
        self.rows, self.cols = min(f, MAX_KERNELS), min(c, MAX_KERNELS)
        self.in_names = in_names if in_names and len(in_names) == c else None
        scale = max(2, round(10 / k))
        pitch = (k + 1) * scale
        left = 22  # room for the filter numbers
        self.mosaic = Mosaic(self.rows, self.cols, k, k, k + 1, k + 1)
        top = TOP + 14
        self.image = MosaicImage(scene, self.mosaic, diverging_lut(), x + left, top, scale,
                                 levels=(-1.0, 1.0), tooltip=help_text)
        numbers = TextSheet(scene, 9, DIM_TEXT)  # the inputs along the top, the filters down
        numbers.add("out", x, top - 14)
        step = max(1, math.ceil(18 / pitch))
        for j in range(0, self.cols, step):
            name = self.in_names[j] if self.in_names else str(j)
            numbers.add(name, x + left + j * pitch, top - 13)
        step = max(1, math.ceil(11 / pitch))
        for i in range(0, self.rows, step):
            numbers.add(str(i), x, top + i * pitch + (k * scale - 11) / 2)
        bottom = top + self.image.height
        self.note.setText(f"layer {layer} · {self.what} ±0.000")
        self.grow(max(left + self.image.width, self.note.boundingRect().width()), bottom)
        self.note.setText(f"layer {layer}")
        # A red outline round each dead filter's row, made when the first one is found.
        self.kernels_at, self.scale = (x + left, top), scale
        self.dead: np.ndarray | None = None
        self.evaluated, self._dead_marks, self._dead_from = 0, [], None
        hidden = [f"{f - self.rows} filters"] if f > self.rows else []
        hidden += [f"{c - self.cols} inputs"] if c > self.cols else []
        if hidden:
            more = text_item(scene, "+ " + ", ".join(hidden) + " more (not drawn)", x, bottom + 2,
                             11, color=DIM_TEXT)
            self.grow(more.boundingRect().width(), bottom + 20)

    def update(self, weights: np.ndarray) -> None:
        self.data = weights
        self.mosaic.tiles[...] = weights[:self.rows, :self.cols]
        bound = float(np.abs(weights).max()) or 1.0
        self.image.show(levels=(-bound, bound))
        set_text(self.note, f"layer {self.layer} · {self.what} ±{fmt(bound)}")

    def blank(self) -> None:
        super().blank()
        self.mosaic.blank()
        self.image.show()
        self.note.setText(f"layer {self.layer}")
        self.show_dead(None)

    def show_dead(self, top) -> None:
        """Outline the filters that the last evaluation found dead (top: the snapshot's
        TopImages, None: no evaluation of this network); a no-op when it did not change."""
        if top is self._dead_from:
            return
        self._dead_from = top
        found = None if top is None else top.layer(self.layer)
        dead = None
        if (found is not None and found.kind == "conv" and found.dead is not None
                and found.units == self.shape[0]):
            dead = found.dead
        self.dead, self.evaluated = dead, 0 if top is None else top.evaluated
        if dead is not None and dead[:self.rows].any() and not self._dead_marks:
            (x, y), scale, k = self.kernels_at, self.scale, self.shape[2]
            for i in range(self.rows):  # the row's kernels dimmed, in a red frame
                mark = overlay(self.scene, QGraphicsRectItem(
                    x - 1, y + i * (k + 1) * scale - 1, self.image.width - scale + 2,
                    k * scale + 2), QPen(DEAD_MARK, 1.5), 5)
                mark.setBrush(QBrush(QColor(30, 31, 34, 150)))
                self._dead_marks.append(mark)
        for i, mark in enumerate(self._dead_marks):
            mark.setVisible(dead is not None and bool(dead[i]))
            mark.setToolTip(DEAD_TIP.format(f=i, n=self.evaluated))

    def region(self):
        return FilterRegion(self.kind, self.x, self.width, self.height, grid(self.image))

    def part(self, channel, inner):
        return None if self.data is None else self.data[channel, inner]

    def describe(self, cell):
        if self.data is None:
            return None
        f, c, y, x = cell.tile, cell.inner, cell.y, cell.x
        name = f"input {self.in_names[c]}" if self.in_names else f"input channel {c}"
        what = "dL/dW" if self.gradient else "weight"
        text = (f"{self.title} · filter {f} (makes map ch {f}) · {name} · "
                f"{what} (row {y}, col {x}) = {plain(self.data[f, c, y, x]):.4g} · "
                f"blue < 0 < red{'' if self.gradient else ' · click: its update'}")
        if self.dead is not None and self.dead[f]:
            text += (f" · DEAD: its map was 0 for all {self.evaluated} test images of the last "
                     "evaluation (hover the red outline for what to try)")
        return text
