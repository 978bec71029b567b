"""The Training health dock: curves per layer from the snapshots' health records, bounded, and
warnings in plain words (once per layer and problem in the status bar)."""
from types import SimpleNamespace

import numpy as np

from cnnviz.app.panes.health_dock import HealthPane
from cnnviz.training.health import LayerHealth


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
    assert ("update_ratio", 1) not in pane.series  # a ReLU has no weights
    assert pane.warning.text().startswith("No warnings")


def test_a_hidden_pane_keeps_the_points_and_draws_them_when_shown(qtbot):
    pane = HealthPane()  # as a tab behind Curves: not visible
    qtbot.addWidget(pane)
    for step in range(1, 11):
        pane.add_snapshot(snap(step))
    history, item = pane.series[("grad_norm", 0)]
    assert len(history.points()[0]) == 10 and len(item.getData()[0] or ()) == 0
    pane.show()
    assert len(item.getData()[0]) == 10


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
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
