"""How fast Pause, Reset and closing the window take effect in the app while a big batch trains:
alexnet-mini on Shapes with batch 1024 (the largest the toolbar allows), in the real main window.

    python benchmarks/controls_latency.py [--rounds 5] [--batch 1024] [--arch alexnet-mini]

Each round trains for a random 1.5 to 2.5 s (so the command lands anywhere in a batch), then:
- Pause: from pressing Pause until the paused snapshot reaches the window;
- Reset: from pressing Reset until it returns with a new (paused) session in place;
- Close: from closing the window until it is closed and no training thread is left.
Target: each within 200 ms. One batch here takes about a second, so without the interrupt flag
(engine/interrupt.py) each command would wait for the batch to end.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

from cnnviz.app.main_window import MainWindow
from cnnviz.app.worker import running_threads

TARGET_MS = 200


def spin(until, timeout=30.0) -> float:
    """Process events until `until()`; the time it took, in ms."""
    start = time.perf_counter()
    while not until():
        QApplication.processEvents()
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the window did not answer within 30 s")
        time.sleep(0.0005)
    return (time.perf_counter() - start) * 1000


def open_window(settings_dir: str, arch: str, batch: int) -> MainWindow:
    settings = QSettings(os.path.join(settings_dir, "settings.ini"), QSettings.IniFormat)
    errors = []
    win = MainWindow(settings=settings, show_error=lambda title, text: errors.append(text))
    win.resize(1600, 1000)
    win.show()
    win.batch.setValue(batch)
    if not win.load_dataset("shapes", arch):
        sys.exit(f"could not open {arch} on Shapes: {errors}")
    win.input.show_test_image(0)  # a probe, so every snapshot carries the taps too
    return win


def train_a_while(win: MainWindow, rng) -> None:
    win.train_action.trigger()
    started = win.session.latest.step if win.session.latest else 0
    spin(lambda: win.session.latest is not None and win.session.latest.step > started, 120)
    deadline = time.perf_counter() + 1.5 + rng.random()
    spin(lambda: time.perf_counter() > deadline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--arch", default="alexnet-mini")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    rng = np.random.default_rng(0)
    times = {"Pause": [], "Reset": [], "Close": []}
    batch_ms = []
    with tempfile.TemporaryDirectory() as settings_dir:
        for _ in range(args.rounds):
            win = open_window(settings_dir, args.arch, args.batch)
            train_a_while(win, rng)  # the first round also compiles: warm-up, then timed
            latest = win.session.latest
            batch_ms.append(1000 * args.batch / max(latest.images_per_s, 1e-9))
            win.train_action.trigger()
            times["Pause"].append(spin(lambda win=win: win.session.latest.state == "paused"))

            win.train_action.trigger()
            deadline = time.perf_counter() + 1.5 + rng.random()
            spin(lambda deadline=deadline: time.perf_counter() > deadline)
            start = time.perf_counter()
            win.reset_action.trigger()
            times["Reset"].append((time.perf_counter() - start) * 1000)
            assert win.session.control.paused

            train_a_while(win, rng)
            start = time.perf_counter()
            win.close()
            times["Close"].append((time.perf_counter() - start) * 1000)
            assert not running_threads(), "closing left a training thread running"
            win.deleteLater()
            app.processEvents()
    print(f"{args.arch} on Shapes, batch {args.batch}: a batch takes about "
          f"{statistics.median(batch_ms):.0f} ms here; {args.rounds} rounds")
    print("\n| command | median | longest | target | |")
    print("| --- | --- | --- | --- | --- |")
    for name, values in times.items():
        worst = max(values)
        print(f"| {name} | {statistics.median(values):.0f} ms | {worst:.0f} ms | "
              f"{TARGET_MS} ms | {'met' if worst <= TARGET_MS else 'NOT met'} |")


if __name__ == "__main__":
    main()
