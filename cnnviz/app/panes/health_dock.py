"""Training health over time: per layer, the update-to-weight ratio, the weight and gradient
norms and the share of dead ReLU units (or saturated tanh / sigmoid outputs), on one shared
step axis, with warnings in plain words when a figure leaves its healthy range; beside them, for the layer
chosen, heat strips of its weights' and its gradients' histograms over the same steps. Fed the
snapshots' health records (training/health.py); each curve and strip is a bounded History, so a
long run costs what a short one does.

This module is the pane: it builds the plots, keeps the histories and draws what is new. What
it plots, the axes' ticks and the words are health_figures.py (no Qt); a heat strip is drawn by
strip_image.py."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from cnnviz.app.panes.health_figures import (
    HEALTHY_RATIOS,
    PLOTS,
    SHARE_LEVELS,
    STEP_AXIS,
    STRIPS,
    TOOLTIP,
    ZERO_ROW,
    LayerStrips,
    curve_colour,
    figures,
    gradient_ticks,
    layer_name,
    share_ticks,
)
from cnnviz.app.panes.strip_image import StripImage
from cnnviz.training.health import History, Strip, warnings
from cnnviz.training.histograms import GRAD_BINS, GRAD_HIGH, WEIGHT_BINS

REDRAW_MS = 1000
CURVES_PER_TURN = 6


class HealthPane(QWidget):
    warned = Signal(str)  # a new warning, for the status bar

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        self.setMinimumSize(260, 240)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setToolTip(TOOLTIP)
        # The plots take the height there is (their own wish, 500 px, made the dock scroll).
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.plots, self.plot_names = {}, {}
        curves = self.view.addLayout(row=0, col=0)
        for row, (key, label, log) in enumerate(PLOTS):
            plot = curves.addPlot(row=row, col=0)
            # Named inside, top left: a plot is some 45 px high on a laptop screen, too little
            # for the name along its axis.
            name = pg.TextItem(label, color="#cccccc", anchor=(0, 0), fill=(0, 0, 0, 170))
            name.setParentItem(plot.getViewBox())  # not of the data: stays put when panned
            name.setPos(2, 0)
            name.setZValue(10)
            self.plot_names[key] = name
            plot.getAxis("left").enableAutoSIPrefix(False)  # 1e-3 is the figure to read
            if row < len(PLOTS) - 1:  # the steps are read off the bottom plot's axis
                plot.getAxis("bottom").setStyle(showValues=False)
            plot.setLogMode(y=log)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.addLegend(offset=(-5, 5), colCount=4, labelTextSize="8pt")
            if row:
                plot.setXLink(self.plots[PLOTS[0][0]])
            self.plots[key] = plot
        self.plots["inactive"].setYRange(0, 1)
        small_label(self.plots["inactive"], "bottom", STEP_AXIS)
        band = pg.LinearRegionItem(HEALTHY_RATIOS, orientation="horizontal", movable=False,
                                   brush=pg.mkBrush(90, 200, 90, 35), pen=pg.mkPen(None))
        band.setToolTip("Update ratios between 1e-4 and 1e-2: the usual healthy range.")
        self.plots["update_ratio"].addItem(band)
        self._build_strips(self.view.addLayout(row=0, col=1))
        self.view.ci.layout.setColumnStretchFactor(0, 3)
        self.view.ci.layout.setColumnStretchFactor(1, 2)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b3261e")
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The layer whose weight and gradient histograms the heat "
                                  "strips show.")
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self._draw)
        below = QHBoxLayout()
        below.addWidget(self.warning, 1)
        chooser = QLabel("Histograms of layer")
        chooser.setToolTip(self.layer_box.toolTip())
        below.addWidget(chooser)
        below.addWidget(self.layer_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(below)
        self.reset()

    def _build_strips(self, strips: pg.GraphicsLayout) -> None:
        """Two heat strips, step x value bin, on the curves' step axis, with one colour bar."""
        self.strip_plots, self.strip_images = {}, {}
        for row, (key, label, tip) in enumerate(STRIPS):
            plot = strips.addPlot(row=row, col=0)
            small_label(plot, "left", label)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.setXLink(self.plots[PLOTS[0][0]])
            plot.disableAutoRange()  # the x range follows the curves; y is the histogram's
            plot.setMenuEnabled(False)
            image = StripImage(key)
            image.setToolTip(tip)
            plot.addItem(image)
            plot.getViewBox().setToolTip(tip)
            self.strip_plots[key], self.strip_images[key] = plot, image
        self.strip_plots["weights"].getAxis("bottom").setStyle(showValues=False)
        grads = self.strip_plots["grads"]
        small_label(grads, "bottom", STEP_AXIS)
        grads.setYRange(ZERO_ROW, GRAD_HIGH, padding=0)
        grads.getAxis("left").setTicks(gradient_ticks())
        self.strip_plots["weights"].setYRange(-1, 1, padding=0)
        bar = pg.ColorBarItem(values=SHARE_LEVELS, colorMap="inferno", width=10,
                              label="share of values in a bin", interactive=False,
                              colorMapMenu=False)
        bar.axis.setTicks(share_ticks())
        bar.setImageItem(list(self.strip_images.values()))
        bar.setToolTip("How many of the layer's values a bin holds, on a log scale: each step "
                       "brighter is ten times as many. Empty bins are left black.")
        strips.addItem(bar, row=0, col=1, rowspan=2)
        self.colour_bar = bar

    def reset(self) -> None:
        """A new run: no curves, no strips."""
        for plot in self.plots.values():
            for item in list(plot.listDataItems()):
                plot.removeItem(item)
            plot.legend.clear()
        # (figure, layer) -> [its History, its curve; None until first drawn]
        self.series: dict[tuple[str, int], list] = {}
        self._names: dict[tuple[str, int], str] = {}
        # Per layer with weights, the weights' and the gradients' strips (every layer's kept:
        # choosing another shows its whole run).
        self.strips: dict[int, LayerStrips] = {}
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.blockSignals(False)
        for image in self.strip_images.values():
            image.show_strip(None)
        self._last_step = None
        self._stale: set = set()  # (figure, layer) of curves with points not drawn yet
        self._strips_stale = False  # the chosen layer's strips have columns not drawn yet
        self._said: set[tuple[int, str]] = set()
        self.warning.setText("No warnings: every layer is in its healthy range so far.")

    def _draw(self) -> None:
        """Draw what is new. A curve's item is made when it is first drawn, at most
        CURVES_PER_TURN a turn of the event loop (the first snapshot brings four a layer, 2.6 ms
        each: all at once stalled the window for 60 ms); the rest follow at once."""
        made = 0
        for key in sorted(self._stale):
            entry = self.series[key]
            if entry[1] is None:
                if made == CURVES_PER_TURN:
                    continue
                entry[1] = self._make_curve(*key, self._names[key])
                made += 1
            entry[1].setData(*entry[0].points())
            self._stale.discard(key)
        if self._stale and self.isVisible():
            QTimer.singleShot(0, self._draw)
        if self._strips_stale:
            self._draw_strips()

    def chosen_layer(self) -> int | None:
        return self.layer_box.currentData()

    def _draw_strips(self) -> None:
        self._strips_stale = False
        strips = self.strips.get(self.chosen_layer())
        for key, image in self.strip_images.items():
            image.show_strip(getattr(strips, key) if strips else None)
        if strips and strips.weights.half_range:
            half = strips.weights.half_range
            self.strip_plots["weights"].setYRange(-half, half, padding=0)

    def _layer_chosen(self) -> None:
        self._strips_stale = True
        if self.isVisible():
            self._draw_strips()

    def _add_histograms(self, step: int, record) -> None:
        name = layer_name(record)
        strips = self.strips.get(record.layer)
        if strips is None or strips.name != name:  # new, or another layer after an edit
            where = sum(layer < record.layer for layer in self.strips)
            if strips is None:
                self.layer_box.insertItem(where, name, record.layer)
            else:
                self.layer_box.setItemText(where, name)
            strips = self.strips[record.layer] = LayerStrips(name, Strip(WEIGHT_BINS),
                                                             Strip(GRAD_BINS))
            if self.layer_box.currentIndex() < 0:
                self.layer_box.setCurrentIndex(0)
        if record.weight_hist is not None:
            strips.weights.add(step, record.weight_hist, record.weight_range)
        if record.grad_hist is not None:
            strips.grads.add(step, record.grad_hist)
        if record.layer == self.chosen_layer():
            self._strips_stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._draw()

    def _history(self, key: str, layer: int, name: str) -> History:
        found = self.series.get((key, layer))
        if found is None:
            found = self.series[(key, layer)] = [History(), None]
            self._names[(key, layer)] = name
        return found[0]

    def _make_curve(self, key: str, layer: int, name: str) -> pg.PlotDataItem:
        colour = curve_colour(sum(k[0] == key and item is not None
                                  for k, (_, item) in self.series.items()))
        return self.plots[key].plot([], [], pen=pg.mkPen(colour, width=1), name=name)

    def add_snapshot(self, snapshot) -> None:
        step = getattr(snapshot, "health_step", None)
        if step is None or step == self._last_step or not snapshot.health:
            return
        self._last_step = step
        for record in snapshot.health:
            for key, value in figures(record):
                self._history(key, record.layer, layer_name(record)).add(step, value)
                self._stale.add((key, record.layer))
            if record.weight_hist is not None or record.grad_hist is not None:
                self._add_histograms(step, record)
        # A tab behind Curves costs nothing: drawn when it comes forward. In view, drawn at
        # most once a second (each curve's redraw re-ranges its plot: a few ms a curve).
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()
        warned = warnings(snapshot.health, step)
        if warned:
            self.warning.setText(warned[-1].text)
            self.warning.setToolTip("\n\n".join(w.text for w in warned))
            for w in warned:  # each layer's problem once in the status bar, not every step
                if (w.layer, w.problem) not in self._said:
                    self._said.add((w.layer, w.problem))
                    self.warned.emit(w.text)


def small_label(plot: pg.PlotItem, side: str, text: str) -> None:
    """An axis label in 8 pt: a plot is some 70 px high on a laptop screen."""
    axis = plot.getAxis(side)
    axis.setLabel(text, **{**axis.labelStyle, "font-size": "8pt"})  # keeps the theme's colour
