"""A seed fixes the initial weights, the data order and so the whole training trajectory."""
import numpy as np

from cnnviz.architectures import load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam
from cnnviz.training.fit import train_epochs

SPEC = dict(load_architecture("shapes-small"), layers=[
    {"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "batchnorm"},
    {"type": "relu"}, {"type": "maxpool", "size": 4}, {"type": "flatten"},
    {"type": "dense", "units": 16}, {"type": "relu"}, {"type": "dropout", "rate": 0.3},
    {"type": "dense", "units": 8}])


def trained_state(seed, optimizer_cls=SGD):
    data = make_shapes(train_size=300, test_size=10, seed=1)
    network = Network(SPEC, seed=seed)
    losses = []
    train_epochs(network, optimizer_cls(lr=0.01), data.train_x, data.train_y, epochs=2,
                 batch_size=32, seed=seed, on_progress=lambda p: losses.append(p.loss),
                 report_every=1)
    return network.state_dict(), losses


def test_same_seed_same_trajectory_bit_for_bit():
    for optimizer_cls in (SGD, Adam):
        (state_a, losses_a), (state_b, losses_b) = (trained_state(7, optimizer_cls),
                                                    trained_state(7, optimizer_cls))
        assert losses_a == losses_b
        for name in state_a:
            np.testing.assert_array_equal(state_a[name], state_b[name], err_msg=name)


def test_different_seed_different_weights():
    state_a, _ = trained_state(1)
    state_b, _ = trained_state(2)
    assert not np.array_equal(state_a["0.weight"], state_b["0.weight"])


def test_initial_weights_do_not_depend_on_dtype():
    a = Network(SPEC, seed=3, dtype=np.float32).state_dict()["5.weight"]
    b = Network(SPEC, seed=3, dtype=np.float64).state_dict()["5.weight"]
    np.testing.assert_array_equal(a, b.astype(np.float32))
