"""How long the app takes to open: a fresh `cnnviz` process (offscreen Qt) from its launch to the
main window painted, usable (the GUI thread answering: from then on no 10 ms timer tick came more
than USABLE_LATE_S late), Train enabled (the engine's kernels ready), the first snapshot shown,
and the first step trained after pressing Train once enabled; then it closes. Cold = an empty
numba cache (the first start after installing: the kernels compile behind the open window);
warm = the same cache again (the first warm start loads every kernel and marks the cache
complete, the later ones skip that: the worker loads the kernels when first used).

    python benchmarks/startup_window.py [--rounds 2] [--warm 3]

Times are wall-clock from just before the process is spawned; "late" is the longest a GUI timer
tick waited between the window's paint and the first step. The machine may be shared: each row
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

USABLE_LATE_S = 0.1

# The child runs the app as `cnnviz` does (cnnviz.app.main.run), with an application-wide event
# filter that notes the main window's first paint by class name (importing it here would move its
# import cost out of what is measured), then a 10 ms timer that watches the GUI thread.
CHILD = r"""
import json, sys, time
marks = {"python": time.time()}
from cnnviz.engine import configure  # noqa: E402

configure()  # as `python -m cnnviz` does, first
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
TICK_S, USABLE_LATE_S = 0.01, float(sys.argv[1])
late_ticks = []  # (when, how late)

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and type(obj).__name__ == "MainWindow" \
                and "window" not in marks:
            marks["window"] = time.time()
            watch(obj, marks["window"])
        return False

def watch(window, due):
    now = time.time()
    late_ticks.append((now, now - due))
    if "ready" not in marks and window.train_action.isEnabled():
        marks["ready"] = now
    if "snapshot" not in marks and window.session.latest is not None:
        marks["snapshot"] = now
    if "ready" in marks and "snapshot" in marks and "pressed" not in marks:
        marks["pressed"] = now
        window.train_action.trigger()  # Train, as the user would
    if "pressed" in marks and window.session.latest.step >= 1:
        marks["step"] = now
        stalls = [when for when, late in late_ticks if late > USABLE_LATE_S]
        marks["usable"] = max(stalls, default=marks["window"])
        marks["late"] = max(late for _, late in late_ticks)
        marks["stalls"] = [(when, late) for when, late in late_ticks if late > 0.05]
        window.close()  # the last window: the app quits
        return
    due = time.time() + TICK_S
    QTimer.singleShot(int(TICK_S * 1000), lambda: watch(window, due))

watcher = FirstPaint()
app.installEventFilter(watcher)
from cnnviz.app.main import run
code = run()
marks["exit"] = time.time()
print("MARKS " + json.dumps(marks))
sys.exit(code)
"""

COLUMNS = ("python", "window", "usable", "ready", "snapshot", "step", "process")


def launch(cache_dir: str, config_dir: str) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, XDG_CONFIG_HOME=config_dir,
               QT_QPA_PLATFORM="offscreen")
    start = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(USABLE_LATE_S)], env=env,
                         capture_output=True, text=True, timeout=600)
    done = time.time()
    line = next((line for line in out.stdout.splitlines() if line.startswith("MARKS ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"the app did not start and close cleanly:\n{out.stdout}\n{out.stderr}")
    marks = json.loads(line[6:])
    stalls = [(when - start, late) for when, late in marks.pop("stalls")]
    if os.environ.get("STARTUP_STALLS"):
        print("stalls over 50 ms (when, how late):",
              ", ".join(f"{when:.2f} s {late * 1000:.0f} ms" for when, late in stalls))
    marks = {name: value - start for name, value in marks.items()}
    marks["late"] += start  # a duration, not a time
    marks["process"] = done - start
    return marks


def row(kind: str, marks: dict[str, float], load: float) -> str:
    cells = [f"{marks[name]:9.2f}" for name in COLUMNS]
    return f"{kind:<10}{''.join(cells)} {marks['late'] * 1000:7.0f} ms   {load:4.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="cold starts (each a new cache)")
    parser.add_argument("--warm", type=int, default=3, help="warm starts after each cold one")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; seconds from launch (wall clock)")
    print(f"{'start':<10}{''.join(f'{name:>9}' for name in COLUMNS)}      late   load (1 min)")
    results: dict[str, list[dict]] = {}
    loads = []
    with tempfile.TemporaryDirectory() as config:
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as cache:
                for kind in (["cold", "warm 1st"] + ["warm"] * (args.warm - 1))[:1 + args.warm]:
                    load = os.getloadavg()[0]
                    loads.append(load)
                    marks = launch(cache, config)
                    results.setdefault(kind, []).append(marks)
                    print(row(kind, marks, load), flush=True)
    print("\nmedians:")
    for kind, runs in results.items():
        median = {name: statistics.median(m[name] for m in runs) for name in (*COLUMNS, "late")}
        print(f"  {kind}: window painted {median['window']:.2f} s, usable {median['usable']:.2f} s, "
              f"Train enabled {median['ready']:.2f} s, first snapshot {median['snapshot']:.2f} s, "
              f"first step {median['step']:.2f} s; GUI timer at most "
              f"{median['late'] * 1000:.0f} ms late ({len(runs)} runs)")
    print(f"load average during the runs: {min(loads):.2f} to {max(loads):.2f} "
          f"(1 min; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
