"""Finite-difference gradient checks in float64: every layer type, both losses, whole networks.

Each check compares the analytic gradient of L = sum(output * R), R random, with central
differences, over random shapes that include stride > 1, padding, odd sizes and batch 1.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.engine.layers import LAYERS, Conv
from cnnviz.engine.losses import cross_entropy, mse
from cnnviz.engine.network import Network

EPS = 1e-6
pytestmark = pytest.mark.usefixtures("thread_paths")  # serial and parallel paths


def numeric_grad(f, array, rng, max_entries=40):
    """Central differences of scalar f() with respect to sampled entries of `array` (in place)."""
    flat = array.reshape(-1)
    picks = rng.choice(flat.size, size=min(flat.size, max_entries), replace=False)
    grads = np.empty(len(picks))
    for k, i in enumerate(picks):
        orig = flat[i]
        flat[i] = orig + EPS
        plus = f()
        flat[i] = orig - EPS
        minus = f()
        flat[i] = orig
        grads[k] = (plus - minus) / (2 * EPS)
    return picks, grads


def assert_grad_matches(analytic, f, array, rng):
    picks, numeric = numeric_grad(f, array, rng)
    np.testing.assert_allclose(analytic.reshape(-1)[picks], numeric, rtol=1e-5, atol=1e-7)


def make_layer(config, in_shape, seed=0):
    return LAYERS[config["type"]].from_dict(config, in_shape, np.float64,
                                            np.random.default_rng(seed))


def check_layer(config, in_shape, batch, training=True, seed=0):
    rng = np.random.default_rng(seed)
    layer = make_layer(config, in_shape, seed)
    x = rng.standard_normal((batch, *in_shape))
    out_shape = (batch, *layer.output_shape(tuple(in_shape)))
    upstream = rng.standard_normal(out_shape)

    def loss():
        layer.rng = np.random.default_rng(seed)  # the same dropout mask on every call
        return float(np.sum(layer.forward(x, training) * upstream))

    loss()
    dx = layer.backward(upstream)
    assert dx.shape == x.shape
    analytic = {name: p.grad.copy() for name, p in layer.params().items()}
    assert_grad_matches(dx, loss, x, rng)
    for name, p in layer.params().items():
        assert_grad_matches(analytic[name], loss, p.value, rng)


CONV_CASES = [  # (filters, kernel, stride, padding, input (C, H, W), batch)
    (3, 3, 1, 0, (2, 7, 7), 2),
    (4, 3, 2, 1, (3, 9, 8), 1),
    (2, 5, 1, "same", (1, 7, 9), 3),
    (5, 1, 1, 0, (4, 5, 5), 2),
    (3, 4, 3, 2, (2, 11, 10), 2),
    (2, 2, 2, 0, (3, 6, 7), 1),
    (1, 11, 1, 5, (1, 11, 11), 1),
]


@pytest.mark.parametrize("filters,kernel,stride,padding,in_shape,batch", CONV_CASES)
def test_conv_gradients(filters, kernel, stride, padding, in_shape, batch, conv_layouts):
    config = {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride,
              "padding": padding, "init": "he"}
    check_layer(config, in_shape, batch)


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize("size,stride,in_shape,batch", [
    (2, 2, (3, 8, 8), 2), (3, 2, (2, 9, 7), 1), (2, 1, (1, 5, 6), 3), (3, 3, (2, 7, 7), 1)])
def test_pool_gradients(kind, size, stride, in_shape, batch):
    check_layer({"type": kind, "size": size, "stride": stride}, in_shape, batch)


@pytest.mark.parametrize("in_shape,units,batch", [((7,), 5, 3), ((2, 3, 5), 4, 1), ((9,), 1, 2)])
@pytest.mark.parametrize("init", ["he", "glorot"])
def test_dense_gradients(in_shape, units, batch, init):
    check_layer({"type": "dense", "units": units, "init": init}, in_shape, batch)


@pytest.mark.parametrize("config", [
    {"type": "relu"}, {"type": "leaky_relu", "slope": 0.1}, {"type": "tanh"},
    {"type": "sigmoid"}, {"type": "flatten"}, {"type": "dropout", "rate": 0.3}])
@pytest.mark.parametrize("in_shape,batch", [((3, 5, 4), 2), ((6,), 1)])
def test_elementwise_gradients(config, in_shape, batch):
    check_layer(config, in_shape, batch)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("in_shape,batch", [((3, 4, 5), 2), ((3, 3, 3), 1), ((7,), 4)])
def test_batchnorm_gradients(in_shape, batch, training):
    config = {"type": "batchnorm", "momentum": 0.1, "eps": 1e-5}
    if training and batch * (in_shape[1] * in_shape[2] if len(in_shape) == 3 else 1) < 2:
        pytest.skip("training statistics need two values per channel")
    check_layer(config, in_shape, batch, training=training)


@pytest.mark.parametrize("loss_fn", [cross_entropy, mse])
@pytest.mark.parametrize("batch,classes", [(1, 3), (5, 10)])
def test_loss_gradients(loss_fn, batch, classes):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((batch, classes)) * 3
    labels = rng.integers(0, classes, batch)
    _, grad = loss_fn(logits, labels)
    assert_grad_matches(grad, lambda: loss_fn(logits, labels)[0], logits, rng)


def test_mse_is_the_textbook_formula():
    outputs = np.array([[0.2, 0.7, 0.1], [0.5, 0.5, 0.0]])
    labels = np.array([1, 0])
    expected = (0.5 * (0.2 ** 2 + 0.3 ** 2 + 0.1 ** 2) + 0.5 * (0.5 ** 2 + 0.5 ** 2)) / 2
    assert mse(outputs, labels)[0] == pytest.approx(expected)


def test_cross_entropy_value_and_stability():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    loss, grad = cross_entropy(logits, np.array([0, 2]))
    assert loss == pytest.approx(np.log(3) / 2)
    assert np.all(np.isfinite(grad))


WHOLE_NETWORK = {
    "input": [2, 9, 9], "classes": ["a", "b", "c"], "loss": "cross_entropy",
    "layers": [
        {"type": "conv", "filters": 3, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "batchnorm"}, {"type": "leaky_relu", "slope": 0.05},
        {"type": "conv", "filters": 4, "kernel": 2, "padding": 1}, {"type": "tanh"},
        {"type": "maxpool", "size": 2, "stride": 1}, {"type": "avgpool", "size": 2},
        {"type": "flatten"}, {"type": "dense", "units": 6}, {"type": "batchnorm"},
        {"type": "sigmoid"}, {"type": "dropout", "rate": 0.25}, {"type": "dense", "units": 3}],
}


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_whole_network_gradients(loss, conv_layouts):
    spec = dict(WHOLE_NETWORK, loss=loss)
    net = Network(spec, seed=3, dtype=np.float64)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 9, 9))
    labels = np.array([0, 2, 1])

    def loss_value():
        for layer in net.layers:
            layer.rng = np.random.default_rng(7)
        return net.loss(x, labels, training=True)[0]

    for layer in net.layers:
        layer.rng = np.random.default_rng(7)
    _, grad, _ = net.loss(x, labels, training=True)
    dx = net.backward(grad, input_grad=True)
    analytic = {name: p.grad.copy() for name, p in net.named_parameters()}
    assert_grad_matches(dx, loss_value, x, rng)
    for name, p in net.named_parameters():
        assert_grad_matches(analytic[name], loss_value, p.value, rng)


# Random shapes on top of the fixed cases above: hypothesis draws kernels, strides, padding,
# odd sizes and batch 1 together, and shrinks any failure to the smallest shape.


@st.composite
def conv_case(draw):
    kernel = draw(st.integers(1, 5))
    padding = draw(st.integers(0, kernel - 1))
    stride = draw(st.integers(1, 3))
    side = draw(st.integers(max(1, kernel - 2 * padding), 9))
    width = draw(st.integers(max(1, kernel - 2 * padding), 9))
    config = {"type": "conv", "filters": draw(st.integers(1, 4)), "kernel": kernel,
              "stride": stride, "padding": padding, "init": "he"}
    return config, (draw(st.integers(1, 3)), side, width), draw(st.integers(1, 3))


@settings(max_examples=40, deadline=None, database=None)
@given(conv_case(), st.integers(0, 2 ** 16), st.sampled_from(["channels first", "channels last"]))
def test_conv_gradients_random_shapes(case, seed, layout):
    config, in_shape, batch = case
    Conv.LAYOUT = layout  # hypothesis takes no function-scoped fixture (conv_layouts)
    try:
        check_layer(config, in_shape, batch, seed=seed)
    finally:
        Conv.LAYOUT = "auto"


@st.composite
def pool_case(draw):
    size = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 3)), draw(st.integers(size, 10)), draw(st.integers(size, 10)))
    return {"type": draw(st.sampled_from(["maxpool", "avgpool"])), "size": size,
            "stride": stride}, shape, draw(st.integers(1, 3))


@settings(max_examples=40, deadline=None, database=None)
@given(pool_case(), st.integers(0, 2 ** 16))
def test_pool_gradients_random_shapes(case, seed):
    config, in_shape, batch = case
    check_layer(config, in_shape, batch, seed=seed)
