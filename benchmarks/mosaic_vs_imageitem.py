"""The network view's mosaics drawn by map_grid's MosaicItem and by a plain pyqtgraph ImageItem
used as its documentation says (setLookupTable, setImage(image, autoLevels=False, levels=...);
NaN is transparent), per snapshot.

    python benchmarks/mosaic_vs_imageitem.py [--arch fashion-2conv] [--rounds 200] [--frames 4]
                                             [--scales 1.0,0.5]

The mosaics are the real ones: the network view (cnnviz.app.panes.network_view) is built for the
architecture with gradients on, given snapshots of probes run forward and backward, and each of
its columns' mosaics (their shapes, NaN gaps, tables, levels, positions and scales) is kept for
each snapshot. Each kind of item then draws them in a scene of its own: per snapshot, setImage on
every mosaic and the scene rendered to a QImage at the view's scale (1.0 until a column does not
fit, down to 0.5), as the view's paint would: "total" in wall-clock time and "total CPU" in the
process's CPU time (all its threads: with pyqtgraph's image about a third of it is spent on
threads other than the GUI's; and CPU time is what a busy machine disturbs least); "draw only"
renders again with nothing changed (the image already made), so the rest of the total is making
the image. The kinds take turns within each round, each going first in turn, so a busy machine
slows them alike; medians and 90th percentiles in milliseconds, and whether every kind drew the
same pixels. Offscreen (QT_QPA_PLATFORM=offscreen unless a display is set): Qt's raster engine,
as on a desktop without OpenGL.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter, QTransform
from PySide6.QtWidgets import QApplication, QGraphicsScene

from cnnviz.app.panes import colour_kernel, map_grid
from cnnviz.app.panes.network_columns import BACKGROUND
from cnnviz.app.panes.network_view import NetworkView
from cnnviz.architectures import load_architecture
from cnnviz.engine.network import Network
from cnnviz.training.snapshot import Progress


def plain_image_item(lut: np.ndarray) -> pg.ImageItem:
    item = pg.ImageItem(axisOrder="row-major")
    item.setLookupTable(lut)
    return item


KINDS = {"MosaicItem": map_grid.MosaicItem, "pg.ImageItem": plain_image_item}


def real_mosaics(arch: str, frames: int):
    """[(column title, lut, pos, scale_x, scale_y, [(mosaic image, levels) of each snapshot])]."""
    network = Network(load_architecture(arch), seed=0)
    view = NetworkView()
    view.set_gradients(True)
    view.set_network(network.summary)
    progress, rng = Progress(), np.random.default_rng(0)
    columns = [c for c in view.columns if hasattr(c, "mosaic")]
    shown = {id(c): [] for c in columns}
    for _ in range(frames):
        probe = rng.random(network.input_shape, dtype=np.float32)
        view.set_probe(probe)
        snapshot = progress.snapshot(network, probe, {"lr": 0.01}, "running", "",
                                     views={"gradients": (True, None)})
        assert view.update_snapshot(snapshot)
        for column in columns:
            shown[id(column)].append((column.mosaic.image.copy(), column.image.levels))
    mosaics = [(column.title, column.image.item.lut, column.image.item.pos(), column.image.scale_x,
                column.image.scale_y, shown[id(column)]) for column in columns]
    view.deleteLater()
    return mosaics


class Drawing:
    """One kind of item for every mosaic, in a scene, rendered into `target` at `scale`."""

    def __init__(self, make, mosaics, scale: float):
        self.scene = QGraphicsScene()
        self.items, self.buffers, self.levels = [], [], []
        for _, lut, pos, sx, sy, frames in mosaics:
            item = make(lut)
            item.setTransform(QTransform.fromScale(sx, sy))
            item.setPos(pos)
            self.scene.addItem(item)
            image, levels = frames[0]
            buffer = image.copy()
            item.setImage(buffer, autoLevels=False, levels=levels)
            self.items.append(item)
            self.buffers.append(buffer)
            self.levels.append(levels)
        self.source = self.scene.itemsBoundingRect()
        self.rect = QRectF(0, 0, self.source.width() * scale, self.source.height() * scale)
        self.target = QImage(math.ceil(self.rect.width()), math.ceil(self.rect.height()),
                             QImage.Format.Format_ARGB32_Premultiplied)

    def load(self, mosaics, frame: int) -> None:
        """A snapshot's values into the mosaics' buffers, and its levels (the columns' work, not
        the item's)."""
        for i, (*_, frames) in enumerate(mosaics):
            image, self.levels[i] = frames[frame]
            self.buffers[i][...] = image

    def show(self) -> None:
        for item, buffer, levels in zip(self.items, self.buffers, self.levels):
            item.setImage(buffer, autoLevels=False, levels=levels)

    def paint(self) -> None:
        self.target.fill(BACKGROUND)
        painter = QPainter(self.target)
        self.scene.render(painter, self.rect, self.source)
        painter.end()


WARM_UP = 5  # rounds not counted: the first images and buffers are made
MEASURES = ("total", "total CPU", "draw only")


def percentile_90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * len(values))]


