"""The Inspector in the real main window: a click on a cell of the network view (through Qt's
mouse events) asks the worker for that cell's arithmetic, and the inspector shows it. Every
number checked here is worked out again from the snapshot's own taps and weights (the engine's
values for the probe), never from the inspection the pane shows: the patch under the filter,
the weights, the products, their sum, the pre-activation and what follows; a pooled block and
its max; a dense unit's terms; the softmax. Play's map must equal the conv layer's tap."""
import re

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from cnnviz.app.panes.number_text import cell_text, num
from cnnviz.architectures import load_architecture
from cnnviz.engine.inspect import (
    SOFTMAX,
    ConvCell,
    DenseUnit,
    InspectRequest,
    PoolCell,
    SoftmaxSteps,
)
from cnnviz.engine.spec import conv_padding
from cnnviz.engine.weight_update import WeightRef

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def shown(text: str) -> float:
    """The last number written in a label."""
    return float(NUMBER.findall(text)[-1])


def close(text_value: float, value: float) -> bool:
    """Whether a number as num() writes it (3 decimals or 3 significant digits) is value."""
    return abs(text_value - value) <= 0.0006 + 0.006 * abs(value)


def paused_with_probe(qtbot, window, train_until, steps=3):
    """A few training steps with test image 0 as the probe, then paused."""
    window.input.show_test_image(0)
    train_until(qtbot, window, steps)
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused"
                    and bool(window.session.latest.probe_taps), timeout=20000)


def column(window, kind, tap=None):
    return next(c for c in window.network_view.columns
                if c.kind == kind and (tap is None or getattr(c, "tap", None) == tap))


def pixel(col, i, y, x) -> QPointF:
    """Scene position of the middle of pixel (y, x) of tile i of a map column."""
    tx, ty = col.mosaic.tile_origin(*divmod(i, col.mosaic.cols))
    return col.image.to_scene(tx + x + 0.5, ty + y + 0.5)


def click(window, scene_pos: QPointF) -> None:
    """A left click at a scene position of the network view, as Qt delivers it."""
    canvas = window.network_view.canvas
    canvas.centerOn(scene_pos)
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, canvas.mapFromScene(scene_pos))


def inspect_by_click(qtbot, window, scene_pos, kind, expected_request):
    with qtbot.waitSignal(window.network_view.cell_clicked, timeout=2000) as clicked:
        click(window, scene_pos)
    assert clicked.args == [expected_request]
    inspector = window.inspector
    qtbot.waitUntil(lambda: isinstance(inspector.result, kind) and inspector.request
                    == expected_request, timeout=20000)
    assert inspector.isVisible()  # the dock came to the front
    assert window.network_view.picker.marked_rect().contains(scene_pos)
    return inspector.result, inspector.snapshot, inspector.page


def expected_patch(source, k, stride, pad, y, x):
    """The input under the filter at output cell (y, x), zeros in the padding, and the mask."""
    padded = np.pad(np.asarray(source, np.float64), ((0, 0), (pad, pad), (pad, pad)))
    mask = np.pad(np.zeros(source.shape, bool), ((0, 0), (pad, pad), (pad, pad)),
                  constant_values=True)
    window = np.s_[:, y * stride:y * stride + k, x * stride:x * stride + k]
    return padded[window], mask[window]


