"""The Training health dock: curves per layer from the snapshots' health records, bounded, and
warnings in plain words (once per layer and problem in the status bar); heat strips of the
chosen layer's weight and gradient histograms against numpy, the layer chooser, hovering, and
the dock on a laptop screen."""
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from cnnviz.app.panes.health_dock import HealthPane
from cnnviz.engine.network import Network
from cnnviz.training.health import LayerHealth
from cnnviz.training.histograms import (
    WEIGHT_BINS,
    gradient_edges,
    gradient_histogram,
    weight_histogram,
)
from tests.app.settling import settle


def snap(step, ratio=1e-3, dead=0.2):
    return SimpleNamespace(health_step=step, health=(
        LayerHealth(0, "conv", 2.0, ratio * 2.0 / 0.02, ratio),
        LayerHealth(1, "relu", dead_fraction=dead)))


def test_curves_follow_the_records_and_stay_bounded(qtbot):
    pane = HealthPane()
    qtbot.addWidget(pane)
    pane.show()
    for step in range(1, 5001):
        pane.add_snapshot(snap(step))
    pane.add_snapshot(snap(5000, ratio=5.0))  # the same step again: ignored
    qtbot.waitUntil(lambda: not pane._stale, timeout=3000)  # drawn within a second
    history, item = pane.series[("update_ratio", 0)]
    steps, values = history.points()
    assert len(steps) <= history.capacity and steps[-1] > 4990
    np.testing.assert_allclose(values, 1e-3)
    x, _ = item.getData()
    assert len(x) == len(steps)
    dead, _ = pane.series[("inactive", 1)]
    assert dead.points()[1][-1] == 0.2
    norms, item = pane.series[("weight_norm", 0)]
    np.testing.assert_allclose(norms.points()[1], 2.0)  # the records' weight norm
    assert len(item.getData()[0]) == len(norms.points()[0])
    assert ("update_ratio", 1) not in pane.series  # a ReLU has no weights
    assert pane.warning.text().startswith("No warnings")


def test_a_hidden_pane_keeps_the_points_and_draws_them_when_shown(qtbot):
    pane = HealthPane()  # as a tab behind Curves: not visible
    qtbot.addWidget(pane)
    for step in range(1, 11):
        pane.add_snapshot(snap(step))
    history, item = pane.series[("grad_norm", 0)]
    assert len(history.points()[0]) == 10 and item is None  # not even made while hidden
    pane.show()
    qtbot.waitUntil(lambda: not pane._stale, timeout=3000)
    assert len(pane.series[("grad_norm", 0)][1].getData()[0]) == 10


def test_a_warning_shows_in_the_dock_and_once_in_the_status_bar(qtbot):
    pane = HealthPane()
    qtbot.addWidget(pane)
    said = []
    pane.warned.connect(said.append)
    pane.add_snapshot(snap(10, dead=0.8))
    pane.add_snapshot(snap(11, dead=0.9))
    assert pane.warning.text().startswith("layer 1 (relu) at step 11: 90% of the units are dead")
    assert len(said) == 1 and said[0].startswith("layer 1 (relu) at step 10")
    pane.reset()
    assert pane.series == {} and pane.warning.text().startswith("No warnings")


def test_the_window_has_the_dock_and_feeds_it_while_training(qtbot, window, train_until):
    assert window.health_dock.windowTitle() == "Training health"
    train_until(qtbot, window, 20)
    qtbot.waitUntil(lambda: ("grad_norm", 0) in window.health.series, timeout=10000)
    weighted = [f"{i} {layer.kind}" for i, layer in enumerate(Network(window.spec).layers)
                if "weight" in layer.params()]
    box = window.health.layer_box
    assert [box.itemText(i) for i in range(box.count())] == weighted
    assert window.health.strips[0].grads.count > 0
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)


KINDS = {0: "conv", 3: "dense"}


def run_values(steps):
    """Per step and layer, weights whose spread grows (layer 0's range doubles on the way) and
    gradients of known sizes, some exactly 0."""
    rng = np.random.default_rng(0)
    run = []
    for t in range(1, steps + 1):
        g3 = 10 ** rng.uniform(-2, -1, 300)
        g3[:30] = 0
        run.append({0: (rng.uniform(-0.4, 0.4, 200) * (1 + t / 10), 10 ** rng.uniform(-6, -5, 200)),
                    3: (rng.normal(0, 0.01, 300), g3)})
    return run


def histogram_snap(step, values):
    records = []
    for layer, (w, g) in values.items():
        shares, half = weight_histogram(w)
        records.append(LayerHealth(layer, KINDS[layer], 1.0, 0.1, 1e-3, weight_hist=shares,
                                   weight_range=half, grad_hist=gradient_histogram(g)))
    return SimpleNamespace(health_step=step, health=tuple(records))


def shown(shares):
    """What the strip should show, by numpy: log10 of the shares, empty bins NaN."""
    with np.errstate(divide="ignore"):
        out = np.log10(shares)
    out[shares == 0] = np.nan
    return out


def expected_weights(run, layer, half):
    return shown(np.array([np.histogram(v[layer][0], WEIGHT_BINS, (-half, half))[0]
                           / len(v[layer][0]) for v in run]))


