"""The arithmetic a CNN tutorial shows, on the network's current weights and one probe image.

Every function takes the network, the probe image (C, H, W) and its taps: network.forward_taps(
probe[None]) without the batch axis, as snapshots carry them (taps[i] is layer i's output; the
input of layer i is taps[i - 1], or the probe for layer 0). Nothing here runs the network: the
numbers are recomputed from the layer's input and parameters, in float64, so that they can be
checked against the engine's own value for the cell (the tap).

- conv_cell: the filter over its patch, the products, their sum, the bias, and the value after
  each elementwise layer that follows (batch norm, activation, dropout).
- pool_cell: the block a pooled value comes from, with the max's position or the mean.
- dense_unit: a dense unit's largest input x weight terms, each with its source.
- softmax_steps: logits to probabilities, step by step.
- inspect: one InspectRequest (what the GUI clicked) to the right one of these.

Results are frozen dataclasses holding fresh arrays (never views of the network's weights).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cnnviz.engine.layers import AvgPool, BatchNorm, Conv, Dense, Layer, MaxPool
from cnnviz.engine.network import Network
from cnnviz.engine.receptive import Box, input_box
from cnnviz.engine.spec import ELEMENTWISE, POOLS, shape_text

SOFTMAX = -1  # InspectRequest.layer for the output's softmax
Range = tuple[int, int]  # half-open
After = tuple[int, str, float]  # (layer index, label, value after that layer)


@dataclass(frozen=True)
class InspectRequest:
    """What to inspect: cell index (channel, y, x) of layer `layer`'s output map, or (unit,) of a
    flat output. layer == SOFTMAX (-1) asks for the softmax of the output (index is ignored).
    top is how many contributions a dense unit lists.

    A request on an elementwise layer (relu, batch norm, ...) is answered for the conv, pool or
    dense layer that produced the value, the clicked layer among its `after` steps; a request on
    flatten is answered for the map cell it flattened. The answer's `layer` says which it is."""
    layer: int
    index: tuple[int, ...] = ()
    top: int = 10

    def __post_init__(self):
        if not _is_int(self.layer) or self.layer < SOFTMAX:
            raise ValueError(f"layer must be a layer index or SOFTMAX (-1), not {self.layer!r}")
        index = tuple(self.index) if isinstance(self.index, (tuple, list)) else None
        if index is None or not all(_is_int(i) for i in index):
            raise ValueError(f"index must be a tuple of whole numbers, not {self.index!r}")
        if not _is_int(self.top) or self.top < 0:
            raise ValueError(f"top must be a whole number >= 0, not {self.top!r}")
        object.__setattr__(self, "top", int(self.top))
        object.__setattr__(self, "layer", int(self.layer))
        object.__setattr__(self, "index", tuple(int(i) for i in index))


@dataclass(frozen=True)
class ConvCell:
    """One conv output cell: pre_activation = sum(patch * weights) + bias.

    patch and weights are (C, k, k): the layer's input under the filter (0 where it lies in the
    padding: padding_mask is True there) and the filter of `channel`. products = patch * weights in
    float64 (exact for float32 values), total their sum. rows and cols are the patch's half-open
    ranges in the layer input's coordinates (they reach outside it where there is padding);
    input_layer is the layer whose output that input is (-1: the probe image). field is the
    probe pixels (top, left, bottom, right) that can influence the cell."""
    layer: int
    channel: int
    y: int
    x: int
    patch: np.ndarray
    padding_mask: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    total: float
    bias: float
    pre_activation: float
    after: tuple[After, ...]
    rows: Range
    cols: Range
    field: Box
    stride: int = 1
    padding: int = 0
    input_layer: int = -1

    @property
    def value(self) -> float:
        """The cell's value after the last elementwise layer that follows (as the map shows)."""
        return self.after[-1][2] if self.after else self.pre_activation


@dataclass(frozen=True)
class PoolCell:
    """One pooled value: the k x k block of the layer's input it comes from. For "max", winner is
    the (row, col) in the block of the value taken (the first, in row order, on a tie, as the
    engine does); for "average", value is the block's mean and winner None. Pools have no
    padding here, so the block always lies inside the input."""
    layer: int
    channel: int
    y: int
    x: int
    kind: str  # "max" or "average"
    block: np.ndarray
    winner: tuple[int, int] | None
    value: float
    rows: Range
    cols: Range
    field: Box
    after: tuple[After, ...] = ()
    stride: int = 1
    input_layer: int = -1


class Contribution(NamedTuple):
    index: int  # in the dense layer's (flattened) input
    source: tuple[int, ...]  # (channel, y, x) in a map of source_layer, or (index,)
    value: float  # the input
    weight: float
    product: float


