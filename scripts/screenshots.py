"""Render the main window into assets/screenshots/ (`make screenshots`):

- before-training.png: Shapes and the default network, a test image as the probe, random weights;
- shapes-trained.png: after 20 s of training on Shapes, with a circle drawn on the canvas;
- inspector.png: shapes-small after 10 s of training, the Inspector open on the conv1 cell that
  lights up most for a test image (clicked in the network view), with Play half way;
- saliency.png: the same window with Explain set to Saliency for the predicted class;
- weight-update.png: Gradients on, a conv3 filter weight clicked and one Step: the Weight
  update dock with the optimizer's numbers and the sliding sum behind dL/dW;
- training-health.png, filter-timeline.png, top-images.png: after 20 s on Shapes, the Training
  health dock (curves and histogram strips), the Filter timeline (conv1 at the start and now)
  and the Top images dock (conv3's filters and the patches that excite them most);
- fashion-mnist.png: fashion-2conv after 30 s on Fashion-MNIST, if it is installed.

    python scripts/screenshots.py [--out assets/screenshots] [--seconds 20]

Runs offscreen unless a display is set. The window is drawn with the mouse events a user makes
(the circle goes through the canvas's own mouse handlers), so what you see is what a user gets.
"""
import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

from cnnviz.app.main_window import MainWindow
from cnnviz.data import catalog

SIZE = (1920, 1080)  # a full-HD screen, the commonest


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def draw_circle(win: MainWindow) -> None:
    canvas = win.input.canvas
    centre_x, centre_y = canvas.width() / 2, canvas.height() / 2
    radius = 0.28 * min(canvas.width(), canvas.height())
    points = [QPoint(round(centre_x + radius * math.cos(a)), round(centre_y + radius * math.sin(a)))
              for a in (2 * math.pi * i / 48 for i in range(49))]
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(canvas, point)
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, points[-1])


def train_for(win: MainWindow, seconds: float) -> None:
    win.train_action.trigger()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        wait(100)
    win.train_action.trigger()  # pause, so the picture shows one settled state
    win.evaluate_action.trigger()  # and the confusion matrix of these weights, on all test images
    done = time.perf_counter() + 60
    while win.session.latest.evaluation_step != win.session.latest.step and \
            time.perf_counter() < done:
        wait(100)
    wait(500)


def save(win: MainWindow, path: Path) -> None:
    wait(300)
    win.grab().save(str(path))
    latest = win.session.latest
    print(f"{path}: step {latest.step if latest else 0}, test accuracy "
          f"{latest.test_accuracy if latest and latest.test_accuracy is not None else '-'}")


def inspect_brightest_conv_cell(win: MainWindow) -> None:
    """Click (with the mouse) the first conv layer's cell that lit up most, wait for the
    Inspector's answer, and play the filter over its input until the map is half built."""
    view = win.network_view
    column = next(c for c in view.columns if c.kind == "maps")
    maps = win.session.latest.probe_taps[column.tap]
    channel, y, x = np.unravel_index(int(np.argmax(maps[:column.shown])), maps[:column.shown].shape)
    tx, ty = column.mosaic.tile_origin(*divmod(int(channel), column.mosaic.cols))
    point = column.image.to_scene(tx + x + 0.5, ty + y + 0.5)
    view.canvas.centerOn(point)
    QTest.mouseClick(view.canvas.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view.canvas.mapFromScene(point))
    done = time.perf_counter() + 30
    while win.inspector.page is None and time.perf_counter() < done:
        wait(100)
    flashlight = getattr(win.inspector.page, "flashlight", None)
    if flashlight is not None:
        flashlight.speed.setValue(25)  # about 300 cells per second
        QTest.mouseClick(flashlight.play_button, Qt.LeftButton)
        half = time.perf_counter() + 10
        while flashlight.position < maps.shape[1] * maps.shape[2] // 2 and \
                time.perf_counter() < half:
            wait(20)
        QTest.mouseClick(flashlight.play_button, Qt.LeftButton)  # pause there


def show_saliency(win: MainWindow) -> None:
    """Explain: Saliency for the predicted class, as chosen in the Input dock; waits for the
    paused worker to send the map."""
    win.input.explain.set_choice("saliency")
    done = time.perf_counter() + 30
    while win.session.latest.saliency is None and time.perf_counter() < done:
        wait(50)
    wait(500)