def hover(grid, row: int, col: int) -> str:
    """The tooltip Qt shows when the mouse rests on a cell of a NumberGrid."""
    size = grid.cell
    point = QPoint(col * size.width() + size.width() // 2, row * size.height() + size.height() // 2)
    QApplication.sendEvent(grid, QHelpEvent(QEvent.Type.ToolTip, point, grid.mapToGlobal(point)))
    text = QToolTip.text()
    QToolTip.hideText()
    return text


def check_conv_page(window, cell, snap, page, conv_layer, conv_index, channel, y, x,
                    after_layers):
    """The page's grids and sum line against the snapshot's taps and weights."""
    taps = snap.probe_taps
    weights = np.asarray(snap.conv_weights[conv_index][channel], np.float64)
    k = weights.shape[-1]
    info = window.network_view.summary.layers[conv_layer]
    stride, pad = info.config["stride"], conv_padding(info.config)
    source = window.probe if conv_layer == 0 else taps[conv_layer - 1]
    patch, mask = expected_patch(source, k, stride, pad, y, x)
    products = patch * weights
    for c in range(page.shown):
        np.testing.assert_allclose(page.patches[c].values, patch[c], rtol=1e-6)
        np.testing.assert_array_equal(page.patches[c].mask, mask[c])
        np.testing.assert_allclose(page.weights[c].values, weights[c], rtol=1e-6)
        np.testing.assert_allclose(page.products[c].values, products[c], rtol=1e-5, atol=1e-7)
        for i, j in ((0, 0), (k // 2, k - 1), (k - 1, 1)):
            for grid, values in ((page.patches[c], patch), (page.weights[c], weights),
                                 (page.products[c], products)):
                if page.numbers:  # every number written in its cell
                    assert grid.text(i, j) == cell_text(values[c, i, j])
                else:  # a heat map: the number on hover
                    assert grid.text(i, j) == ""
                    assert f": {values[c, i, j] + 0.0:.6g}" in hover(grid, i, j)  # never -0
        assert close(shown(page.channel_sums[c].text()), products[c].sum())
    engine = float(taps[conv_layer][channel, y, x])  # the engine's conv output: pre-activation
    total = float(products.sum())
    bias = shown(page.bias_label.text())
    assert page.sum_label.text().startswith(f"sum of {products.size} products = ")
    assert close(shown(page.sum_label.text()), total)
    assert close(shown(page.pre_label.text()), engine)
    assert "(pre-activation)" in page.pre_label.text()
    assert close(total + bias, engine)
    assert cell.total == pytest.approx(total, rel=1e-5, abs=1e-6)
    assert cell.pre_activation == pytest.approx(engine, rel=1e-5, abs=1e-6)
    after = page.after_label.text()
    for layer, name in after_layers:  # e.g. "→ ReLU → 0.512" for each step after the conv
        value = float(taps[layer][channel, y, x])
        assert f"→ {name} → {num(value)}" in after


def test_clicking_conv_map_cells_shows_the_arithmetic_and_follows_training(
        qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    view = window.network_view
    # conv2 → relu (layers 3-4): 16 maps of 16x16 over pool1's 8 maps; an inner cell.
    maps = column(window, "maps", tap=4)
    cell, snap, page = inspect_by_click(qtbot, window, pixel(maps, 5, 6, 9), ConvCell,
                                        InspectRequest(4, (5, 6, 9)))
    assert (cell.layer, cell.channel, cell.y, cell.x) == (3, 5, 6, 9)
    assert page.shown == 3 and "+ 5 more input channels (45 products)" in page.rest.text()
    check_conv_page(window, cell, snap, page, 3, 1, 5, 6, 9, [(4, "ReLU")])
    assert "conv2 (layer 3) · filter 5" in window.inspector.heading.text()
    # The receptive field on the input: 3x3 conv, 2x2 pool, 3x3 conv -> 8x8 pixels here.
    assert page.field.thumbnail.box == cell.field
    top, left, bottom, right = cell.field
    assert page.field.caption.text().startswith(f"receptive field {bottom - top}×{right - left}")

    # Training on: the same page and grids, new numbers from each new snapshot.
    grids = list(page.patches)
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.inspector.snapshot.step > snap.step, timeout=20000)
    assert window.inspector.page is page and page.patches == grids
    newer = window.inspector.snapshot
    check_conv_page(window, window.inspector.result, newer, page, 3, 1, 5, 6, 9, [(4, "ReLU")])
    assert not np.array_equal(newer.conv_weights[1], snap.conv_weights[1])

    # conv1 → relu at the top edge: the patch's first row lies in the padding.
    first = column(window, "maps", tap=1)
    cell, snap, page = inspect_by_click(qtbot, window, pixel(first, 2, 0, 5), ConvCell,
                                        InspectRequest(1, (2, 0, 5)))
    assert page.patches[0].mask[0].all() and not page.patches[0].mask[1:].any()
    assert page.patches[0].text(0, 1) == "0.000"
    check_conv_page(window, cell, snap, page, 0, 0, 2, 0, 5, [(1, "ReLU")])
    assert [p.text() for p in page.findChildren(type(page.sum_label))
            if p.text() in ("red", "green", "blue")] == ["red", "green", "blue"]
    assert view.picker.request == InspectRequest(1, (2, 0, 5))


def test_a_pooled_cell_shows_its_block_and_winner(qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    pooled = column(window, "pooled", tap=2)  # maxpool 2x2 over conv1 → relu
    cell, snap, page = inspect_by_click(qtbot, window, pixel(pooled, 3, 4, 5), PoolCell,
                                        InspectRequest(2, (3, 4, 5)))
    block = np.asarray(snap.probe_taps[1][3, 8:10, 10:12], np.float64)
    np.testing.assert_array_equal(page.block.values, block)
    assert [[page.block.text(r, c) for c in range(2)] for r in range(2)] == \
        [[cell_text(v) for v in row] for row in block]
    winner = divmod(int(np.argmax(block)), 2)
    assert page.block.highlight == winner
    value = float(snap.probe_taps[2][3, 4, 5])
    assert value == block.max()
    assert page.result.text().startswith(f"max of the 4 values = {num(value)}")
    assert f"row {winner[0]}, column {winner[1]}" in page.result.text()
    assert "rows 8–9, columns 10–11" in page.explain.text()


def test_the_output_column_shows_the_softmax_step_by_step(qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    output = column(window, "output")
    steps, snap, page = inspect_by_click(qtbot, window, output.bars[2].rect().center(),
                                         SoftmaxSteps, InspectRequest(SOFTMAX))
    logits = np.asarray(snap.probe_taps[-1], np.float64)
    shift = logits.max()
    exps = np.exp(logits - shift)
    probabilities = exps / exps.sum()
    np.testing.assert_allclose(probabilities, snap.probe_probabilities, rtol=1e-5)
    table = page.table
    classes = window.dataset.classes
    for i, name in enumerate(classes):
        row = [table.item(i, c).text() for c in range(5)]
        assert row[0] == name
        assert close(float(row[1]), logits[i]) and close(float(row[2]), logits[i] - shift)
        assert close(float(row[3]), exps[i])
        assert close(float(row[4].split()[0]), probabilities[i])
    best = int(np.argmax(probabilities))
    assert table.item(best, 0).font().bold() and f"({classes[best]})" in page.shift_label.text()
    assert "numerical safety" in page.shift_label.text()
    assert page.sum_label.text().startswith("3. sum of the exps = ")
    assert close(shown(page.sum_label.text()), exps.sum())
    assert page.divide_label.text() == f"4. probability = exp / {num(steps.sum)}"


def test_a_dense_unit_lists_its_largest_terms(qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until)
    strip = column(window, "dense")  # dense 64 → relu (layers 10-11), from pool3's 32x4x4
    point = strip.image.to_scene(0.5, 7.5)  # unit 7
    unit, snap, page = inspect_by_click(qtbot, window, point, DenseUnit,
                                        InspectRequest(11, (7,)))
    inputs = np.asarray(snap.probe_taps[8], np.float64).ravel()
    assert page.table.rowCount() == 10 and len(unit.contributions) == 10
    for row, term in enumerate(unit.contributions):
        c, y, x = np.unravel_index(term.index, (32, 4, 4))
        assert page.table.item(row, 0).text() == f"pool3 maps · ch {c} ({y}, {x})"
        assert term.value == inputs[term.index]
        assert close(float(page.table.item(row, 1).text()), inputs[term.index])
    products = [abs(t.product) for t in unit.contributions]
    assert products == sorted(products, reverse=True)
    assert page.rest.text().startswith("… and 502 more terms summing to ")
    assert close(shown(page.total_label.text().split("→")[0]), float(snap.probe_taps[10][7]))
    assert page.total_label.text().endswith(f"→ ReLU → {num(snap.probe_taps[11][7])}")


STRIDED = {  # stride 2 with padding, several channels, batch norm after a conv
    "name": "strided", "input": [3, 32, 32], "classes": [], "loss": "cross_entropy",
    "layers": [{"type": "conv", "filters": 4, "kernel": 5, "stride": 2, "padding": 2},
               {"type": "relu"},
               {"type": "conv", "filters": 6, "kernel": 3, "stride": 2, "padding": 1},
               {"type": "batchnorm"}, {"type": "relu"},
               {"type": "flatten"}, {"type": "dense", "units": 8}]}


def play_to_the_end(qtbot, flashlight):
    flashlight.speed.setValue(flashlight.speed.maximum())
    assert flashlight.cells_per_second() == 1000
    qtbot.mouseClick(flashlight.play_button, Qt.MouseButton.LeftButton)
    assert flashlight.timer.isActive() and "Pause" in flashlight.play_button.text()
    qtbot.waitUntil(lambda: flashlight.finished, timeout=20000)
    assert not flashlight.timer.isActive()
    return flashlight.played.probe_taps


def test_play_builds_the_conv_layers_own_map(qtbot, window, train_until):
    classes = list(window.dataset.classes)
    assert window.set_architecture(dict(STRIDED, classes=classes))
    paused_with_probe(qtbot, window, train_until)
    # conv2 → batch norm → relu (layers 2-4): stride 2, padding 1, over 4 maps.
    maps = column(window, "maps", tap=4)
    cell, snap, page = inspect_by_click(qtbot, window, pixel(maps, 1, 3, 2), ConvCell,
                                        InspectRequest(4, (1, 3, 2)))
    assert (cell.stride, cell.padding, cell.weights.shape) == (2, 1, (4, 3, 3))
    check_conv_page(window, cell, snap, page, 2, 1, 1, 3, 2,
                    [(3, "batch norm"), (4, "ReLU")])
    flashlight = page.flashlight
    qtbot.mouseClick(flashlight.step_button, Qt.MouseButton.LeftButton)
    assert flashlight.position == 1
    assert flashlight.built[0, 0] == pytest.approx(float(snap.probe_taps[2][1, 0, 0]),
                                                   rel=1e-5, abs=1e-6)
    text = flashlight.sum_label.text()
    assert text.startswith(f"cell (row 0, column 0) = sum {num(flashlight.built[0, 0] - cell.bias)}"
                           f" + bias {num(cell.bias)} = {num(flashlight.built[0, 0])}")
    assert "window rows -1–1, columns -1–1 · 1 of 64 cells" in text
    window.train_action.trigger()  # training goes on while it plays: Play keeps its snapshot
    taps = play_to_the_end(qtbot, flashlight)
    assert flashlight.played.step == snap.step  # the paused weights, not the newer ones
    np.testing.assert_allclose(flashlight.built, taps[2][1], rtol=1e-5, atol=1e-6)
    assert "Play again" in flashlight.play_button.text()
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=20000)

    # The first layer: a 5x5 filter with stride 2 and padding 2 over the probe's colours.
    first = column(window, "maps", tap=1)
    cell, snap, page = inspect_by_click(qtbot, window, pixel(first, 3, 0, 15), ConvCell,
                                        InspectRequest(1, (3, 0, 15)))
    check_conv_page(window, cell, snap, page, 0, 0, 3, 0, 15, [(1, "ReLU")])
    taps = play_to_the_end(qtbot, page.flashlight)
    assert page.flashlight.built.shape == (16, 16)
    np.testing.assert_allclose(page.flashlight.built, taps[0][3], rtol=1e-5, atol=1e-6)


def test_large_filters_are_heat_maps_with_numbers_on_hover(qtbot, window, train_until):
    spec = dict(STRIDED, classes=list(window.dataset.classes), layers=[
        {"type": "conv", "filters": 4, "kernel": 7, "stride": 1, "padding": 3}, {"type": "relu"},
        {"type": "maxpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 8}])
    assert window.set_architecture(spec)
    paused_with_probe(qtbot, window, train_until, steps=2)
    maps = column(window, "maps", tap=1)
    cell, snap, page = inspect_by_click(qtbot, window, pixel(maps, 2, 1, 20), ConvCell,
                                        InspectRequest(1, (2, 1, 20)))
    assert not page.numbers and page.patches[0].cell.width() < 12
    assert page.patches[0].mask[:2].all() and not page.patches[0].mask[2:].any()
    check_conv_page(window, cell, snap, page, 0, 0, 2, 1, 20, [(1, "ReLU")])
    assert "(padding: a zero added around the input)" in hover(page.patches[1], 0, 3)


def send_mouse(widget, kind, point: QPoint, button, buttons) -> None:
    event = QMouseEvent(kind, QPointF(point), QPointF(widget.mapToGlobal(point)), button,
                        buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_dragging_to_pan_is_not_a_click(qtbot, window):
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    view = window.network_view
    clicks = []
    view.cell_clicked.connect(clicks.append)
    maps = column(window, "maps", tap=4)
    view.actual_size()  # full size: the scene is wider than the view, so a drag pans
    target = pixel(maps, 0, 4, 4)
    view.canvas.centerOn(target)
    viewport, bar = view.canvas.viewport(), view.canvas.horizontalScrollBar()
    start = view.canvas.mapFromScene(target)
    before = bar.value()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start, left, left)
    for dx in (5, 20, 60):
        send_mouse(viewport, QEvent.Type.MouseMove, start + QPoint(dx, 0), none, left)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, start + QPoint(60, 0), left, none)
    assert bar.maximum() > 0 and bar.value() != before  # it panned
    assert clicks == [] and view.picker.marked_rect() is None
    # The same press and release without moving is a click.
    here = view.canvas.mapFromScene(target)
    send_mouse(viewport, QEvent.Type.MouseButtonPress, here, left, left)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, here, left, none)
    assert clicks == [InspectRequest(4, (0, 4, 4))]
    # The input has no arithmetic of its own: clicking it asks nothing; a filter's weight
    # asks for that weight's update.
    click(window, pixel(column(window, "input"), 0, 3, 3))
    assert len(clicks) == 1
    filters = column(window, "filters")
    click(window, filters.image.to_scene(0.5, 0.5))
    assert clicks[1:] == [WeightRef(0, "weight", (0, 0, 0, 0))]


def test_view_menu_toggles_the_inspector_and_a_new_network_forgets_the_cell(
        qtbot, window, train_until):
    paused_with_probe(qtbot, window, train_until, steps=1)
    action = window.inspector_dock.toggleViewAction()
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert action in view_menu.actions()
    maps = column(window, "maps", tap=1)
    inspect_by_click(qtbot, window, pixel(maps, 0, 5, 5), ConvCell, InspectRequest(1, (0, 5, 5)))
    action.trigger()
    assert not window.inspector_dock.isVisible()
    action.trigger()
    assert window.inspector_dock.isVisible()
    window.set_architecture(load_architecture("lenet5"))  # another network
    assert window.inspector.request is None and window.inspector.page is None
    assert window.network_view.picker.marked_rect() is None
