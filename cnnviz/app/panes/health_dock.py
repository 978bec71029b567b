"""Training health over time: per layer, the update-to-weight ratio, the gradient norm and the
share of dead ReLU units (or saturated tanh / sigmoid outputs), on one shared step axis, with
warnings in plain words when a figure leaves its healthy range. Fed the snapshots' health
records (training/health.py); each curve is a bounded History, so a long run costs what a short
one does."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from cnnviz.training.health import History, warnings

TOOLTIP = ("How healthy training is, layer by layer. Update ratio: how much one step changes the "
           "weights, lr × |gradient| / |weights|; around 1e-3 (the band) is the usual sign of a "
           "good learning rate, above 1e-1 the weights are thrown about, below 1e-5 they hardly "
           "move. Gradient norm: how strongly the loss pulls on the layer. Dead or saturated: the "
           "share of a ReLU's units that were zero for every image of the batch (they cannot "
           "learn back), or of a tanh's or sigmoid's outputs in its flat tails.")
PLOTS = (("update_ratio", "update ratio", True), ("grad_norm", "gradient norm", True),
         ("inactive", "dead / saturated", False))
REDRAW_MS = 1000
COLOURS = ("#4c9be8", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#edc948", "#76b7b2",
           "#ff9da7", "#9c755f", "#bab0ac")


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
        self.plots = {}
        for row, (key, label, log) in enumerate(PLOTS):
            plot = self.view.addPlot(row=row, col=0)
            plot.setLabel("left", label)
            plot.getAxis("left").enableAutoSIPrefix(False)  # 1e-3 is the figure to read
            plot.setLogMode(y=log)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.addLegend(offset=(-5, 5), colCount=4, labelTextSize="8pt")
            if row:
                plot.setXLink(self.plots[PLOTS[0][0]])
            self.plots[key] = plot
        self.plots["inactive"].setYRange(0, 1)
        self.plots["inactive"].setLabel("bottom", "training step (batches)")
        band = pg.LinearRegionItem((-4, -2), orientation="horizontal", movable=False,
                                   brush=pg.mkBrush(90, 200, 90, 35), pen=pg.mkPen(None))
        band.setToolTip("Update ratios between 1e-4 and 1e-2: the usual healthy range.")
        self.plots["update_ratio"].addItem(band)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b3261e")
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._timer.timeout.connect(self._draw)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.warning)
        self.reset()

    def reset(self) -> None:
        """A new run: no curves."""
        for plot in self.plots.values():
            for item in list(plot.listDataItems()):
                plot.removeItem(item)
            plot.legend.clear()
        self.series: dict[tuple[str, int], tuple[History, pg.PlotDataItem]] = {}
        self._last_step = None
        self._stale: set = set()  # curves with points not drawn yet
        self._said: set[tuple[int, str]] = set()
        self.warning.setText("No warnings: every layer is in its healthy range so far.")

    def _draw(self) -> None:
        for (history, item) in self.series.values():
            if item in self._stale:
                item.setData(*history.points())
        self._stale.clear()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._draw()

    def _curve(self, key: str, layer: int, name: str) -> tuple[History, pg.PlotDataItem]:
        found = self.series.get((key, layer))
        if found is None:
            colour = COLOURS[len([k for k in self.series if k[0] == key]) % len(COLOURS)]
            item = self.plots[key].plot([], [], pen=pg.mkPen(colour, width=1.5), name=name)
            found = self.series[(key, layer)] = (History(), item)
        return found

    def add_snapshot(self, snapshot) -> None:
        step = getattr(snapshot, "health_step", None)
        if step is None or step == self._last_step or not snapshot.health:
            return
        self._last_step = step
        for record in snapshot.health:
            name = f"{record.layer} {record.kind}"
            inactive = (record.dead_fraction if record.dead_fraction is not None
                        else record.saturated_fraction)
            for key, value in (("update_ratio", record.update_ratio),
                               ("grad_norm", record.grad_norm), ("inactive", inactive)):
                if value is None or (key != "inactive" and not value > 0):
                    continue  # a log axis shows no zero
                history, item = self._curve(key, record.layer, name)
                history.add(step, value)
                self._stale.add(item)
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
