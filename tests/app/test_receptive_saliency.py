"""Receptive fields on hover and the live saliency / Grad-CAM overlay.

The network view is hovered the way Qt delivers a mouse move (as in test_network_view.py); the
outlines it draws are read back from the scene and compared with engine/receptive.py's
input_box. The saliency tests drive the real main window: a test image as the probe, some
training, then the Explain controls of the Input dock, and what the snapshots carry and the
overlays draw."""
import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from cnnviz.app.panes.network_geometry import Cell
from cnnviz.app.panes.network_view import NetworkView
from cnnviz.app.panes.probe_pictures import to_rgb8
from cnnviz.app.panes.receptive_boxes import axis_spans
from cnnviz.app.panes.saliency_overlay import TOP_PERCENTILE, blend, caption, heat_rgba, normalise
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.engine.receptive import input_box
from cnnviz.engine.spec import Summary, validate

pg.setConfigOptions(imageAxisOrder="row-major")

CLASSES = ["circle", "ring", "square", "triangle", "cross", "star", "horizontal line",
           "vertical line"]
# Strides, padding and pooling, two input channels, and a stride that leaves the last input row
# and column unread: conv 4x4 stride 3 on 20 pixels reads 0..18.
STRIDED = {
    "name": "strided", "input": [2, 20, 20], "classes": ["a", "b"],
    "layers": [{"type": "conv", "filters": 3, "kernel": 4, "stride": 3},
               {"type": "relu"},
               {"type": "maxpool", "size": 2},
               {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
               {"type": "relu"},
               {"type": "flatten"},
               {"type": "dense", "units": 5},
               {"type": "relu"},
               {"type": "dense", "units": 2}],
}


def summary_of(name: str) -> Summary:
    if name == "strided":
        return validate(STRIDED)
    shape = (1, 28, 28) if name == "lenet5" else (3, 32, 32)
    return validate(fit_to_dataset(load_architecture(name), shape, CLASSES))


NAMES = ["shapes-small", "lenet5", "alexnet-mini", "strided"]


@pytest.fixture
def view(qtbot):
    widget = NetworkView()
    qtbot.addWidget(widget)
    widget.resize(1200, 760)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown(view, name):
    summary = summary_of(name)
    view.set_network(summary)
    view.actual_size()  # every map pixel at least 2 screen pixels: the mouse lands where aimed
    return summary


def hover(view, scene_pos: QPointF) -> None:
    """Move the mouse over a scene position (centred in view first), as Qt delivers it."""
    view.canvas.centerOn(scene_pos)
    point = view.canvas.mapFromScene(scene_pos)
    viewport = view.canvas.viewport()
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(point),
                        QPointF(viewport.mapToGlobal(point)), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)


def pixel(column, tile, y, x) -> QPointF:
    """Scene position of the middle of pixel (y, x) of a tile of a map column."""
    tx, ty = column.mosaic.tile_origin(*divmod(tile, column.mosaic.cols))
    return column.image.to_scene(tx + x + 0.5, ty + y + 0.5)


def scene_box(column, tile, box) -> tuple:
    """Where box (top, left, bottom, right) of a tile lies in the scene: (x1, y1, x2, y2)."""
    top, left, bottom, right = box
    tx, ty = column.mosaic.tile_origin(*divmod(tile, column.mosaic.cols))
    origin, s_x, s_y = column.image.item.pos(), column.image.scale_x, column.image.scale_y
    return (origin.x() + (tx + left) * s_x, origin.y() + (ty + top) * s_y,
            origin.x() + (tx + right) * s_x, origin.y() + (ty + bottom) * s_y)


def coords(rects: list[QRectF]) -> list[tuple]:
    return [tuple(round(v, 6) for v in r.getCoords()) for r in rects]


def expected_on(column, box) -> list[tuple]:
    return [tuple(round(v, 6) for v in scene_box(column, t, box)) for t in range(column.shown)]


