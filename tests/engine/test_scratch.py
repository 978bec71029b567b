"""Scratch buffers are kept per name and shape: a one-image probe's backward pass between two
training steps leaves the training batch's buffers where they were (no reallocation), and a
name never keeps more than a few shapes."""
import numpy as np

from cnnviz.engine.inspect_gradient import probe_gradients
from cnnviz.engine.layers import Layer
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD

SPEC = {"input": [1, 12, 12], "classes": ["a", "b", "c"],
        "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
                   {"type": "maxpool", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 3}]}


def buffers(network):
    return {(i, key): buf for i, layer in enumerate(network.layers)
            for key, buf in layer._workspace.items()}


def test_a_probe_pass_between_steps_reallocates_nothing_of_the_batchs():
    network, optimizer = Network(SPEC, seed=0), SGD(0.01)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 1, 12, 12)).astype(np.float32), rng.integers(0, 3, 16)
    network.train_step(x, y, optimizer)
    before = buffers(network)
    probe_gradients(network, network.forward_taps(x[:1]), 1)
    network.train_step(x, y, optimizer)
    after = buffers(network)
    assert before and all(after[key] is buf for key, buf in before.items())


def test_a_name_keeps_at_most_a_few_shapes():
    layer = Network(SPEC, seed=0).layers[0]
    first = layer.scratch("dx", (1, 2))
    for n in range(2, 10):
        layer.scratch("dx", (n, 2))
    kept = [key for key in layer._workspace if key[0] == "dx"]
    assert len(kept) == Layer.SCRATCH_SHAPES
    assert layer.scratch("dx", (9, 2)) is layer.scratch("dx", (9, 2))
    assert layer.scratch("dx", (1, 2)) is not first  # the oldest went
