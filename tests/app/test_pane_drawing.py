"""The drawing shortcuts that keep the panes cheap while training (see
benchmarks/gui_responsiveness.py): they must draw what pyqtgraph would have drawn."""
import dataclasses
from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from cnnviz.app.panes import network_view
from cnnviz.app.panes.curve_ranges import nice_ceiling, stepped
from cnnviz.app.panes.curves import CurvesPane
from cnnviz.app.panes.map_grid import MosaicItem, diverging_lut, grey_lut, sequential_lut
from cnnviz.app.panes.mosaic import Mosaic
from cnnviz.app.panes.network_view import NetworkView
from cnnviz.app.panes.number_text import fmt
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.training.control import Control
from cnnviz.training.loop import TrainConfig, train

pg.setConfigOptions(imageAxisOrder="row-major")


def pixels(qimage) -> np.ndarray:
    image = qimage.convertToFormat(qimage.Format.Format_ARGB32_Premultiplied)
    return np.frombuffer(image.constBits(), np.uint32,  # copied: `image` goes away
                         image.width() * image.height()).reshape(image.height(),
                                                                 image.width()).copy()


@pytest.mark.parametrize("lut", [sequential_lut(), diverging_lut(), grey_lut(),
                                 sequential_lut()[::4]])
@pytest.mark.parametrize("levels", [(0.0, 1.0), (-0.3, 0.3), (2.0, 7.5)])
def test_mosaic_item_draws_the_pixels_pyqtgraph_draws(qapp, lut, levels):
    mosaic = Mosaic(5, 7, 13, 11, 17, 14)  # gaps are NaN
    rng = np.random.default_rng(0)
    mosaic.fill_sequence(rng.normal(size=(33, 13, 11)).astype(np.float32) * 3)
    mosaic.tiles[0, 0, 0, :4] = [levels[0], levels[1], np.inf, -np.inf]
    reference = pg.ImageItem(axisOrder="row-major")
    reference.setLookupTable(lut)
    reference.setImage(mosaic.image, autoLevels=False, levels=levels)
    reference.render()
    item = MosaicItem(lut)
    item.setImage(mosaic.image, autoLevels=False, levels=levels)
    assert np.shares_memory(item.image, mosaic.image)  # the float mosaic, not a copy
    np.testing.assert_array_equal(pixels(item.picture()), pixels(reference.qimage))


@pytest.mark.parametrize("image", [np.zeros((9, 12)), np.zeros((9, 12), np.float16),
                                   np.zeros((9, 12), np.uint8), np.zeros((9, 12, 3), np.float32)])
def test_mosaic_item_takes_only_a_float32_mosaic(qapp, image):
    with pytest.raises(ValueError, match="2-D float32"):
        MosaicItem(sequential_lut()).setImage(image, autoLevels=False, levels=(0, 1))


def test_mosaic_item_takes_given_levels_and_an_rgb_table_only(qapp):
    item = MosaicItem(sequential_lut())
    with pytest.raises(ValueError, match="autoLevels"):
        item.setImage(np.zeros((9, 12), np.float32), autoLevels=True)
    with pytest.raises(ValueError, match=r"\(n, 3\) uint8"):
        item.setLookupTable(pg.colormap.get("viridis").getLookupTable(0.0, 1.0, 256, alpha=True))


def test_mosaic_item_blank_is_transparent_and_follows_a_new_table(qapp):
    mosaic = Mosaic(2, 2, 3, 3, 4, 4)
    item = MosaicItem(grey_lut())
    item.setImage(mosaic.image, autoLevels=False, levels=(0, 1))
    assert set(pixels(item.picture()).ravel().tolist()) == {0}
    mosaic.tiles[...] = 1.0
    item.setLookupTable(diverging_lut())
    item.setImage(mosaic.image, autoLevels=False, levels=(0, 1))
    r, g, b = diverging_lut()[-1]
    assert pixels(item.picture())[0, 0] == (0xFF << 24) | (int(r) << 16) | (int(g) << 8) | int(b)


def test_nice_ranges():
    assert [nice_ceiling(v) for v in (1, 1.1, 7, 10, 11, 37, 41, 101, 0.013)] == pytest.approx(
        [1, 1.2, 8, 10, 12, 40, 50, 120, 0.015])
    assert stepped(1, 37, x_axis=True) == pytest.approx((0, 40))
    assert stepped(1, 300, x_axis=True) == pytest.approx((0, 400))  # room for the next step
    assert stepped(0.234, 2.31, x_axis=False) == pytest.approx((0, 2.5))
    assert stepped(0.5, 0.5, x_axis=False) == (0.5, 0.5)


def snapshot(step, loss):
    return SimpleNamespace(step=step, batch_loss=loss, smoothed_loss=loss, evaluation_step=None,
                           test_accuracy=None, test_loss=None, hyperparameters={"lr": 0.02},
                           learning_rate=0.02)


class PaintCount(QObject):
    def __init__(self, widget):
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        self.count += event.type() == QEvent.Type.Paint
        return False