@dataclass(frozen=True)
class DenseUnit:
    """One dense unit: total = sum(input * weight) + bias, with the `top` largest |input x weight|
    terms spelled out (largest first) and the rest summed. When the dense layer's input is a
    flattened map, source_shape is that map's (C, H, W) and sources are (channel, y, x) in the
    output of source_layer (-1: the probe image); otherwise sources are (index,) in the input."""
    layer: int
    unit: int
    contributions: tuple[Contribution, ...]
    rest: float
    bias: float
    total: float
    inputs: int  # how many input x weight terms there are
    after: tuple[After, ...] = ()
    source_layer: int = -1
    source_shape: tuple[int, ...] | None = None


@dataclass(frozen=True)
class SoftmaxSteps:
    """probabilities = exp(logits - shift) / sum, with shift = max(logits): subtracting the
    largest logit changes nothing in the result (it cancels between numerator and sum) but keeps
    exp from overflowing. shifted = logits - shift, exps = exp(shifted)."""
    logits: np.ndarray
    shift: float
    shifted: np.ndarray
    exps: np.ndarray
    sum: float
    probabilities: np.ndarray
    layer: int = SOFTMAX


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# ---- the pieces -----------------------------------------------------------------------------

def layer_input(probe: np.ndarray, taps, layer: int) -> np.ndarray:
    """What layer `layer` took in: the probe for layer 0, else the previous layer's tap."""
    return np.asarray(probe if layer == 0 else taps[layer - 1])


def conv_cell(network: Network, probe: np.ndarray, taps, layer: int, channel: int, y: int,
              x: int) -> ConvCell:
    conv = _layer(network, layer, Conv)
    _check_cell(conv, (channel, y, x))
    source = layer_input(probe, taps, layer)
    k, stride, pad = conv.k, conv.stride, conv.pad
    top, left = y * stride - pad, x * stride - pad
    patch = np.zeros((source.shape[0], k, k), source.dtype)
    mask = np.ones(patch.shape, bool)
    r0, r1 = max(top, 0), min(top + k, source.shape[1])
    c0, c1 = max(left, 0), min(left + k, source.shape[2])
    patch[:, r0 - top:r1 - top, c0 - left:c1 - left] = source[:, r0:r1, c0:c1]
    mask[:, r0 - top:r1 - top, c0 - left:c1 - left] = False
    weights = conv.weight.value[channel].copy()
    products = patch.astype(np.float64) * weights.astype(np.float64)
    total = float(np.sum(products))
    bias = float(conv.bias.value[channel])
    pre = total + bias
    return ConvCell(layer, channel, y, x, patch, mask, weights, products, total, bias, pre,
                    _after(network, layer, pre, channel), (top, top + k), (left, left + k),
                    input_box(network.summary, layer, y, x), stride, pad, layer - 1)


