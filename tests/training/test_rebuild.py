"""Rebuilding the network for an edited spec keeps the unchanged layers' weights and optimizer
state (docs/ARCHITECTURE.md, rule 4)."""
import copy

import numpy as np
import pytest

from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam
from cnnviz.training.rebuild import matched_layers, mismatch, rebuild

CLASSES = ["a", "b", "c", "d"]
SPEC = {
    "name": "tiny", "input": [3, 16, 16], "classes": CLASSES,
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0
        {"type": "relu"},                                            # 1
        {"type": "maxpool", "size": 2},                              # 2
        {"type": "conv", "filters": 6, "kernel": 3, "padding": 1},   # 3
        {"type": "batchnorm"},                                       # 4
        {"type": "relu"},                                            # 5
        {"type": "maxpool", "size": 2},                              # 6
        {"type": "flatten"},                                         # 7
        {"type": "dense", "units": 16},                              # 8
        {"type": "relu"},                                            # 9
        {"type": "dense", "units": 4},                               # 10
    ],
}


def edited(**changes):
    spec = copy.deepcopy(SPEC)
    for index, fields in changes.get("set", {}).items():
        spec["layers"][index].update(fields)
    for index, layer in changes.get("insert", []):
        spec["layers"].insert(index, layer)
    for index in sorted(changes.get("remove", []), reverse=True):
        del spec["layers"][index]
    return spec


def trained_network(optimizer, steps=2):
    """A network a few steps into training, so weights, buffers and optimizer state are not
    their initial values."""
    network = Network(SPEC, seed=1)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = rng.random((8, 3, 16, 16), dtype=np.float32)
        network.train_step(x, rng.integers(0, 4, 8), optimizer)
    return network


def assert_kept(old_layer, new_layer):
    """The new layer holds the old layer's very Parameter objects (bit-identical values)."""
    for name, param in old_layer.params().items():
        assert new_layer.params()[name] is param
    for name, buffer in old_layer.buffers().items():
        assert new_layer.buffers()[name] is buffer


def assert_fresh(old_layer, new_layer):
    old_params = {id(p) for p in old_layer.params().values()}
    assert new_layer.params() and not old_params & {id(p) for p in new_layer.params().values()}


def runs_forward_and_backward(network, optimizer):
    rng = np.random.default_rng(5)
    x = rng.random((8, *network.input_shape), dtype=np.float32)
    before = [p.value.copy() for p in network.parameters()]
    result = network.train_step(x, rng.integers(0, 4, 8), optimizer)
    assert np.isfinite(result.loss)
    assert all(np.isfinite(p.grad).all() for p in network.parameters())
    assert any(not np.array_equal(b, p.value) for b, p in zip(before, network.parameters()))


def test_the_same_spec_keeps_everything():
    optimizer = SGD(0.05, momentum=0.9)
    old = trained_network(optimizer)
    state = old.state_dict()
    new = rebuild(old, SPEC, optimizer, seed=1)
    for a, b in zip(old.layers, new.layers):
        assert_kept(a, b)
    for name, value in new.state_dict().items():
        assert np.array_equal(value, state[name])
    assert set(optimizer.state) == set(new.parameters())


def test_inserting_a_layer_in_the_middle_keeps_all_the_others_bit_for_bit():
    optimizer = SGD(0.05, momentum=0.9)
    old = trained_network(optimizer)
    state = old.state_dict()
    # A shape-preserving conv after the first pool: every other layer keeps its shapes.
    spec = edited(insert=[(3, {"type": "conv", "filters": 4, "kernel": 3, "padding": 1}),
                          (4, {"type": "relu"})])
    new = rebuild(old, spec, optimizer, seed=1)
    assert len(new.layers) == len(old.layers) + 2
    mapping = {i: i if i < 3 else i + 2 for i in range(len(old.layers))}
    for i, j in mapping.items():
        assert_kept(old.layers[i], new.layers[j])
        for name in old.layers[i].params():
            assert np.array_equal(new.layers[j].params()[name].value, state[f"{i}.{name}"])
    inserted = new.layers[3]
    assert inserted.weight.value.shape == (4, 4, 3, 3)
    assert inserted.weight not in optimizer.state
    runs_forward_and_backward(new, optimizer)