def cells(h, w):
    """Corners, the middle and a few others: where clipping and strides show."""
    picks = {(0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1), (h // 2, w // 2), (1 % h, 2 % w)}
    return sorted(picks)


def map_columns(view):
    return [(i, c) for i, c in enumerate(view.columns) if c.kind in ("maps", "pooled")]


@pytest.mark.parametrize("name", NAMES)
def test_hovering_a_map_cell_outlines_its_input_box_on_every_input_tile(view, name):
    summary = shown(view, name)
    rf = view.receptive
    inputs = view.columns[0]
    assert inputs.kind == "input" and inputs.shown == summary.input[0]
    for index, column in map_columns(view):
        _, h, w = column.shape
        for tile in sorted({0, column.shown - 1}):
            for y, x in cells(h, w):
                hover(view, pixel(column, tile, y, x))
                assert rf.cell == Cell(index, column.kind, tile, y, x)
                box = input_box(summary, column.tap, y, x)
                assert rf.box == box, (column.title, y, x)
                drawn = coords(rf.input_rects())
                assert len(drawn) == summary.input[0]
                assert drawn == expected_on(inputs, box), (column.title, y, x)
                # the hovered cell is outlined too
                assert coords(rf.on_cell.drawn()) == [
                    tuple(round(v, 6) for v in scene_box(column, tile, (y, x, y + 1, x + 1)))]


@pytest.mark.parametrize("name", NAMES)
def test_the_cells_read_on_the_layers_input_maps_are_outlined(view, name):
    """The box on the maps a layer reads (the map column before it) is input_box of the layers
    between them, run on a network that starts at those maps."""
    summary = shown(view, name)
    rf = view.receptive
    before = None
    for _, column in map_columns(view):
        _, h, w = column.shape
        y, x = h - 1, w // 2
        hover(view, pixel(column, 0, y, x))
        if before is None:  # it reads the input: nothing more than the input box
            assert rf.before_box is None and rf.on_before.drawn() == []
        else:
            rest = Summary(before.shape, summary.classes, summary.loss,
                           summary.layers[before.tap + 1:column.tap + 1])
            box = input_box(rest, len(rest.layers) - 1, y, x)
            assert rf.before_box == box, column.title
            assert coords(rf.on_before.drawn()) == expected_on(before, box)
        before = column


@pytest.mark.parametrize("name", NAMES)
def test_the_tables_agree_with_input_box_for_every_cell(name):
    summary = summary_of(name)
    for info in summary.layers:
        if len(info.out_shape) != 3:
            break
        _, h, w = info.out_shape
        rows, cols = axis_spans(summary, info.index, h, w)
        for y in range(h):
            for x in range(w):
                assert (rows[y, 0], cols[x, 0], rows[y, 1], cols[x, 1]) == \
                    input_box(summary, info.index, y, x)


def test_dense_units_classes_and_input_pixels(view):
    summary = shown(view, "strided")
    rf = view.receptive
    inputs = view.columns[0]
    strip = next(c for c in view.columns if c.kind == "dense")
    tx, ty = strip.mosaic.tile_origin(0, 0)
    hover(view, strip.image.to_scene(tx + 0.5, ty + 3.5))  # unit 3
    box = input_box(summary, strip.tap, unit=3)
    assert box == (0, 0, 19, 19)  # the stride never reads the last row and column
    assert rf.box == box and coords(rf.input_rects()) == expected_on(inputs, box)
    output = view.columns[-1]
    hover(view, output.tracks[1].rect().center())
    assert rf.box == input_box(summary, len(summary.layers) - 1)
    assert coords(rf.input_rects()) == expected_on(inputs, rf.box)
    hover(view, pixel(inputs, 1, 7, 4))  # an input pixel: itself, on both channels
    assert rf.box == (7, 4, 8, 5)
    assert coords(rf.input_rects()) == expected_on(inputs, (7, 4, 8, 5))


def test_leaving_or_a_gap_clears_the_outlines(view):
    shown(view, "shapes-small")
    rf = view.receptive
    maps = map_columns(view)[1][1]
    hover(view, pixel(maps, 2, 5, 5))
    assert len(rf.input_rects()) == 3 and rf.on_before.drawn()
    hover(view, pixel(maps, 2, maps.shape[1] + 3, 0))  # under the map, on its label
    assert rf.box is None and rf.input_rects() == [] and rf.on_before.drawn() == []
    assert rf.on_cell.drawn() == []
    filters = next(c for c in view.columns if c.kind == "filters")
    hover(view, pixel(maps, 2, 5, 5))
    hover(view, filters.image.to_scene(1.5, 1.5))  # a weight has no receptive field here
    assert rf.input_rects() == []
    hover(view, pixel(maps, 2, 5, 5))
    QApplication.sendEvent(view.canvas, QEvent(QEvent.Type.Leave))
    assert rf.box is None and rf.input_rects() == [] and rf.on_cell.drawn() == []


def test_hovering_moves_outlines_and_builds_nothing(view):
    summary = shown(view, "alexnet-mini")
    maps = map_columns(view)
    hover(view, pixel(maps[0][1], 0, 0, 0))  # the outlines exist from the first hover
    items = set(view.scene.items())
    columns = view.columns
    timings = []
    for _, column in maps:
        _, h, w = column.shape
        for y, x in cells(h, w):
            pos = pixel(column, column.shown - 1, y, x)
            hover(view, pos)
            start = time.perf_counter()
            view.receptive.hover(pos + QPointF(0.2, 0.2))  # the slot alone, another point
            timings.append(time.perf_counter() - start)
    assert set(view.scene.items()) == items and view.columns is columns
    # a few rectangles moved, no layout: well under a millisecond on a quiet machine
    assert np.median(timings) < 0.005, timings
    # a new network: the outlines are made again, on the new scene
    other = shown(view, "lenet5")
    inputs = view.columns[0]
    column = map_columns(view)[-1][1]
    hover(view, pixel(column, 0, 4, 4))
    box = input_box(other, column.tap, 4, 4)
    assert coords(view.receptive.input_rects()) == expected_on(inputs, box)
    assert summary != other


# ---- saliency in the main window ----------------------------------------------------------------

def latest_when(qtbot, win, condition, timeout=30000):
    """The first latest snapshot that meets condition (drawn by then: the window draws each
    snapshot as it takes it in)."""
    qtbot.waitUntil(lambda: win.session.latest is not None and condition(win.session.latest),
                    timeout=timeout)
    return win.session.latest


def check_overlays(win, snap, text):
    """Both overlays show the snapshot's map, normalised, with the caption."""
    top = np.percentile(snap.saliency, TOP_PERCENTILE)
    norm = np.minimum(snap.saliency / top, 1)  # 0..1, the top 1% at 1
    view = win.network_view.saliency
    np.testing.assert_allclose(view.heat, norm, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(view.heat, normalise(snap.saliency))
    column = win.network_view.columns[0]
    rgba = heat_rgba(view.heat)
    for tile in range(column.shown):
        tx, ty = column.mosaic.tile_origin(*divmod(tile, column.mosaic.cols))
        np.testing.assert_array_equal(view.rgba[ty:ty + 32, tx:tx + 32], rgba)
    image = view.item.pixmap().toImage()
    assert (image.width(), image.height()) == column.mosaic.image.shape[::-1]
    assert view.item.pos() == column.image.item.pos() and view.item.isVisible()
    assert view.item.zValue() > column.image.item.zValue()
    assert view.text == text and view.label.toPlainText() == text
    assert view.label.isVisible() and view.legend.isVisible()
    pane = win.input
    np.testing.assert_array_equal(pane.saliency_heat, view.heat)
    np.testing.assert_array_equal(pane.preview_rgb, blend(to_rgb8(win.probe), view.heat))
    assert pane.explain.caption.text() == text
    assert pane.explain.caption.isVisible() and pane.explain.legend.isVisible()


def test_saliency_and_grad_cam_follow_the_snapshots_and_off_stops_them(qtbot, window,
                                                                       train_until):
    win = window
    classes = list(win.dataset.classes)
    win.input.show_test_image(5)
    qtbot.waitUntil(lambda: win.probe is not None, timeout=5000)
    train_until(qtbot, win, 15)
    assert win.network_view.saliency.heat is None and not win.input.explain.caption.isVisible()
    assert win.input.explain.mode_box.toolTip() and win.input.explain.class_box.toolTip()
    assert not win.input.explain.class_box.isEnabled()

    # Saliency, for the predicted class
    with qtbot.waitSignal(win.input.saliency_changed) as chosen:
        win.input.explain.mode_box.setCurrentIndex(1)
    assert chosen.args == ["saliency", None]
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "saliency")
    assert snap.saliency is not None and snap.saliency.shape == (32, 32)
    predicted = int(np.argmax(snap.probe_probabilities))
    assert snap.saliency_class == predicted
    check_overlays(win, snap, f"Saliency for '{classes[predicted]}' (predicted)")
    step = snap.step
    snap = latest_when(qtbot, win, lambda s: s.step > step + 2)  # it goes on with training
    assert snap.saliency_class == int(np.argmax(snap.probe_probabilities))
    check_overlays(win, snap, caption("saliency", snap.saliency_class, classes,
                                      snap.saliency_class))

    # another class
    other = (predicted + 1) % len(classes)
    with qtbot.waitSignal(win.input.saliency_changed) as chosen:
        win.input.explain.class_box.setCurrentIndex(other + 1)
    assert chosen.args == ["saliency", other]
    snap = latest_when(qtbot, win, lambda s: s.saliency_class == other)
    assert snap.saliency_mode == "saliency"
    now = int(np.argmax(snap.probe_probabilities))
    which = "predicted" if now == other else f"predicted: '{classes[now]}'"
    check_overlays(win, snap, f"Saliency for '{classes[other]}' ({which})")

    # Grad-CAM, for that class, then for the predicted one
    win.input.explain.mode_box.setCurrentIndex(2)
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "gradcam")
    assert snap.saliency_class == other and snap.saliency.max() == pytest.approx(1.0)
    assert win.network_view.saliency.heat.max() == 1
    check_overlays(win, snap, caption("gradcam", other, classes,
                                      int(np.argmax(snap.probe_probabilities))))
    assert win.network_view.saliency.text.startswith(f"Grad-CAM for '{classes[other]}'")
    win.input.explain.class_box.setCurrentIndex(0)
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "gradcam"
                       and s.saliency_class == int(np.argmax(s.probe_probabilities)))
    check_overlays(win, snap, caption("gradcam", snap.saliency_class, classes,
                                      snap.saliency_class))

    # Off: the overlays go at once, and the worker stops making maps
    with qtbot.waitSignal(win.input.saliency_changed) as chosen:
        win.input.explain.mode_box.setCurrentIndex(0)
    assert chosen.args == [None, None]
    view = win.network_view.saliency
    assert view.heat is None and not view.item.isVisible() and not view.label.isVisible()
    assert win.input.saliency_heat is None and not win.input.explain.caption.isVisible()
    np.testing.assert_array_equal(win.input.preview_rgb, to_rgb8(win.probe))
    step = win.session.latest.step
    snap = latest_when(qtbot, win, lambda s: s.step > step + 2)
    assert snap.saliency is None and snap.saliency_mode is None and snap.saliency_class is None
    assert snap.probe_probabilities is not None
    assert view.heat is None and win.input.saliency_heat is None