def pool_cell(network: Network, probe: np.ndarray, taps, layer: int, channel: int, y: int,
              x: int) -> PoolCell:
    pool = _layer(network, layer, (MaxPool, AvgPool))
    _check_cell(pool, (channel, y, x))
    source = layer_input(probe, taps, layer)
    k, stride = pool.size, pool.stride
    rows, cols = (y * stride, y * stride + k), (x * stride, x * stride + k)
    block = source[channel, rows[0]:rows[1], cols[0]:cols[1]].copy()
    if isinstance(pool, MaxPool):
        kind, flat = "max", int(np.argmax(block))  # the first maximum, as the kernel keeps
        winner = (flat // k, flat % k)
        value = float(block[winner])
    else:
        kind, winner, value = "average", None, float(np.mean(block, dtype=np.float64))
    return PoolCell(layer, channel, y, x, kind, block, winner, value, rows, cols,
                    input_box(network.summary, layer, y, x), _after(network, layer, value, channel),
                    stride, layer - 1)


def dense_unit(network: Network, probe: np.ndarray, taps, layer: int, unit: int,
               top: int = 10) -> DenseUnit:
    dense = _layer(network, layer, Dense)
    _check_cell(dense, (unit,))
    if not _is_int(top) or top < 0:
        raise ValueError(f"top must be a whole number >= 0, not {top!r}")
    inputs = layer_input(probe, taps, layer).reshape(-1).astype(np.float64)
    weights = dense.weight.value[unit].astype(np.float64)
    products = inputs * weights
    order = np.argsort(-np.abs(products), kind="stable")[:top]
    others = np.ones(products.size, bool)
    others[order] = False
    source_layer, shape = _flattened_from(network, layer)
    contributions = tuple(
        Contribution(int(i), _source(int(i), shape), float(inputs[i]), float(weights[i]),
                     float(products[i])) for i in order)
    bias = float(dense.bias.value[unit])
    total = float(np.sum(products)) + bias
    return DenseUnit(layer, unit, contributions, float(np.sum(products[others])), bias, total,
                     int(products.size), _after(network, layer, total, unit), source_layer, shape)


def softmax_steps(logits: np.ndarray) -> SoftmaxSteps:
    logits = np.array(logits, dtype=np.float64).reshape(-1)
    shift = float(np.max(logits))
    shifted = logits - shift
    exps = np.exp(shifted)
    total = float(np.sum(exps))
    return SoftmaxSteps(logits, shift, shifted, exps, total, exps / total)


def inspect(network: Network, probe: np.ndarray, taps, request: InspectRequest):
    """The ConvCell, PoolCell, DenseUnit or SoftmaxSteps that answers `request` (see
    InspectRequest); ValueError when the request does not fit this network (a layer or cell out
    of range, a layer with nothing to show)."""
    layers = network.layers
    if len(taps) != len(layers):
        raise ValueError(f"{len(taps)} taps for a network of {len(layers)} layers")
    if request.layer == SOFTMAX:
        return softmax_steps(taps[-1])
    if request.layer >= len(layers):
        raise ValueError(f"no layer {request.layer}: the network has {len(layers)}")
    layer, index = request.layer, request.index
    _check_cell(layers[layer], index)
    while layers[layer].kind in ELEMENTWISE + ("flatten",):
        if layers[layer].kind == "flatten":
            index = tuple(int(i) for i in np.unravel_index(index[0], layers[layer].in_shape))
        layer -= 1
        if layer < 0:
            raise ValueError(f"layer {request.layer} ({layers[request.layer].kind}) works on the "
                             f"input image directly: there is no arithmetic to show")
    kind = layers[layer].kind
    if kind == "conv":
        return conv_cell(network, probe, taps, layer, *index)
    if kind in POOLS:
        return pool_cell(network, probe, taps, layer, *index)
    if kind == "dense":
        return dense_unit(network, probe, taps, layer, *index, top=request.top)
    raise ValueError(f"cannot inspect layer {layer} ({kind})")


# ---- helpers --------------------------------------------------------------------------------

def _layer(network: Network, index: int, kind) -> Layer:
    if not _is_int(index) or not 0 <= index < len(network.layers):
        raise ValueError(f"no layer {index!r}: the network has {len(network.layers)}")
    layer = network.layers[index]
    if not isinstance(layer, kind):
        raise ValueError(f"layer {index} is a {layer.kind} layer")
    return layer


def _check_cell(layer: Layer, index: tuple) -> None:
    shape = layer.out_shape
    if (len(index) != len(shape) or not all(_is_int(i) for i in index)
            or not all(0 <= i < n for i, n in zip(index, shape))):
        raise ValueError(f"{tuple(index)} is not a cell of the {layer.kind} layer's "
                         f"{shape_text(shape)} output")


def _after(network: Network, layer: int, value: float, channel: int) -> tuple[After, ...]:
    """The value of one cell (channel, or unit of a flat output) after each elementwise layer that
    directly follows `layer`, computed in float64 as the layer does in inference."""
    steps = []
    for index in range(layer + 1, len(network.layers)):
        step = network.layers[index]
        if step.kind not in ELEMENTWISE:
            break
        value = _elementwise(step, value, channel)
        steps.append((index, network.summary.layers[index].label, value))
    return tuple(steps)


def _elementwise(layer: Layer, v: float, channel: int) -> float:
    kind = layer.kind
    if kind == "relu":
        return v if v > 0 else 0.0
    if kind == "leaky_relu":
        return v if v > 0 else v * layer.slope
    if kind == "tanh":
        return math.tanh(v)
    if kind == "sigmoid":
        return 0.5 * (1 + math.tanh(0.5 * v))
    if kind == "dropout":  # inverted dropout is the identity in inference
        return v
    if isinstance(layer, BatchNorm):  # inference: the running statistics
        c = channel
        scale = float(layer.weight.value[c]) / math.sqrt(float(layer.running_var[c])
                                                         + layer.config["eps"])
        return (v - float(layer.running_mean[c])) * scale + float(layer.bias.value[c])
    raise ValueError(f"{kind} is not elementwise")


def _flattened_from(network: Network, layer: int) -> tuple[int, tuple[int, ...] | None]:
    """(source layer, map shape) when dense layer `layer` reads a flattened map: the layer whose
    output that map is (-1: the input image); (layer - 1, None) when it reads a flat vector."""
    in_shape = network.layers[layer].in_shape
    if len(in_shape) == 3:
        return layer - 1, tuple(in_shape)
    index = layer - 1
    while index >= 0 and network.layers[index].kind in ELEMENTWISE:
        index -= 1
    if index >= 0 and network.layers[index].kind == "flatten":
        return index - 1, tuple(network.layers[index].in_shape)
    return layer - 1, None


def _source(index: int, shape: tuple[int, ...] | None) -> tuple[int, ...]:
    if shape is None:
        return (index,)
    return tuple(int(i) for i in np.unravel_index(index, shape))
