"""TrailCurve, the loss lines of the Curves pane: a new point repaints only a strip, and what is on
screen after many strips is what a full repaint draws."""
import inspect
import re
import types

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QGuiApplication

from cnnviz.app.panes.curves import CurvesPane
from cnnviz.app.panes.trail_curve import peaks

pg.setConfigOptions(imageAxisOrder="row-major")


def snapshot(step: int, rng) -> types.SimpleNamespace:
    smooth = 2.0 * np.exp(-step / 3000)
    return types.SimpleNamespace(step=step, batch_loss=smooth + 0.3 * rng.random(),
                                 smoothed_loss=smooth, evaluation_step=None, test_accuracy=None,
                                 test_loss=None, hyperparameters={"lr": 0.001},
                                 learning_rate=0.001 * np.exp(-step / 3000))


class PaintRegions(QObject):
    """The bounding rectangles of a widget's paint events."""

    def __init__(self, widget):
        super().__init__(widget)
        self.rects = []
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            self.rects.append(event.region().boundingRect())
        return False


def pixels(image) -> np.ndarray:
    image = image.convertToFormat(image.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint32, image.width() * image.height()).reshape(
        image.height(), image.width()).copy()


def shown_pane(qtbot, qapp, points: range, seed: int) -> tuple[CurvesPane, np.random.Generator]:
    """A Curves pane on screen, fed a loss point for each step in `points` and drawn."""
    pane = CurvesPane()
    qtbot.addWidget(pane)
    pane.resize(560, 420)
    pane.show()
    qtbot.waitExposed(pane)
    rng = np.random.default_rng(seed)
    for step in points:
        pane.add_snapshot(snapshot(step, rng))
    pane.redraw()
    qapp.processEvents()
    return pane, rng


def assert_screen_is_a_fresh_drawing(pane) -> None:
    """The window's pixels (the offscreen platform's backing store: everything painted so far)
    equal the pane rendered afresh."""
    on_screen = QGuiApplication.primaryScreen().grabWindow(pane.winId()).toImage()
    np.testing.assert_array_equal(pixels(on_screen), pixels(pane.grab().toImage()))


@pytest.mark.parametrize("before", [100, 5000, 30000])  # 1, 2 and 12 points per block
def test_strips_add_up_to_what_a_full_repaint_draws(qtbot, qapp, before):
    pane, rng = shown_pane(qtbot, qapp, range(before), seed=0)
    regions = PaintRegions(pane.view.viewport())
    for step in range(before, before + 150):
        pane.add_snapshot(snapshot(step, rng))
        pane.redraw()
        qapp.processEvents()
    # A new point repainted a narrow strip, not the plot, unless the x range grew.
    widths = sorted(r.width() for r in regions.rects)
    assert len(widths) >= 140 and widths[-10] < pane.view.width() / 8
    assert_screen_is_a_fresh_drawing(pane)


def test_a_hidden_line_and_a_reset_repaint_everything(qtbot, qapp):
    pane, _ = shown_pane(qtbot, qapp, range(300), seed=1)
    pane.smooth_item.hide()  # as the legend does
    qapp.processEvents()
    assert_screen_is_a_fresh_drawing(pane)
    pane.reset()
    qapp.processEvents()
    assert pane.raw_item.xData is None
    assert_screen_is_a_fresh_drawing(pane)


def test_peaks_are_pyqtgraphs_peak_downsampling_plus_the_last_short_block():
    rng = np.random.default_rng(2)
    x, y = np.arange(1000.0), rng.normal(size=1000)
    item = pg.PlotDataItem(x[:996], y[:996])
    item.setDownsampling(ds=12, method="peak")
    theirs = item.getData()
    assert len(theirs[0]) == 2 * 83
    y[17] = np.nan  # (pyqtgraph would blank this block)
    xs, ys = peaks(x, y, 12)
    np.testing.assert_array_equal(xs[:2 * 83], theirs[0])
    np.testing.assert_array_equal(ys[2:2 * 83], theirs[1][2:])
    assert ys[:2].tolist() == [np.nanmax(y[:12]), np.nanmin(y[:12])]
    assert xs[-2:].tolist() == [999, 999] and ys[-2:].tolist() == [y[996:].max(), y[996:].min()]


def test_log_y_from_the_plots_menu_applies_to_the_loss_lines(qtbot, qapp):
    pane, rng = shown_pane(qtbot, qapp, range(1, 300), seed=3)
    pane.loss_plot.setLogMode(y=True)  # what the menu's Log Y does
    qapp.processEvents()
    raw_y = pane.raw.views()[1]
    np.testing.assert_allclose(pane.raw_item.getData()[1], np.log10(raw_y))
    low, high = pane.loss_plot.getViewBox().viewRange()[1]
    assert low <= np.log10(raw_y.min()) and np.log10(raw_y.max()) <= high < 1.0
    for step in range(300, 400):  # strips on a logarithmic axis add up too
        pane.add_snapshot(snapshot(step, rng))
        pane.redraw()
        qapp.processEvents()
    assert_screen_is_a_fresh_drawing(pane)


def own_underscore_names(cls) -> set[str]:
    """The single-underscore names a class of ours defines or sets on self."""
    source = inspect.getsource(cls)
    return ({name for name in vars(cls) if name.startswith("_") and not name.startswith("__")}
            | set(re.findall(r"self\.(_[a-z]\w*)\s*(?::[^=]+)?=", source)))


def test_our_pyqtgraph_subclasses_shadow_none_of_pyqtgraphs_own_names(qapp):
    """The curves' pyqtgraph subclasses keep helpers of their own under underscore names: none
    may be a name pyqtgraph's base class has (which would change pyqtgraph's workings)."""
    from cnnviz.app.panes.curve_axes import GridAxis, SteppedViewBox
    from cnnviz.app.panes.trail_curve import TrailCurve
    for cls, base in ((TrailCurve, pg.GraphicsObject()), (GridAxis, pg.AxisItem("left")),
                      (SteppedViewBox, pg.ViewBox())):
        clashes = own_underscore_names(cls) & (set(dir(base)) | set(vars(base)))
        assert not clashes, (cls.__name__, clashes)
    assert {"_ds", "_log", "_strip"} <= own_underscore_names(TrailCurve)  # (the scan sees them)
    assert "_pens" in own_underscore_names(GridAxis)
