"""Receptive fields: which input pixels each cell of each layer's output can see.

Coordinates are input pixel indices: pixel (i, j) has its centre at (i, j). The textbook
arithmetic (Dumoulin and Visin, "A guide to convolution arithmetic"; Araujo et al., "Computing
receptive fields of convolutional neural networks", Distill 2019) runs through the layers; for a
window layer of kernel k, stride s and padding p (pools: kernel = size, no padding):

    size_out  = size_in + (k - 1) * jump_in
    jump_out  = jump_in * s
    start_out = start_in + ((k - 1) / 2 - p) * jump_in

Elementwise layers (activations, batch norm, dropout) keep the field. A dense unit (and everything
after one, and flatten) sees the whole input: such fields have `whole` set.

`input_box` gives the exact pixels one cell depends on: it walks the window back layer by layer and
clips it to each layer's input, so it also knows about the rows and columns a stride leaves unread
at the bottom and right edges, which the arithmetic above does not.
"""
from __future__ import annotations

from dataclasses import dataclass

from cnnviz.engine.spec import ELEMENTWISE, WINDOWED, LayerInfo, Summary, conv_padding

Box = tuple[int, int, int, int]  # (top, left, bottom, right), half-open, in input pixels


@dataclass(frozen=True)
class Field:
    """The receptive field of one layer's output cells (the same for every cell of the layer).

    size: side of a cell's field in input pixels (before clipping to the image; padding counts).
    jump: input pixels between the centres of neighbouring cells.
    start: input coordinate (pixel index) of the centre of cell 0; may be negative with padding.
    whole: the cells see the whole input (dense units, flatten and what follows them); then size
    is the input's larger side, jump 0 and start the centre of the input's first axis.
    """
    size: int
    jump: int
    start: float
    whole: bool = False

    def centre(self, index: int) -> float:
        """Input coordinate of the centre of cell `index` along one axis."""
        return self.start + index * self.jump


def window(layer: LayerInfo) -> tuple[int, int, int]:
    """(kernel, stride, padding) of a conv or pool layer."""
    config = layer.config
    if layer.type == "conv":
        return config["kernel"], config["stride"], conv_padding(config)
    return config["size"], config["stride"], 0


def receptive_fields(summary: Summary) -> list[Field]:
    """One Field per layer, for the layer's output cells."""
    height, width = summary.input[1:]
    whole = Field(max(height, width), 0, (height - 1) / 2, whole=True)
    fields, field = [], Field(1, 1, 0.0)
    for layer in summary.layers:
        if field.whole or len(layer.out_shape) != 3:
            field = whole
        elif layer.type in WINDOWED:
            k, stride, pad = window(layer)
            field = Field(field.size + (k - 1) * field.jump, field.jump * stride,
                          field.start + ((k - 1) / 2 - pad) * field.jump)
        elif layer.type not in ELEMENTWISE:
            raise ValueError(f"layer {layer.index} ({layer.label}): no receptive field rule")
        fields.append(field)
    return fields


def input_box(summary: Summary, layer: int, y: int = 0, x: int = 0, *,
              unit: int | None = None) -> Box:
    """The input pixels (top, left, bottom, right), half-open and inside the image, that can
    influence cell (y, x) of layer `layer`'s output.

    A flat output (dense, flatten and what follows; y and x are then not used) sees everything
    the map it flattened saw: the whole image, unless a stride left the last rows or columns
    unread. Only flatten (and elementwise layers right after it, before any dense) is more
    precise when given `unit`: its element `unit` is one cell of the flattened map."""
    if not 0 <= layer < len(summary.layers):
        raise ValueError(f"no layer {layer}: the network has {len(summary.layers)}")
    height, width = summary.input[1:]
    layers = summary.layers[:layer + 1]
    flat = next((info.index for info in layers if len(info.out_shape) != 3), None)
    if flat is not None and unit is not None and all(
            info.type == "flatten" or info.type in ELEMENTWISE for info in layers[flat:]):
        if not 0 <= unit < summary.layers[layer].out_shape[0]:
            raise ValueError(f"layer {layer} has no unit {unit}")
        if flat == 0:  # flattening the image itself
            _, y, x = divmod_shape(unit, summary.input)
            return y, x, y + 1, x + 1
        _, y, x = divmod_shape(unit, summary.layers[flat - 1].out_shape)
        layer, flat = flat - 1, None
    if flat == 0:
        return 0, 0, height, width
    if flat is not None:  # every cell of the last map
        layer = flat - 1
        top, left, (bottom, right) = 0, 0, summary.layers[layer].out_shape[1:]
    else:
        out_h, out_w = summary.layers[layer].out_shape[1:]
        if not (0 <= y < out_h and 0 <= x < out_w):
            raise ValueError(f"cell ({y}, {x}) is outside layer {layer}'s {out_h}x{out_w} output")
        top, left, bottom, right = y, x, y + 1, x + 1
    for info in reversed(summary.layers[:layer + 1]):
        if info.type in WINDOWED:
            k, stride, pad = window(info)
            in_h, in_w = info.in_shape[1:]
            top, bottom = _back(top, bottom, k, stride, pad, in_h)
            left, right = _back(left, right, k, stride, pad, in_w)
    return top, left, bottom, right


def divmod_shape(index: int, shape) -> tuple[int, int, int]:
    """(channel, y, x) of element `index` of a (C, H, W) map flattened in that order."""
    channel, rest = divmod(index, shape[1] * shape[2])
    return channel, *divmod(rest, shape[2])


def _back(first: int, end: int, k: int, stride: int, pad: int, size: int) -> tuple[int, int]:
    """The input cells, clipped to [0, size), that the output cells [first, end) read. Every
    window holds at least one real input cell (padding < kernel), so the clipped range is exactly
    the span of what is read."""
    return max(0, first * stride - pad), min(size, (end - 1) * stride - pad + k)
