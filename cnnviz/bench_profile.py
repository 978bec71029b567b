"""`cnnviz bench --profile`: where a training step's time goes, layer by layer.

Runs the training step's pieces one at a time (each layer's forward, the loss, each layer's
backward, the weight update) as Network.train_step does, and takes each piece's median over the
steps. The pieces' sum is a little above a step timed whole (each timing has its own overhead)."""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from cnnviz.engine.network import Network
from cnnviz.engine.optim import Optimizer


@dataclass
class Row:
    name: str
    forward_ms: float
    backward_ms: float

    @property
    def total_ms(self) -> float:
        return self.forward_ms + self.backward_ms


def _timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _one_step(network: Network, x, labels, optimizer: Optimizer) -> list[tuple[float, float]]:
    """(forward s, backward s) per layer, then the loss's, then the update's (as a forward)."""
    layers = network.layers
    forward, backward = [0.0] * len(layers), [0.0] * len(layers)
    x = np.ascontiguousarray(x, dtype=network.dtype)
    for i, layer in enumerate(layers):
        x, forward[i] = _timed(layer.forward, x, True)
    (_, grad), loss_s = _timed(network.loss_fn, x, labels)
    for i in range(len(layers) - 1, network.first_learnable - 1, -1):
        grad, backward[i] = _timed(layers[i].backward, grad)
    _, update_s = _timed(optimizer.step, network.parameters())
    return [*zip(forward, backward), (loss_s, 0.0), (update_s, 0.0)]


def profile(network: Network, batches, optimizer: Optimizer, steps: int = 20) -> list[Row]:
    """Median milliseconds per piece over `steps` training steps (after three to warm up)."""
    for x, labels in batches[:3]:
        _one_step(network, x, labels, optimizer)
    samples = [_one_step(network, *batches[s % len(batches)], optimizer) for s in range(steps)]
    names = [f"{i} {info.label}" for i, info in enumerate(network.summary.layers)]
    names += ["loss", "SGD update"]
    return [Row(name, statistics.median(s[i][0] for s in samples) * 1e3,
                statistics.median(s[i][1] for s in samples) * 1e3)
            for i, name in enumerate(names)]


def table(network_name: str, rows: list[Row]) -> str:
    step_ms = sum(row.total_ms for row in rows)
    width = max(len(row.name) for row in rows) + 2
    lines = [f"{network_name}: {step_ms:.2f} ms per step in pieces",
             f"{'layer':<{width}} {'forward ms':>10} {'backward ms':>11} {'share of step':>13}"]
    for row in rows:
        lines.append(f"{row.name:<{width}} {row.forward_ms:>10.2f} {row.backward_ms:>11.2f} "
                     f"{row.total_ms / step_ms:>13.0%}")
    return "\n".join(lines)
