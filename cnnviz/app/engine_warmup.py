"""The engine's kernels, made ready on a thread of their own while the window is already open:
numba compiles them on the first start (15-20 s on 2 cores) and loads them from its cache
afterwards (engine/warmup.py). A training worker waits for them before it touches the engine, so
that one thread at a time is in it (docs/ARCHITECTURE.md, rule 6), and a worker told to stop
while it waits ends at once. The window shows `progress()` and enables Train when `ready()`. No
Qt here: the worker and the tests call it as plain code."""
from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cnnviz.app.panes import colour_kernel
from cnnviz.engine import warmup

# The window sets this when it first paints: until then (at most PAINT_WAIT_S) a warm-up the
# window started waits, so that the window is built and drawn without numba's compiler beside it.
first_paint = threading.Event()
PAINT_WAIT_S = 5.0
# While numba compiles, the GUI thread gets the interpreter this often (Python's default, 5 ms,
# lets one compilation step hold it long enough to make the window feel stuck).
COMPILING_SWITCH_S = 0.0005
DONE = warmup.Progress(0, 0, 0, None, done=True)

_ready = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None
_progress: warmup.Progress | None = None  # the latest the warm-up reported


def ready() -> bool:
    """Whether the kernels the built-in networks need are compiled or loaded (or known cached)."""
    return _ready.is_set()


def progress() -> warmup.Progress | None:
    """The warm-up's latest Progress (None before its first report; DONE once ready)."""
    return DONE if _ready.is_set() else _progress


def start(after_paint: bool = False) -> None:
    """Start the warm-up unless it has started (once per process); with `after_paint`, it waits
    for the window's first paint."""
    global _thread
    with _lock:
        if _thread is None:
            # A daemon: closing the window during a first start's compilation ends the app at once
            # (numba writes each cached kernel whole, so an interrupted one just compiles again).
            _thread = threading.Thread(target=_warm_up, args=(after_paint,), daemon=True,
                                       name="cnnviz engine warm-up")
            _thread.start()


def wait_ready(stopped: Callable[[], bool], poll_s: float = 0.05) -> bool:
    """Block (a training worker, before its loop) until the kernels are ready: True, or False as
    soon as `stopped()` says the worker is no longer wanted."""
    start()
    while not _ready.wait(poll_s):
        if stopped():
            return False
    return True


def join(timeout: float | None = None) -> bool:
    """Wait for the warm-up thread to end, if it started (tests: no thread may outlive a test)."""
    if _thread is not None:
        _thread.join(timeout)
    return _thread is None or not _thread.is_alive()


def _report(progress: warmup.Progress) -> None:  # on the warm-up thread: only store it
    global _progress
    if not progress.done:  # its own last report comes before the colour kernel's
        _progress = progress


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """Python's full collections while numba compiles took 60-160 ms each, every 2 s, holding the
    interpreter (the window stalls): what exists now (the window, built to last) and what the
    compilation leaves (~190k objects, ~200 ms to collect at once) are frozen instead, so that
    no collection scans them again; their memory stays in the process's arenas either way."""
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], 2**30)  # young collections only (~3 ms)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.freeze()


def _warm_up(after_paint: bool) -> None:
    if after_paint:
        first_paint.wait(PAINT_WAIT_S)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(COMPILING_SWITCH_S)
    try:
        with _no_full_collections():
            warmup.warm_up_unless_marked(_report)
            colour_kernel.warm_up()  # the mosaics' colours: numba from now on, numpy before
    except Exception as exc:  # the worker then meets the same error in its loop and reports it
        print(f"cnnviz: preparing the engine's kernels failed: {exc}", file=sys.stderr)
    finally:
        sys.setswitchinterval(switch)
        _ready.set()
