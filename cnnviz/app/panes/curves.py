"""The Curves pane: training loss per batch (raw and smoothed), test loss and test accuracy per
evaluation, the learning rate each step trained with (a thin line on the loss plot's right-hand,
logarithmic axis: where a schedule raises and lowers it), and a marker wherever the set learning
rate changed.

The points, and what each snapshot adds to them, are curve_data's (no Qt); this module builds the
plots and draws them. They are redrawn at most REDRAW_HZ times a second: at once when the last
redraw is that long ago (so a snapshot's changes to every pane make one repaint of the window, not
two), else by a timer. Adding a point costs a few microseconds and 100k points still pan and zoom
smoothly.

Drawing is kept cheap because the pane repaints with every snapshot while the worker wants both
cores. The loss lines repaint only the strip a new point adds (TrailCurve). A change of range
re-lays out every axis, which costs several times as much as drawing the curves, so the
auto-range grows in steps (curve_axes.SteppedViewBox, curve_ranges.stepped) rather than with
every point; the grid lines are opaque (curve_axes.GridAxis) and each axis is painted from a
pixmap cache until its range changes; the auto-range takes the loss plot's bounds from the
series' running minima and maxima rather than from pyqtgraph scanning every point; and it is
settled before Qt paints, so one update costs one paint, not two."""
from __future__ import annotations

import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from cnnviz.app.panes.curve_axes import GridAxis, SteppedViewBox
from cnnviz.app.panes.curve_data import CurveData, GrowingSeries
from cnnviz.app.panes.curve_ranges import series_bounds, union
from cnnviz.app.panes.trail_curve import TrailCurve

REDRAW_HZ = 30
AXIS_WIDTH = 56
RATE_AXIS_WIDTH = AXIS_WIDTH  # both plots' right axes, so their x axes line up

