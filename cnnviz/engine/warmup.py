"""Compile (first run) or load from numba's cache (later runs) every kernel the engine uses, before
anything else calls the engine: the app's worker thread does this before its first training loop,
with the window already open (docs/ARCHITECTURE.md, rule 6: one thread at a time in the engine).

Kernels compile for argument types, not sizes, so a tiny network whose layers call every kernel
with the types training uses compiles what any network needs. Progress is reported through a
callback: numba announces each real compilation ("numba:compile" events; a kernel loaded from the
cache raises none), so a caller can tell a first run, which compiles, from a later one.

Loading the kernels from the cache takes a while too (~0.4 s), so once a warm-up has found every
kernel in the cache it leaves a mark there, naming what numba's cache depends on (the engine's
sources, numba, Python, the CPU); warm_up_unless_marked() then skips the warm-up while the mark
holds, and the kernels load when first used.
"""
from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import llvmlite.binding as llvm
import numba
import numpy as np
from numba.core import event
from numba.core.dispatcher import Dispatcher

from cnnviz.engine import process
from cnnviz.files import atomic_write


@dataclass(frozen=True)
class Progress:
    ready: int                 # engine kernels compiled or loaded so far
    total: int                 # engine kernels in all
    compiled: int              # compilations so far (0: all loaded from the cache; a kernel may
                               # compile for more than one signature)
    compiling: str | None      # the kernel being compiled now
    done: bool = False
    skipped: bool = False      # a mark said every kernel is in the cache: they load when used

    @property
    def compiles(self) -> bool:
        """numba has compiled or is compiling (a first run), not only loading from the cache."""
        return bool(self.compiled or self.compiling)


Report = Callable[[Progress], None]


def engine_kernels() -> list[Dispatcher]:
    """Every numba kernel of the engine (the parallel() wrappers' compiled functions included)."""
    from cnnviz.engine import blas, conv_im2col, conv_kernels, kernels, norm_kernels
    found: dict[int, Dispatcher] = {}
    for module in (kernels, conv_im2col, conv_kernels, norm_kernels, blas):
        for value in vars(module).values():
            value = getattr(value, "compiled", value)
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                found[id(value)] = value
    return list(found.values())


# What the app needs to train its default network, every built-in architecture with SGD or Adam,
# and to test them: padded and strided convolutions (the first unrolls images channels first,
# the second channels last: Conv.channels_last), relu, batch norm, max pooling, dropout, and a dense
# layer big enough for the threaded GEMM (Dense.GEMM_MIN_BATCH images, PARALLEL_MIN_MACS).
BASIC = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
         {"type": "relu"},
         {"type": "batchnorm"},
         {"type": "maxpool", "size": 2},
         {"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1},
         {"type": "flatten"},
         {"type": "dropout", "rate": 0.25},
         {"type": "dense", "units": 1024},  # 8 images x 128 inputs x 1024 units
         {"type": "relu"},
         {"type": "dense", "units": 2}]
# Only with everything=True (a user's own architectures): average pooling, leaky relu, and a
# network that starts with its dense layer. LATER: the kernels only these use.
OTHERS = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
          {"type": "leaky_relu"},
          {"type": "avgpool", "size": 2},
          {"type": "flatten"},
          {"type": "dense", "units": 2}]
DENSE_FIRST = [{"type": "flatten"},
               {"type": "dense", "units": 256},  # 8 images x 768 inputs x 256 units
               {"type": "dense", "units": 2}]
LATER = ("avgpool_forward", "avgpool_backward")
INPUT = (3, 16, 16)
BATCH = 8


def _exercise(layers: list[dict], optimizers: tuple[str, ...] = ("sgd",)) -> None:
    """What the app does with a network: inference on read-only images (a dataset's test images:
    numba compiles read-only arrays apart; first, so that the progress reaches its total only at
    the end), a training step with each optimizer, and a forward pass with taps of one image (the
    probe) with a backward pass to it (saliency)."""
    from cnnviz.engine.network import Network
    from cnnviz.engine.optim import SGD, Adam
    spec = {"name": "warm-up", "input": list(INPUT), "classes": ["a", "b"], "layers": layers}
    network = Network(spec, seed=0)
    x = np.random.default_rng(0).random((BATCH, *INPUT), dtype=np.float32)
    labels = np.arange(BATCH, dtype=np.int64) % 2
    test = x.copy()
    test.setflags(write=False)
    network.forward(test)
    network.forward_taps(test[:1])
    for optimizer in optimizers:
        network.train_step(x, labels, SGD(lr=0.01) if optimizer == "sgd" else Adam(lr=0.001))
    taps = network.forward_taps(x[:1])
    network.backward_to(np.ones_like(taps[-1]), -1)


