"""GUI responsiveness while training: the real main window, every pane visible, a test image as
the probe, training started by the real Train action. It measures

- the longest stall of the GUI event loop: a 10 ms QTimer records the gaps between its firings;
  the stall is a gap minus the nominal 10 ms (target: under 30 ms);
- the panes' refresh rate: new snapshots the network view actually painted per second (the
  curves' repaints are shown beside it) (target: at least 20 Hz);
- training throughput with the GUI open against headless training (the same network, data and
  TrainConfig run by TrainingRun in a plain thread) in the same process, rounds alternating,
  images/s = images seen over wall time from the resume to the last snapshot (target: >= 95%).
  The window's own session is stopped during headless rounds, so both kinds of round run with
  one OpenMP team (see headless_round's caller).

    python benchmarks/gui_responsiveness.py [--seconds 20] [--rounds 2] [--warmup 5]
                                            [--dataset fashion-mnist] [--arch fashion-2conv]
                                            [--batch N] [--fit] [--screenshot PNG] [--profile]

Offscreen by default (QT_QPA_PLATFORM=offscreen unless DISPLAY or QT_QPA_PLATFORM is set), so
it runs on a machine without a display; with DISPLAY set it opens a real window.
--profile adds where the GUI thread's CPU time went (cProfile of the GUI thread timed by its own CPU
clock, so waiting for a core or the GIL does not count; GUI rounds only).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget

TICK_MS = 10
TARGET_STALL_MS, TARGET_HZ, TARGET_RATIO = 30.0, 20.0, 0.95


def spin(seconds: float) -> None:
    """Run the GUI event loop for `seconds`."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def spin_until(condition, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        spin(0.02)
    return True


class PaintCounter(QObject):
    """Counts paint events of a widget that show a training snapshot not painted before."""

    def __init__(self, widget, delivered):
        super().__init__(widget)
        self.delivered, self.painted, self.frames = delivered, delivered[0], 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and self.delivered[0] != self.painted:
            self.painted = self.delivered[0]
            self.frames += 1
        return False


class Ticker:
    """A 10 ms precise timer; `gaps` are the intervals between its firings, in ms, and `busy`
    the GUI thread's own CPU time within each (a long gap with little CPU time: the thread was
    waiting, for a core or for the GIL, not working)."""

    def __init__(self):
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.times: list[tuple[float, float]] = []

    def _tick(self):
        self.times.append((time.perf_counter(), time.thread_time()))

    def start(self):
        self.times = []
        self._tick()
        self.timer.start()

    def stop(self) -> tuple[np.ndarray, np.ndarray]:
        self.timer.stop()
        self._tick()  # a stall at the very end counts too
        times = np.array(self.times)
        return np.diff(times[:, 0]) * 1000, np.diff(times[:, 1]) * 1000


