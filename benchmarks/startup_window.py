"""How long the app takes to open: a fresh `cnnviz` process (offscreen Qt) from its launch to the
splash painted (first start only), the main window painted, ready to train (the worker's first
snapshot arrived), and the first step trained after pressing Train at once; then it closes.
Cold = an empty numba cache (the first start after installing: every kernel compiles, behind the
splash); warm = the same cache again: the first warm start loads every kernel before the window
(and marks the cache complete), the later ones skip that (the worker loads them when first used).
With --without-warm-up, each start is also run the way the
app started before the warm-up: the window at once, kernels compiled or loaded by the worker when
first used.

    python benchmarks/startup_window.py [--rounds 2] [--warm 3] [--without-warm-up]

Times are wall-clock from just before the process is spawned. The machine may be shared: each row
carries the 1-minute load average at its start.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The child runs the app as `cnnviz` does (cnnviz.app.main.run), with an application-wide event
# filter that notes the first paint of the splash and of the main window by class name (importing
# them here would move their import cost out of what is measured).
CHILD = r"""
import json, sys, time
marks = {"python": time.time()}
from cnnviz.engine import configure  # noqa: E402

configure()  # as `python -m cnnviz` does, first
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)

class FirstPaints(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint:
            name = type(obj).__name__
            if name == "Splash" and "splash" not in marks:
                marks["splash"] = time.time()
            elif name == "MainWindow" and "window" not in marks:
                marks["window"] = time.time()
                QTimer.singleShot(0, lambda: wait_ready(obj))
        return False

def wait_ready(window):
    if window.session is not None and window.session.latest is not None:
        marks["ready"] = time.time()
        window.train_action.trigger()  # Train, as the user would
        wait_step(window)
    else:
        QTimer.singleShot(5, lambda: wait_ready(window))

def wait_step(window):
    if window.session.latest.step >= 1:
        marks["step"] = time.time()
        window.close()  # the last window: the app quits
    else:
        QTimer.singleShot(5, lambda: wait_step(window))

watcher = FirstPaints()
app.installEventFilter(watcher)
if "--without-warm-up" in sys.argv:
    from cnnviz.app.main import set_up_application
    from cnnviz.app.main_window import MainWindow
    set_up_application(app)
    window = MainWindow()
    window.show()
    code = app.exec()
else:
    from cnnviz.app.main import run
    code = run()
marks["exit"] = time.time()
print("MARKS " + json.dumps(marks))
sys.exit(code)
"""

COLUMNS = ("python", "splash", "window", "ready", "step", "process")


def launch(cache_dir: str, config_dir: str, warm_up: bool = True) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, XDG_CONFIG_HOME=config_dir,
               QT_QPA_PLATFORM="offscreen")
    flags = [] if warm_up else ["--without-warm-up"]
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, *flags], env=env, capture_output=True,
                         text=True, timeout=600)
    done = time.time()
    line = next((line for line in out.stdout.splitlines() if line.startswith("MARKS ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"the app did not start and close cleanly:\n{out.stdout}\n{out.stderr}")
    marks = {name: value - start for name, value in json.loads(line[6:]).items()}
    marks["process"] = done - start
    return marks


def row(kind: str, marks: dict[str, float], load: float) -> str:
    cells = [f"{marks[name]:8.2f}" if name in marks else f"{'-':>8}" for name in COLUMNS]
    return f"{kind:<20}{''.join(cells)}   {load:4.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="cold starts (each a new cache)")
    parser.add_argument("--warm", type=int, default=3, help="warm starts after each cold one")
    parser.add_argument("--without-warm-up", action="store_true",
                        help="also start each time without the warm-up (as before the splash)")
    args = parser.parse_args()
    ways = [True, False] if args.without_warm_up else [True]
    print(f"{os.cpu_count()} cores; seconds from launch (wall clock)")
    print(f"{'start':<20}{''.join(f'{name:>8}' for name in COLUMNS)}   load (1 min)")
    results: dict[str, list[dict]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as config:
        for _ in range(args.rounds):
            for warm_up in ways:
                with tempfile.TemporaryDirectory() as cache:
                    for kind in (["cold", "warm 1st"] + ["warm"] * (args.warm - 1))[:1 + args.warm]:
                        kind += "" if warm_up else " no warm-up"
                        load = os.getloadavg()[0]
                        loads.append(load)
                        marks = launch(cache, config, warm_up)
                        results.setdefault(kind, []).append(marks)
                        print(row(kind, marks, load), flush=True)
    print("\nmedians:")
    for kind, runs in results.items():
        if runs:
            window = statistics.median(m["window"] for m in runs)
            ready = statistics.median(m["ready"] for m in runs)
            step = statistics.median(m["step"] for m in runs)
            splashes = [m["splash"] for m in runs if "splash" in m]
            splash = (f"splash painted at {statistics.median(splashes):.2f} s in {len(splashes)}"
                      f" of {len(runs)}" if splashes else "no splash")
            print(f"  {kind}: window painted {window:.2f} s, ready to train {ready:.2f} s, first "
                  f"step {step:.2f} s ({splash})")
    print(f"load average during the runs: {min(loads):.2f} to {max(loads):.2f} "
          f"(1 min; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
