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
depend on how the images were split into chunks. Scores are compared as float32. Each chunk
only updates a running top k per unit (argpartition on a key that packs the score and the
image index into one int64), so the cost is a max over each map and memory stays k per unit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.engine.layers import Conv, Dense
from cnnviz.engine.network import Network

TOP_K = 8  # images kept per filter and unit
STAGE_LAYERS = ("relu", "leaky_relu", "tanh", "sigmoid", "batchnorm", "dropout")
_LOW_BITS = np.int64(0xFFFFFFFF)


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
            while end + 1 < len(layers) and layers[end + 1].kind in STAGE_LAYERS:
                end += 1
            found.append((i, end))
    return found


def ends_in_relu(network: Network, first: int, last: int) -> bool:
    """Whether the stage's output is a ReLU's (dropout after it changes no zero)."""
    kinds = [layer.kind for layer in network.layers[first + 1:last + 1] if layer.kind != "dropout"]
    return bool(kinds) and kinds[-1] == "relu"


def rank_keys(scores: np.ndarray, images: np.ndarray) -> np.ndarray:
    """One int64 per (score, image) whose order is the ranking: higher score first, then the
    lower image index. The float32 score's bits are made monotone in its value (negative
    numbers' magnitude bits flipped) and take the high 32 bits; -0.0 counts as 0, NaN as -inf."""
    scores = np.where(np.isnan(scores), np.float32(-np.inf), scores).astype(np.float32)
    scores += np.float32(0.0)  # -0.0 (what ReLU makes of a negative input) becomes +0.0
    bits = scores.view(np.int32).astype(np.int64)
    ordered = np.where(bits >= 0, bits, bits ^ 0x7FFFFFFF)
    return (ordered << 32) + (_LOW_BITS - images.astype(np.int64))


class _Running:
    """A running top k for one stage: (units, kept) arrays, rows in no particular order until
    `result` sorts them."""

    def __init__(self, layer: int, tap: int, conv: bool, relu: bool):
        self.layer, self.tap, self.conv, self.relu = layer, tap, conv, relu
        self.scores = self.images = self.positions = None

    def add(self, output: np.ndarray, offset: int, k: int) -> None:
        n = output.shape[0]
        if self.conv:  # (n, F, H, W): each map's largest value and where it is
            flat = output.reshape(n, output.shape[1], -1)
            where = flat.argmax(axis=2)
            scores = np.take_along_axis(flat, where[..., None], axis=2)[..., 0].T
            positions = where.T.astype(np.int32)
        else:
            scores, positions = output.reshape(n, -1).T, None
        images = np.broadcast_to(np.arange(offset, offset + n, dtype=np.int64), scores.shape)
        if self.scores is not None:
            scores = np.concatenate([self.scores, scores], axis=1)
            images = np.concatenate([self.images, images], axis=1)
            if self.conv:
                positions = np.concatenate([self.positions, positions], axis=1)
        if scores.shape[1] > k:
            keep = np.argpartition(rank_keys(scores, images), -k, axis=1)[:, -k:]
            scores = np.take_along_axis(scores, keep, axis=1)
            images = np.take_along_axis(images, keep, axis=1)
            if self.conv:
                positions = np.take_along_axis(positions, keep, axis=1)
        self.scores = np.ascontiguousarray(scores, dtype=np.float32)
        self.images = np.ascontiguousarray(images)
        self.positions = positions if positions is None else np.ascontiguousarray(positions)

    def result(self, kind: str, width: int | None) -> LayerTop:
        order = np.argsort(-rank_keys(self.scores, self.images), axis=1, kind="stable")
        scores = np.take_along_axis(self.scores, order, axis=1)
        images = np.take_along_axis(self.images, order, axis=1)
        positions = None
        if self.conv:
            flat = np.take_along_axis(self.positions, order, axis=1)
            positions = _readonly(np.stack(np.divmod(flat, width), axis=-1).astype(np.int32))
        dead = _readonly(scores[:, 0] + 0.0 <= 0) if self.relu else None
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
        self.offset = 0
        self._by_tap = {last: _Running(first, last, isinstance(network.layers[first], Conv),
                                       ends_in_relu(network, first, last))
                        for first, last in stages(network)}

    def start_chunk(self, offset: int) -> None:
        """The next forward pass's first image is image `offset` of the evaluated images."""
        self.offset = offset

    def see(self, index: int, output: np.ndarray) -> None:
        running = self._by_tap.get(index)
        if running is not None:
            running.add(output, self.offset, self.k)

    def result(self, evaluated: int) -> TopImages | None:
        """The TopImages of the `evaluated` images seen (None before any, or for a network
        without conv or dense layers)."""
        if not self._by_tap or any(r.scores is None for r in self._by_tap.values()):
            return None
        layers = self.network.layers
        return TopImages(self.k, int(evaluated), tuple(
            running.result(layers[running.layer].kind,
                           layers[running.tap].out_shape[-1] if running.conv else None)
            for running in self._by_tap.values()))
