"""A line through a growing series of points that repaints only where it grew.

The loss curves gain a point with every snapshot. pyqtgraph's PlotDataItem takes the whole array
again and repaints the whole plot (its bounds changed, so the view box asks for a new paint), and
the 2.5-pixel smoothed line is stroked segment by segment: the Curves pane cost as much of the
GUI thread as the whole network view (benchmarks/gui_responsiveness.py). TrailCurve reads the
points from the pane's GrowingSeries and, when points were appended and the view did not move,
asks Qt to repaint only the strip from the last drawn point to the new one; its paint draws only
the points in the strip Qt exposes. A change of view, size or downsampling repaints everything.

Drawing follows PlotDataItem's settings in the pane: NaN breaks the line (connect="finite"),
only the points in view are drawn, and beyond AUTO_DOWNSAMPLE points per pixel column, blocks of
`ds` points are drawn as their minimum and maximum ("peak" downsampling). Blocks start at
multiples of `ds` from the first point, so a strip drawn alone is drawn as the whole line draws it.
The plot's Log X / Log Y options (its context menu) apply, as they do to a PlotDataItem.

It still beats pyqtgraph used as its docs say: benchmarks/trail_vs_plotdataitem.py feeds the
Curves pane (760x410, offscreen platform) one snapshot at a time with its loss lines as TrailCurves,
then as PlotDataItems (connect="finite", setDownsampling(auto=True, method="peak"),
setClipToView(True), setData with the whole series per snapshot). The GUI thread's CPU time per
snapshot, add_snapshot + redraw + the repaint it causes, median of 900 snapshots, on 2026-12-03
with pyqtgraph 0.14.0, PySide6 6.11.3, on a 2-core AMD EPYC shared with other work:

    points   TrailCurve   PlotDataItem   PlotDataItem, segmentedLineMode "off"
    2k       0.79 ms      4.96 ms        4.18 ms
    20k      1.36 ms      9.03 ms        7.43 ms
    100k     1.51 ms      9.76 ms        8.27 ms

6 to 6.6 times less (an earlier run on a quieter machine: 0.54 / 3.24, 0.81 / 6.75, 1.39 / 7.74
ms): a PlotDataItem repaints the whole loss plot for every point (39% of the pane), TrailCurve a
strip (0.5%). It uses pyqtgraph's public API only: GraphicsObject's paint, boundingRect,
viewRangeChanged and viewTransformChanged, the view box's viewRect and viewRange, arrayToQPath;
its own underscore names shadow none of GraphicsObject's (tests/app/test_trail_curve.py).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsItem

AUTO_DOWNSAMPLE = 5.0   # points per pixel column before blocks are drawn as min/max (pyqtgraph's)
MARGIN_PX = 4           # around a repainted strip, for the pen's width


class TrailCurve(pg.GraphicsObject):
    """The first `count` points of a GrowingSeries (x ascending), drawn with `pen`. The pane
    calls show_points() after appending to the series; legend samples read `opts`."""

    def __init__(self, series, pen, name: str | None = None):
        super().__init__()
        self.series = series
        self.opts = {"pen": pg.mkPen(pen), "name": name}
        self.count = 0        # points handed over (and painted, or about to be)
        self._ds = 1          # the downsampling: kept current with the points and the view
        self._log = (False, False)  # log10 of x, of y: the plot's Log X, Log Y
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def name(self) -> str | None:
        return self.opts["name"]

    # ---- data -------------------------------------------------------------------------------

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        """The points as drawn (log10 where the plot is logarithmic), as PlotDataItem's."""
        return self._display(0, self.count)

    def _display(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.series.x[first:last], self.series.y[first:last]
        return (_log10(x) if self._log[0] else x), (_log10(y) if self._log[1] else y)

    def _raw_x(self, value: float) -> float:
        """A displayed x as a step (for searching the series)."""
        if not self._log[0]:
            return value
        with np.errstate(over="ignore"):
            return float(np.power(10.0, value))

    def setLogMode(self, x: bool, y: bool) -> None:
        self._log = (bool(x), bool(y))
        self.viewRangeChanged()

    @property
    def xData(self) -> np.ndarray | None:  # (as PlotDataItem's: the data as given)
        return self.series.x[:self.count] if self.count else None

    @property
    def yData(self) -> np.ndarray | None:
        return self.series.y[:self.count] if self.count else None

    def show_points(self) -> None:
        """Take the series' points up to its end: repaint the strip they add, or everything if
        the series was cleared or the downsampling changed."""
        before, self.count = self.count, self.series.count
        ds, self._ds = self._ds, self._downsampling()
        strip = self._strip(before) if self._ds == ds and 2 <= before < self.count else None
        if strip is not None:
            self.update(strip)
        elif self.count != before or self._ds != ds:
            self.update()

    def _strip(self, before: int) -> QRectF | None:
        """Where the points from index `before` on change the drawing: from the start of the
        block before the one holding the last drawn point, padded by a few pixels."""
        ds = self._ds
        start = max(0, ((before - 1) // ds - 1) * ds)
        x, ys = self._display(start, self.count)
        finite = ys[np.isfinite(ys)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
        px, py = abs(self.pixelWidth()) * MARGIN_PX, abs(self.pixelHeight()) * MARGIN_PX
        if not all(math.isfinite(v) for v in (x[0], x[-1], low, high, px, py)):
            return None  # (a step 0 on a logarithmic axis): repaint everything
        return QRectF(float(x[0]) - px, low - py, float(x[-1]) - float(x[0]) + 2 * px,
                      high - low + 2 * py)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        """(min, max) of the finite data along axis `ax` (what the view box's auto-range asks),
        within orthoRange on the other axis when given."""
        x, y = self.getData()
        values, other = (x, y) if ax == 0 else (y, x)
        keep = np.isfinite(values)
        if orthoRange is not None:
            keep &= (other >= orthoRange[0]) & (other <= orthoRange[1])
        values = values[keep]
        if not len(values):
            return None, None
        if frac >= 1.0:
            return float(values.min()), float(values.max())
        return tuple(float(v) for v in np.percentile(values, [50 * (1 - frac), 50 * (1 + frac)]))

    # ---- drawing ----------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        # The visible range: the line may be anywhere in it, and it only changes with the view
        # (viewRangeChanged), not with every point.
        view = self.getViewBox()
        return QRectF() if view is None else view.viewRect()

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self._ds = self._downsampling()
        self.update()

    def viewTransformChanged(self) -> None:
        self.viewRangeChanged()

    def _downsampling(self) -> int:
        """Points per block: 1 until AUTO_DOWNSAMPLE points share a pixel column (in view)."""
        view = self.getViewBox()
        if view is None or self.count < 2:
            return 1
        x = self.series.x[:self.count]
        left, right = (self._raw_x(v) for v in view.viewRange()[0])
        shown = np.searchsorted(x, right, "right") - np.searchsorted(x, left, "left")
        width = max(1.0, view.width())
        return max(1, int(shown / (width * AUTO_DOWNSAMPLE)))

    def paint(self, painter, option, widget=None) -> None:
        ds = self._ds
        x = self.series.x[:self.count]
        area = option.exposedRect
        # The points in the exposed strip and beyond it by a margin, so that the line's ends (its
        # caps) fall outside the strip and the strip comes out as the whole line draws it; whole
        # blocks.
        pad = abs(self.pixelWidth()) * 2 * MARGIN_PX
        left, right = self._raw_x(area.left() - pad), self._raw_x(area.right() + pad)
        first = max(0, int(np.searchsorted(x, left, "left")) - 1) // ds * ds
        end = int(np.searchsorted(x, right, "right")) + 1
        last = min(len(x), -(-end // ds) * ds)
        xs, ys = self._display(first, last)
        if ds > 1:
            xs, ys = peaks(xs, ys, ds)
        if len(xs) < 2:
            return
        painter.setPen(self.opts["pen"])
        painter.drawPath(pg.arrayToQPath(xs, ys, connect="finite"))


def _log10(values: np.ndarray) -> np.ndarray:
    """log10, with NaN (a gap in the line) where it is not finite, as for values <= 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.log10(values)
    result[~np.isfinite(result)] = np.nan
    return result


def peaks(x: np.ndarray, y: np.ndarray, ds: int) -> tuple[np.ndarray, np.ndarray]:
    """Each block of `ds` points as two points at the x of its middle point: its maximum, then its
    minimum (pyqtgraph's "peak" downsampling). Unlike pyqtgraph, a last, shorter block is drawn
    too (the newest points), and NaN counts only where a whole block is NaN."""
    blocks = math.ceil(len(x) / ds)
    padded = np.full(blocks * ds, np.nan)
    padded[:len(y)] = y
    padded = padded.reshape(blocks, ds)
    with np.errstate(invalid="ignore"):
        low, high = np.fmin.reduce(padded, axis=1), np.fmax.reduce(padded, axis=1)
    middle = np.minimum(np.arange(blocks) * ds + ds // 2, len(x) - 1)
    ys = np.empty(2 * blocks)
    ys[0::2], ys[1::2] = high, low
    return np.repeat(x[middle], 2), ys
