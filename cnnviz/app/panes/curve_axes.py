"""The Curves pane's pyqtgraph axis and view box: GridAxis draws its grid in opaque colours and
from a pixmap cache, SteppedViewBox auto-ranges in steps (curve_ranges.stepped) from bounds the
pane supplies. They are apart from the pane because they are about how pyqtgraph draws, and the
pane only builds them; both keep to pyqtgraph's public API (AxisItem.generateDrawSpecs,
ViewBox.childrenBounds are the methods pyqtgraph calls to draw and to auto-range)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem

from cnnviz.app.panes.curve_ranges import stepped


class GridAxis(pg.AxisItem):
    """An axis whose ticks and grid lines are drawn in opaque colours, blended beforehand over
    the plot's background (the pane puts the axes under the curves, so they stay visible).

    pyqtgraph fades grid lines with a translucent pen, and Qt's raster engine draws a translucent
    1-pixel line pixel by pixel: 50 horizontal grid lines across the plot took 5.7 ms against
    0.4 ms opaque, which was most of the pane's paint time. Over an opaque background the colours
    come out the same."""

    def __init__(self, orientation: str, background):
        super().__init__(orientation)
        self.background = QColor(pg.mkColor(background))
        self._pens: dict[tuple, QPen] = {}
        # The axis (with its grid) spans the plot, so every new point repaints it: blit the
        # last rendering instead of replaying its picture from Python. pyqtgraph calls update()
        # whenever the ticks change, which renders it again.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def _opaque(self, pen: QPen) -> QPen:
        colour = pen.color()
        if colour.alpha() == 255:
            return pen
        key = (colour.rgba(), pen.widthF(), pen.isCosmetic(), pen.style())
        opaque = self._pens.get(key)
        if opaque is None:
            a, bg = colour.alphaF(), self.background
            opaque = QPen(pen)
            opaque.setColor(QColor(*(round(a * getattr(colour, c)() + (1 - a) * getattr(bg, c)())
                                     for c in ("red", "green", "blue"))))
            self._pens[key] = opaque
        return opaque

    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis, ticks, texts = specs
        return axis, [(self._opaque(pen), a, b) for pen, a, b in ticks], texts


class SteppedViewBox(pg.ViewBox):
    """A ViewBox whose auto-range covers the data rounded out with `stepped`, so the axes stay
    put for most new points. `data_bounds`, when given, returns the data's [[x0, x1], [y0, y1]]
    (None for an axis without data) for the plain auto-range, in place of pyqtgraph asking each
    item. Everything else (zooming turns auto-range off, the "A" button turns it back on) is
    pyqtgraph's."""

    def __init__(self, data_bounds=None):
        super().__init__()
        self.data_bounds = data_bounds

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):
        whole = (items is None and list(orthoRange) == [None, None]
                 and all(f == 1.0 for f in (frac or (1.0, 1.0))))
        if self.data_bounds is not None and whole:
            bounds = self.data_bounds()
        else:
            bounds = super().childrenBounds(frac, orthoRange, items)
        for axis in (0, 1):
            if bounds[axis] is not None:
                bounds[axis] = list(stepped(*bounds[axis], x_axis=axis == 0))
        return bounds
