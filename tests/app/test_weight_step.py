"""The Weight update dock and the gradients toggle in the real main window: a click on a filter
weight in the network view (through Qt's mouse events) or on a weight of the conv Inspector
chooses it; the dock shows the optimizer's update with its numbers; Step (S) moves the weight
by exactly the update shown (the next snapshot's weight is the "after" the dock showed); the
sliding sum's total is the engine's gradient. The Gradients toggle adds dL/dW and dL/d(map)
columns drawn from the snapshots' gradients, and asks for none when off."""
import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from cnnviz.app.panes.filter_column import FilterColumn
from cnnviz.app.panes.network_columns import GradientMapColumn
from cnnviz.engine.weight_update import WeightRef
from tests.app.test_inspector import click, paused_with_probe


def filter_weight_pos(column, f, c, y, x):
    tx, ty = column.mosaic.tile_origin(f, c)
    return column.image.to_scene(tx + x + 0.5, ty + y + 0.5)


def wait_for_update(qtbot, window, ref, after_step):
    qtbot.waitUntil(lambda: window.session.latest.weight_update is not None
                    and window.session.latest.weight_update.ref == ref
                    and window.session.latest.step > after_step, timeout=20000)
    qtbot.waitUntil(lambda: "update of step" in window.weight_step.status.text(), timeout=5000)
    return window.session.latest


def test_choose_a_filter_weight_step_and_see_it_move_by_the_update_shown(
        qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    view, pane = window.network_view, window.weight_step
    conv = next(c for c in view.columns if isinstance(c, FilterColumn) and c.conv == 1)
    click(window, filter_weight_pos(conv, 2, 1, 0, 2))
    ref = WeightRef(conv.layer, "weight", (2, 1, 0, 2))
    assert pane.ref == ref and window.weight_dock.isVisible()
    assert "filter 2" in pane.heading.text() and "row 0, column 2" in pane.heading.text()
    step = window.session.latest.step
    window.step_action.trigger()
    snap = wait_for_update(qtbot, window, ref, step)
    update = snap.weight_update
    assert update.after == float(snap.conv_weights[1][ref.index])
    text = pane.formula.text()
    assert f"{update.before:.8g}" in text and f"{update.grad:.8g}" in text
    assert f"{update.expected_after():.8g}" in text
    assert f"{update.after:.8g}" in pane.check.text()
    shown_after = update.after
    # Step (S): the next update starts from the "after" shown, and the weight is its new after.
    QTest.keyClick(window, Qt.Key.Key_S)
    later = wait_for_update(qtbot, window, ref, snap.step)
    assert later.weight_update.before == shown_after
    assert float(later.conv_weights[1][ref.index]) == later.weight_update.after
    # The sliding sum for the probe: its total, and the engine's gradient, are written.
    summed = later.gradient_sum
    assert summed is not None and summed.ref == ref
    assert np.isclose(summed.total, summed.engine, rtol=1e-4, atol=1e-7)
    assert pane.sum is not None and f"{summed.total:.8g}" in pane.sum.total.text()
    assert "✓" in pane.sum.total.text()


def test_a_weight_of_the_inspectors_filter_and_adam(qtbot, window, train_until):
    qtbot.waitUntil(lambda: window.session is not None and window.session.latest is not None,
                    timeout=20000)
    window.optimizer.setCurrentText("adam")
    window.optimizer.activated.emit(1)  # as a choice in the box does
    paused_with_probe(qtbot, window, train_until)
    maps = next(c for c in window.network_view.columns if c.kind == "maps")
    tx, ty = maps.mosaic.tile_origin(0, 0)
    click(window, maps.image.to_scene(tx + 3.5, ty + 3.5))
    qtbot.waitUntil(lambda: window.inspector.page is not None
                    and hasattr(window.inspector.page, "weights"), timeout=20000)
    grid = window.inspector.page.weights[0]
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(grid.cell.width() * 3 // 2, grid.cell.height() // 2))  # row 0, col 1
    ref = window.weight_step.ref
    assert ref is not None and ref.index[2:] == (0, 1) and ref.index[1] == 0
    step = window.session.latest.step
    window.step_action.trigger()
    snap = wait_for_update(qtbot, window, ref, step)
    assert snap.weight_update.optimizer == "adam"
    assert "Adam" in window.weight_step.rule.text() and "m̂" in window.weight_step.formula.text()


def test_the_gradients_toggle_adds_gradient_columns_drawn_from_the_snapshots(
        qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    view = window.network_view
    assert not any(isinstance(c, GradientMapColumn) for c in view.columns)
    assert window.session.latest.probe_gradients is None
    view.gradients_button.click()
    qtbot.waitUntil(lambda: window.session.latest.probe_gradients is not None, timeout=20000)
    grads = window.session.latest.probe_gradients
    assert grads.class_index == int(window.dataset.test_y[0])  # the test image's true class
    view.fit()  # every column in view: columns off screen are drawn when they come into view
    qtbot.waitUntil(lambda: all(c.data is not None for c in view.columns
                                if isinstance(c, GradientMapColumn)), timeout=5000)
    columns = [c for c in view.columns if isinstance(c, GradientMapColumn)]
    assert columns
    for column in columns:
        np.testing.assert_array_equal(column.data,
                                      window.session.latest.probe_gradients.maps[column.tap])
    filters = [c for c in view.columns if isinstance(c, FilterColumn) and c.gradient]
    assert len(filters) == len(grads.filters)
    view.gradients_button.click()
    assert not any(isinstance(c, GradientMapColumn) for c in view.columns)
    window.step_action.trigger()
    step = window.session.latest.step
    qtbot.waitUntil(lambda: window.session.latest.step > step, timeout=20000)
    assert window.session.latest.probe_gradients is None


def test_a_drawing_backpropagates_the_class_chosen_under_explain(qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    window.input.clear()  # a drawing: no true class
    window.network_view.gradients_button.click()
    qtbot.waitUntil(lambda: window.session.latest.probe_gradients is not None
                    and window.session.latest.probe_gradients.class_index == int(
                        np.argmax(window.session.latest.probe_probabilities)), timeout=20000)
    window.input.explain.set_choice("saliency", 5)
    qtbot.waitUntil(lambda: window.session.latest.probe_gradients is not None
                    and window.session.latest.probe_gradients.class_index == 5, timeout=20000)