def expected_grads(run, layer):
    edges = gradient_edges()
    return shown(np.array([np.histogram(np.minimum(np.abs(v[layer][1]), edges[-1]), edges)[0]
                           / len(v[layer][1]) for v in run]))


def test_the_strips_fill_from_snapshots_and_follow_the_layer_chooser(qtbot):
    pane = HealthPane()
    qtbot.addWidget(pane)
    pane.show()
    run = run_values(20)
    for step, values in enumerate(run, 1):
        pane.add_snapshot(histogram_snap(step, values))
    qtbot.waitUntil(lambda: not pane._strips_stale, timeout=3000)  # drawn within a second
    box = pane.layer_box
    assert [box.itemText(i) for i in range(box.count())] == ["0 conv", "3 dense"]
    assert pane.chosen_layer() == 0
    top = max(np.abs(v[0][0]).max() for v in run)  # 0.4 * 3: the range grew to 2
    half = 2.0 ** np.ceil(np.log2(top))
    weights, grads = pane.strip_images["weights"], pane.strip_images["grads"]
    np.testing.assert_allclose(weights.image, expected_weights(run, 0, half), rtol=1e-5)
    np.testing.assert_allclose(grads.image, expected_grads(run, 0), rtol=1e-5)
    rect = weights.mapRectToParent(weights.boundingRect())  # in steps and weight values
    assert (rect.left(), rect.right()) == (1, 21) and (rect.top(), rect.bottom()) == (-half, half)
    assert pane.strip_plots["weights"].viewRange()[1] == [-half, half]
    box.setCurrentIndex(1)  # the dense layer: shown at once
    assert pane.chosen_layer() == 3
    half3 = pane.strips[3].weights.half_range
    assert half3 == 2.0 ** np.ceil(np.log2(max(np.abs(v[3][0]).max() for v in run)))
    np.testing.assert_allclose(weights.image, expected_weights(run, 3, half3), rtol=1e-5)
    np.testing.assert_allclose(grads.image, expected_grads(run, 3), rtol=1e-5)
    assert grads.image[:, 0] == pytest.approx(np.log10(0.1))  # a tenth of the gradients 0
    pane.reset()
    assert box.count() == 0 and weights.image is None and pane.strips == {}


def test_a_hovered_bin_says_its_step_its_values_and_their_share(qtbot):
    pane = HealthPane()
    qtbot.addWidget(pane)
    pane.show()
    run = run_values(4)
    for step, values in enumerate(run, 1):
        pane.add_snapshot(histogram_snap(step, values))
    pane.layer_box.setCurrentIndex(1)
    grads = pane.strip_images["grads"]
    hover = SimpleNamespace(isExit=lambda: False, pos=lambda: QPointF(2.5, 0.5))
    grads.hoverEvent(hover)  # column 2 (step 3), row 0 (zeros)
    assert grads.toolTip().startswith("Step 3: 10.00% of the layer's gradients under 1e-10")
    assert "vanishing" in grads.toolTip()
    weights = pane.strip_images["weights"]
    column = pane.strips[3].weights.points()[1][1]
    row = int(column.argmax())
    half = pane.strips[3].weights.half_range
    low, width = -half + row * half / 32, half / 32
    weights.hoverEvent(SimpleNamespace(isExit=lambda: False, pos=lambda: QPointF(1.5, row + .5)))
    assert weights.toolTip().startswith(f"Step 2: {column[row]:.2%} of the layer's weights from "
                                        f"{low:.3g} to {low + width:.3g}.")


def test_hidden_strips_wait_and_stay_bounded(qtbot):
    pane = HealthPane()  # as a tab behind Curves: not visible
    qtbot.addWidget(pane)
    snap_values = run_values(1)[0]
    for step in range(1, 3001):
        pane.add_snapshot(histogram_snap(step, snap_values))
    weights = pane.strip_images["weights"]
    assert not pane._timer.isActive()  # no redraw scheduled while hidden
    assert weights.image is None  # nothing drawn
    strip = pane.strips[0].weights
    assert strip.count <= strip.capacity == 500 and strip.values.shape == (500, WEIGHT_BINS)
    pane.show()
    assert weights.image.shape == (strip.count, WEIGHT_BINS)  # columns drawn: bounded too
    assert pane.strips[0].grads.points()[0][-1] > 2990


def test_the_dock_fits_a_laptop_screen_with_nothing_cut_off(qtbot, window):
    window.resize(1366, 768)
    window.health_dock.raise_()
    pane = window.health
    qtbot.waitUntil(pane.isVisible, timeout=3000)
    settle(qtbot)  # the layout settles
    scroll = window.health_dock.widget()
    assert not scroll.verticalScrollBar().isVisible()
    assert not scroll.horizontalScrollBar().isVisible()
    assert pane.rect().contains(pane.layer_box.geometry())
    for key, plot in pane.plots.items():  # the curves' names inside their plots
        name = pane.plot_names[key]
        box = plot.getViewBox().sceneBoundingRect()
        assert box.contains(name.mapRectToScene(name.boundingRect())), key
    for plot in pane.strip_plots.values():  # the strips' along their axes
        axis = plot.getAxis("left")
        text = axis.label.boundingRect().width() - 2 * axis.label.document().documentMargin()
        assert 0 < text <= axis.height()