def watch_a_weight(win: MainWindow) -> None:
    """Gradients on; click (with the mouse) the centre weight, on its busiest input channel, of
    the last conv layer's filter that lights up most for the probe, then Step: the Weight
    update dock shows that step's update and the sliding sum behind dL/dW."""
    view = win.network_view
    view.gradients_button.click()
    column = [c for c in view.columns if c.kind == "filters" and not c.gradient][-1]
    taps = win.session.latest.probe_taps
    f = int(np.argmax(taps[column.layer].reshape(column.shape[0], -1).max(axis=1)))
    c = int(np.argmax(taps[column.layer - 1].reshape(column.shape[1], -1).max(axis=1)))
    k = column.shape[2] // 2
    tx, ty = column.mosaic.tile_origin(f, c)
    point = column.image.to_scene(tx + k + 0.5, ty + k + 0.5)
    view.canvas.centerOn(point)
    QTest.mouseClick(view.canvas.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view.canvas.mapFromScene(point))
    step = win.session.latest.step
    win.step_action.trigger()
    done = time.perf_counter() + 30
    while (win.session.latest.weight_update is None or win.session.latest.step <= step) and \
            time.perf_counter() < done:
        wait(100)
    view.canvas.horizontalScrollBar().setValue(0)
    wait(800)


def bring_forward(dock) -> None:
    """Raise a dock's tab and give it time to draw (docks draw only while in view)."""
    dock.show()
    dock.raise_()
    wait(1500)


def show_last_conv_layer(pane) -> None:
    """The Top images of the last conv layer, whose patches are big enough to read."""
    box = pane.layer_box
    convs = [i for i in range(box.count()) if "conv" in box.itemText(i)]
    if convs:
        box.setCurrentIndex(convs[-1])
        box.activated.emit(convs[-1])  # as a choice in the box does
        wait(800)


def open_window(settings_dir: str, name: str) -> MainWindow:
    """A window as on a first start: its own empty settings, so one picture's layout (the
    Inspector brought forward) does not carry over to the next."""
    settings = QSettings(os.path.join(settings_dir, f"{name}.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings,
                     show_error=lambda title, text: sys.exit(f"{title}: {text}"))
    win.resize(*SIZE)
    win.show()
    wait(500)
    return win


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="assets/screenshots")
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as settings_dir:
        win = open_window(settings_dir, "shapes")
        win.input.show_test_image(0)
        wait(1500)
        save(win, out / "before-training.png")
        win.input.clear()
        draw_circle(win)
        train_for(win, args.seconds)
        save(win, out / "shapes-trained.png")
        win.close()

        win = open_window(settings_dir, "inspector")
        win.input.show_test_image(0)
        train_for(win, args.seconds / 2)
        inspect_brightest_conv_cell(win)
        save(win, out / "inspector.png")
        show_saliency(win)
        save(win, out / "saliency.png")
        win.close()

        win = open_window(settings_dir, "weight")
        win.input.show_test_image(0)
        train_for(win, args.seconds / 2)
        watch_a_weight(win)
        save(win, out / "weight-update.png")
        win.close()

        win = open_window(settings_dir, "instruments")
        win.input.show_test_image(0)
        train_for(win, args.seconds)
        bring_forward(win.health_dock)
        save(win, out / "training-health.png")
        bring_forward(win.timeline_dock)
        save(win, out / "filter-timeline.png")
        bring_forward(win.top_images_dock)
        show_last_conv_layer(win.top_images)
        save(win, out / "top-images.png")
        win.close()

        if catalog.info("fashion-mnist").locate() is None:
            print("Fashion-MNIST is not installed: no fashion-mnist.png (see `cnnviz datasets`)")
        else:
            win = open_window(settings_dir, "fashion")
            win.load_dataset("fashion-mnist", "fashion-2conv")
            win.input.show_test_image(0)
            train_for(win, args.seconds * 1.5)
            save(win, out / "fashion-mnist.png")
            win.close()
    app.processEvents()


if __name__ == "__main__":
    main()
