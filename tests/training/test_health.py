"""The health figures: dead and saturated units against a direct count, norms and the update
ratio against the optimizer's real step, bounded histories, the loop's snapshots, warnings."""
import math

import numpy as np
import pytest

from cnnviz.architectures import load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD
from cnnviz.training import health
from cnnviz.training.loop import TrainConfig, train


def test_dead_units_are_those_never_positive_in_the_batch():
    x = np.full((4, 2, 3), -1.0, np.float32)
    x[2, 0, 1] = 0.5   # one image makes unit (0, 1) alive
    x[:, 1, 2] = 0.0   # exactly zero everywhere: dead
    x[0, 1, 0] = 1e-6
    expected = sum(not any(x[n, c, h] > 0 for n in range(4)) for c in range(2) for h in range(3)) / 6
    assert health.dead_fraction(x) == expected == 4 / 6


def test_saturated_outputs_are_counted_in_the_flat_tails():
    out = np.array([[-0.995, -0.5, 0.0, 0.99, 0.991, 1.0]], np.float32)
    assert health.saturated_fraction(out, "tanh") == 3 / 6
    sig = np.array([0.001, 0.005, 0.5, 0.995, 0.999, 0.3], np.float32)
    assert health.saturated_fraction(sig, "sigmoid") == 2 / 6


def test_norms_and_update_ratio_match_the_optimizers_real_step():
    data = make_shapes(train_size=64, test_size=8)
    network = Network(load_architecture("shapes-small"), seed=0)
    lr = 0.05
    optimizer = SGD(lr, momentum=0.0)  # then the update is exactly lr * g
    before = [p.value.copy() for p in network.parameters()]
    network.train_step(data.train_x[:32], data.train_y[:32], optimizer)
    records = health.measure(network, lr)
    by_layer = {r.layer: r for r in records}
    weights = [(i, layer) for i, layer in enumerate(network.layers) if "weight" in layer.params()]
    assert {i for i, _ in weights} <= set(by_layer)
    names = [n for n, _ in network.named_parameters()]
    for i, layer in weights:
        r = by_layer[i]
        w, g = layer.weight.value, layer.weight.grad
        assert r.weight_norm == pytest.approx(np.linalg.norm(w.astype(np.float64)), rel=1e-5)
        assert r.grad_norm == pytest.approx(np.linalg.norm(g.astype(np.float64)), rel=1e-5)
        old = before[names.index(f"{i}.weight")]
        step = np.linalg.norm((w - old).astype(np.float64))
        assert lr * r.grad_norm == pytest.approx(step, rel=1e-3)  # the update made
        assert r.update_ratio == pytest.approx(lr * r.grad_norm / r.weight_norm)
    relus = [i for i, layer in enumerate(network.layers) if layer.kind == "relu"]
    for i in relus:
        assert by_layer[i].dead_fraction == health.dead_fraction(network.layers[i]._x)


def test_history_stays_bounded_over_100k_steps_and_covers_the_run_evenly():
    history = health.History(capacity=1000)
    for step in range(1, 100_001):
        history.add(step, 1.0 / step)
    steps, values = history.points()
    assert 500 <= len(steps) <= 1000 and history.steps.nbytes == 8000
    gaps = np.diff(steps)
    assert gaps.min() == gaps.max()  # evenly spaced, old part and new alike
    assert steps[0] == 1 and steps[-1] > 100_000 - gaps[0]
    np.testing.assert_allclose(values, 1.0 / steps)


def test_snapshots_carry_the_health_of_their_last_batch(control):
    data = make_shapes(train_size=256, test_size=64)
    network = Network(load_architecture("shapes-small"), seed=0)
    config = TrainConfig(snapshot_every=1, snapshot_seconds=None, max_snapshot_hz=None,
                         eval_every=None, lr=0.02)
    run = train(network, data, control, config)
    control.resume()
    first = next(run)
    assert first.health_step == first.step == 1
    kinds = {r.layer: r.kind for r in first.health}
    assert kinds == {i: layer.kind for i, layer in enumerate(network.layers)
                     if layer.params().get("weight") is not None or layer.kind == "relu"}
    for r in first.health:
        figures = [v for v in (r.weight_norm, r.grad_norm, r.update_ratio, r.dead_fraction)
                   if v is not None]
        assert figures and all(math.isfinite(v) for v in figures)
    control.stop()
    for _ in run:
        pass


def test_warnings_name_the_layer_the_step_and_what_to_try():
    records = (health.LayerHealth(0, "conv", 1.0, 50.0, 0.5),
               health.LayerHealth(1, "relu", dead_fraction=0.75),
               health.LayerHealth(3, "dense", 10.0, 1e-6, 1e-8),
               health.LayerHealth(4, "tanh", saturated_fraction=0.9),
               health.LayerHealth(5, "dense", 1.0, 0.1, 1e-3))
    warned = health.warnings(records, 120)
    assert [(w.layer, w.problem) for w in warned] == [(0, "exploding"), (1, "dead"),
                                                       (3, "vanishing"), (4, "saturated")]
    said = [w.text for w in warned]
    assert said[0].startswith("layer 0 (conv) at step 120: updates are 0.5")
    assert "Lower the learning rate" in said[0]
    assert "75% of the units are dead" in said[1]
    assert "vanishing" in said[2] and "saturated" in said[3]
    assert health.csv_rows(records[:2], 7) == [
        [0, "conv", 7, "1", "50", "0.5", "", ""], [1, "relu", 7, "", "", "", "0.75", ""]]
