"""One weight's recorded update is the optimizer's real one: before, dL/dW and after are what
the training step read and wrote, and the formula worked out again from the recorded numbers
(SGD, with and without momentum and weight decay, Nesterov, Adam with its bias corrections)
gives the weight the optimizer stored, on conv and dense weights and biases, over several
steps."""
import numpy as np
import pytest

from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam
from cnnviz.engine.weight_update import WeightRef, parameter, watch

SPEC = {"input": [2, 6, 6], "classes": ["a", "b", "c"],
        "layers": [{"type": "conv", "filters": 3, "kernel": 3}, {"type": "relu"},
                   {"type": "flatten"}, {"type": "dense", "units": 3}]}
REFS = [WeightRef(0, "weight", (1, 1, 2, 0)), WeightRef(0, "bias", (2,)),
        WeightRef(3, "weight", (2, 17)), WeightRef(3, "bias", (0,))]
OPTIMIZERS = [lambda: SGD(0.05, momentum=0.0), lambda: SGD(0.05, momentum=0.9),
              lambda: SGD(0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
              lambda: Adam(0.01), lambda: Adam(0.01, weight_decay=0.001)]


@pytest.mark.parametrize("make", OPTIMIZERS)
@pytest.mark.parametrize("ref", REFS, ids=str)
def test_the_recorded_update_is_the_optimizers(make, ref):
    network, optimizer = Network(SPEC, seed=1), make()
    rng = np.random.default_rng(0)
    for step in range(1, 5):
        x = rng.standard_normal((8, 2, 6, 6)).astype(np.float32)
        y = rng.integers(0, 3, 8)
        value = parameter(network, ref).value
        before = float(value[ref.index])
        w = watch(network, optimizer, ref)
        network.train_step(x, y, optimizer)
        update = w.finish(step)
        assert update.before == before and update.after == float(value[ref.index])
        assert update.grad == float(parameter(network, ref).grad[ref.index])
        assert update.step == step and update.lr == optimizer.lr
        assert update.after != update.before
        # The shown formula gives the stored weight, to within a float32 rounding.
        assert abs(update.expected_after() - update.after) <= abs(np.spacing(np.float32(update.after)))
        assert np.isclose(update.change, -update.term(), rtol=1e-4, atol=1e-9)
        if update.optimizer == "adam":
            assert update.adam_step == step
            assert update.m_after == pytest.approx(
                optimizer.betas[0] * update.m_before
                + (1 - optimizer.betas[0]) * update.effective_grad, rel=1e-6)
        else:
            assert update.velocity_after == pytest.approx(
                update.momentum * update.velocity_before + update.effective_grad, rel=1e-6)


def test_plain_sgd_is_w_minus_lr_times_g():
    network, optimizer = Network(SPEC, seed=2), SGD(0.1, momentum=0.0)
    x = np.ones((4, 2, 6, 6), np.float32)
    w = watch(network, optimizer, REFS[2])
    network.train_step(x, np.array([0, 1, 2, 0]), optimizer)
    update = w.finish(1)
    assert update.after == float(np.float32(update.before - 0.1 * update.grad))


def test_a_weight_the_network_does_not_have_gives_no_watch():
    network, optimizer = Network(SPEC, seed=0), SGD(0.1)
    assert watch(network, optimizer, WeightRef(1, "weight", (0,))) is None  # relu
    assert watch(network, optimizer, WeightRef(0, "weight", (3, 0, 0, 0))) is None
    assert watch(network, optimizer, WeightRef(9, "bias", (0,))) is None
    with pytest.raises(ValueError, match="outside"):
        parameter(network, WeightRef(0, "weight", (0, 0, 0)))
    with pytest.raises(ValueError, match="name must be"):
        WeightRef(0, "gamma", (0,))
