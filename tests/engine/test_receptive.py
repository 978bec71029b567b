"""Receptive fields: the arithmetic on known networks, and every cell's input box against brute
force on random stacks with strides, padding (in pixels and "same") and pooling.

Two brute forces: the exact support of a cell from the engine's backward pass (a one-hot gradient
at the cell, tanh and average pooling so that no gradient is cut off), and, for max pooling, which
outputs change when one input pixel is raised a lot (positive weights and inputs, no activation:
a raised pixel raises every cell that reads it, and becomes the max of every window it is in)."""
import numpy as np
import pytest

from cnnviz.architectures import load_architecture
from cnnviz.engine.network import Network
from cnnviz.engine.receptive import Field, input_box, receptive_fields
from cnnviz.engine.spec import validate


def spec_of(layers, input_shape, classes=2):
    return {"input": list(input_shape), "classes": [str(i) for i in range(classes)],
            "layers": layers + [{"type": "flatten"}, {"type": "dense", "units": classes}]}


def random_stack(rng, pool_kind, activation):
    """A random valid stack of 2 to 4 window layers on a small input, with activations and batch
    norm in between."""
    while True:
        size = int(rng.integers(9, 20))
        shape = (int(rng.integers(1, 3)), size, int(rng.integers(9, 20)))
        layers = []
        for _ in range(int(rng.integers(2, 5))):
            if rng.random() < 0.35:
                pool_size = int(rng.integers(1, 4))
                layers.append({"type": pool_kind, "size": pool_size,
                               "stride": int(rng.integers(1, 4))})
            else:
                k = int(rng.integers(1, 6))
                stride = int(rng.integers(1, 4))
                if k % 2 and stride == 1 and rng.random() < 0.3:
                    padding = "same"
                else:
                    padding = int(rng.integers(0, k))
                layers.append({"type": "conv", "filters": int(rng.integers(1, 4)), "kernel": k,
                               "stride": stride, "padding": padding})
            if activation and rng.random() < 0.5:
                layers.append({"type": activation})
            if activation and rng.random() < 0.2:
                layers.append({"type": "batchnorm"})
        spec = spec_of(layers, shape)
        try:
            validate(spec)
        except ValueError:
            continue
        return spec


def support_box(mask):
    """Bounding box (top, left, bottom, right) of the True pixels of a (H, W) mask."""
    rows, cols = np.nonzero(mask)
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def gradient_support(network, x, layer, cell):
    """Input pixels whose gradient of output `cell` of `layer` is non-zero (any channel)."""
    network.forward_taps(x)
    dout = np.zeros((1, *network.layers[layer].out_shape))
    dout[(0, *cell)] = 1.0
    for index in range(layer, -1, -1):
        current = network.layers[index]
        current.needs_input_grad = True
        dout = current.backward(dout)
    return np.abs(dout[0]).max(axis=0) > 0


@pytest.mark.parametrize("seed", range(12))
def test_input_box_is_the_gradient_support(seed):
    rng = np.random.default_rng(seed)
    spec = random_stack(rng, "avgpool", "tanh")
    network = Network(spec, seed=seed, dtype=np.float64)
    for layer in network.layers:  # batch norm with statistics that are not the identity
        if layer.kind == "batchnorm":
            layer.running_mean[:] = rng.standard_normal(layer.running_mean.shape)
            layer.running_var[:] = rng.uniform(0.5, 2, layer.running_var.shape)
    x = rng.standard_normal((1, *network.input_shape))
    summary = network.summary
    for index, info in enumerate(summary.layers):
        shape = info.out_shape
        if len(shape) == 3:  # every position, in a random channel
            cells = [(int(rng.integers(shape[0])), y, xx) for y in range(shape[1])
                     for xx in range(shape[2])]
        else:
            cells = [(u,) for u in range(shape[0])]
        for cell in cells:
            support = gradient_support(network, x, index, cell)
            box = input_box(summary, index, *cell[1:]) if len(shape) == 3 else \
                input_box(summary, index, unit=cell[0])  # flatten: the cell it flattened
            assert box == support_box(support), (spec["layers"], index, cell)


