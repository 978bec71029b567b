"""The Curves pane's loss lines: TrailCurve against pyqtgraph's PlotDataItem used as its docs say.

The pane's situation: a CurvesPane on screen at the Curves dock's size, its series already holding
N points (2k, 20k, 100k), then fed one snapshot at a time as during training (30 a second): a
batch loss and its running average per snapshot, a test point every 500 steps. Each snapshot's
cost to the GUI thread is measured as the pane pays it: add_snapshot and redraw (which hands the
points to the plot items), then QApplication.processEvents(), which delivers the repaint that
causes. Variants, alternated round by round on the same data:

- trail: the pane as it is, its loss lines TrailCurves (they repaint the strip a point adds);
- plotdataitem: the same pane with its loss lines pyqtgraph PlotDataItems with connect="finite",
  setDownsampling(auto=True, method="peak") and setClipToView(True), given the whole series with
  setData at every redraw (the rest of the pane, its axes and auto-range, unchanged);
- plotdataitem-path: as plotdataitem, with the curves' documented segmentedLineMode "off" (one
  path per line, as TrailCurve strokes it, instead of a segment per point for the 2.5-pixel
  smoothed pen).

It prints, per variant and size, the GUI thread's CPU time (time.thread_time, which a busy machine
disturbs less than wall time) and wall time per snapshot, median and mean, split into the update
(add_snapshot + redraw) and the paint (processEvents), and the share of the viewport repainted.

    python benchmarks/trail_vs_plotdataitem.py [--sizes 2000 20000 100000] [--steps 300]
                                               [--rounds 2] [--width 760] [--height 410]

Offscreen by default (QT_QPA_PLATFORM=offscreen unless a display is set): Qt's raster engine
paints into the offscreen platform's backing store, as it paints into a window's.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from types import SimpleNamespace

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from cnnviz.app.panes.curves import CurvesPane

EVAL_EVERY = 500


class PlotDataItemPane(CurvesPane):
    """The Curves pane with PlotDataItems for its loss lines, handed the whole series by setData
    at each redraw, as the pane did before TrailCurve."""
    segmented_line_mode = "auto"  # pyqtgraph's default

    @classmethod
    def _trail(cls, plot, series, pen, name):
        item = plot.plot(pen=pen, name=name, connect="finite")  # (the legend adds it)
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        item.curve.setSegmentedLineMode(cls.segmented_line_mode)
        # What the pane's redraw calls on a loss line: here, setData with the whole series.
        item.show_points = lambda: item.setData(*series.views())
        return item


class PathPlotDataItemPane(PlotDataItemPane):
    segmented_line_mode = "off"


VARIANTS = {"trail": CurvesPane, "plotdataitem": PlotDataItemPane,
            "plotdataitem-path": PathPlotDataItemPane}


class PaintArea(QObject):
    """The pixels of a widget's paint events, summed."""

    def __init__(self, widget):
        super().__init__(widget)
        self.pixels, self.events = 0, 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            rect = event.region().boundingRect()
            self.pixels += rect.width() * rect.height()
            self.events += 1
        return False


def losses(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A training run's batch losses (decaying, noisy) and their running average."""
    rng = np.random.default_rng(seed)
    steps = np.arange(count)
    raw = 2.0 * np.exp(-steps / (0.3 * count + 1000)) + 0.3 + 0.4 * rng.random(count)
    smooth = np.empty(count)
    average = raw[0]
    for i, value in enumerate(raw):
        average = 0.98 * average + 0.02 * value
        smooth[i] = average
    return raw, smooth


def snapshot(step: int, raw: float, smooth: float) -> SimpleNamespace:
    evaluation = (step // EVAL_EVERY) * EVAL_EVERY
    accuracy = 0.5 + 0.4 * (1 - math.exp(-evaluation / 20_000))
    return SimpleNamespace(step=step, batch_loss=raw, smoothed_loss=smooth,
                           evaluation_step=evaluation, test_accuracy=accuracy,
                           test_loss=smooth * 1.1, hyperparameters={"lr": 0.01},
                           learning_rate=0.01)


def measure(pane_class, size: int, steps: int, width: int, height: int) -> dict:
    """A pane of `pane_class` holding `size` points, then `steps` snapshots one by one."""
    app = QApplication.instance()
    raw, smooth = losses(size + steps, seed=0)
    pane = pane_class()
    pane.resize(width, height)
    pane.show()
    history = {"batch": [(i, raw[i], smooth[i]) for i in range(size)],
               "test": [(s, smooth[s] * 1.1, 100 * snapshot(s, 0, 0).test_accuracy)
                        for s in range(0, size, EVAL_EVERY)]}
    pane.restore(history)
    for _ in range(5):
        app.processEvents()
    area = PaintArea(pane.view.viewport())
    update_cpu, paint_cpu, update_wall, paint_wall = [], [], [], []
    for step in range(size, size + steps):
        wall, cpu = time.perf_counter(), time.thread_time()
        pane.add_snapshot(snapshot(step, raw[step], smooth[step]))
        pane.redraw()  # (the pane does this at once when its last redraw is 1/30 s ago)
        wall2, cpu2 = time.perf_counter(), time.thread_time()
        app.processEvents()  # the repaint
        wall3, cpu3 = time.perf_counter(), time.thread_time()
        update_cpu.append(cpu2 - cpu)
        paint_cpu.append(cpu3 - cpu2)
        update_wall.append(wall2 - wall)
        paint_wall.append(wall3 - wall2)
    viewport = pane.view.viewport()
    share = area.pixels / (steps * viewport.width() * viewport.height())
    assert pane.point_count() == size + steps
    pane.close()
    pane.deleteLater()
    app.processEvents()
    return {"update_cpu": update_cpu, "paint_cpu": paint_cpu, "update_wall": update_wall,
            "paint_wall": paint_wall, "share": share, "paints": area.events}


def ms(values) -> str:
    return f"{1e3 * statistics.median(values):6.2f} {1e3 * statistics.fmean(values):6.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20_000, 100_000])
    parser.add_argument("--steps", type=int, default=300, help="snapshots measured per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--width", type=int, default=760)
    parser.add_argument("--height", type=int, default=410)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    print(f"pyqtgraph {pg.__version__}, Qt platform {QApplication.platformName()}, pane "
          f"{args.width}x{args.height}, {args.steps} snapshots x {args.rounds} rounds per size")
    results: dict[tuple[str, int], list[dict]] = {}
    for size in args.sizes:
        for _ in range(args.rounds):
            for name in args.variants:  # alternated, so that a busy spell hits each alike
                results.setdefault((name, size), []).append(
                    measure(VARIANTS[name], size, args.steps, args.width, args.height))
    print("\nms per snapshot, median and mean; CPU = the GUI thread's CPU time")
    print(f"{'variant':<18} {'points':>7} | {'CPU total':>13} | {'CPU update':>13} | "
          f"{'CPU paint':>13} | {'wall total':>13} | repainted")
    for (name, size), rounds in results.items():
        joined = {key: [v for r in rounds for v in r[key]]
                  for key in ("update_cpu", "paint_cpu", "update_wall", "paint_wall")}
        cpu = [u + p for u, p in zip(joined["update_cpu"], joined["paint_cpu"])]
        wall = [u + p for u, p in zip(joined["update_wall"], joined["paint_wall"])]
        share = statistics.fmean(r["share"] for r in rounds)
        print(f"{name:<18} {size:>7} | {ms(cpu)} | {ms(joined['update_cpu'])} | "
              f"{ms(joined['paint_cpu'])} | {ms(wall)} | {100 * share:5.1f}%")


if __name__ == "__main__":
    main()
