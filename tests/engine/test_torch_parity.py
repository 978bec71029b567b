"""Parity with PyTorch in float32, to 1e-4 relative: every layer's forward and backward, and
five training steps of LeNet-5 with SGD and with Adam from the same initial weights."""
import json
from pathlib import Path

import numpy as np
import pytest

from cnnviz.engine.layers import LAYERS
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam
from cnnviz.engine.losses import mse
from cnnviz.engine.spec import conv_padding, normalise_layer

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: parity tests need torch==2.13.0 (.ci/run installs it)")
nn = torch.nn
pytestmark = pytest.mark.torch

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "architectures"


def assert_close(ours, theirs, what=""):
    """Equal to 1e-4 relative, the tolerance measured against the array's own scale."""
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    scale = float(np.abs(theirs).max()) if theirs.size else 0.0
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * scale, err_msg=what)


def assert_tensor_close(ours, theirs, what=""):
    """Equal to 1e-4 relative in norm, for the tensor as a whole. Adam divides each weight's step
    by that weight's own gradient history, so a weight whose gradients cancel at rounding level
    (a unit that died, left with only weight decay) moves by a rounding-determined amount; an
    element-by-element check there would measure float32 rounding, not the algorithm."""
    theirs = theirs.detach().numpy()
    error = np.linalg.norm(ours - theirs) / max(np.linalg.norm(theirs), 1e-30)
    assert error <= 1e-4, f"{what}: relative error {error:.2e}"


def torch_module(config, in_shape):
    """The PyTorch module equivalent to one cnnviz layer."""
    kind = config["type"]
    if kind == "conv":
        return nn.Conv2d(in_shape[0], config["filters"], config["kernel"], config["stride"],
                         conv_padding(config))
    if kind == "dense":
        linear = nn.Linear(int(np.prod(in_shape)), config["units"])
        return nn.Sequential(nn.Flatten(), linear) if len(in_shape) > 1 else linear
    if kind == "batchnorm":
        cls = nn.BatchNorm2d if len(in_shape) == 3 else nn.BatchNorm1d
        return cls(in_shape[0], eps=config["eps"], momentum=config["momentum"])
    return {
        "maxpool": lambda: nn.MaxPool2d(config["size"], config["stride"]),
        "avgpool": lambda: nn.AvgPool2d(config["size"], config["stride"]),
        "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "flatten": nn.Flatten,
        "leaky_relu": lambda: nn.LeakyReLU(config["slope"]),
        "dropout": lambda: nn.Dropout(config["rate"]),
    }[kind]()


def learnable(module):
    """The Linear/Conv/BatchNorm inside a module (dense may come wrapped with its Flatten)."""
    return module[-1] if isinstance(module, nn.Sequential) else module


def copy_weights(layer, module):
    target = learnable(module)
    with torch.no_grad():
        for name, p in layer.params().items():
            getattr(target, name).copy_(torch.from_numpy(p.value))
        for name, buf in layer.buffers().items():
            getattr(target, name).copy_(torch.from_numpy(buf))


