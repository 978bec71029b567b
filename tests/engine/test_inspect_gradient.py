"""The probe's backward pass and the sliding sum shown for one weight: the gradient maps are the
engine's (checked against finite differences of the loss), and for every conv weight and bias
(stride, padding, several channels) and dense weight the shown sum of input x dL/d(map) terms
equals the engine's dL/dW to float32 precision."""
import numpy as np
import pytest

from cnnviz.engine.inspect_gradient import gradient_sum, probe_gradients
from cnnviz.engine.network import Network
from cnnviz.engine.weight_update import WeightRef

SPEC = {
    "input": [3, 9, 8], "classes": ["a", "b", "c"],
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": 1},  # 0: 4x5x4
        {"type": "relu"},                                                        # 1
        {"type": "conv", "filters": 3, "kernel": 2, "padding": 1},              # 2: 3x6x5
        {"type": "tanh"},                                                        # 3
        {"type": "flatten"},                                                     # 4
        {"type": "dense", "units": 5},                                           # 5
        {"type": "sigmoid"},                                                     # 6
        {"type": "dense", "units": 3},                                           # 7
    ],
}


def probed(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    network = Network(SPEC, seed=seed, dtype=dtype)
    for layer in network.layers:
        if "bias" in layer.params():
            layer.params()["bias"].value[...] = rng.uniform(-0.3, 0.6,
                                                            layer.params()["bias"].value.shape)
    probe = rng.standard_normal(network.input_shape).astype(dtype)
    raw = network.forward_taps(probe[None])
    return network, probe, raw


def every_weight(network):
    for i, layer in enumerate(network.layers):
        for name, param in layer.params().items():
            for index in np.ndindex(param.value.shape):
                yield WeightRef(i, name, index)


def test_the_sum_shown_is_the_engines_gradient_for_every_weight():
    network, probe, raw = probed()
    grads = probe_gradients(network, raw, 2)
    taps = [t[0] for t in raw]
    checked = 0
    for ref in every_weight(network):
        shown = gradient_sum(network, probe, taps, grads, ref)
        assert shown.products.shape == shown.inputs.shape == shown.delta.shape
        assert np.isclose(shown.total, shown.engine, rtol=1e-5, atol=1e-7), ref
        checked += 1
    assert checked == sum(p.value.size for p in network.parameters())


def test_the_inputs_under_a_weight_are_the_padded_input_at_the_strided_positions():
    network, probe, raw = probed()
    grads = probe_gradients(network, raw, 0)
    shown = gradient_sum(network, probe, [t[0] for t in raw], grads, WeightRef(0, "weight",
                                                                               (1, 2, 0, 0)))
    # Weight (row 0, column 0) of a 3x3 filter with padding 1, stride 2: at map position (y, x)
    # it sits on input pixel (2y - 1, 2x - 1), which is padding for y = 0 or x = 0.
    assert shown.stride == 2 and shown.padding == 1 and shown.channel == 2
    assert np.all(shown.inputs[0, :] == 0) and np.all(shown.inputs[:, 0] == 0)
    for y in range(1, shown.inputs.shape[0]):
        for x in range(1, shown.inputs.shape[1]):
            assert shown.inputs[y, x] == probe[2, 2 * y - 1, 2 * x - 1]
    assert np.array_equal(shown.delta, grads.maps[0][1])


def test_gradient_maps_are_the_loss_derivative_by_finite_differences():
    network, probe, raw = probed(np.float64, seed=3)
    grads = probe_gradients(network, raw, 1)
    # dL/d(map of layer 2) by nudging a cell of that map and running the rest of the network.
    tap = raw[2][0]
    rest = network.layers[3:]

    def loss_from(map2):
        x = map2[None]
        for layer in rest:
            x = layer.forward(x, False)
        return network.loss_fn(x, np.array([1]))[0]

    rng = np.random.default_rng(0)
    for _ in range(10):
        cell = tuple(int(rng.integers(n)) for n in tap.shape)
        up, down = tap.copy(), tap.copy()
        up[cell] += 1e-6
        down[cell] -= 1e-6
        numeric = (loss_from(up) - loss_from(down)) / 2e-6
        assert np.isclose(grads.maps[2][cell], numeric, rtol=1e-5, atol=1e-9)
    assert grads.maps[5].shape == (5,) and grads.maps[7].shape == (3,)
    assert [f.shape for f in grads.filters] == [(4, 3, 3, 3), (3, 4, 2, 2)]


def test_a_class_the_network_does_not_have_is_refused():
    network, _, raw = probed()
    with pytest.raises(ValueError, match="class_index must be 0 to 2"):
        probe_gradients(network, raw, 3)
