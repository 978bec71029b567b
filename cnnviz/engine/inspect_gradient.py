"""The backward pass on one probe image, and where one weight's gradient comes from.

The forward pass slides a filter over the input and sums products into each map cell; the
backward pass slides the same way, now carrying the error: for a conv weight W[f, c, i, j],

    dL/dW[f, c, i, j] = sum over map positions (y, x) of
                        input[c, y*stride + i, x*stride + j]  x  dL/d(pre-activation)[f, y, x]

(the input zero-padded as in the forward pass). `gradient_sum` lays those terms out for the
GUI, recomputed in float64 from the layer's input and the map's gradient, beside the engine's own
dL/dW for the same image, so the one can be checked against the other.

- probe_gradients: the loss of the probe for a class (its true class, or one the user chose),
  backpropagated by the engine, keeping dL/d(map) of every layer and each conv layer's dL/dW.
- gradient_sum: the sliding sum behind one weight's (or bias's) gradient for that image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.engine.layers import Conv, Dense
from cnnviz.engine.network import Network
from cnnviz.engine.weight_update import WeightRef, parameter


@dataclass(frozen=True)
class ProbeGradients:
    """The probe's loss for class `class_index` and its gradients: maps[i] is dL/d(taps[i])
    (without the batch axis; None before the first layer with weights, where backpropagation
    stops), filters[k] the k-th conv layer's dL/dW for this one image. Arrays are read-only."""
    class_index: int
    loss: float
    maps: tuple[np.ndarray | None, ...]
    filters: tuple[np.ndarray, ...]


def probe_gradients(network: Network, taps, class_index: int) -> ProbeGradients:
    """Backpropagate the probe's loss for `class_index`, reusing the forward pass that produced
    `taps` (network.forward_taps(probe[None]), with the batch axis: it must be the network's
    last pass). Overwrites the parameters' .grad, as saliency maps do: training refills them."""
    classes = taps[-1].shape[1]
    if isinstance(class_index, bool) or not isinstance(class_index, (int, np.integer)) \
            or not 0 <= class_index < classes:
        raise ValueError(f"class_index must be 0 to {classes - 1}, not {class_index!r}")
    loss, dout = network.loss_fn(taps[-1], np.array([class_index]))
    grads = network.backward_taps(dout)  # fresh copies: made read-only, not copied again
    return ProbeGradients(int(class_index), float(loss),
                          tuple(None if g is None else _readonly(g[0]) for g in grads),
                          tuple(_readonly(layer.weight.grad.copy()) for layer in network.layers
                                if isinstance(layer, Conv)))


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class GradientSum:
    """Where the probe's dL/dW of one weight comes from. inputs[y, x] is the value the weight
    multiplied at map position (y, x) (1 for a bias; 0 in the padding), delta[y, x] is
    dL/d(the layer's output) there, products their product in float64 and total the sum:
    dL/dW. engine is the engine's own dL/dW for the image. A dense weight has one position
    (its unit), so the arrays are 1 x 1. input_layer is the layer whose output the inputs come
    from (-1: the probe image); channel the input channel (conv weights); class_index the class
    whose loss was backpropagated."""
    ref: WeightRef
    inputs: np.ndarray
    delta: np.ndarray
    products: np.ndarray
    total: float
    engine: float
    input_layer: int
    class_index: int
    channel: int | None = None
    stride: int = 1
    padding: int = 0


def gradient_sum(network: Network, probe: np.ndarray, taps, grads: ProbeGradients,
                 ref: WeightRef) -> GradientSum:
    """The sliding sum behind weight `ref`'s gradient for the probe (module doc), right after
    probe_gradients (whose .grad values it reads as the engine's). taps are without the batch
    axis, as snapshots carry them. ValueError when the weight is not a conv or dense one."""
    param = parameter(network, ref)
    layer = network.layers[ref.layer]
    source = np.asarray(probe if ref.layer == 0 else taps[ref.layer - 1], np.float64)
    delta = np.asarray(grads.maps[ref.layer], np.float64)
    engine = float(param.grad[ref.index])
    where = dict(ref=ref, engine=engine, input_layer=ref.layer - 1,
                 class_index=grads.class_index)
    if isinstance(layer, Conv):
        f = ref.index[0]
        if ref.name == "bias":
            inputs = np.ones(delta.shape[1:])
            return _summed(inputs, delta[f], **where)
        _, c, i, j = ref.index
        s, pad = layer.stride, layer.pad
        padded = np.pad(source[c], pad)
        h, w = delta.shape[1:]
        inputs = padded[i:i + s * (h - 1) + 1:s, j:j + s * (w - 1) + 1:s]
        return _summed(inputs, delta[f], channel=c, stride=s, padding=pad, **where)
    if isinstance(layer, Dense):
        unit = ref.index[0]
        value = 1.0 if ref.name == "bias" else source.reshape(-1)[ref.index[1]]
        return _summed(np.full((1, 1), value), delta[unit].reshape(1, 1), **where)
    raise ValueError(f"layer {ref.layer} ({layer.kind}) has no sliding sum to show")


def _summed(inputs, delta, **fields) -> GradientSum:
    """The sum's arrays, fresh and read-only (inputs and delta may be views of others')."""
    products = inputs * delta
    return GradientSum(inputs=_readonly(inputs.copy()), delta=_readonly(delta.copy()),
                       products=_readonly(products), total=float(products.sum()), **fields)