RAW_PEN = pg.mkPen((150, 180, 235, 150), width=1)
SMOOTH_PEN = pg.mkPen((80, 170, 255), width=2.5)
TEST_LOSS_PEN = pg.mkPen((255, 160, 50), width=2)
TEST_ACC_PEN = pg.mkPen((90, 210, 120), width=2)
LR_PEN = pg.mkPen((220, 220, 220, 170), width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
RATE_COLOUR = (235, 200, 80)
RATE_PEN = pg.mkPen(RATE_COLOUR + (210,), width=1.2)

TOOLTIP = ("Training curves. Top: the loss of each training batch (faint) and its running average "
           "(bold), with the loss on test images after each evaluation (orange); lower is better. "
           "The thin yellow line is the learning rate of each step (right-hand axis, logarithmic): "
           "constant, or as the schedule raises and lowers it. "
           "Bottom: the share of test images the network classifies correctly. Dashed lines mark "
           "where the learning rate was set to another value.")


MINIMUM_WIDTH, MINIMUM_HEIGHT = 260, 190
# Below this height the plots' titles are left out (the axes are labelled too): with them, the
# plots get so short that their tick labels overlap.
TITLES_HEIGHT = 300
LOSS_TITLE, ACCURACY_TITLE = "Loss (lower is better)", "Test accuracy"


class CurvesPane(QWidget):
    """Loss and accuracy curves, fed one snapshot at a time with add_snapshot()."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        # Two plots with titles, ticks and a legend: below this their tick labels overlap.
        self.setMinimumSize(MINIMUM_WIDTH, MINIMUM_HEIGHT)
        self.titles = (LOSS_TITLE, ACCURACY_TITLE)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setToolTip(TOOLTIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

        background = self.view.backgroundBrush().color()
        self.loss_plot = self.view.addPlot(row=0, col=0, title=LOSS_TITLE,
                                           axisItems=self._axes(background),
                                           viewBox=SteppedViewBox())
        self.acc_plot = self.view.addPlot(row=1, col=0, title=ACCURACY_TITLE,
                                          axisItems=self._axes(background),
                                          viewBox=SteppedViewBox())
        for plot in (self.loss_plot, self.acc_plot):
            for name in ("left", "bottom"):
                # Below the ViewBox (-100), so the opaque grid lies under the curves; PlotItem
                # puts axes at 0.5, over them.
                plot.getAxis(name).setZValue(-200)
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(1, 2)
        self.acc_plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.acc_plot):
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.getAxis("left").setWidth(AXIS_WIDTH)  # the two plots' x axes line up
            # The menu's transforms that mean nothing for training curves (and that the loss
            # lines, TrailCurves, do not follow); Log X and Log Y stay.
            for check in (plot.ctrl.fftCheck, plot.ctrl.derivativeCheck, plot.ctrl.phasemapCheck):
                check.setEnabled(False)
        self.acc_plot.setLabel("bottom", "training step (batches)")
        self.loss_plot.setLabel("left", "loss")
        self.acc_plot.setLabel("left", "accuracy", units="%")
        self.acc_plot.getAxis("left").enableAutoSIPrefix(False)
        self.acc_plot.setYRange(0, 100, padding=0.02)
        self.acc_plot.getViewBox().setLimits(yMin=-5, yMax=105)
        self.acc_plot.enableAutoRange(axis="y", enable=False)

        legend = self.loss_plot.addLegend(offset=(-10, 10))
        self.data = CurveData()
        # (the series by name: curve_history records them from the pane)
        self.raw, self.smooth, self.rate = self.data.raw, self.data.smooth, self.data.rate
        self.test_loss, self.test_acc = self.data.test_loss, self.data.test_acc
        self.raw_item = self._trail(self.loss_plot, self.raw, RAW_PEN, "batch loss")
        self.smooth_item = self._trail(self.loss_plot, self.smooth, SMOOTH_PEN, "smoothed")
        self.test_loss_item = self._curve(self.loss_plot, TEST_LOSS_PEN, "test loss",
                                          symbol="o", brush=TEST_LOSS_PEN.color())
        self.test_acc_item = self._curve(self.acc_plot, TEST_ACC_PEN, None,
                                         symbol="o", brush=TEST_ACC_PEN.color())
        legend.setBrush(pg.mkBrush(0, 0, 0, 160))
        legend.setColumnCount(3)  # one row: in a short dock a column of three ran off the plot

        self.loss_plot.getViewBox().data_bounds = self._loss_bounds
        self.rate_view, self.rate_item = self._rate_line()
        self.lr_markers: list[tuple[pg.InfiniteLine, pg.InfiniteLine]] = []

        self._drawn_at = -math.inf  # when redraw() last ran (time.perf_counter)
        self._tests_changed = False  # test points are redrawn only when an evaluation came
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.redraw)

    def _loss_bounds(self) -> list:
        """The loss plot's data bounds, from the series shown (the legend can hide one): their
        running minima and maxima, or, on a logarithmic axis, the items' own."""
        pairs = [(series, item) for series, item in ((self.raw, self.raw_item),
                                                     (self.smooth, self.smooth_item),
                                                     (self.test_loss, self.test_loss_item))
                 if item.isVisible()]
        if self.loss_plot.ctrl.logXCheck.isChecked() or self.loss_plot.ctrl.logYCheck.isChecked():
            return [union([item.dataBounds(axis) for _, item in pairs]) for axis in (0, 1)]
        return series_bounds([series for series, _ in pairs])

    def _rate_line(self) -> tuple[SteppedViewBox, TrailCurve]:
        """The learning rate's line, in a view box of its own over the loss plot's area that
        shares its steps (x) and has a log axis on the right. It lies between the grid (the
        axes, at -200) and the loss plot's view box (-100): over the opaque grid lines, under
        the loss lines, and the mouse still pans and zooms the loss plot."""
        view = SteppedViewBox(data_bounds=self._rate_bounds)
        view.setParentItem(self.loss_plot)
        view.setZValue(-150)
        view.setMouseEnabled(False, False)
        view.enableAutoRange(axis="x", enable=False)
        view.setDefaultPadding(0.0)  # the decades are margin enough
        view.setYRange(-4, -1)  # (0.0001 to 0.1 until there are rates: not 1 to 10)
        view.enableAutoRange(axis="y")  # (which setting a range turned off)
        view.setXLink(self.loss_plot)
        item = TrailCurve(self.rate, RATE_PEN, "learning rate")
        item.setLogMode(False, True)
        view.addItem(item)
        self.loss_plot.showAxis("right")
        axis = self.loss_plot.getAxis("right")
        axis.linkToView(view)
        axis.setLogMode(True)
        axis.enableAutoSIPrefix(False)  # the rates as they are: 0.001, not 1 (x0.001)
        axis.setLabel("learning rate", color=pg.mkColor(RATE_COLOUR).name())
        axis.setTextPen(RATE_COLOUR)
        self.acc_plot.showAxis("right")  # blank, as wide: the two x axes line up
        self.acc_plot.getAxis("right").setStyle(showValues=False)
        self.acc_plot.getAxis("right").setPen(None)
        for plot in (self.loss_plot, self.acc_plot):
            plot.getAxis("right").setWidth(RATE_AXIS_WIDTH)
        loss_view = self.loss_plot.getViewBox()
        loss_view.sigResized.connect(lambda: view.setGeometry(loss_view.geometry()))
        # The plot's Log X (its menu) applies to the steps of this line too.
        self.loss_plot.ctrl.logXCheck.toggled.connect(lambda on: item.setLogMode(on, True))
        return view, item

    def _rate_bounds(self) -> list:
        """The rate view's range: the rates' whole decades (log10), so it changes only when the
        rate crosses into another decade; x follows the loss plot."""
        low, high = self.rate.y_range
        if not high > 0:
            return [None, None]
        low = low if low > 0 else high * 1e-4  # a rate of 0 lies below the axis
        return [None, [math.floor(math.log10(low) - 0.05), math.ceil(math.log10(high) + 0.05)]]

    @staticmethod
    def _axes(background) -> dict[str, GridAxis]:
        return {name: GridAxis(name, background) for name in ("left", "bottom")}

    @staticmethod
    def _trail(plot: pg.PlotItem, series: GrowingSeries, pen, name: str) -> TrailCurve:
        item = TrailCurve(series, pen, name)
        plot.addItem(item)
        plot.legend.addItem(item, name)
        return item

    @staticmethod
    def _curve(plot: pg.PlotItem, pen, name: str | None, **symbol) -> pg.PlotDataItem:
        if symbol:
            symbol.setdefault("symbolSize", 6)
            symbol["symbolPen"] = None
            symbol["symbolBrush"] = symbol.pop("brush")
        item = plot.plot(pen=pen, name=name, connect="finite", **symbol)
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        return item

    # ---- feeding ---------------------------------------------------------------------------

    def _set_titles(self, loss: str, accuracy: str) -> None:
        """Show the plots' titles if the pane is tall enough for them (else only keep them)."""
        self.titles = (loss, accuracy)
        shown = self.height() >= TITLES_HEIGHT
        for plot, title in zip((self.loss_plot, self.acc_plot), self.titles):
            if (plot.titleLabel.isVisible(), plot.titleLabel.text) != (shown, title):
                plot.setTitle(title if shown else None)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._set_titles(*self.titles)

    def reset(self) -> None:
        """Forget every point and marker (a new training run)."""
        self.data.clear()
        for top, bottom in self.lr_markers:
            self.loss_plot.removeItem(top)
            self.acc_plot.removeItem(bottom)
        self.lr_markers.clear()
        self._set_titles(LOSS_TITLE, ACCURACY_TITLE)
        self._tests_changed = True
        self.redraw()
        self.loss_plot.enableAutoRange()

    def restore(self, history: dict[str, list[tuple]]) -> None:
        """Show the points of a saved run (curve_history.parse): a reopened model's curves."""
        self.reset()
        self.data.restore(history)
        self._tests_changed = True
        self.redraw()
        self.loss_plot.enableAutoRange()

    def add_snapshot(self, snapshot) -> None:
        """Add what is new in `snapshot`: a loss point per new step, a test point per new
        evaluation, a marker when the learning rate changed. Drawing happens soon after."""
        news = self.data.add(snapshot)
        if news.evaluation is not None:
            eval_step, accuracy = news.evaluation
            self._tests_changed = True
            self._set_titles(LOSS_TITLE,
                             f"{ACCURACY_TITLE}: {100 * accuracy:.1f}% at step {eval_step}")
        if news.lr_change is not None:
            self._add_lr_marker(*news.lr_change)
        if not self._timer.isActive():
            wait = self._drawn_at + 1 / REDRAW_HZ - time.perf_counter()
            if wait <= 0:  # now, so it joins the repaint of the other panes this snapshot changed
                self.redraw()
            else:
                self._timer.start(max(1, math.ceil(wait * 1000)))

    def _add_lr_marker(self, step: int, lr: float) -> None:
        # Labels of consecutive markers sit at different heights so near ones do not overlap.
        position = (0.92, 0.78, 0.64)[len(self.lr_markers) % 3]
        top = pg.InfiniteLine(step, angle=90, pen=LR_PEN, movable=False, label=f"lr {lr:g}",
                              labelOpts={"position": position, "color": (235, 235, 235),
                                         "fill": (40, 40, 40, 200), "anchors": [(0, 0.5),
                                                                               (0, 0.5)]})
        top.setToolTip(f"The learning rate was set to {lr:g} at step {step}.")
        bottom = pg.InfiniteLine(step, angle=90, pen=LR_PEN, movable=False)
        self.loss_plot.addItem(top, ignoreBounds=True)
        self.acc_plot.addItem(bottom, ignoreBounds=True)
        self.lr_markers.append((top, bottom))

    def redraw(self) -> None:
        """Hand the buffers to the plot items now (normally done by the redraw timer)."""
        self._timer.stop()
        self._drawn_at = time.perf_counter()
        # The auto-range first: a range that changes repaints everything, one that does not
        # lets the loss curves repaint only the strip their new points add.
        self.loss_plot.getViewBox().updateAutoRange()
        self.rate_view.updateAutoRange()
        self.raw_item.show_points()
        self.smooth_item.show_points()
        self.rate_item.show_points()
        if self._tests_changed:  # (setting the symbols again costs ~1 ms)
            self._tests_changed = False
            self.test_loss_item.setData(*self.test_loss.views())
            self.test_acc_item.setData(*self.test_acc.views())
        # Settle the auto-range now: pyqtgraph otherwise does it while painting, and the axes it
        # changes then ask for a second paint of the whole pane.
        for view in (self.loss_plot.getViewBox(), self.acc_plot.getViewBox(), self.rate_view):
            view.prepareForPaint()

    # ---- for tests -------------------------------------------------------------------------

    def point_count(self) -> int:
        """Training-loss points held (raw batch losses)."""
        return self.raw.count

    def lr_marker_count(self) -> int:
        return len(self.lr_markers)