LAYER_CASES = [
    ({"type": "conv", "filters": 6, "kernel": 5, "padding": 2}, (1, 28, 28)),
    ({"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1}, (3, 15, 13)),
    ({"type": "conv", "filters": 4, "kernel": 7, "padding": "same"}, (5, 9, 9)),
    ({"type": "conv", "filters": 3, "kernel": 4, "stride": 3}, (2, 12, 11)),
    ({"type": "maxpool", "size": 2}, (6, 28, 28)),
    ({"type": "maxpool", "size": 3, "stride": 2}, (4, 13, 13)),
    ({"type": "avgpool", "size": 2}, (3, 10, 9)),
    ({"type": "avgpool", "size": 3, "stride": 1}, (2, 7, 8)),
    ({"type": "dense", "units": 120}, (400,)),
    ({"type": "dense", "units": 10}, (16, 5, 5)),
    ({"type": "dense", "units": 33, "init": "glorot"}, (57,)),
    ({"type": "relu"}, (6, 8, 8)),
    ({"type": "leaky_relu", "slope": 0.2}, (50,)),
    ({"type": "tanh"}, (3, 7, 7)),
    ({"type": "sigmoid"}, (64,)),
    ({"type": "flatten"}, (4, 5, 6)),
    ({"type": "dropout", "rate": 0.4}, (30,)),  # inference mode: the identity in both
    ({"type": "batchnorm", "momentum": 0.1, "eps": 1e-5}, (6, 10, 10)),
    ({"type": "batchnorm", "momentum": 0.3, "eps": 1e-3}, (24,)),
]


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("config,in_shape", LAYER_CASES,
                         ids=[f"{c['type']}-{'x'.join(map(str, s))}" for c, s in LAYER_CASES])
def test_layer_matches_torch(config, in_shape, training):
    if training and config["type"] == "dropout":
        pytest.skip("dropout masks are random in both; training mode is checked by finite differences")
    rng = np.random.default_rng(0)
    layer = LAYERS[config["type"]].from_dict(_filled(config), in_shape, np.float32,
                                             np.random.default_rng(1))
    module = torch_module(_filled(config), in_shape)
    copy_weights(layer, module)
    module.train(training)
    batch = 5
    x = rng.standard_normal((batch, *in_shape)).astype(np.float32)
    ours = layer.forward(x, training)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    theirs = module(tx)
    assert_close(ours, theirs, "forward")
    upstream = rng.standard_normal(ours.shape).astype(np.float32)
    dx = layer.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    assert_close(dx, tx.grad, "input gradient")
    target = learnable(module)
    for name, p in layer.params().items():
        assert_close(p.grad, getattr(target, name).grad, f"gradient of {name}")
    for name, buf in layer.buffers().items():
        assert_close(buf, getattr(target, name), f"buffer {name}")


def _filled(config):
    """A layer config with its spec defaults, as validation would fill them."""
    return normalise_layer(config, 0)


def lenet_pair():
    spec = json.loads((ASSETS / "lenet5.json").read_text())
    net = Network(spec, seed=42)
    modules = [torch_module(layer.config, layer.in_shape) for layer in net.layers]
    for layer, module in zip(net.layers, modules):
        copy_weights(layer, module)
    return net, nn.Sequential(*modules)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_lenet_training_steps_match_torch(optimizer):
    net, model = lenet_pair()
    if optimizer == "sgd":
        ours = SGD(lr=0.05, momentum=0.9, nesterov=False, weight_decay=1e-4)
        theirs = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        ours = Adam(lr=0.002, weight_decay=1e-4)
        theirs = torch.optim.Adam(model.parameters(), lr=0.002, weight_decay=1e-4)
    rng = np.random.default_rng(5)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(5):
        x = rng.random((16, 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, 16)
        result = net.train_step(x, y, ours)
        theirs.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        theirs.step()
        assert result.loss == pytest.approx(loss.item(), rel=1e-4), f"loss at step {step}"
    torch_state = model.state_dict()
    check = assert_close if optimizer == "sgd" else assert_tensor_close
    for name, value in net.state_dict().items():
        check(value, torch_state[name], f"{name} after 5 steps")


def test_nesterov_matches_torch():
    net, model = lenet_pair()
    ours = SGD(lr=0.03, momentum=0.8, nesterov=True)
    theirs = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.8, nesterov=True)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.random((8, 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, 8)
        net.train_step(x, y, ours)
        theirs.zero_grad()
        nn.CrossEntropyLoss()(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        theirs.step()
    torch_state = model.state_dict()
    for name, value in net.state_dict().items():
        assert_close(value, torch_state[name], name)


def test_mse_matches_torch():
    rng = np.random.default_rng(3)
    outputs = rng.standard_normal((6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    loss, grad = mse(outputs, labels)
    t_out = torch.from_numpy(outputs.copy()).requires_grad_(True)
    target = nn.functional.one_hot(torch.from_numpy(labels), 4).float()
    t_loss = 0.5 * ((target - t_out) ** 2).sum(dim=1).mean()
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-5)
    assert_close(grad, t_out.grad)