class GcWatch:
    """Python's cyclic garbage collections (any thread; they hold the GIL): their durations."""

    def __init__(self):
        self.pauses: list[tuple[float, int]] = []
        self._start = 0.0

    def __call__(self, phase, info):
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append(((time.perf_counter() - self._start) * 1000, info["generation"]))

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def gui_round(win, seconds: float, profiler=None) -> dict:
    """Reset (fresh weights, seed 0), press Train, run `seconds`, pause."""
    win.reset_action.trigger()
    session = win.session
    # The first answer may wait for numba to compile (minutes on a busy machine).
    assert spin_until(lambda: session.latest is not None and session.latest.probe_taps, 600), \
        "the worker did not answer with the probe's activations"
    delivered = [0]   # training snapshots the window has taken (its own slot ran first)
    received: list[tuple[float, int, int]] = []   # (time, images seen, step) while running
    handed: dict[int, float] = {}   # id(snapshot) -> when the worker put it in the mailbox
    made: list[float] = []          # when each running snapshot was put in the mailbox
    latency: list[float] = []       # from the mailbox to the panes having taken it, ms
    mailbox = session._mailbox      # (private) wrapped to see every snapshot the worker makes
    put = mailbox.put

    def stamped_put(item):
        if item.state == "running":
            handed[id(item)] = now = time.perf_counter()
            made.append(now)
        return put(item)
    mailbox.put = stamped_put

    def on_snapshot(snap):
        if snap.state == "running":
            delivered[0] += 1
            now = time.perf_counter()
            received.append((now, snap.images_seen, snap.step))
            if id(snap) in handed:
                latency.append((now - handed[id(snap)]) * 1000)
    session.snapshot.connect(on_snapshot)
    view = PaintCounter(win.network_view.canvas.viewport(), delivered)
    curves = PaintCounter(win.curves.view.viewport(), delivered)
    ticker = Ticker()
    ticker.start()
    if profiler:
        profiler.enable()
    cpu, gui_cpu = time.process_time(), time.thread_time()
    start = time.perf_counter()
    with GcWatch() as collections:
        win.train_action.trigger()  # the real Train action
        spin(seconds)
    elapsed = time.perf_counter() - start
    cpu, gui_cpu = time.process_time() - cpu, time.thread_time() - gui_cpu
    if profiler:
        profiler.disable()
    gaps, busy = ticker.stop()
    produced = sum(1 for t in list(made) if start <= t <= start + elapsed)
    win.train_action.trigger()  # pause
    session.snapshot.disconnect(on_snapshot)
    mailbox.put = put
    for counter in (view, curves):
        counter.parent().removeEventFilter(counter)
    last_time, images, steps = received[-1] if received else (start, 0, 0)
    return {"gaps": gaps, "busy": busy, "elapsed": elapsed, "snapshots": len(received),
            "produced": produced,
            "view_frames": view.frames, "curve_frames": curves.frames, "images": images,
            "images_per_s": images / (last_time - start) if images else 0.0,
            "batches_per_s": steps / (last_time - start) if steps else 0.0,
            "latency": np.array(latency or [0.0]), "cpu": cpu / elapsed,
            "gui_cpu": gui_cpu / elapsed, "gc": max(collections.pauses, default=(0.0, 0))}


def headless_round(network, dataset, config, probe, seconds: float) -> dict:
    """The same training in a plain thread, no GUI: TrainingRun's generator, snapshots dropped."""
    from cnnviz.training.control import Control
    from cnnviz.training.loop import TrainingRun
    control = Control(paused=True)
    control.set_probe(probe)
    run = TrainingRun(network, dataset, control, config)
    received: list[tuple[float, int, int]] = []
    paused = threading.Event()

    def work():
        for snap in run.run():
            if snap.state == "running":
                received.append((time.perf_counter(), snap.images_seen, snap.step))
            elif snap.state == "paused":
                paused.set()
    thread = threading.Thread(target=work, name="headless training")
    thread.start()
    assert paused.wait(30), "the headless loop did not start"
    cpu = time.process_time()
    start = time.perf_counter()
    control.resume()
    time.sleep(seconds)
    cpu = (time.process_time() - cpu) / (time.perf_counter() - start)
    control.stop()
    thread.join()
    last_time, images, steps = received[-1] if received else (start, 0, 0)
    return {"images": images, "elapsed": seconds, "cpu": cpu,
            "images_per_s": images / (last_time - start) if images else 0.0,
            "batches_per_s": steps / (last_time - start) if steps else 0.0}


def print_gui_round(number: int, g: dict) -> None:
    def hz(n):
        return n / g["elapsed"]
    gaps, longest = g["gaps"], int(g["gaps"].argmax())
    print(f"  GUI {number}:      {g['images_per_s']:5.0f} images/s ({g['batches_per_s']:4.1f} "
          f"batches/s); CPU: process {g['cpu']:.2f} cores, GUI thread {g['gui_cpu']:.2f}\n"
          f"              timer gaps: longest {gaps[longest]:.1f} ms (the GUI thread ran "
          f"{g['busy'][longest]:.0f} ms of it), 99th percentile {np.percentile(gaps, 99):.1f} ms; "
          f"longest garbage collection {g['gc'][0]:.1f} ms\n"
          f"              snapshots per second: made {hz(g['produced']):.1f}, delivered "
          f"{hz(g['snapshots']):.1f}, painted by the network view {hz(g['view_frames']):.1f}, by "
          f"the curves {hz(g['curve_frames']):.1f}; worker to panes median "
          f"{np.median(g['latency']):.0f} ms, max {g['latency'].max():.0f} ms", flush=True)