@pytest.mark.parametrize("seed", range(8))
def test_input_box_is_what_raising_one_pixel_changes_through_max_pooling(seed):
    rng = np.random.default_rng(100 + seed)
    spec = random_stack(rng, "maxpool", None)
    network = Network(spec, seed=seed, dtype=np.float64)
    for param in network.parameters():
        param.value[...] = rng.uniform(0.5, 1.0, param.value.shape)
    channels, height, width = network.input_shape
    base = rng.uniform(0, 1, (1, channels, height, width))
    raised = np.repeat(base, height * width, axis=0)
    for pixel in range(height * width):  # image p has pixel p raised in its first channel
        raised[pixel, 0, pixel // width, pixel % width] += 1e6
    before = network.forward_taps(base)
    after = network.forward_taps(raised)
    for index, info in enumerate(network.summary.layers):
        if len(info.out_shape) != 3:
            continue
        changed = np.abs(after[index] - before[index]) > 1e-3  # (pixels, C, h, w)
        for y in range(info.out_shape[1]):
            for x in range(info.out_shape[2]):
                support = changed[:, :, y, x].any(axis=1).reshape(height, width)
                assert input_box(network.summary, index, y, x) == support_box(support), \
                    (spec["layers"], index, y, x)


def test_fields_of_lenet5():
    summary = validate(load_architecture("lenet5"))
    fields = receptive_fields(summary)
    assert len(fields) == len(summary.layers)
    assert fields[0] == Field(5, 1, 0.0)       # conv 5x5 pad 2
    assert fields[1] == fields[0]              # relu keeps it
    assert fields[2] == Field(6, 2, 0.5)       # maxpool 2
    assert fields[3] == Field(14, 2, 4.5)      # conv 5x5, no padding
    assert fields[5] == Field(16, 4, 5.5)      # maxpool 2
    assert all(f.whole and f.size == 28 and f.jump == 0 for f in fields[6:])  # flatten, dense
    # cell 0 of the last map: centre 5.5, 16 wide -> pixels -2..13, clipped
    assert input_box(summary, 5, 0, 0) == (0, 0, 14, 14)
    assert input_box(summary, 5, 4, 4) == (14, 14, 28, 28)
    assert input_box(summary, 11) == (0, 0, 28, 28)
    assert input_box(summary, 6) == (0, 0, 28, 28)  # flatten: all of the map
    assert input_box(summary, 6, unit=16 * 25 - 1) == (14, 14, 28, 28)  # or one of its cells
    assert input_box(summary, 11, unit=0) == (0, 0, 28, 28)  # a dense unit sees it all


def test_fields_of_alexnet_mini():
    summary = validate(load_architecture("alexnet-mini"))
    fields = receptive_fields(summary)
    sizes = [(f.size, f.jump, f.start) for f, info in zip(fields, summary.layers)
             if info.type in ("conv", "maxpool")]
    assert sizes == [(5, 1, 0.0), (7, 2, 1.0), (15, 2, 1.0), (19, 4, 3.0), (27, 4, 3.0),
                     (35, 4, 3.0), (43, 4, 3.0), (51, 8, 7.0)]


def test_fields_of_same_padding_and_strided_conv():
    summary = validate(spec_of([
        {"type": "conv", "filters": 2, "kernel": 3, "padding": "same"},
        {"type": "conv", "filters": 2, "kernel": 4, "stride": 2, "padding": 1},
        {"type": "avgpool", "size": 3, "stride": 1}], (1, 12, 10)))
    fields = receptive_fields(summary)
    assert fields[:3] == [Field(3, 1, 0.0), Field(6, 2, 0.5), Field(10, 2, 2.5)]
    # the centre of cell (y, x) is start + index * jump, its box that wide around it, clipped
    assert input_box(summary, 2, 0, 0) == (0, 0, 8, 8)       # -2.0 .. 7.0
    assert input_box(summary, 2, 1, 2) == (0, 2, 10, 10)     # rows 0..9, cols 2..11 of 10
    assert fields[2].centre(3) == 8.5


def test_a_stride_that_leaves_the_last_row_unread_shrinks_the_box():
    # a 1x1 conv with stride 2 on 4 pixels reads 0 and 2; the padded 3x3 conv after it sees
    # pixels -2..4 by the arithmetic, but only 0 and 2 exist and are read
    summary = validate(spec_of([
        {"type": "conv", "filters": 1, "kernel": 1, "stride": 2},
        {"type": "conv", "filters": 1, "kernel": 3, "padding": 1}], (1, 4, 4)))
    assert receptive_fields(summary)[1] == Field(5, 2, 0.0)
    assert input_box(summary, 1, 1, 1) == (0, 0, 3, 3)
    assert input_box(summary, 3) == (0, 0, 3, 3)  # the dense unit never sees row or column 3


def test_input_box_refuses_cells_outside_the_map():
    summary = validate(load_architecture("lenet5"))
    with pytest.raises(ValueError):
        input_box(summary, 0, 28, 0)
    with pytest.raises(ValueError):
        input_box(summary, 12, 0, 0)