class _Listener(event.Listener):
    """Counts the engine's kernels as numba compiles them, and reports."""

    def __init__(self, warmup: _WarmUp):
        self.warmup = warmup
        self.stack: list[str] = []

    def _ours(self, evt) -> str | None:
        dispatcher = evt.data["dispatcher"]
        return dispatcher.py_func.__name__ if id(dispatcher) in self.warmup.ids else None

    def on_start(self, evt):
        name = self._ours(evt)
        if name:
            self.stack.append(name)
            self.warmup.report(compiling=name)

    def on_end(self, evt):
        name = self._ours(evt)
        if name:
            self.stack.pop()
            self.warmup.compiled += 1
            self.warmup.report(compiling=self.stack[-1] if self.stack else None)


class _WarmUp:
    def __init__(self, report: Report | None, everything: bool):
        self.callback = report
        kernels = engine_kernels()
        self.ids = {id(kernel) for kernel in kernels}  # compilations of these are counted
        # and these make the total: what this warm-up compiles on a first run
        self.kernels = [kernel for kernel in kernels
                        if everything or kernel.py_func.__name__ not in LATER]
        self.compiled = 0

    def ready(self) -> int:
        return sum(1 for kernel in self.kernels if kernel.overloads)

    def report(self, compiling: str | None = None, done: bool = False) -> Progress:
        progress = Progress(self.ready(), len(self.kernels), self.compiled, compiling, done)
        if self.callback is not None:
            self.callback(progress)
        return progress


_lock = threading.Lock()


def warm_up(report: Report | None = None, everything: bool = False) -> Progress:
    """Compile or load the kernels the app needs to train and test the built-in architectures
    with SGD or Adam (with `everything`, those of average pooling and of networks that start with
    a dense layer too), calling `report(Progress)` as they come (on this thread, from inside
    numba's compiler for a kernel being compiled: keep it quick). Returns the last Progress
    (done=True). Call it before any other thread uses the engine."""
    with _lock:
        warmup = _WarmUp(report, everything)
        listener = _Listener(warmup)
        warmup.report()
        event.register("numba:compile", listener)
        try:
            _exercise(BASIC, ("sgd", "adam"))
            if everything:
                _exercise(OTHERS)
                _exercise(DENSE_FIRST)
        finally:
            event.unregister("numba:compile", listener)
        if warmup.compiled == 0:  # every kernel came from the cache: it works, and is complete
            _write_mark(everything)
        return warmup.report(done=True)


@contextmanager
def compiles_reported(report: Report) -> Iterator[None]:
    """Report each compilation of an engine kernel while inside, as warm_up does: the kernels a
    network needs only when first used (average pooling, a dense-first network) compile there,
    and the caller can show it. Loading from the cache reports nothing (it is quick)."""
    listener = _Listener(_WarmUp(report, everything=True))
    event.register("numba:compile", listener)
    try:
        yield
    finally:
        event.unregister("numba:compile", listener)


# ---- the mark of a warm cache ---------------------------------------------------------------

MARK_NAME = "cnnviz-warm-up.json"


def mark_path() -> Path:
    return Path(process.cache_dir()) / MARK_NAME


def fingerprint() -> dict:
    """What numba's cached kernels depend on: numba itself, Python, the CPU it compiled for
    (numba's own cache key), and the engine's sources (their modification time and size, as
    numba stamps them; a frozen app's executable)."""
    import cnnviz
    files = sorted(Path(__file__).resolve().parent.glob("*.py"))
    if getattr(sys, "frozen", False):
        files.append(Path(sys.executable))
    stamps = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps[path.name] = [stat.st_mtime, stat.st_size]
    return {"cnnviz": cnnviz.__version__, "numba": numba.__version__, "python": sys.version,
            "cpu": numba.config.CPU_NAME or llvm.get_host_cpu_name(),
            "features": numba.config.CPU_FEATURES or llvm.get_host_cpu_features().flatten(),
            "sources": stamps}


def _write_mark(everything: bool) -> None:
    path, current = mark_path(), fingerprint()
    try:
        previous = json.loads(path.read_text())
        everything = everything or (previous.get("everything") is True
                                    and previous.get("fingerprint") == current)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        with atomic_write(path, text=True) as out:
            out.write(json.dumps({"fingerprint": current, "everything": everything}))
    except OSError:  # a read-only cache: then numba could not cache the kernels either
        pass


def marked_warm(everything: bool = False) -> bool:
    """Whether a warm-up of this very engine (with `everything`, of everything) found every kernel
    in the cache."""
    try:
        mark = json.loads(mark_path().read_text())
        return (mark["fingerprint"] == fingerprint()
                and (mark["everything"] is True or not everything))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def warm_up_unless_marked(report: Report | None = None, everything: bool = False) -> Progress:
    """warm_up(), unless the mark says the cache holds every kernel: then a done, skipped
    Progress at once (the kernels load from the cache when first used)."""
    if marked_warm(everything):
        progress = Progress(0, 0, 0, None, done=True, skipped=True)
        if report is not None:
            report(progress)
        return progress
    return warm_up(report, everything)
