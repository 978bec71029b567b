"""One map or filter of the network view, large, in a window of its own (a double-click opens
it): a 3x3 filter is ten pixels wide in the view, too small to see which weights are which. It
follows training (the network view hands it each new array) and tells the value under the
mouse."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from cnnviz.app.panes.map_grid import diverging_lut, grey_lut, sequential_lut
from cnnviz.app.panes.number_text import plain

ENLARGED_KINDS = ("input", "maps", "pooled", "gradients", "filters")  # a dense unit is one number


@dataclass(frozen=True)
class Pick:
    """What was double-clicked: column `column` of the view; for a map column, map `channel`;
    for a filter column, filter `channel`'s kernel on input `inner`."""
    column: int
    channel: int
    inner: int | None = None

    @classmethod
    def of(cls, cell) -> Pick | None:
        """The map or kernel a double-click on a Cell (network_geometry.py) opens, if any."""
        return cls(cell.column, cell.tile, cell.inner) if cell.kind in ENLARGED_KINDS else None


LUTS = {"input": grey_lut, "filters": diverging_lut}


class EnlargedMap(QWidget):
    def __init__(self, title: str, kind: str, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Tool)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.kind, self.data = kind, None
        self.pick: Pick | None = None  # what of a view's column it shows (EnlargedMap.of)
        self.view = pg.GraphicsLayoutWidget()
        self.box = self.view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(LUTS.get(kind, sequential_lut)())
        self.box.addItem(self.image)
        self.value = QLabel("Hover a pixel for its value.")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.range = QLabel("")
        self.range.setStyleSheet("color: gray")
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.value)
        layout.addWidget(self.range)
        self.view.scene().sigMouseMoved.connect(self._hover)
        self.resize(420, 460)

    @classmethod
    def of(cls, column, pick: Pick, parent: QWidget | None = None) -> EnlargedMap:
        """The window for a pick of a view's column, titled after it, showing its array."""
        if pick.inner is None:
            what = f"{column.title} · {column.names[pick.channel]}"
        else:
            name = column.in_names[pick.inner] if column.in_names else str(pick.inner)
            what = f"{column.title} · filter {pick.channel} on input {name}"
        window = cls(f"{what} — cnnviz", column.kind, parent)
        window.pick = pick
        window.follow(column)
        return window

    def follow(self, column) -> None:
        """Show the picked part of the data the column drew last (nothing before it drew)."""
        part = column.part(self.pick.channel, self.pick.inner)
        if part is not None:
            self.show_array(part)

    def show_array(self, array: np.ndarray) -> None:
        """Draw the (H, W) array: weights on levels ±max|w| (white is zero), maps on their own
        range."""
        self.data = np.asarray(array, dtype=np.float32)
        low, high = float(self.data.min()), float(self.data.max())
        if self.kind == "filters":
            bound = max(abs(low), abs(high)) or 1.0
            levels = (-bound, bound)
        else:
            levels = (low, high if high > low else low + 1.0)
        self.image.setImage(self.data, autoLevels=False, levels=levels)
        self.range.setText(f"{self.data.shape[0]}×{self.data.shape[1]} · values "
                           f"{plain(low):.4g} … {plain(high):.4g}"
                           + (" · blue < 0 < red" if self.kind == "filters" else ""))
        self.box.autoRange(padding=0.02)

    def value_at(self, y: int, x: int) -> str:
        return f"(row {y}, col {x}) = {plain(self.data[y, x]):.6g}"

    def _hover(self, scene_pos: QPointF) -> None:
        if self.data is None:
            return
        point = self.image.mapFromScene(scene_pos)
        y, x = int(np.floor(point.y())), int(np.floor(point.x()))
        if 0 <= y < self.data.shape[0] and 0 <= x < self.data.shape[1]:
            self.value.setText(self.value_at(y, x))
