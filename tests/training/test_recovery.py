"""Divergence recovery never locks the user out: the weights kept as good are weights whose loss
was checked, the optimizer's state comes back with them, and an edited network trains on at the
rate the old one trained at."""
import copy
import math

import numpy as np
import pytest

from cnnviz.architectures import load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam
from cnnviz.training.loop import TrainConfig, TrainingRun, train
from cnnviz.training.recovery import Checkpoint, divergence, state_problem
from tests.training.loop_helpers import EVERY_BATCH


def weights(network):
    return network.state_dict()


def same_weights(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(train_size=2000, test_size=200)


def run_until(run, done, limit):
    for snapshot in run:
        if done(snapshot) or snapshot.step >= limit:
            return snapshot
    raise AssertionError("the run ended")


@pytest.mark.parametrize("optimizer, sane_lr", [("adam", 0.001), ("sgd", 0.02)])
def test_after_a_divergence_a_sane_rate_trains_again(shapes, control, optimizer, sane_lr):
    """Learning rate 5 from the start, with a checkpoint proposed after every batch: the weights
    after the exploding update must never be kept as good (they were, and then every rate,
    0.001 included, 'exploded' at once)."""
    network = Network(load_architecture("shapes-small"), seed=0)
    initial = weights(network)
    config = TrainConfig(**EVERY_BATCH, lr=5.0, optimizer=optimizer, checkpoint_every=1)
    run = train(network, shapes, control, config)
    control.resume()
    diverged = run_until(run, lambda s: s.state == "diverged", 100)
    assert diverged.state == "diverged"
    # Step 1's loss was that of the initial weights (sound); step 1's update blew them up, so
    # step 2's loss, of those weights, is the first bad one: the initial weights come back.
    assert "weights from step 0 were restored" in diverged.message
    assert same_weights(weights(network), initial)
    control.set_hyperparameters(lr=sane_lr)
    control.resume()
    start, divergences = diverged.step, 0
    for snapshot in run:
        if snapshot.state == "diverged":
            divergences += 1
            control.resume()
        if snapshot.step >= start + 300 or divergences > 3:
            break
    assert divergences == 0
    assert snapshot.train_accuracy > 0.5 and snapshot.smoothed_loss < 0.7 * math.log(8)
    control.stop()


def test_a_restore_brings_back_the_optimizer_state_of_the_good_weights(shapes, control):
    network = Network(load_architecture("shapes-small"), seed=0)
    training = TrainingRun(network, shapes, control, TrainConfig(
        **EVERY_BATCH, optimizer="adam", lr=0.001, checkpoint_every=5))
    run = training.run()
    control.resume()
    run_until(run, lambda s: False, 5)  # step 5 asks for a checkpoint before step 6
    optimizer = training.optimizer
    good = weights(network)
    moments = {p: (s["m"].copy(), s["v"].copy(), s["step"]) for p, s in optimizer.state.items()}
    run_until(run, lambda s: False, 6)  # step 6's loss confirms them
    # Poison Adam's first moment: step 7's update is a NaN everywhere it touches.
    next(iter(optimizer.state.values()))["m"][0] = np.nan
    snapshot = run_until(run, lambda s: s.state == "diverged", 8)
    assert snapshot.state == "diverged"
    assert snapshot.message.startswith("the weights became NaN or infinite at step 7")
    assert "weights from step 5 were restored" in snapshot.message
    assert same_weights(weights(network), good)
    assert set(optimizer.state) == set(moments)
    for param, (m, v, step) in moments.items():
        state = optimizer.state[param]
        np.testing.assert_array_equal(state["m"], m)
        np.testing.assert_array_equal(state["v"], v)
        assert state["step"] == step
    control.stop()


def test_nan_in_the_optimizer_state_counts_as_divergence():
    network = Network(load_architecture("shapes-small"), seed=0)
    for optimizer, key in ((SGD(0.1), "velocity"), (Adam(0.001), "v")):
        optimizer.step(network.parameters())  # grads are zero: state arrays exist, finite
        assert state_problem(network, optimizer) is None
        next(iter(optimizer.state.values()))[key][3] = np.inf
        assert divergence(1.0, 1.0, network, optimizer) == \
            "the optimizer's state became NaN or infinite"


def test_a_poisoned_state_is_never_proposed_as_good():
    network = Network(load_architecture("shapes-small"), seed=0)
    optimizer = SGD(0.1)
    checkpoint = Checkpoint(network, optimizer, 0)
    network.layers[0].weight.value[0, 0, 0, 0] = np.nan
    checkpoint.propose(network, optimizer, 3, None)
    checkpoint.confirm()
    assert checkpoint.step == 0


def test_an_edited_network_trains_on_at_the_same_rate(shapes, control):
    """A conv inserted between a trained conv1 and its ReLU, at the rate the network trained
    at: without the warm-up every resumed run exploded again (87 restores in 200 steps), and
    the loss stayed far above the old network's."""
    spec = load_architecture("shapes-small")
    network = Network(spec, seed=0)
    training = TrainingRun(network, shapes, control, TrainConfig(**EVERY_BATCH, lr=0.05))
    run = training.run()
    control.resume()
    before = run_until(run, lambda s: False, 800)
    assert before.smoothed_loss < 0.5
    edited = copy.deepcopy(spec)
    edited["layers"].insert(1, {"type": "conv", "filters": 8, "kernel": 3, "padding": 1})
    control.set_spec(edited)
    announced = next(run)
    # The snapshots name the network they come from, as a copy of its spec.
    assert before.network_version == 0 and before.network_spec == network.spec
    assert announced.network_version == 1 and announced.network_spec == training.network.spec
    assert announced.network_spec is not training.network.spec
    assert announced.message.startswith(
        "Architecture changed: kept the weights of 0 conv 3x3, 4 conv 3x3, 7 conv 3x3, 11 dense "
        "64 and 13 dense 8; new weights for 1 conv 3x3; the learning rate ramps up")
    rates, divergences = {}, 0
    for snapshot in run:
        rates[snapshot.step - before.step] = training.optimizer.lr
        if snapshot.state == "diverged":
            divergences += 1
            control.resume()
        if snapshot.step >= before.step + 200 or divergences > 3:
            break
    assert divergences == 0
    assert snapshot.smoothed_loss < 1.5 and snapshot.message == ""
    # The k-th batch after the edit used k/200 of the set rate.
    assert announced.step == before.step + 1
    for k, rate in rates.items():
        assert rate == pytest.approx(0.05 * min(k, 200) / 200)
    control.stop()