def show_every_dock(win) -> list[str]:
    """Show every dock, and take tabbed ones out of their tab groups (side by side), so every
    pane is on screen; returns the titles of docks still not on screen."""
    docks = win.findChildren(QDockWidget)
    for dock in docks:
        dock.show()
    spin(0.2)
    for dock in docks:
        shown = [d for d in win.tabifiedDockWidgets(dock) if not d.visibleRegion().isEmpty()]
        if dock.visibleRegion().isEmpty() and shown:  # a tab behind another: put it beside
            area = win.dockWidgetArea(dock)
            win.removeDockWidget(dock)
            win.addDockWidget(area, dock, Qt.Orientation.Horizontal)
            dock.show()
            spin(0.2)
    return [d.windowTitle() for d in docks if d.visibleRegion().isEmpty()]


def choose_data(dataset: str, arch: str) -> tuple[str, str]:
    from cnnviz.data import catalog
    info = catalog.info(dataset)
    if info.builtin or info.locate() is not None:
        return dataset, arch
    print(f"NOTE: {info.title} is not installed ({info.status()}); falling back to the built-in "
          f"Shapes dataset with shapes-small. The figures below are NOT for {dataset}/{arch}.")
    return "shapes", "shapes-small"


def row(measure: str, value: str, target: str, met: bool) -> str:
    return f"| {measure} | {value} | {target} | {'met' if met else 'NOT met'} |"


def report(gui: list[dict], headless: list[dict], title: str, load: float) -> None:
    gaps = np.concatenate([g["gaps"] for g in gui])
    longest, p99 = float(gaps.max()), float(np.percentile(gaps, 99))
    stall = longest - TICK_MS
    gui_time = sum(g["elapsed"] for g in gui)
    view_hz = sum(g["view_frames"] for g in gui) / gui_time
    curve_hz = sum(g["curve_frames"] for g in gui) / gui_time
    made_hz = sum(g["produced"] for g in gui) / gui_time
    batch_hz = float(np.mean([g["batches_per_s"] for g in gui]))
    gui_rate = float(np.mean([g["images_per_s"] for g in gui]))
    head_rate = float(np.mean([h["images_per_s"] for h in headless]))
    ratio = gui_rate / head_rate if head_rate else 0.0
    print(f"\nload average {load:.2f} at the end (the machine's other work shows in the figures)")
    print(f"\n{title}\n")
    print("| measure | value | target | |")
    print("|---|---|---|---|")
    print(row("longest event-loop stall (longest gap of the 10 ms timer − 10 ms)",
              f"{stall:.1f} ms (gap {longest:.1f} ms; 99th percentile gap {p99:.1f} ms)",
              f"< {TARGET_STALL_MS:g} ms", stall < TARGET_STALL_MS))
    print(row("pane refresh rate (new snapshots painted by the network view)",
              f"{view_hz:.1f} Hz (curves {curve_hz:.1f} Hz)", f">= {TARGET_HZ:g} Hz",
              view_hz >= TARGET_HZ))
    print(row("training throughput, GUI / headless",
              f"{ratio:.0%} ({gui_rate:.0f} / {head_rate:.0f} images/s)",
              f">= {TARGET_RATIO:.0%}", ratio >= TARGET_RATIO))
    if view_hz < TARGET_HZ and made_hz < TARGET_HZ:
        print(f"\nNote: the worker made only {made_hz:.1f} snapshots/s (at most one per batch; "
              f"it trained {batch_hz:.1f} batches/s), so no GUI could have refreshed at "
              f"{TARGET_HZ:g} Hz here; the network view painted {view_hz / made_hz:.0%} of them.")


