"""He and Glorot initialisation, and hyperparameters that change between steps."""
import math

import numpy as np
import pytest

from cnnviz.engine.layers import Parameter, initial_weights
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam


def test_he_normal_has_the_right_spread():
    w = initial_weights("he", (200, 50, 3, 3), 450, 1800, np.random.default_rng(0), np.float64)
    assert w.mean() == pytest.approx(0, abs=0.002)
    assert w.std() == pytest.approx(math.sqrt(2 / 450), rel=0.01)


def test_glorot_uniform_fills_its_bounds():
    w = initial_weights("glorot", (300, 400), 400, 300, np.random.default_rng(0), np.float64)
    limit = math.sqrt(6 / 700)
    assert w.max() <= limit and w.min() >= -limit
    assert w.max() > 0.99 * limit and w.min() < -0.99 * limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)


def test_init_field_reaches_the_layer():
    spec = {"input": [1, 8, 8], "classes": ["a", "b"], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "init": "glorot"}, {"type": "flatten"},
        {"type": "dense", "units": 2, "init": "glorot"}]}
    weights = Network(spec, seed=0).layers[0].weight.value
    assert np.abs(weights).max() <= math.sqrt(6 / (9 + 36))


def param(values, grads):
    p = Parameter.of(np.array(values, np.float32))
    p.grad[...] = grads
    return p


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1, momentum=0.9), lambda: Adam(lr=0.1)])
def test_learning_rate_changes_between_steps(make):
    optimizer, p = make(), param([1.0, 2.0], [0.5, -0.5])
    optimizer.step([p])
    moved = p.value.copy()
    optimizer.lr = 0.0
    optimizer.step([p])
    np.testing.assert_array_equal(p.value, moved)  # lr 0: the next step does not move


def test_momentum_changes_between_steps():
    optimizer, p = SGD(lr=1.0, momentum=0.9), param([0.0], [1.0])
    optimizer.step([p])  # v = 1, p = -1
    optimizer.momentum = 0.0
    optimizer.step([p])  # v = 0 * 1 + 1 = 1, p = -2 (with momentum 0.9 it would be -2.9)
    assert p.value[0] == pytest.approx(-2.0)


def test_forget_resets_the_state_of_rebuilt_layers():
    optimizer, p = SGD(lr=1.0, momentum=0.9), param([0.0], [1.0])
    optimizer.step([p])
    optimizer.forget([p])
    optimizer.step([p])  # a fresh velocity: the same step as the first
    assert p.value[0] == pytest.approx(-2.0)
