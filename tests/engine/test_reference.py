"""The fast layers against the textbook ones (engine/reference.py, plain loops) on random shapes:
conv forward and backward (input, weights, bias) with stride, padding and several channels, max
and average pooling both ways, dense both ways and softmax cross-entropy, each in float64 (to
1e-10) and float32 (to float32's precision), on the serial and the parallel paths (and the
conv in both im2col layouts)."""
import numpy as np
import pytest

from cnnviz.engine import reference
from cnnviz.engine.losses import cross_entropy
from cnnviz.engine.network import Network

CASES = range(6)
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-5)}


def one_layer(layer: dict, shape, dtype, seed):
    """The layer, built by the engine for a (C, H, W) input, with its input gradient on."""
    network = Network({"input": list(shape), "classes": ["a", "b"],
                       "layers": [layer, {"type": "flatten"}, {"type": "dense", "units": 2}]},
                      seed=seed, dtype=dtype)
    first = network.layers[0]
    first.needs_input_grad = True
    rng = np.random.default_rng(seed)
    for param in first.params().values():
        param.value[...] = rng.standard_normal(param.value.shape)
    return first, rng


def random_conv(seed):
    rng = np.random.default_rng(100 + seed)
    k = int(rng.integers(1, 5))
    return ({"type": "conv", "filters": int(rng.integers(1, 5)), "kernel": k,
             "stride": int(rng.integers(1, 4)), "padding": int(rng.integers(0, k))},
            (int(rng.integers(1, 4)), int(rng.integers(k + 2, 11)), int(rng.integers(k + 2, 11))),
            int(rng.integers(1, 4)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES)
def test_conv_forward_and_backward_are_the_textbook_loops(case, dtype, thread_paths, conv_layouts):
    config, shape, batch = random_conv(case)
    layer, rng = one_layer(config, shape, dtype, case)
    x = rng.standard_normal((batch, *shape)).astype(dtype)
    w, b = layer.weight.value, layer.bias.value
    out = layer.forward(x, training=True)
    expected = reference.conv_forward(x, w, b, layer.stride, layer.pad)
    np.testing.assert_allclose(out, expected, **TOLERANCE[dtype])
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = layer.backward(dout)
    ref_dx, ref_dw, ref_db = reference.conv_backward(x, w, dout, layer.stride, layer.pad)
    np.testing.assert_allclose(dx, ref_dx, **TOLERANCE[dtype])
    np.testing.assert_allclose(layer.weight.grad, ref_dw, **TOLERANCE[dtype])
    np.testing.assert_allclose(layer.bias.grad, ref_db, **TOLERANCE[dtype])


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize("case", CASES)
def test_pooling_both_ways_is_the_textbook_loops(case, kind, thread_paths):
    rng = np.random.default_rng(200 + case)
    size, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    shape = (int(rng.integers(1, 4)), int(rng.integers(size, 10)), int(rng.integers(size, 10)))
    layer, rng = one_layer({"type": kind, "size": size, "stride": stride}, shape, np.float64,
                           case)
    x = rng.standard_normal((2, *shape))
    if case % 2:  # ties: the first of equal values wins, in both
        x = np.round(x)
    out = layer.forward(x, training=True)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    if kind == "maxpool":
        expected, _ = reference.maxpool_forward(x, size, stride)
        expected_dx = reference.maxpool_backward(x, dout, size, stride)
    else:
        expected = reference.avgpool_forward(x, size, stride)
        expected_dx = reference.avgpool_backward(x.shape, dout, size, stride)
    np.testing.assert_allclose(out, expected, **TOLERANCE[np.float64])
    np.testing.assert_allclose(dx, expected_dx, **TOLERANCE[np.float64])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch", [1, 3, 9])
def test_dense_both_ways_is_the_textbook_loops(batch, dtype, thread_paths):
    rng = np.random.default_rng(batch)
    network = Network({"input": [2, 3, 3], "classes": ["a", "b"],
                       "layers": [{"type": "flatten"}, {"type": "dense", "units": 7},
                                  {"type": "dense", "units": 2}]}, seed=batch, dtype=dtype)
    layer = network.layers[1]
    layer.needs_input_grad = True
    x = rng.standard_normal((batch, 18)).astype(dtype)
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out, reference.dense_forward(x, layer.weight.value,
                                                            layer.bias.value), **TOLERANCE[dtype])
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = layer.backward(dout)
    ref_dx, ref_dw, ref_db = reference.dense_backward(x, layer.weight.value, dout)
    np.testing.assert_allclose(dx, ref_dx, **TOLERANCE[dtype])
    np.testing.assert_allclose(layer.weight.grad, ref_dw, **TOLERANCE[dtype])
    np.testing.assert_allclose(layer.bias.grad, ref_db, **TOLERANCE[dtype])


def test_softmax_cross_entropy_is_the_textbook_formula():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4)) * 30  # large logits: the max shift matters
    labels = rng.integers(0, 4, 5)
    loss, grad = cross_entropy(logits, labels)
    ref_loss, ref_grad = reference.softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-14)
