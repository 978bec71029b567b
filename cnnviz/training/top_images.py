"""The test images that excite each conv filter and each dense unit most, gathered during an
evaluation's own forward passes (no second pass over the test images), and the dead filters.

What is ranked is the unit's activation *stage*: the conv or dense layer together with the
elementwise layers right after it (batch norm, the nonlinearity, dropout), and its score for an
image is the largest value of the stage's last output over the map's positions (a dense unit
has one). Taking the map after the nonlinearity, not the conv's raw sums, is what makes "dead"
exact: a filter whose stage ends in a ReLU is dead when that largest value is 0 for every image
evaluated, i.e. when its top score is 0. A conv filter's score also keeps where in the map the
largest value was (the first such cell in row-major order), so a viewer can cut out the input
patch that cell sees.

Ranking: higher score first; equal scores by the lower image index, so the result does not
depend on how the images were split into chunks (NaN, from a diverged network, ranks last).
Scores are compared as float32. Each chunk only updates a running top k per unit (a partition
of the k kept and the chunk's scores), so the cost is mostly a max over each map, 7-12% of the
forward passes (fashion-2conv: 20-45 ms per 1000 images), and memory stays k per unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.engine.layers import Conv, Dense
from cnnviz.engine.network import Network
from cnnviz.engine.spec import ELEMENTWISE

TOP_K = 8  # images kept per filter and unit


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class LayerTop:
    """The top images of one conv or dense layer's units (filters), from one evaluation.

    layer: the conv or dense layer's index; tap: the index of the layer whose output was ranked
    (the last of the stage); kind: "conv" or "dense".
    scores[u, r]: unit u's score for its r-th image (rows descending); images[u, r]: that image's
    index (test-set indices in a snapshot); positions[u, r]: the (row, col) of the largest value
    in the tap's map (None for dense units).
    dead[u]: the stage ends in a ReLU and unit u's output was 0 for every image evaluated; None
    when the stage does not end in a ReLU (nothing there can die that way).
    """
    layer: int
    tap: int
    kind: str
    scores: np.ndarray
    images: np.ndarray
    positions: np.ndarray | None
    dead: np.ndarray | None

    @property
    def units(self) -> int:
        return self.scores.shape[0]


@dataclass(frozen=True, eq=False)
class TopImages:
    """Per conv and dense layer, the k evaluated images that excite each unit most (LayerTop),
    over `evaluated` images; arrays are read-only."""
    k: int
    evaluated: int
    layers: tuple[LayerTop, ...]

    def layer(self, index: int) -> LayerTop | None:
        """The LayerTop of layer `index` (a conv or dense layer's index), or None."""
        return next((top for top in self.layers if top.layer == index), None)

    def reindexed(self, index: np.ndarray) -> TopImages:
        """The same with image numbers mapped through `index` (positions in an evaluated subset
        to test-set indices; ascending, so the tie order is kept)."""
        index = np.asarray(index)
        return TopImages(self.k, self.evaluated, tuple(
            LayerTop(top.layer, top.tap, top.kind, top.scores, _readonly(index[top.images]),
                     top.positions, top.dead) for top in self.layers))


def stages(network: Network) -> list[tuple[int, int]]:
    """(conv or dense layer, last layer of its stage) for each conv and dense layer."""
    found, layers = [], network.layers
    for i, layer in enumerate(layers):
        if isinstance(layer, (Conv, Dense)):
            end = i
            while end + 1 < len(layers) and layers[end + 1].kind in ELEMENTWISE:
                end += 1
            found.append((i, end))
    return found


def ends_in_relu(network: Network, first: int, last: int) -> bool:
    """Whether the stage's output is a ReLU's (dropout after it changes no zero)."""
    kinds = [layer.kind for layer in network.layers[first + 1:last + 1] if layer.kind != "dropout"]
    return bool(kinds) and kinds[-1] == "relu"


class _Running:
    """A running top k for one stage: (units, kept) arrays whose rows are in ascending image
    order (what makes ties cheap to break: see add); `result` ranks them."""

    def __init__(self, layer: int, tap: int, conv: bool, relu: bool):
        self.layer, self.tap, self.conv, self.relu = layer, tap, conv, relu
        self.scores = self.images = self.positions = None

    def add(self, output: np.ndarray, offset: int, k: int) -> None:
        """Take a chunk's outputs for images offset, offset + 1, ... (after every image seen)."""
        n = output.shape[0]
        if self.conv:  # (n, F, H, W): each map's largest value and where it is
            flat = output.reshape(n, output.shape[1], -1)
            where = flat.argmax(axis=2)
            scores = np.take_along_axis(flat, where[..., None], axis=2)[..., 0].T
            positions = where.T.astype(np.int32)
        else:
            scores, positions = output.reshape(n, -1).T, None
        scores = np.ascontiguousarray(scores, dtype=np.float32)
        if np.isnan(scores).any():  # a diverged network: NaN ranks last
            scores[np.isnan(scores)] = -np.inf
        kept = 0 if self.scores is None else self.scores.shape[1]
        if kept:  # the kept images first: every one of them comes before this chunk's
            scores = np.concatenate([self.scores, scores], axis=1)
            if self.conv:
                positions = np.concatenate([self.positions, positions], axis=1)
        total = scores.shape[1]
        if total <= k:
            columns = np.broadcast_to(np.arange(total), scores.shape)
        else:
            # Each row's k-th best score: everything above it is in; of the scores equal to it,
            # the first ones along the row (the lower image indices) fill the rest. Rows keep
            # their order, so they stay in ascending image order.
            kth = np.partition(scores, total - k, axis=1)[:, total - k, None]
            ties = scores == kth
            keep = (scores > kth) | ties
            crowded = np.flatnonzero(keep.sum(axis=1) > k)  # rows with too many ties (zeros)
            if len(crowded):
                ties = ties[crowded]
                room = k - (scores[crowded] > kth[crowded]).sum(axis=1, keepdims=True)
                keep[crowded] &= ~ties | (np.cumsum(ties, axis=1) <= room)
            columns = np.nonzero(keep)[1].reshape(len(scores), k)
            scores = np.take_along_axis(scores, columns, axis=1)
            if self.conv:
                positions = np.take_along_axis(positions, columns, axis=1)
        earlier = (np.take_along_axis(self.images, np.minimum(columns, kept - 1), axis=1)
                   if kept else 0)
        self.images = np.where(columns < kept, earlier, offset + columns - kept).astype(np.int64)
        self.scores = np.ascontiguousarray(scores)
        self.positions = positions if positions is None else np.ascontiguousarray(positions)

    def result(self, kind: str, width: int | None) -> LayerTop:
        # Rows are in ascending image order: a stable sort on the score breaks ties by index.
        order = np.argsort(-self.scores, axis=1, kind="stable")
        scores = np.take_along_axis(self.scores, order, axis=1)
        images = np.take_along_axis(self.images, order, axis=1)
        positions = None
        if self.conv:
            flat = np.take_along_axis(self.positions, order, axis=1)
            positions = _readonly(np.stack(np.divmod(flat, width), axis=-1).astype(np.int32))
        dead = _readonly(scores[:, 0] <= 0) if self.relu else None
        return LayerTop(self.layer, self.tap, kind, _readonly(scores), _readonly(images),
                        positions, dead)


class TopTracker:
    """Gathers TopImages while a network runs its evaluation chunks: call `start_chunk(offset)`
    before each chunk's forward pass, hand `see` to Network.forward as its `each_layer`, and take
    `result()` at the end. Only the ranked stages' outputs are looked at."""

    def __init__(self, network: Network, k: int = TOP_K):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a whole number of images, 1 or more, not {k!r}")
        self.network, self.k = network, int(k)
        self.offset = self._next = 0
        self._by_tap = {last: _Running(first, last, isinstance(network.layers[first], Conv),
                                       ends_in_relu(network, first, last))
                        for first, last in stages(network)}

    def start_chunk(self, offset: int) -> None:
        """The next forward pass's first image is image `offset` of the evaluated images; chunks
        come in order (ties go to the lower index by their order)."""
        if offset < self._next:
            raise ValueError(f"chunk at image {offset} comes after images up to {self._next}")
        self.offset = offset

    def see(self, index: int, output: np.ndarray) -> None:
        running = self._by_tap.get(index)
        if running is not None:
            running.add(output, self.offset, self.k)
            self._next = self.offset + output.shape[0]

    def result(self, evaluated: int) -> TopImages | None:
        """The TopImages of the `evaluated` images seen, for the stages that saw them (None
        before any)."""
        seen = [running for running in self._by_tap.values() if running.scores is not None]
        if not seen:
            return None
        layers = self.network.layers
        return TopImages(self.k, int(evaluated), tuple(
            running.result(layers[running.layer].kind,
                           layers[running.tap].out_shape[-1] if running.conv else None)
            for running in seen))
