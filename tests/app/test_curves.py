"""The Curves pane, fed with snapshots from the real training loop."""
import dataclasses

import numpy as np
import pyqtgraph as pg
import pytest

from cnnviz.app.panes.curve_ranges import stepped
from cnnviz.app.panes.curves import CurvesPane
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.training.control import Control
from cnnviz.training.loop import TrainConfig, train

pg.setConfigOptions(imageAxisOrder="row-major")

NEW_LR, LR_CHANGE_AT = 0.005, 15


@pytest.fixture(scope="module")
def snapshots():
    """One short real run: a snapshot every batch, an evaluation every 10 batches, and the
    learning rate lowered after step 15."""
    data = make_shapes(train_size=600, test_size=200)
    spec = fit_to_dataset(load_architecture("shapes-small"), data.input_shape, data.classes)
    control = Control()
    control.set_probe(data.test_x[0])
    config = TrainConfig(epochs=1, batch_size=32, snapshot_every=1, snapshot_seconds=None,
                         max_snapshot_hz=None, eval_every=10, eval_subset=100)
    result = []
    for snap in train(Network(spec, seed=0), data, control, config):
        result.append(snap)
        if snap.step == LR_CHANGE_AT:
            control.set_hyperparameters(lr=NEW_LR)
    return result


@pytest.fixture
def pane(qtbot):
    widget = CurvesPane()
    qtbot.addWidget(widget)
    widget.resize(700, 480)
    return widget


def data(item):
    """The full data handed to a plot item (getData() would give only what is in view)."""
    if item.xData is None:
        return np.zeros(0), np.zeros(0)
    return item.xData, item.yData


def feed(pane, snapshots):
    for snap in snapshots:
        pane.add_snapshot(snap)
    pane.redraw()


def test_raw_and_smoothed_loss_from_real_snapshots(pane, snapshots):
    feed(pane, snapshots)
    trained = [s for s in snapshots if s.batch_loss is not None]
    steps = sorted({s.step for s in trained})
    assert pane.point_count() == len(steps) > 10
    raw_x, raw_y = data(pane.raw_item)
    smooth_x, smooth_y = data(pane.smooth_item)
    assert raw_x.tolist() == steps and smooth_x.tolist() == steps
    first = {}
    for s in trained:
        first.setdefault(s.step, s)
    assert np.allclose(raw_y, [first[k].batch_loss for k in steps])
    assert np.allclose(smooth_y, [first[k].smoothed_loss for k in steps])
    assert not np.allclose(raw_y, smooth_y)  # two different curves
    for item in (pane.test_loss_item, pane.test_acc_item):  # (the loss lines: test_trail_curve)
        assert item.opts["autoDownsample"] and item.opts["downsampleMethod"] == "peak"
        assert item.opts["clipToView"]


def test_a_test_point_per_evaluation(pane, snapshots):
    feed(pane, snapshots)
    evaluations = {}
    for s in snapshots:
        if s.evaluation_step is not None:
            evaluations.setdefault(s.evaluation_step, s)
    assert len(evaluations) >= 2
    acc_x, acc_y = data(pane.test_acc_item)
    loss_x, loss_y = data(pane.test_loss_item)
    assert acc_x.tolist() == loss_x.tolist() == list(evaluations)
    assert np.allclose(acc_y, [100 * s.test_accuracy for s in evaluations.values()])
    assert np.allclose(loss_y, [s.test_loss for s in evaluations.values()])
    last = list(evaluations.values())[-1]
    assert f"{100 * last.test_accuracy:.1f}%" in pane.acc_plot.titleLabel.text


def test_lr_marker_where_the_lr_changed(pane, snapshots):
    feed(pane, snapshots)
    assert pane.lr_marker_count() == 1
    changed = next(s for s in snapshots if s.hyperparameters["lr"] == NEW_LR)
    top, bottom = pane.lr_markers[0]
    assert top.value() == bottom.value() == changed.step
    assert f"{NEW_LR:g}" in top.label.toPlainText()
    # The same snapshots again (e.g. a probe-only update) add neither points nor markers.
    count = pane.point_count()
    feed(pane, snapshots[-3:])
    assert pane.point_count() == count and pane.lr_marker_count() == 1


def test_reset_forgets_everything(pane, snapshots):
    feed(pane, snapshots)
    pane.reset()
    assert pane.point_count() == 0 and pane.lr_marker_count() == 0
    assert len(data(pane.test_acc_item)[0]) == len(data(pane.raw_item)[0]) == 0
    feed(pane, snapshots[:5])
    assert pane.point_count() == 5


def test_redraws_at_once_then_at_most_30_times_a_second(qtbot, pane, snapshots, monkeypatch):
    from cnnviz.app.panes import curves
    clock = [100.0]
    monkeypatch.setattr(curves.time, "perf_counter", lambda: clock[0])
    trained = [s for s in snapshots if s.batch_loss is not None]
    pane.add_snapshot(trained[0])
    assert len(data(pane.raw_item)[0]) == 1  # at once: it joins the other panes' repaint
    for snap in trained[1:20]:
        pane.add_snapshot(snap)
    assert len(data(pane.raw_item)[0]) == 1  # within 1/30 s of that: not drawn yet...
    assert pane.point_count() > 10
    clock[0] += 1 / 30
    qtbot.waitUntil(lambda: len(data(pane.raw_item)[0]) == pane.point_count(),
                    timeout=200)  # ...but soon, by the timer


