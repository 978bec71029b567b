"""What a hovered cell of the network view can see, as plain data (no Qt).

The receptive field outlines (receptive_overlay.py) show, for the cell under the mouse, the
input pixels it depends on and the cells of the maps its layer reads. Both come from the
engine's one walk back through the windows (engine/receptive.py's input_box), worked out once
per network: a map cell's box is the product of its row's and its column's ranges, so a table
of rows and a table of columns per map column is enough, and hovering only reads them. Apart
from the overlay's items so that the tables can be checked against input_box without a scene.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.app.panes.network_geometry import Box, Cell, pixel
from cnnviz.engine.receptive import input_box
from cnnviz.engine.spec import Summary


def axis_spans(summary: Summary, layer: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows (height, 2), cols (width, 2)): the half-open range of input rows that each row of
    map layer `layer`'s output reads, and of input columns that each column reads."""
    rows = np.array([input_box(summary, layer, y, 0)[0::2] for y in range(height)])
    cols = np.array([input_box(summary, layer, 0, x)[1::2] for x in range(width)])
    return rows, cols


def from_map(summary: Summary, before, tap: int) -> Summary:
    """The layers after map column `before` up to layer `tap`, as a network whose input is
    before's maps: input_box on it gives the cells of those maps that a cell of `tap` reads.
    (Only windows and elementwise layers lie between two map columns, which is all the walk
    back needs.)"""
    return Summary(tuple(before.shape), summary.classes, summary.loss,
                   summary.layers[before.tap + 1:tap + 1])


@dataclass(frozen=True)
class Seen:
    """What a cell sees: `box` on the input; `before`, the index of the map column its layer
    reads when that is not the input, and `before_box` on each of that column's maps."""
    box: Box
    before: int | None = None
    before_box: Box | None = None


class _MapTables:
    """One map column's ranges, on the input and on the map column before it (if any)."""

    def __init__(self, summary: Summary, columns, index: int, before: int | None):
        column = columns[index]
        _, height, width = column.shape
        self.rows, self.cols = axis_spans(summary, column.tap, height, width)
        self.before = before
        if before is not None:
            rest = from_map(summary, columns[before], column.tap)
            self.before_rows, self.before_cols = axis_spans(rest, len(rest.layers) - 1, height,
                                                            width)

    def seen(self, y: int, x: int) -> Seen:
        box = _box(self.rows, self.cols, y, x)
        if self.before is None:
            return Seen(box)
        return Seen(box, self.before, _box(self.before_rows, self.before_cols, y, x))


def _box(rows: np.ndarray, cols: np.ndarray, y: int, x: int) -> Box:
    return int(rows[y, 0]), int(cols[x, 0]), int(rows[y, 1]), int(cols[x, 1])


class ReceptiveTables:
    """For each column of the view (ColumnPlans, or the view's columns made from them: their
    kind, tap and shape), what its cells see."""

    def __init__(self, summary: Summary, columns):
        self._maps: dict[int, _MapTables] = {}
        self._flat: dict[int, Box] = {}
        before = None  # the last map column so far (the input is not one: its cells are pixels)
        for index, column in enumerate(columns):
            if column.kind in ("maps", "pooled"):
                self._maps[index] = _MapTables(summary, columns, index, before)
                before = index
            elif column.kind == "dense":  # every unit sees what the whole map before it saw
                self._flat[index] = input_box(summary, column.tap)
            elif column.kind == "output":
                self._flat[index] = input_box(summary, len(summary.layers) - 1)

    def seen(self, cell: Cell) -> Seen | None:
        """What the cell sees; None for the cells that see no input pixels of their own here
        (filter weights, gradients)."""
        if cell.kind == "input":
            return Seen(pixel(cell.y, cell.x))
        if cell.column in self._maps:
            return self._maps[cell.column].seen(cell.y, cell.x)
        box = self._flat.get(cell.column)
        return None if box is None else Seen(box)