def settle() -> None:
    """Deliver the events already posted (a second paint would be one), instead of waiting a
    fixed time."""
    for _ in range(5):
        QApplication.processEvents()


def test_curves_axes_stay_put_while_points_come_in(qtbot):
    pane = CurvesPane()
    qtbot.addWidget(pane)
    pane.resize(700, 400)
    pane.show()
    qtbot.waitExposed(pane)
    for step in range(1, 301):
        pane.add_snapshot(snapshot(step, float(np.exp(-step / 200))))
    pane.redraw()
    settle()
    view = pane.loss_plot.getViewBox()
    before = view.viewRange()
    assert before[0][1] >= 300
    paints = PaintCount(pane.view.viewport())
    pane.add_snapshot(snapshot(301, 0.5))
    pane.redraw()
    qtbot.waitUntil(lambda: paints.count >= 1, timeout=3000)
    settle()
    assert view.viewRange() == before and paints.count == 1
    x, y = pane.raw_item.getData()
    assert x[-1] == 301 and y[-1] == 0.5
    pane.add_snapshot(snapshot(before[0][1] + 50, 0.4))  # beyond the range: it grows
    pane.redraw()
    qtbot.waitUntil(lambda: paints.count >= 2, timeout=3000)
    settle()
    assert view.viewRange()[0][1] > before[0][1] + 50
    assert paints.count == 2  # the auto-range settled before painting: no second paint


def test_curves_grid_is_opaque_and_under_the_curves(qtbot):
    pane = CurvesPane()
    qtbot.addWidget(pane)
    pane.resize(700, 400)
    pane.show()
    for step in range(1, 50):
        pane.add_snapshot(snapshot(step, 1.0 / step))
    pane.redraw()
    background = pane.view.backgroundBrush().color()
    for plot in (pane.loss_plot, pane.acc_plot):
        assert plot.getAxis("left").zValue() < plot.getViewBox().zValue()
        image = QImage(10, 10, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(image)
        specs = plot.getAxis("left").generateDrawSpecs(painter)
        painter.end()
        assert specs[1] and all(pen.color().alpha() == 255 for pen, _, _ in specs[1])
        assert background.alpha() == 255


def test_network_view_rewrites_range_labels_at_most_every_quarter_second(qtbot, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(network_view, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    data = make_shapes(train_size=64, test_size=16)
    spec = fit_to_dataset(load_architecture("shapes-small"), data.input_shape, data.classes)
    control = Control()
    control.set_probe(data.test_x[3])
    config = TrainConfig(batch_size=16, snapshot_every=1, snapshot_seconds=None,
                         max_snapshot_hz=None, eval_every=None)
    run = train(Network(spec, seed=0), data, control, config)
    first, second = next(run), next(run)
    run.close()
    view = NetworkView()
    qtbot.addWidget(view)
    view.set_network(Network(spec, seed=0).summary)
    view.set_probe(data.test_x[3])
    maps = next(c for c in view.columns if c.kind == "maps")

    def written():
        return [label.text() for label in maps.labels]

    def expected(snapshot):
        return [f"{fmt(m.min())} … {fmt(m.max())}" for m in snapshot.probe_taps[maps.tap]]

    assert first.state == second.state == "running" and expected(first) != expected(second)
    view.update_snapshot(first)
    assert written() == expected(first)
    clock[0] += 0.2
    view.update_snapshot(second)  # the maps change, the numbers wait
    assert maps.data is second.probe_taps[maps.tap] and written() == expected(first)
    view.update_snapshot(dataclasses.replace(second, state="paused"))  # not running: written
    assert written() == expected(second)
    view.update_snapshot(first)
    assert written() == expected(second)
    clock[0] += 0.3
    view.update_snapshot(first)
    assert written() == expected(first)


def test_the_startup_warm_up_prepares_the_colour_kernel_for_float32_mosaics():
    import numba

    from cnnviz.app.panes import colour_kernel
    colour_kernel.warm_up()
    assert any(signature[0] == numba.float32[:, ::1]
               for signature in colour_kernel.colour_map.signatures)


def test_the_numpy_colour_mapping_used_before_the_kernel_is_ready_gives_the_same_pixels():
    from cnnviz.app.panes import colour_kernel
    rng = np.random.default_rng(3)
    image = rng.normal(0, 3, (37, 41)).astype(np.float32)
    image[0, :6] = [np.nan, np.inf, -np.inf, 0.0, 1.0, 2.9999998]
    colours = rng.integers(0, 2**32, 257, dtype=np.uint32)
    for low, factor in ((-2.0, 256 / 5.0), (0.0, 0.0), (1.0, 1e30)):
        args = image, np.float32(low), np.float32(factor), colours
        kernel, twin = np.empty(image.shape, np.uint32), np.empty(image.shape, np.uint32)
        colour_kernel.colour_map(*args, kernel)
        colour_kernel.colour_map_numpy(*args, twin)
        assert np.array_equal(kernel, twin), (low, factor)