def test_100k_points_are_kept_and_drawn(qtbot, pane, snapshots):
    """A long run's points all stay (the pane's cost per point is benchmarks/trail_vs_plotdataitem.py's
    business, not a unit test's: a wall-clock limit here only measured the machine's load)."""
    base = snapshots[-1]
    n = 100_000
    rng = np.random.default_rng(0)
    losses = 2.0 * np.exp(-np.arange(n) / 20_000) + 0.3 * rng.random(n)
    many = [dataclasses.replace(base, step=i + 1, batch_loss=float(losses[i]),
                                smoothed_loss=float(losses[i]), evaluation_step=(i // 1000) * 1000,
                                hyperparameters={**base.hyperparameters,
                                                 "lr": 0.02 if i < n // 2 else 0.01})
            for i in range(n)]
    pane.show()
    qtbot.waitExposed(pane)
    for snap in many:
        pane.add_snapshot(snap)
    pane.redraw()
    pane.view.grab()  # paints the plots
    # One more point and a repaint, as at 30 Hz during training.
    pane.add_snapshot(dataclasses.replace(many[-1], step=n + 1))
    pane.redraw()
    pane.view.grab()
    assert pane.point_count() == n + 1
    assert pane.lr_marker_count() == 1


def test_test_points_stay_drawn_between_evaluations_and_go_on_reset(pane, snapshots):
    """Test points are handed to the plot only when an evaluation arrives (setting them again
    with every batch cost a millisecond a snapshot), yet never go missing."""
    expected = []
    for snap in snapshots:
        pane.add_snapshot(snap)
        pane.redraw()
        if snap.evaluation_step is not None and snap.evaluation_step not in expected:
            expected.append(snap.evaluation_step)
        np.testing.assert_array_equal(data(pane.test_acc_item)[0], expected)
    assert len(expected) == 2  # at step 10 and at the epoch's end
    pane.reset()
    assert len(data(pane.test_acc_item)[0]) == 0 and len(data(pane.test_loss_item)[0]) == 0


def test_loss_auto_range_comes_from_the_series_bounds(pane, snapshots):
    """The loss plot's auto-range uses the series' running bounds, not pyqtgraph's scan of the
    points: the same data bounds, and a curve hidden from the legend stops counting."""
    feed(pane, snapshots)
    box = pane.loss_plot.getViewBox()
    xs = np.concatenate([data(item)[0] for item in (pane.raw_item, pane.smooth_item,
                                                    pane.test_loss_item)])
    ys = np.concatenate([data(item)[1] for item in (pane.raw_item, pane.smooth_item,
                                                    pane.test_loss_item)])
    expected = [list(stepped(xs.min(), xs.max(), True)),
                list(stepped(np.nanmin(ys), np.nanmax(ys), False))]
    assert box.childrenBounds() == expected
    box.data_bounds = None  # pyqtgraph's own scan (its bounds include the pens' width)
    theirs = box.childrenBounds()
    assert theirs[0] == expected[0] and theirs[1][0] <= expected[1][0] <= expected[1][1] \
        <= theirs[1][1]
    box.data_bounds = pane._loss_bounds
    pane.raw_item.hide()
    smooth = data(pane.smooth_item)[1]
    low = min(smooth.min(), data(pane.test_loss_item)[1].min())
    assert box.childrenBounds()[1][0] == stepped(low, smooth.max(), False)[0]


def test_axes_redraw_when_the_range_changes(qtbot, pane, snapshots):
    """The axes are painted from a cache: a new range must still give new tick labels."""
    pane.show()
    qtbot.waitExposed(pane)
    feed(pane, snapshots[:-1])
    before = pane.view.grab().toImage()
    big = dataclasses.replace(snapshots[-1], batch_loss=1000.0, smoothed_loss=1000.0)
    feed(pane, [big])
    after = pane.view.grab().toImage()
    axis = before.copy(0, 0, 50, before.height() // 2)  # the loss plot's left axis labels
    assert axis != after.copy(0, 0, 50, after.height() // 2)


def test_the_rate_of_each_step_is_a_line_on_a_log_axis(qtbot, pane, snapshots):
    """The learning rate each step trained with (the snapshots' learning_rate: here 0.02, then
    0.005 from step 16), in a view box sharing the loss plot's steps, on a log axis whose
    range is the rates' whole decades."""
    pane.show()
    qtbot.waitExposed(pane)
    assert pane.rate_view.viewRange()[1] == pytest.approx([-4, -1])  # before any: 1e-4 to 0.1
    feed(pane, snapshots)
    first = {}
    for s in snapshots:
        if s.batch_loss is not None:
            first.setdefault(s.step, s)
    steps, rates = data(pane.rate_item)
    assert steps.tolist() == list(first) and rates.tolist() == [s.learning_rate for s in
                                                               first.values()]
    assert set(rates[steps <= LR_CHANGE_AT]) == {0.02} and set(rates[steps > LR_CHANGE_AT]) == {NEW_LR}
    drawn_x, drawn_y = pane.rate_item.getData()
    np.testing.assert_allclose(drawn_y, np.log10(rates))  # drawn on the log scale
    axis = pane.loss_plot.getAxis("right")
    assert axis.isVisible() and axis.logMode and axis.linkedView() is pane.rate_view
    assert pane.rate_view.viewRange()[1] == pytest.approx([-3, -1])  # 0.005 to 0.02
    assert pane.rate_view.viewRange()[0] == pytest.approx(pane.loss_plot.viewRange()[0])
    # Over the opaque grid (it hid the line every few pixels), under the loss plot's view box, so
    # the mouse still pans and zooms the loss plot.
    assert (pane.loss_plot.getAxis("left").zValue() < pane.rate_view.zValue()
            < pane.loss_plot.getViewBox().zValue())
    assert pane.rate_view.parentItem() is pane.loss_plot
    assert not any(pane.rate_view.state["mouseEnabled"])
    assert axis.labelText == "learning rate" and not axis.autoSIPrefix
    pane.reset()
    assert len(data(pane.rate_item)[0]) == 0
