"""The Top images dock: rows of the patches that excite each filter and unit most, from a real
evaluation's top images; the patch drawn is the right image's receptive field; a click makes the
image the probe; nothing is laid out while the dock is hidden; and dead filters are marked, here
and in the network view."""
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from cnnviz.app.panes.filter_column import FilterColumn
from cnnviz.app.panes.network_view import NetworkView
from cnnviz.app.panes.patch_rows import OUTSIDE, PatchRows
from cnnviz.app.panes.top_images import TopImagesPane
from cnnviz.app.panes.top_rows import DEAD_TIP, PATCH
from cnnviz.data.shapes import CLASSES, make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.receptive import input_box
from cnnviz.training.evaluation import evaluate

SPEC = {
    "name": "small", "input": [3, 16, 16], "classes": list(CLASSES),
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0
        {"type": "relu"},                                            # 1
        {"type": "maxpool", "size": 2},                              # 2
        {"type": "conv", "filters": 6, "kernel": 3, "padding": 1},   # 3
        {"type": "relu"},                                            # 4
        {"type": "flatten"},                                         # 5
        {"type": "dense", "units": 8},                               # 6
    ],
}
DEAD = 2  # the conv-0 filter made dead


@pytest.fixture(scope="module")
def data():
    return make_shapes(train_size=10, test_size=60, size=16)


@pytest.fixture(scope="module")
def evaluated(data):
    """A network with a dead filter, and the top images of an evaluation of it."""
    net = Network(SPEC, seed=0)
    net.layers[0].weight.value[DEAD] = -1.0
    net.layers[0].bias.value[DEAD] = -100.0
    return net, evaluate(net, data.test_x, data.test_y, chunk=25, top_k=5).top


def pane_with(qtbot, data, net, top, show=True):
    pane = TopImagesPane()
    qtbot.addWidget(pane)
    pane.set_test_set(data.test_x, data.test_y, data.classes)
    pane.set_network(net.summary)
    pane.resize(700, 500)
    if show:
        pane.show()
    pane.update_snapshot(SimpleNamespace(top_images=top, evaluation_step=40))
    return pane


def test_the_pane_fills_after_an_evaluation_with_every_conv_and_dense_layer(qtbot, data,
                                                                           evaluated):
    net, top = evaluated
    pane = pane_with(qtbot, data, net, top)
    qtbot.waitUntil(lambda: pane.shown is top, timeout=3000)
    box = pane.layer_box
    assert [box.itemData(i) for i in range(box.count())] == [0, 3, 6]
    assert "step 40" in pane.title.text() and "60 test images" in pane.title.text()
    rows = pane.rows
    assert rows.model.top is top.layer(0) and rows.height() >= 4 * 5  # four filters of five patches
    box.setCurrentIndex(2)
    box.activated.emit(2)
    assert rows.model.top is top.layer(6) and rows.model.unit_name(1) == f"class {CLASSES[1]}"


def test_a_patch_is_the_receptive_field_of_its_best_cell_in_its_image(qtbot, data, evaluated):
    """Brute force: the filter's map for the patch's image, its largest cell, that cell's input
    box; the painted cell's pixels are that crop of that image."""
    net, top = evaluated
    rows = PatchRows()
    qtbot.addWidget(rows)
    conv = top.layer(3)
    rows.show_layer(conv, net.summary, data.test_x, data.test_y, data.classes, 60)
    picture = rows.grab().toImage()
    for unit in range(conv.units):
        rank = unit % conv.images.shape[1]
        index = int(conv.images[unit, rank])
        tap = net.forward_taps(data.test_x[index][None])[4][0, unit]
        y, x = np.unravel_index(np.argmax(tap), tap.shape)
        assert (y, x) == tuple(conv.positions[unit, rank])
        assert float(tap[y, x]) == pytest.approx(float(conv.scores[unit, rank]))
        top_, left, bottom, right = input_box(net.summary, 4, int(y), int(x))
        crop = data.test_x[index][:, top_:bottom, left:right]
        np.testing.assert_array_equal(rows.model.patch(unit, rank)[0], crop)
        # By hand, for this network: a layer-4 cell sees 8x8 input pixels from (2y - 3, 2x - 3)
        # on (padding included); the cell on screen is those 8 pixels, PATCH wide.
        scale = PATCH / 8
        cell = rows.cell_rect(unit, rank)
        cell_x = cell.left() + (left - (2 * int(x) - 3)) * scale
        cell_y = cell.top() + (top_ - (2 * int(y) - 3)) * scale
        for (row, col) in ((0, 0), (crop.shape[1] - 1, crop.shape[2] - 1)):
            colour = picture.pixelColor(QPoint(int(cell_x + (col + 0.5) * scale),
                                               int(cell_y + (row + 0.5) * scale)))
            expected = np.clip(crop[:, row, col] * 255 + 0.5, 0, 255).astype(int)
            assert abs(colour.red() - expected[0]) <= 1 and abs(colour.blue() - expected[2]) <= 1
        if left > 2 * int(x) - 3:  # the field sticks out on the left: drawn dark there
            assert picture.pixelColor(QPoint(cell.left() + 1, int(cell_y + scale / 2))) == OUTSIDE
        assert f"#{index}" in rows.model.describe(unit, rank)
        assert f"{float(conv.scores[unit, rank]):.4g}" in rows.model.describe(unit, rank)


