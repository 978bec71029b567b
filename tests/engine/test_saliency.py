"""Saliency and Grad-CAM by the engine's backward pass, against central finite differences on
small float64 networks (conv, pooling, batch norm with running statistics, dropout, dense), and
proof that computing them between training steps leaves training exactly as it was."""
import numpy as np
import pytest

from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam
from cnnviz.engine.receptive import Field, receptive_fields
from cnnviz.engine.saliency import (
    class_gradient,
    explain,
    grad_cam,
    last_conv_stage,
    saliency,
    upsample,
)

EPS = 1e-6
SPEC = {
    "input": [2, 10, 9], "classes": ["a", "b", "c"],
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},              # 0: 4x10x9
        {"type": "batchnorm"},                                                  # 1
        {"type": "tanh"},                                                       # 2
        {"type": "maxpool", "size": 2},                                         # 3: 4x5x4
        {"type": "conv", "filters": 5, "kernel": 3, "stride": 1, "padding": "same"},  # 4
        {"type": "leaky_relu", "slope": 0.2},                                   # 5: last stage
        {"type": "avgpool", "size": 2, "stride": 1},                            # 6: 5x4x3
        {"type": "flatten"},
        {"type": "dense", "units": 8},
        {"type": "relu"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 3},
    ],
}


def small_network(spec=SPEC, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    network = Network(spec, seed=seed, dtype=dtype)
    for layer in network.layers:
        if "bias" in layer.params():
            layer.params()["bias"].value[...] = rng.uniform(-0.2, 0.5,
                                                            layer.params()["bias"].value.shape)
        if layer.kind == "batchnorm":
            layer.weight.value[...] = rng.uniform(0.5, 2, layer.weight.value.shape)
            layer.running_mean[:] = rng.standard_normal(layer.running_mean.shape) * 0.3
            layer.running_var[:] = rng.uniform(0.3, 3, layer.running_var.shape)
    image = rng.standard_normal(network.input_shape)
    return network, image


def numeric_gradient(f, array):
    """Central differences of scalar f() with respect to every entry of `array` (in place)."""
    flat, grad = array.reshape(-1), np.empty(array.size)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + EPS
        plus = f()
        flat[i] = orig - EPS
        minus = f()
        flat[i] = orig
        grad[i] = (plus - minus) / (2 * EPS)
    return grad.reshape(array.shape)


def rest_of_network(network, stage, maps, class_index):
    """The class score from layer `stage`'s output on, in inference mode."""
    x = maps[None]
    for layer in network.layers[stage + 1:]:
        x = layer.forward(x, False)
    return float(x[0, class_index])


@pytest.mark.parametrize("class_index", [0, 2])
def test_saliency_is_the_finite_difference_gradient(class_index):
    network, image = small_network()
    expected = numeric_gradient(
        lambda: float(network.forward(image[None])[0, class_index]), image)
    result = saliency(network, image, class_index)
    assert result.shape == (10, 9) and result.dtype == np.float32
    np.testing.assert_allclose(result, np.abs(expected).max(axis=0), rtol=1e-5, atol=1e-7)


def test_class_gradient_at_an_intermediate_layer_is_the_finite_difference_gradient():
    network, image = small_network(seed=1)
    taps = network.forward_taps(image[None])
    for stage in (3, 5, 8):
        maps = np.array(taps[stage][0])
        expected = numeric_gradient(
            lambda stage=stage, maps=maps: rest_of_network(network, stage, maps, 1), maps)
        network.forward_taps(image[None])  # backward needs the image's own pass
        np.testing.assert_allclose(class_gradient(network, 1, stage), expected, rtol=1e-5,
                                   atol=1e-8)


def test_backward_to_the_input_is_backward_with_input_grad():
    network, image = small_network(seed=2)
    dout = np.random.default_rng(0).standard_normal((1, 3))
    network.forward(image[None])
    a = network.backward(dout, input_grad=True)
    b = network.backward_to(dout, -1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(network.backward_to(dout, 11), dout)  # the output itself
    for bad in (-2, 12, 1.0, True):
        with pytest.raises(ValueError):
            network.backward_to(dout, bad)
    assert not network.layers[0].needs_input_grad  # training skips the first layer's again


@pytest.mark.parametrize("class_index", [0, 1, 2])
def test_grad_cam_is_computed_from_finite_difference_gradients_of_the_maps(class_index):
    network, image = small_network(seed=3)
    stage = last_conv_stage(network)
    assert stage == 5
    maps = np.array(network.forward_taps(image[None])[stage][0])
    grads = numeric_gradient(lambda: rest_of_network(network, stage, maps, class_index), maps)
    weights = grads.mean(axis=(1, 2))
    cam = np.maximum(sum(w * m for w, m in zip(weights, maps)), 0)
    field = receptive_fields(network.summary)[stage]
    assert field == Field(8, 2, 0.5)
    heat = upsample(cam, field, (10, 9))
    expected = heat / heat.max() if heat.max() > 0 else heat
    result = grad_cam(network, image, class_index)
    assert result.shape == (10, 9) and result.dtype == np.float32
    assert result.min() >= 0 and result.max() <= 1
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_grad_cam_of_dead_maps_is_zeros():
    network, image = small_network(seed=4)
    network.layers[4].bias.value[...] = -1e3  # the last conv stage is all (leaky) negative
    network.layers[5].config["slope"] = 0.0
    result = grad_cam(network, image, 0)
    assert np.isfinite(result).all() and (result == 0).all()


def test_upsampling_puts_cells_at_their_field_centres():
    cam = np.array([[0.0, 1.0], [2.0, 4.0]])
    # jump 1, start 0: cells are pixels; beyond the last centre, the edge value
    np.testing.assert_allclose(upsample(cam, Field(3, 1, 0.0), (3, 2)),
                               [[0, 1], [2, 4], [2, 4]])
    # a map halved by pooling: centres at 0.5 and 2.5, so pixels 0..3 sit at 0, 1/4, 3/4 and 1
    # of the way between them, along each axis
    np.testing.assert_allclose(upsample(cam, Field(2, 2, 0.5), (4, 4)), [
        [0, 0.25, 0.75, 1], [0.5, 0.8125, 1.4375, 1.75], [1.5, 1.9375, 2.8125, 3.25],
        [2, 2.5, 3.5, 4]])


@pytest.mark.torch
def test_upsampling_a_halved_map_is_torchs_bilinear_interpolate():
    torch = pytest.importorskip("torch")
    cam = np.random.default_rng(0).random((7, 5))
    expected = torch.nn.functional.interpolate(torch.tensor(cam)[None, None], size=(14, 10),
                                               mode="bilinear", align_corners=False)[0, 0]
    np.testing.assert_allclose(upsample(cam, Field(6, 2, 0.5), (14, 10)), expected.numpy(),
                               rtol=1e-12)


def test_explain_defaults_to_the_predicted_class_and_checks_its_arguments():
    network, image = small_network(seed=5)
    taps = network.forward_taps(image[None])
    predicted = int(np.argmax(taps[-1][0]))
    heat, chosen = explain(network, taps, "saliency", None)
    assert chosen == predicted
    np.testing.assert_array_equal(heat, saliency(network, image, predicted))
    taps = network.forward_taps(image[None])
    heat, chosen = explain(network, taps, "gradcam", None)
    np.testing.assert_array_equal(heat, grad_cam(network, image, predicted))
    for mode, class_index in (("saliency", 3), ("saliency", -1), ("gradcam", True),
                              ("nope", 0)):
        with pytest.raises(ValueError):
            explain(network, taps, mode, class_index)
    with pytest.raises(ValueError):
        saliency(network, image[:1], 0)


def test_grad_cam_needs_a_conv_layer():
    spec = {"input": [1, 4, 4], "classes": ["a", "b"],
            "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}
    network = Network(spec, dtype=np.float64)
    with pytest.raises(ValueError, match="conv"):
        grad_cam(network, np.ones((1, 4, 4)), 0)
    assert saliency(network, np.ones((1, 4, 4)), 1).shape == (4, 4)


def test_saliency_leaves_weights_and_batch_norm_statistics_alone():
    network, image = small_network(seed=6, dtype=np.float32)
    before = network.state_dict()
    saliency(network, image.astype(np.float32), 0)
    grad_cam(network, image.astype(np.float32), 1)
    after = network.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_training_with_saliency_between_steps_is_bit_for_bit_training_without(optimizer):
    """Batch norm (running statistics), dropout (its random stream) and momentum / Adam state
    all see exactly the same steps."""
    results = []
    for explained in (False, True):
        network, _ = small_network(seed=7, dtype=np.float32)
        opt = optimizer(lr=0.01)
        rng = np.random.default_rng(0)
        probe = rng.standard_normal(network.input_shape).astype(np.float32)
        for step in range(6):
            x = rng.standard_normal((16, *network.input_shape)).astype(np.float32)
            y = rng.integers(0, 3, 16)
            if explained:
                saliency(network, probe, step % 3)
                grad_cam(network, probe, 1)
            network.train_step(x, y, opt)
        results.append(network.state_dict())
    plain, explained = results
    assert all(np.array_equal(plain[k], explained[k]) for k in plain)