def test_changing_a_convs_filters_reinitialises_it_and_its_reader_only():
    optimizer = SGD(0.05, momentum=0.9)
    old = trained_network(optimizer)
    old_params = old.parameters()
    new = rebuild(old, edited(set={3: {"filters": 10}}), optimizer, seed=1)
    # conv 3 changed; batchnorm 4 reads its 10 channels; dense 8 reads 10x4x4 inputs.
    for index in (3, 4, 8):
        assert_fresh(old.layers[index], new.layers[index])
    for index in (0, 10):
        assert_kept(old.layers[index], new.layers[index])
    assert new.layers[3].weight.value.shape == (10, 4, 3, 3)
    assert new.layers[8].weight.value.shape == (16, 160)
    # Optimizer state: kept for kept parameters (the same state dicts), gone for the others.
    kept = set(new.parameters()) & set(old_params)
    assert kept == {old.layers[0].weight, old.layers[0].bias,
                    old.layers[10].weight, old.layers[10].bias}
    assert set(optimizer.state) == kept
    runs_forward_and_backward(new, optimizer)
    assert set(optimizer.state) == set(new.parameters())


def test_optimizer_state_is_carried_not_copied():
    optimizer = Adam(0.01)
    old = trained_network(optimizer, steps=3)
    first = old.layers[0].weight
    state_before = optimizer.state[first]
    velocity = state_before["m"].copy()
    new = rebuild(old, edited(set={8: {"units": 12}}), optimizer, seed=1)
    assert optimizer.state[new.layers[0].weight] is state_before
    assert state_before["step"] == 3 and np.array_equal(state_before["m"], velocity)
    runs_forward_and_backward(new, optimizer)
    assert optimizer.state[new.layers[0].weight]["step"] == 4  # Adam's count carries on


def test_removing_a_layer_keeps_the_rest():
    optimizer = SGD(0.05)
    old = trained_network(optimizer)
    new = rebuild(old, edited(remove=[4]), optimizer, seed=1)  # drop the batchnorm
    for i, j in [(0, 0), (3, 3), (8, 7), (10, 9)]:
        assert_kept(old.layers[i], new.layers[j])
    assert set(optimizer.state) == set(new.parameters())
    runs_forward_and_backward(new, optimizer)


def test_batchnorm_running_statistics_are_kept():
    optimizer = SGD(0.05)
    old = trained_network(optimizer)
    running_mean = old.layers[4].running_mean
    assert not np.all(running_mean == 0)  # training moved it
    new = rebuild(old, edited(set={8: {"units": 20}}), optimizer, seed=1)
    assert new.layers[4].running_mean is running_mean
    assert new.state_dict()["4.running_var"].tolist() == old.layers[4].running_var.tolist()


def test_new_layers_are_initialised_from_the_seed():
    spec = edited(set={3: {"filters": 10}})
    a = rebuild(trained_network(SGD(0.05)), spec, None, seed=7)
    b = rebuild(trained_network(SGD(0.05)), spec, None, seed=7)
    assert np.array_equal(a.layers[3].weight.value, b.layers[3].weight.value)
    assert np.array_equal(a.layers[3].weight.value, Network(spec, seed=7).layers[3].weight.value)


def test_layers_align_like_a_diff():
    old = Network(SPEC).layers
    new = Network(edited(insert=[(3, {"type": "conv", "filters": 4, "kernel": 3,
                                      "padding": 1})])).layers
    pairs = matched_layers(old, new)
    assert (0, 0) in pairs and (3, 4) in pairs and (10, 11) in pairs
    assert len(pairs) == len(old)


def test_rebuild_with_a_bad_spec_raises_and_leaves_the_old_network_alone():
    optimizer = SGD(0.05)
    old = trained_network(optimizer)
    state = old.state_dict()
    with pytest.raises(ValueError):
        rebuild(old, edited(set={0: {"kernel": 40}}), optimizer)
    assert all(np.array_equal(v, state[k]) for k, v in old.state_dict().items())


def test_mismatch_with_a_dataset():
    data = make_shapes(train_size=8, test_size=8, size=16)
    assert mismatch((3, 16, 16), data.classes, data) is None
    assert "takes 1x16x16" in mismatch((1, 16, 16), data.classes, data)
    assert "in 4 classes" in mismatch((3, 16, 16), CLASSES, data)


def test_a_layer_whose_params_are_not_its_attributes_is_refused_even_under_python_O(
        monkeypatch):
    """The check that the moved weights really are the layer's is a raise, not an assert."""
    from cnnviz.engine.layers import Dense
    from cnnviz.training import rebuild as rebuilding

    network = Network(SPEC, seed=0)
    original = Dense.params
    monkeypatch.setattr(Dense, "params", lambda self: {"kernel": original(self)["weight"]})
    with pytest.raises(TypeError, match="dense.params\\(\\) names 'kernel'"):
        rebuilding._check_moved(network)
