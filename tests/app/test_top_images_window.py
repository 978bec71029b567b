"""The Top images dock in the main window: tabbed with the Inspector, in the View menu, filled by
an evaluation of the training network; a clicked patch becomes the probe; a dead filter of the
network being trained is marked in the network view."""
import numpy as np
from PySide6.QtCore import Qt

from cnnviz.app.panes.filter_column import FilterColumn
from cnnviz.engine.network import Network


def evaluated(qtbot, window, timeout=60000):
    """Test now (T) and wait for the snapshot that carries the evaluation's top images."""
    window.evaluate_now()
    qtbot.waitUntil(lambda: window.session.latest is not None
                    and window.session.latest.top_images is not None
                    and window.session.latest.evaluated_images == len(window.dataset.test_y),
                    timeout=timeout)
    return window.session.latest


def test_the_dock_fills_after_an_evaluation_and_a_click_sets_the_probe(qtbot, window):
    dock = window.top_images_dock
    assert dock in window.tabifiedDockWidgets(window.inspector_dock)
    view_menu = next(m for m in window.menuBar().findChildren(type(window.recent_menu))
                     if m.title() == "&View")
    assert "Top images" in [a.text() for a in view_menu.actions()]
    window.step()
    snap = evaluated(qtbot, window)
    pane = window.top_images
    dock.show()
    dock.raise_()
    qtbot.waitUntil(lambda: pane.shown is snap.top_images, timeout=5000)
    first = snap.top_images.layers[0]
    assert pane.rows.model.top is first and first.images.shape[1] == 8
    unit, rank = 2, 5
    index = int(first.images[unit, rank])
    assert index != 0  # the probe the window starts with is test image 0
    rows = pane.rows
    pane.scroll.ensureVisible(0, rows.cell_rect(unit, rank).center().y())
    qtbot.mouseClick(rows, Qt.MouseButton.LeftButton, pos=rows.cell_rect(unit, rank).center())
    qtbot.waitUntil(lambda: window.probe is not None
                    and np.array_equal(window.probe, window.dataset.test_x[index]), timeout=3000)


def test_a_dead_filter_of_the_trained_network_is_marked_in_the_network_view(qtbot, window):
    network = Network(window.editor.spec(), seed=0)
    conv = network.layers[0]
    conv.weight.value[1] = -1.0  # every input is >= 0: filter 1's sum is far below zero
    conv.bias.value[1] = -100.0
    window.start_session(network)
    window.step()  # a dead filter gets no gradient: it stays dead
    snap = evaluated(qtbot, window)
    dead = snap.top_images.layer(0).dead
    assert dead.tolist() == [f == 1 for f in range(conv.weight.value.shape[0])]
    column = next(c for c in window.network_view.columns
                  if isinstance(c, FilterColumn) and c.layer == 0)
    qtbot.waitUntil(lambda: column.dead is not None, timeout=5000)
    assert [mark.isVisible() for mark in column._dead_marks] == dead.tolist()
    assert "Dead filter 1" in column._dead_marks[1].toolTip()