def pixels(image: QImage) -> np.ndarray:
    return np.frombuffer(image.constBits(), np.uint32, image.width() * image.height()).copy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="fashion-2conv")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--frames", type=int, default=4, help="distinct snapshots drawn in turn")
    parser.add_argument("--scales", default="1.0,0.5")
    args = parser.parse_args()
    QApplication([])
    colour_kernel.warm_up()
    mosaics = real_mosaics(args.arch, args.frames)
    print(f"pyqtgraph {pg.__version__}, {args.arch}: {len(mosaics)} mosaics, "
          f"{sum(frames[0][0].size for *_, frames in mosaics):,} pixels")
    for title, _, _, sx, sy, frames in mosaics:
        image, levels = frames[0]
        print(f"  {title:24s} {image.shape[1]:4d} x {image.shape[0]:4d} px, scale {sx:g} x {sy:g}, "
              f"levels {levels[0]:.3g} … {levels[1]:.3g}, {np.isnan(image).mean():.0%} NaN")
    for scale in (float(s) for s in args.scales.split(",")):
        drawings = {name: Drawing(make, mosaics, scale) for name, make in KINDS.items()}
        times = {name: {what: [] for what in MEASURES} for name in drawings}
        for round_ in range(WARM_UP + args.rounds):
            frame, names = round_ % args.frames, list(drawings)
            turn = round_ % len(names)  # each kind goes first in turn
            for name in names[turn:] + names[:turn]:
                drawing = drawings[name]
                drawing.load(mosaics, frame)
                begin, begin_cpu = time.perf_counter(), time.process_time()
                drawing.show()
                drawing.paint()
                middle, middle_cpu = time.perf_counter(), time.process_time()
                drawing.paint()
                end = time.perf_counter()
                if round_ >= WARM_UP:
                    times[name]["total"].append((middle - begin) * 1000)
                    times[name]["total CPU"].append((middle_cpu - begin_cpu) * 1000)
                    times[name]["draw only"].append((end - middle) * 1000)
        same = len({pixels(d.target).tobytes() for d in drawings.values()}) == 1
        target = next(iter(drawings.values())).target
        print(f"\nscale {scale:g} ({target.width()} x {target.height()} px), "
              f"the same pixels from every kind: {same}")
        print(f"  {'':18s}" + "".join(f"{what:>12s} {'p90':>6s}" for what in MEASURES))
        for name, measured in times.items():
            print(f"  {name:18s}" + "".join(
                f"{statistics.median(measured[what]):12.2f} {percentile_90(measured[what]):6.2f}"
                for what in MEASURES))
        first, *others = drawings
        for other in others:
            ratios = (statistics.median(times[other][what]) / statistics.median(times[first][what])
                      for what in MEASURES)
            print(f"  {other} / {first}: " + ", ".join(
                f"{what} {ratio:.2f}x" for what, ratio in zip(MEASURES, ratios)))


if __name__ == "__main__":
    main()