def test_clicking_a_patch_offers_its_test_image(qtbot, data, evaluated):
    net, top = evaluated
    pane = pane_with(qtbot, data, net, top)
    qtbot.waitUntil(lambda: pane.shown is top, timeout=3000)
    rows = pane.rows
    cell = rows.cell_rect(1, 3)
    with qtbot.waitSignal(pane.image_chosen, timeout=2000) as chosen:
        qtbot.mouseClick(rows, Qt.MouseButton.LeftButton, pos=cell.center())
    assert chosen.args == [int(top.layer(0).images[1, 3])]
    gap = QPoint(cell.right() + 3, cell.center().y())  # between two patches: nothing
    with qtbot.assertNotEmitted(pane.image_chosen):
        qtbot.mouseClick(rows, Qt.MouseButton.LeftButton, pos=gap)


def test_a_hidden_pane_lays_nothing_out_until_shown(qtbot, data, evaluated):
    net, top = evaluated
    pane = pane_with(qtbot, data, net, top, show=False)
    assert not pane._timer.isActive()  # nothing scheduled while hidden
    assert pane.shown is None and pane.layer_box.count() == 0 and pane.pending is top
    pane.show()
    assert pane.shown is top and pane.layer_box.count() == 3


def test_the_evaluation_of_an_edited_away_network_is_not_shown(qtbot, data, evaluated):
    net, top = evaluated
    pane = pane_with(qtbot, data, net, top)
    qtbot.waitUntil(lambda: pane.shown is top, timeout=3000)
    pane.set_network(net.summary)  # an edit: the snapshots still carry the old evaluation
    pane.update_snapshot(SimpleNamespace(top_images=top, evaluation_step=40))
    assert not pane._timer.isActive()  # nothing to lay out
    assert pane.shown is None and pane.layer_box.count() == 0


def test_a_dead_filter_is_marked_in_the_pane(qtbot, data, evaluated):
    net, top = evaluated
    assert top.layer(0).dead.tolist() == [f == DEAD for f in range(4)]  # a direct count:
    maps = net.forward_taps(data.test_x)[1]
    assert (maps.max(axis=(0, 2, 3)) <= 0).tolist() == top.layer(0).dead.tolist()
    rows = PatchRows()
    qtbot.addWidget(rows)
    rows.show_layer(top.layer(0), net.summary, data.test_x, data.test_y, data.classes, 60)
    assert [rows.model.is_dead(f) for f in range(4)] == [f == DEAD for f in range(4)]
    assert DEAD_TIP.format(name=f"filter {DEAD}", images=60) in rows.model.describe(DEAD, 0)
    assert "Dead" not in rows.model.describe(0, 0)
    # Hovering says what a patch is; over the dead row, what dead means and what to try.
    rows.resize(rows.sizeHint())
    rows.show()
    for unit, expected in ((0, rows.model.describe(0, 1)), (DEAD, DEAD_TIP.format(
            name=f"filter {DEAD}", images=60))):
        at = rows.cell_rect(unit, 1).center()
        QApplication.sendEvent(rows, QHelpEvent(QEvent.Type.ToolTip, at, rows.mapToGlobal(at)))
        assert QToolTip.text() == expected
    # Its row shows no images to click (its "best" would be any), a live one does.
    assert rows.model.cell_at(*rows.cell_rect(DEAD, 1).center().toTuple()) is None
    assert rows.model.cell_at(*rows.cell_rect(0, 1).center().toTuple()) == (0, 1)


def test_the_network_view_marks_a_dead_filter(qtbot, data, evaluated):
    net, top = evaluated
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    view.set_network(net.summary)
    weights = tuple(layer.weight.value.copy() for layer in net.layers if layer.kind == "conv")
    snap = SimpleNamespace(probe_taps=(), probe_probabilities=None, conv_weights=weights,
                           state="paused", saliency=None, top_images=top)
    assert view.update_snapshot(snap)
    first = next(c for c in view.columns if isinstance(c, FilterColumn) and c.layer == 0)
    second = next(c for c in view.columns if isinstance(c, FilterColumn) and c.layer == 3)
    shown = [mark.isVisible() for mark in first._dead_marks]
    assert shown == [f == DEAD for f in range(4)]
    assert "60 test images" in first._dead_marks[DEAD].toolTip()
    assert second._dead_marks == [] or not any(m.isVisible() for m in second._dead_marks)
    # Hovering the dead filter's kernel says so; a live one does not.
    at = first.image.to_scene(1, DEAD * (first.shape[2] + 1) + 1)
    assert "DEAD" in first.lookup(at)
    assert "DEAD" not in first.lookup(first.image.to_scene(1, 1))
    # After an architecture edit the old evaluation's marks go.
    view.set_network(net.summary)
    view.update_snapshot(snap)
    assert not any(mark.isVisible() for mark in first._dead_marks)
