"""The filter timeline's record: per conv layer, its filters at the start of the run and at
moments spaced evenly over it, so a viewer can show random noise turning into edge and blob
detectors.

Bounded: a layer keeps at most `capacity` moments however long the run. Moments sit on a grid of
`spacing` steps (a power of two): a layer keeps the first snapshot of each slot step // spacing,
and when that makes more than `capacity` moments the spacing doubles and each new slot keeps its
earliest moment (one of the two old slots' first), so the kept set is always exactly "the first
snapshot of each slot" and a run of 100k steps costs what one of 1k does. The first snapshot
(the start) is the first of its slot, so it is always kept.

Nothing is copied: a moment holds the snapshot's own read-only weight array."""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from functools import cached_property

import numpy as np

CAPACITY = 20  # moments per layer: enough to watch filters form, few enough to scrub


class Moment:
    """A conv layer's weights (out, in, kh, kw) as they were after training step `step`."""

    def __init__(self, step: int, weights: np.ndarray):
        self.step, self.weights = step, weights

    @cached_property
    def peak(self) -> float:
        """The largest finite |weight| (0 for none): worked out only when a viewer asks."""
        w = self.weights
        peak = float(np.abs(w).max()) if w.size else 0.0
        if not np.isfinite(peak):  # a diverged run: scale by what can be drawn
            finite = np.abs(w[np.isfinite(w)])
            peak = float(finite.max()) if finite.size else 0.0
        return peak

    def __repr__(self) -> str:
        return f"Moment(step={self.step}, shape={self.weights.shape})"


class LayerMoments:
    """One conv layer's moments, oldest first (see the module docstring), and its latest."""

    def __init__(self, capacity: int = CAPACITY):
        if capacity < 2:
            raise ValueError(f"capacity must be at least 2 moments, got {capacity}")
        self.capacity = capacity
        self.spacing = 1  # steps per slot
        self.kept: list[Moment] = []
        self.latest: Moment | None = None

    @property
    def shape(self) -> tuple[int, ...] | None:
        return None if self.latest is None else self.latest.weights.shape

    def add(self, step: int, weights: np.ndarray) -> None:
        self.latest = Moment(step, weights)
        if self.kept and self.kept[-1].step // self.spacing == step // self.spacing:
            return  # this slot has its moment
        self.kept.append(self.latest)
        while len(self.kept) > self.capacity:
            self.spacing *= 2
            self.kept = [m for i, m in enumerate(self.kept)
                         if i == 0 or m.step // self.spacing != self.kept[i - 1].step // self.spacing]

    def moments(self) -> list[Moment]:
        """The kept moments and, last, the latest one (which replaces a kept one of its step)."""
        if self.latest is None:
            return []
        return [m for m in self.kept if m.step < self.latest.step] + [self.latest]


class FilterTimeline:
    """The moments of every conv layer of the network being trained, fed every snapshot.

    An architecture edit (a new network_version) keeps the moments of each conv layer whose
    filter shape is unchanged and starts afresh, from the edit's step, for the others. The
    layers are aligned as a diff of their filter shapes, as the engine aligns the layers it
    keeps, so a conv block inserted or removed elsewhere does not cost the other layers their
    history. A layer whose shape is unchanged keeps its past because the engine keeps its
    weights; were its other settings (stride, padding) edited, the engine gives it fresh
    weights and the timeline shows that as the jump it is, at the edit's step. A layer whose
    shape changed cannot be compared with its past at all, so its timeline starts again."""

    def __init__(self, capacity: int = CAPACITY):
        LayerMoments(capacity)  # checks the capacity now, not at the first snapshot
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        """A new run: no moments."""
        self.layers: list[LayerMoments] = []
        self.step: int | None = None
        self.network_version: int | None = None

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        return tuple(layer.shape for layer in self.layers)

    def add(self, snapshot) -> None:
        """Record a snapshot's conv weights (its step, network_version and conv_weights)."""
        step, weights = snapshot.step, tuple(snapshot.conv_weights)
        if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step < 0:
            raise ValueError(f"a snapshot's step must be a whole number >= 0, got {step!r}")
        for w in weights:
            if not isinstance(w, np.ndarray) or w.ndim != 4:
                raise ValueError("conv weights must be (out, in, kh, kw) arrays, got "
                                 f"{getattr(w, 'shape', type(w).__name__)}")
        if self.step is not None and step < self.step:
            raise ValueError(f"step {step} comes after step {self.step}: a new run needs clear()")
        shapes = tuple(w.shape for w in weights)
        if snapshot.network_version != self.network_version or shapes != self.shapes:
            self.layers = self._realigned(shapes)
            self.network_version = snapshot.network_version
        for layer, w in zip(self.layers, weights):
            layer.add(int(step), w)
        self.step = int(step)

    def _realigned(self, shapes: Sequence[tuple[int, ...]]) -> list[LayerMoments]:
        """A track per new conv layer: the old one where its filter shape matches, else new."""
        layers = [LayerMoments(self.capacity) for _ in shapes]
        matcher = difflib.SequenceMatcher(None, self.shapes, tuple(shapes), autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                layers[block.b + k] = self.layers[block.a + k]
        return layers

    def moments(self, layer: int) -> list[Moment]:
        """Conv layer `layer`'s moments, oldest first, ending with its latest."""
        if not 0 <= layer < len(self.layers):
            raise IndexError(f"conv layer {layer} does not exist; the network has "
                             f"{len(self.layers)}")
        return self.layers[layer].moments()
