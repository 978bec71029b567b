"""The Filter timeline dock: the slider scrubs through the recorded moments and the drawn
filters are that moment's weights, on one colour scale shared by all moments; it follows
training at its right end, draws nothing while hidden, plays, and starts afresh with a new run."""
from types import SimpleNamespace

import numpy as np

from cnnviz.app.panes.filter_timeline import FilterTimelinePane
from cnnviz.engine.network import Network

SHAPES = ((4, 3, 3, 3), (6, 4, 3, 3))


def snap(step, rng, version=0, shapes=SHAPES):
    weights = []
    for shape in shapes:
        w = (rng.standard_normal(shape) * (1 + step / 50)).astype(np.float32)
        w.setflags(write=False)
        weights.append(w)
    return SimpleNamespace(step=step, network_version=version, conv_weights=tuple(weights))


def drawn(column):
    """The weights a MomentFilters column shows, read back from its mosaic, and its levels."""
    return np.array(column.mosaic.tiles), column.image.levels


def test_the_slider_scrubs_and_the_filters_are_that_moments(qtbot):
    pane = FilterTimelinePane()
    qtbot.addWidget(pane)
    pane.show()
    rng = np.random.default_rng(0)
    sent = [snap(step, rng) for step in range(0, 300, 3)]
    for s in sent:
        pane.add_snapshot(s)
    pane.refresh()
    moments = pane.moments
    assert pane.slider.maximum() == len(moments) - 1 and pane.slider.value() == len(moments) - 1
    assert moments[0].step == 0 and moments[-1].weights is sent[-1].conv_weights[0]
    # One scale for all moments: the largest |weight| of any of them, by numpy.
    bound = max(float(np.abs(m.weights).max()) for m in moments)
    by_step = {s.step: s.conv_weights for s in sent}
    for index in (0, len(moments) // 2, 1):
        pane.slider.setValue(index)
        tiles, levels = drawn(pane.column)
        np.testing.assert_array_equal(tiles, by_step[moments[index].step][0])
        assert levels == (-bound, bound)
        assert f"step {moments[index].step:,}" in pane.step_label.text()
        start, _ = drawn(pane.start_column)
        np.testing.assert_array_equal(start, sent[0].conv_weights[0])
    assert f"±{bound:.2g}" in pane.scale_label.text()
    # The other layer: the same step, its own weights.
    chosen = moments[1].step
    pane.layer_box.setCurrentIndex(1)
    assert pane.moments[pane.slider.value()].step == chosen
    np.testing.assert_array_equal(drawn(pane.column)[0], by_step[chosen][1])


def test_the_right_end_follows_training_and_a_chosen_moment_stays(qtbot):
    pane = FilterTimelinePane()
    qtbot.addWidget(pane)
    pane.show()
    rng = np.random.default_rng(1)
    for step in range(40):
        pane.add_snapshot(snap(step, rng))
    pane.refresh()
    pane.slider.setValue(3)
    chosen = pane.moments[3].step
    latest = None
    for step in range(40, 2000, 7):  # thinned many times over
        latest = snap(step, rng)
        pane.add_snapshot(latest)
    pane.refresh()
    steps = [m.step for m in pane.moments]
    nearest = min(steps, key=lambda s: abs(s - chosen))
    assert steps[pane.slider.value()] == nearest and not pane.following
    pane.latest_button.click()
    assert pane.following and pane.column.data is latest.conv_weights[0]
    newer = snap(2001, rng)
    pane.add_snapshot(newer)
    pane.refresh()
    assert pane.slider.value() == pane.slider.maximum() and pane.column.data is newer.conv_weights[0]
    assert "latest" in pane.step_label.text()


def test_a_hidden_pane_records_but_draws_nothing(qtbot):
    pane = FilterTimelinePane()  # as a tab behind another: not visible
    qtbot.addWidget(pane)
    rng = np.random.default_rng(2)
    for step in range(10):
        pane.add_snapshot(snap(step, rng))
    assert len(pane.timeline.moments(0)) == 10
    assert pane.column is None and not pane._redraw.isActive()
    pane.show()
    assert pane.column is not None and pane.slider.maximum() == 9


def test_play_runs_through_the_moments_and_stops_at_the_latest(qtbot):
    pane = FilterTimelinePane()
    qtbot.addWidget(pane)
    pane.show()
    rng = np.random.default_rng(3)
    for step in range(0, 60, 5):
        pane.add_snapshot(snap(step, rng))
    pane.refresh()
    pane._play.setInterval(5)
    seen = []
    pane.slider.valueChanged.connect(seen.append)
    pane.play_button.click()  # at the end: starts from the start
    qtbot.waitUntil(lambda: not pane._play.isActive(), timeout=5000)
    assert seen == list(range(len(pane.moments)))
    assert pane.following and "Play" in pane.play_button.text()


def test_an_architecture_edit_keeps_unchanged_layers_and_a_network_without_conv(qtbot):
    pane = FilterTimelinePane()
    qtbot.addWidget(pane)
    pane.show()
    rng = np.random.default_rng(4)
    for step in range(10):
        pane.add_snapshot(snap(step, rng))
    pane.refresh()
    grown = (SHAPES[0], (8, 4, 3, 3))  # the second conv gets more filters
    pane.add_snapshot(snap(10, rng, version=1, shapes=grown))
    pane.refresh()
    assert pane.layer_box.count() == 2 and "8 filters" in pane.layer_box.itemText(1)
    assert len(pane.timeline.moments(0)) == 11 and pane.timeline.moments(1)[0].step == 10
    pane.layer_box.setCurrentIndex(1)
    assert pane.column.shape == grown[1] and pane.slider.maximum() == 0
    pane.add_snapshot(snap(11, rng, version=2, shapes=()))
    pane.refresh()
    assert pane.column is None and not pane.slider.isEnabled()
    pane.reset()
    assert pane.timeline.step is None and pane.layer_box.count() == 0


def test_the_window_records_the_run_and_scrubs_back_to_the_initial_filters(qtbot, window,
                                                                         train_until):
    dock = window.timeline_dock
    assert dock.windowTitle() == "Filter timeline"
    assert dock in window.tabifiedDockWidgets(window.inspector_dock)
    view = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    assert dock.toggleViewAction() in view.actions()
    dock.show()
    dock.raise_()
    pane = window.timeline
    train_until(qtbot, window, 25)
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    qtbot.waitUntil(lambda: bool(pane.moments) and pane.moments[-1].step == window.session.latest.step,
                    timeout=5000)
    assert len(pane.moments) >= 3 and pane.moments[0].step == 0
    # The start is the network's initial weights, built again here from the spec and seed.
    initial = Network(window.editor.spec(), seed=0).layers[0].weight.value
    pane.slider.setValue(0)
    np.testing.assert_array_equal(drawn(pane.column)[0], initial)
    pane.slider.setValue(pane.slider.maximum())
    latest = window.session.latest.conv_weights[0]
    np.testing.assert_array_equal(drawn(pane.column)[0], latest)
    assert not np.array_equal(latest, initial)  # training moved them
    window.reset_action.trigger()  # a new run: a new timeline
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    qtbot.waitUntil(lambda: [m.step for m in pane.timeline.moments(0)] == [0], timeout=5000)