def main() -> None:
    from cnnviz.engine import configure

    configure()  # first, as the app does: before the kernels are defined
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=2, help="GUI and headless rounds each")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of untimed GUI training first (numba kernels load)")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--arch", default="fashion-2conv")
    parser.add_argument("--batch", type=int, default=None,
                        help="batch size (default: the window's); smaller batches make snapshots "
                             "come faster, to see whether the panes keep up")
    parser.add_argument("--fit", action="store_true",
                        help="press the network view's Fit: every column in view (by default the "
                             "view opens at the height of a column, the rest scrolled off)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="save the window as it looked at the end of the last GUI round")
    parser.add_argument("--profile", action="store_true",
                        help="also print where the GUI thread's time went (cProfile)")
    args = parser.parse_args()

    dataset_name, arch = choose_data(args.dataset, args.arch)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    import numba

    from cnnviz.app.main_window import MainWindow
    from cnnviz.engine.kernels import MAX_THREADS
    from cnnviz.engine.network import Network

    errors: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(os.path.join(tmp, "settings.ini"), QSettings.Format.IniFormat)
        win = MainWindow(settings=settings, show_error=lambda t, text: errors.append((t, text)))
        win.resize(1600, 1000)
        win.show()
        if not win.load_dataset(dataset_name, arch) or errors:
            sys.exit(f"could not open {dataset_name} with {arch}: {errors}")
        if args.batch:
            win.batch.setValue(args.batch)  # the toolbar's batch box; sessions start with it
        win.input.show_test_image(0)  # the probe: the network view shows its activations
        assert spin_until(lambda: win.probe is not None, 10), "no probe"
        hidden = show_every_dock(win)
        if args.fit:
            win.network_view.fit()
        gui_round(win, args.warmup)  # untimed: kernels load from numba's cache, first evaluation
        print(f"platform {app.platformName()}, {os.cpu_count()} cores, numba "
              f"{numba.threading_layer()} layer ({MAX_THREADS} threads); {dataset_name} / {arch}; "
              f"window {win.width()}x{win.height()}, docks "
              f"{', '.join(d.windowTitle() for d in win.findChildren(QDockWidget))} (off screen: "
              f"{', '.join(hidden) or 'none'}); "
              f"load average {os.getloadavg()[0]:.2f} after the warm-up")
        config = win.session._run.config  # exactly what the window trains with
        spec = win.spec

        profiler = None
        if args.profile:
            import cProfile
            profiler = cProfile.Profile(time.thread_time)
        gui, headless = [], []
        print(f"\n{args.rounds} GUI and {args.rounds} headless rounds of {args.seconds:g} s, "
              f"alternating:")
        for i in range(args.rounds):
            g = gui_round(win, args.seconds, profiler)
            gui.append(g)
            if args.screenshot and i == args.rounds - 1:
                win.grab().save(args.screenshot)
            print_gui_round(i + 1, g)
            # The window's (paused) session is stopped first: its thread's OpenMP team would
            # otherwise still count, and libgomp spins less when it manages more threads than
            # there are CPUs, which made headless training look 40-70% faster on a busy machine.
            win.stop_session()
            h = headless_round(Network(spec, seed=0), win.dataset, config, win.probe,
                               args.seconds)
            headless.append(h)
            print(f"  headless {i + 1}: {h['images_per_s']:5.0f} images/s "
                  f"({h['batches_per_s']:4.1f} batches/s); CPU: process {h['cpu']:.2f} cores",
                  flush=True)
        load = os.getloadavg()[0]
        win.close()
        app.processEvents()

    report(gui, headless, f"{dataset_name} / {arch}, batch {config.batch_size}, {args.rounds} x "
                          f"{args.seconds:g} s each way", load)
    if profiler is not None:
        import pstats
        print("\nGUI thread CPU time, GUI rounds (cProfile, cumulative):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        print("\nGUI thread CPU time, GUI rounds (cProfile, own time):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
