"""The PyTorch equivalent of a cnnviz network, for parity tests and benchmarks.

PyTorch is never a runtime dependency of cnnviz: torch is imported only when these functions
are called. Parameter names and shapes already follow PyTorch, so copying is a plain copy.
"""
from __future__ import annotations

import math

from cnnviz.engine.layers import Layer
from cnnviz.engine.network import Network
from cnnviz.engine.spec import conv_padding


def torch_module(config: dict, in_shape: tuple):
    """The torch.nn module equivalent to one layer (a dense layer on image maps gets the
    Flatten that cnnviz applies implicitly)."""
    from torch import nn

    kind = config["type"]
    if kind == "conv":
        return nn.Conv2d(in_shape[0], config["filters"], config["kernel"], config["stride"],
                         conv_padding(config))
    if kind == "dense":
        linear = nn.Linear(math.prod(in_shape), config["units"])
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
    """The Conv2d/Linear/BatchNorm inside a module (dense may come wrapped with its Flatten)."""
    from torch import nn

    return module[-1] if isinstance(module, nn.Sequential) else module


def copy_weights(layer: Layer, module) -> None:
    """Copy one layer's parameters and buffers into its torch module."""
    import torch

    target = learnable(module)
    with torch.no_grad():
        for name, p in layer.params().items():
            getattr(target, name).copy_(torch.from_numpy(p.value))
        for name, buf in layer.buffers().items():
            getattr(target, name).copy_(torch.from_numpy(buf))


def to_torch(network: Network):
    """A torch.nn.Sequential with one module per cnnviz layer, holding the same weights."""
    from torch import nn

    modules = [torch_module(layer.config, layer.in_shape) for layer in network.layers]
    for layer, module in zip(network.layers, modules):
        copy_weights(layer, module)
    return nn.Sequential(*modules)


def share_dropout_masks(network: Network, model) -> None:
    """Make each dropout module of `model` (to_torch(network)) apply the mask its cnnviz twin
    drew in its last training pass: run cnnviz's step first, then PyTorch's on the same batch,
    and the two engines see the same masks (parity tests, and benchmarks/accuracy.py
    --same-masks)."""
    import torch

    class SameMask(torch.nn.Module):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            mask = self.layer.mask
            if not self.training or mask is None:
                return x
            return x * torch.from_numpy(mask).to(x.dtype)

    for i, layer in enumerate(network.layers):
        if layer.kind == "dropout":
            model[i] = SameMask(layer)