def test_a_new_session_keeps_the_choice(qtbot, window):
    win = window
    win.input.show_test_image(2)
    qtbot.waitUntil(lambda: win.probe is not None, timeout=5000)
    win.input.explain.set_choice("gradcam", 3)
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "gradcam")
    assert snap.saliency_class == 3  # answered while paused, before any training
    first = win.session
    win.reset()  # a new session, paused, with new weights
    assert win.session is not first
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "gradcam")
    assert snap.saliency_class == 3
    check_overlays(win, snap, caption("gradcam", 3, list(win.dataset.classes),
                                      int(np.argmax(snap.probe_probabilities))))


def test_normalise_scales_by_the_99th_percentile():
    heat = np.zeros((10, 10), np.float32)
    heat.flat[:98] = np.linspace(0, 0.5, 98)
    heat.flat[98:] = (2.0, 40.0)  # two spikes: scaled by the largest, the rest would vanish
    norm = normalise(heat)
    top = np.percentile(heat, 99)
    np.testing.assert_allclose(norm, np.minimum(heat / top, 1), rtol=1e-6)
    assert norm.flat[99] == 1 and 0 < norm.flat[98] < 1 and 0 < norm.flat[97] < 1
    assert norm.flat[97] > 10 * heat.flat[97] / heat.max()
    np.testing.assert_array_equal(normalise(np.zeros((3, 3))), np.zeros((3, 3)))
    spike = np.zeros((10, 10))
    spike[4, 4] = 3.0  # the 99th percentile is 0: the largest value then
    np.testing.assert_array_equal(normalise(spike), spike / 3)
    rgba = heat_rgba(np.array([[0.0, 0.5, 1.0]]))
    assert rgba[0, 0, 3] == 0 and rgba[0, 2, 3] == round(0.8 * 255)  # clear when cold


