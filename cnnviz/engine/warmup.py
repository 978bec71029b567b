"""Compile (first run) or load from numba's cache (later runs) every kernel the engine uses, before
anything else calls the engine: the app does this behind its splash, on a plain thread, before its
worker thread starts (DESIGN.md convention 6: one thread at a time in the engine).

Kernels compile for argument types, not sizes, so a tiny network whose layers call every kernel
with the types training uses compiles what any network needs. Progress is reported through a
callback: numba announces each real compilation ("numba:compile" events; a kernel loaded from the
cache raises none), so a caller can tell a first run, which compiles, from a later one.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from cnnviz.engine import numba_env  # noqa: F401  (numba's cache folder, before numba is used)

from numba.core import event
from numba.core.dispatcher import Dispatcher


@dataclass(frozen=True)
class Progress:
    ready: int                 # engine kernels compiled or loaded so far
    total: int                 # engine kernels in all
    compiled: int              # compilations so far (0: all loaded from the cache; a kernel may
                               # compile for more than one signature)
    compiling: str | None      # the kernel being compiled now
    done: bool = False


Report = Callable[[Progress], None]


def engine_kernels() -> list[Dispatcher]:
    """Every numba kernel of the engine (the parallel() wrappers' compiled functions included)."""
    from cnnviz.engine import blas, conv_kernels, kernels
    found: dict[int, Dispatcher] = {}
    for module in (kernels, conv_kernels, blas):
        for value in vars(module).values():
            value = getattr(value, "compiled", value)
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                found[id(value)] = value
    return list(found.values())


# The layers every built-in architecture uses, each kernel's argument types as in training:
# padded and strided convolutions, relu, max pooling, dropout, and a dense layer big enough for the
# threaded GEMM (at least Dense.GEMM_MIN_BATCH images and Dense.PARALLEL_MIN_MACS).
BASIC = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
         {"type": "relu"},
         {"type": "maxpool", "size": 2},
         {"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1},
         {"type": "flatten"},
         {"type": "dropout", "rate": 0.25},
         {"type": "dense", "units": 1024},  # 8 images x 128 inputs x 1024 units
         {"type": "relu"},
         {"type": "dense", "units": 2}]
# The rest: leaky relu, average pooling, Adam, and a network that starts with its dense layer.
OTHERS = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
          {"type": "leaky_relu"},
          {"type": "avgpool", "size": 2},
          {"type": "flatten"},
          {"type": "dense", "units": 2}]
DENSE_FIRST = [{"type": "flatten"},
               {"type": "dense", "units": 256},  # 8 images x 768 inputs x 256 units
               {"type": "dense", "units": 2}]
INPUT = (3, 16, 16)
BATCH = 8


def _exercise(layers: list[dict], optimizer: str) -> None:
    """What the training loop and its snapshots do with a network: a training step, a forward
    pass with taps of one image (the probe) and a backward pass to it (saliency), and inference
    on read-only images (a dataset's test images: numba compiles read-only arrays apart)."""
    from cnnviz.engine.network import Network
    from cnnviz.engine.optim import SGD, Adam
    spec = {"name": "warm-up", "input": list(INPUT), "classes": ["a", "b"], "layers": layers}
    network = Network(spec, seed=0)
    x = np.random.default_rng(0).random((BATCH, *INPUT), dtype=np.float32)
    labels = np.arange(BATCH, dtype=np.int64) % 2
    network.train_step(x, labels, SGD(lr=0.01) if optimizer == "sgd" else Adam(lr=0.001))
    taps = network.forward_taps(x[:1])
    network.backward_to(np.ones_like(taps[-1]), -1)
    x.setflags(write=False)
    network.forward(x)
    network.forward_taps(x[:1])


class _Listener(event.Listener):
    """Counts the engine's kernels as numba compiles them, and reports."""

    def __init__(self, warmup: "_WarmUp"):
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
    def __init__(self, report: Report | None):
        self.callback = report
        self.kernels = engine_kernels()
        self.ids = {id(kernel) for kernel in self.kernels}
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
    """Compile or load the engine's kernels, calling `report(Progress)` as they come (on this
    thread, from inside numba's compiler for a kernel being compiled: keep it quick). The kernels
    every built-in architecture and SGD need come first; the rest (average pooling, Adam) are
    compiled too when anything had to be compiled (a first run: compile once, while the user
    waits anyway), or with `everything`; on a later run they load when first used. Returns the
    last Progress (done=True). Call it before any other thread uses the engine."""
    with _lock:
        warmup = _WarmUp(report)
        listener = _Listener(warmup)
        warmup.report()
        event.register("numba:compile", listener)
        try:
            _exercise(BASIC, "sgd")
            warmup.report()
            if everything or warmup.compiled:
                _exercise(OTHERS, "adam")
                _exercise(DENSE_FIRST, "sgd")
        finally:
            event.unregister("numba:compile", listener)
        return warmup.report(done=True)
