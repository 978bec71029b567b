"""How well a network is learning, measured from the training step just taken: per layer, the
size of the weights and of their gradients and their histograms (training/histograms.py), the
update-to-weight ratio, and how many units of each activation are dead (ReLU) or saturated
(tanh, sigmoid); and bounded histories of such figures over the steps (History, Strip).

Read right after a training batch: the gradients are that batch's (the optimizer's own), and each
activation layer still holds that batch's input or output. A later forward pass (the probe, an
evaluation) overwrites them, so measure before it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from cnnviz.engine.network import Network
from cnnviz.engine.spec import RELUS, SATURATING
from cnnviz.training.histograms import (
    even_columns,
    gradient_histogram,
    weight_histogram,
    widen,
)

# tanh beyond ±0.99 (sigmoid beyond 0.005 or 0.995): the slope is under 2% of its peak, so
# almost no gradient passes.
SATURATED_TANH = 0.99
SATURATED_SIGMOID = 0.005


@dataclass(frozen=True)
class LayerHealth:
    layer: int
    kind: str
    weight_norm: float | None = None     # ||W|| (Frobenius), layers with weights
    grad_norm: float | None = None       # ||dL/dW|| of the last batch
    update_ratio: float | None = None    # lr * ||dL/dW|| / ||W||: healthy around 1e-3
    dead_fraction: float | None = None   # ReLU: units at zero for every image of the batch
    saturated_fraction: float | None = None  # tanh / sigmoid: outputs in the flat tails
    # Heat-strip columns (training/histograms.py), read-only: the shares of the weights in
    # WEIGHT_BINS bins over [-weight_range, weight_range], and of |dL/dW| in GRAD_BINS log bins.
    weight_hist: np.ndarray | None = field(default=None, compare=False, repr=False)
    weight_range: float | None = None
    grad_hist: np.ndarray | None = field(default=None, compare=False, repr=False)


def _norm(a: np.ndarray) -> float:
    flat = a.reshape(-1)
    return float(math.sqrt(np.dot(flat, flat)))  # BLAS: one pass, no temporary


def dead_fraction(x: np.ndarray) -> float:
    """The share of units (positions of a (N, ...) batch) whose input to a ReLU was not positive
    for any of the N images: such a unit passes no gradient, so it cannot learn its way back."""
    return float(np.mean(~np.any(x > 0, axis=0)))


def saturated_fraction(out: np.ndarray, kind: str) -> float:
    """The share of a tanh's or sigmoid's outputs in the flat tails of the curve."""
    if kind == "tanh":
        return float(np.mean(np.abs(out) > SATURATED_TANH))
    return float(np.mean((out < SATURATED_SIGMOID) | (out > 1 - SATURATED_SIGMOID)))


def _read_only(a: np.ndarray | None) -> np.ndarray | None:
    if a is not None:
        a.setflags(write=False)  # a snapshot's, shared with the GUI thread
    return a


def measure(network: Network, lr: float, histograms: bool = True) -> tuple[LayerHealth, ...]:
    """The health of every layer with weights and every activation layer, after a training
    step at learning rate `lr`; with `histograms`, those of the weights and of the gradients
    as well (under a millisecond a layer: they are of a sample)."""
    records = []
    for i, layer in enumerate(network.layers):
        params = layer.params()
        if "weight" in params:
            weight = params["weight"]
            w, g = _norm(weight.value), _norm(weight.grad)
            shares, half_range, grad_shares = None, None, None
            if histograms:
                shares, half_range = weight_histogram(weight.value) or (None, None)
                grad_shares = gradient_histogram(weight.grad)
            records.append(LayerHealth(i, layer.kind, w, g, lr * g / w if w else math.inf,
                                       weight_hist=_read_only(shares), weight_range=half_range,
                                       grad_hist=_read_only(grad_shares)))
        elif layer.kind in RELUS and getattr(layer, "_x", None) is not None:
            records.append(LayerHealth(i, layer.kind, dead_fraction=dead_fraction(layer._x)))
        elif layer.kind in SATURATING and getattr(layer, "_out", None) is not None:
            records.append(LayerHealth(i, layer.kind,
                                       saturated_fraction=saturated_fraction(layer._out,
                                                                             layer.kind)))
    return tuple(records)


class HealthWarning(NamedTuple):
    layer: int
    problem: str  # "exploding", "vanishing", "dead", "saturated"
    text: str     # in plain words, with the layer, the step and what to try


def warnings(records, step: int) -> list[HealthWarning]:
    """Warnings for thresholds crossed, each naming the layer and the step."""
    said = []

    def say(r, problem, text):
        said.append(HealthWarning(r.layer, problem,
                                  f"layer {r.layer} ({r.kind}) at step {step}: {text}"))

    for r in records:
        if r.update_ratio is not None:
            if not math.isfinite(r.update_ratio) or r.update_ratio > 1e-1:
                say(r, "exploding", f"updates are {r.update_ratio:.1g} of the weights; above "
                                    f"0.1 the weights are thrown about (exploding). Lower the "
                                    f"learning rate.")
            elif r.update_ratio < 1e-5:
                say(r, "vanishing", f"updates are {r.update_ratio:.1g} of the weights; below "
                                    f"1e-5 the layer hardly learns (vanishing gradients). Raise "
                                    f"the learning rate, or add batch norm.")
        if r.dead_fraction is not None and r.dead_fraction > 0.5:
            say(r, "dead", f"{r.dead_fraction:.0%} of the units are dead (zero for every image "
                           f"of the batch). Lower the learning rate, or try leaky ReLU.")
        if r.saturated_fraction is not None and r.saturated_fraction > 0.5:
            say(r, "saturated", f"{r.saturated_fraction:.0%} of the outputs are saturated, where "
                                f"almost no gradient passes. Try ReLU, or batch norm before it.")
    return said


CSV_HEADER = ("layer", "kind", "step", "weight_norm", "grad_norm", "update_ratio",
              "dead_fraction", "saturated_fraction")


def csv_rows(records, step: int) -> list[list]:
    """Rows for `cnnviz train --health`: one per layer, empty cells where a figure does not
    apply."""
    return [[r.layer, r.kind, step] + ["" if v is None else f"{v:.6g}" for v in
                                       (r.weight_norm, r.grad_norm, r.update_ratio,
                                        r.dead_fraction, r.saturated_fraction)]
            for r in records]


class History:
    """One figure over the steps, bounded: at most `capacity` points, whatever the run's length.
    When full, every other point goes and points are then kept only every other step as often,
    so old and new parts of the run stay evenly covered. A point may be an array of `shape`
    (a histogram, for a heat strip)."""

    def __init__(self, capacity: int = 1000, shape: tuple = (), dtype=np.float64):
        if capacity < 2:
            raise ValueError(f"a History needs room for at least 2 points, not {capacity}")
        self.capacity = capacity
        self.steps = np.empty(capacity, np.int64)
        self.values = np.empty((capacity, *shape), dtype)
        self.count, self.stride, self._seen = 0, 1, 0

    def add(self, step: int, value) -> None:
        self._seen += 1
        if (self._seen - 1) % self.stride:
            return
        if self.count == self.capacity:
            half = self.capacity // 2
            self.steps[:half] = self.steps[0:self.capacity:2]
            self.values[:half] = self.values[0:self.capacity:2]
            self.count, self.stride = half, self.stride * 2
            self._seen = 1  # this point starts the new spacing
        self.steps[self.count], self.values[self.count] = step, value
        self.count += 1

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        return self.steps[:self.count], self.values[:self.count]


class Strip(History):
    """A heat strip's history: one histogram (`bins` shares) per step, bounded as History is.
    With `half_range`s (weights), the columns share one symmetric range, which only grows: a
    column over a narrower range is widened to it, and a wider one widens the columns kept."""

    def __init__(self, bins: int, capacity: int = 500):
        super().__init__(capacity, (bins,), np.float32)
        self.half_range: float | None = None

    def add(self, step: int, shares, half_range: float | None = None) -> None:
        shares = np.asarray(shares, np.float32)
        if shares.shape != self.values.shape[1:]:
            raise ValueError(f"a histogram of {self.values.shape[1]} bins was expected, "
                             f"not of shape {shares.shape}")
        if half_range is not None:
            if not (half_range > 0 and math.frexp(half_range)[0] == 0.5):
                raise ValueError(f"a histogram's half-range must be a power of two, "
                                 f"not {half_range}")
            if self.half_range is None:
                self.half_range = half_range
            while half_range < self.half_range:
                shares, half_range = widen(shares), half_range * 2
            while half_range > self.half_range:
                self.values[:self.count] = widen(self.values[:self.count])
                self.half_range *= 2
        super().add(step, shares)

    def image(self) -> tuple[np.ndarray, np.ndarray, float, float]:
        """(columns, bins) on an even step grid: the step each column shows, the image, and the
        first and last step it spans."""
        return even_columns(*self.points())