def test_grad_cam_without_a_conv_layer_says_so(qtbot, window):
    from cnnviz.app.panes.explain import CANNOT
    win = window
    dense_only = {"name": "dense only", "input": [3, 32, 32], "classes": CLASSES,
                  "layers": [{"type": "flatten"}, {"type": "dense", "units": 8}]}
    assert win.set_architecture(dense_only), win.errors
    win.input.show_test_image(1)
    win.input.explain.set_choice("gradcam")
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "gradcam"
                       and s.probe_probabilities is not None)
    assert snap.saliency is None
    assert win.input.explain.caption.text() == CANNOT
    assert not win.input.explain.legend.isVisible() and win.input.saliency_heat is None
    assert win.network_view.saliency.heat is None
    win.input.explain.set_choice("saliency")  # the gradient needs no conv layer
    snap = latest_when(qtbot, win, lambda s: s.saliency_mode == "saliency")
    check_overlays(win, snap, caption("saliency", snap.saliency_class, CLASSES,
                                      int(np.argmax(snap.probe_probabilities))))


def test_the_overlays_remake_their_items_when_the_view_rebuilds(view):
    """NetworkView.rebuilt: a new network's input column is the overlays' at once, before any
    hover, and the old scene's items are gone with it."""
    shown(view, "shapes-small")
    first = view.columns[0]
    assert view.receptive.input is first and view.saliency.input is first
    shown(view, "lenet5")
    assert view.receptive.input is view.columns[0] is not first
    assert view.saliency.input is view.columns[0]
    assert all(item.scene() is view.scene for item in view.picker._items)
    view.clear()
    assert view.receptive.input is None and view.saliency.input is None
