"""Cutting a long engine call short from another thread (engine/interrupt.py): a step that is
interrupted leaves the network exactly as it was, and the conv kernels skip their remaining
images once the flag is set."""
import numpy as np
import pytest

from cnnviz.engine import conv_kernels
from cnnviz.engine.blas import BLAS
from cnnviz.engine.interrupt import NEVER, Interrupted, InterruptFlag
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Adam

SPEC = {
    "name": "bn", "input": [1, 12, 12], "classes": ["a", "b", "c"],
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0
        {"type": "batchnorm"},                                        # 1
        {"type": "relu"},                                             # 2
        {"type": "conv", "filters": 6, "kernel": 3, "stride": 2},     # 3
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ],
}


def state(network):
    return {name: value.copy() for name, value in network.state_dict().items()}


def batch(seed=0, n=16):
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 12, 12), np.float32), rng.integers(0, 3, n)


def test_an_interrupted_step_leaves_the_network_and_optimizer_as_they_were():
    """Interrupted after the batch norm layer ran (its running statistics moved) and before the
    second conv: the weights, the running statistics and the optimizer are untouched, and the
    next steps give bit for bit what an uninterrupted network gives."""
    x, y = batch()
    plain, cut = Network(SPEC, seed=3), Network(SPEC, seed=3)
    plain_opt, cut_opt = Adam(0.01), Adam(0.01)
    plain.train_step(x, y, plain_opt)
    cut.train_step(x, y, cut_opt)
    before = state(cut)

    flag = InterruptFlag()
    batchnorm = cut.layers[1]
    original = batchnorm.forward

    def forward_then_interrupt(inputs, training=False):
        out = original(inputs, training)
        flag.set()  # as a pause from the GUI thread would, while this step is under way
        return out

    batchnorm.forward = forward_then_interrupt
    second_conv_out = cut.layers[3].scratch("out", (16, *cut.layers[3].out_shape))
    second_conv_out[...] = -7.0
    with pytest.raises(Interrupted):
        cut.train_step(x, y, cut_opt, flag)
    assert np.all(second_conv_out == -7.0), "the conv after the interrupt skipped its images"
    del batchnorm.forward
    after = state(cut)
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)

    flag.clear()
    for seed in (1, 2):
        xb, yb = batch(seed)
        a = plain.train_step(xb, yb, plain_opt)
        b = cut.train_step(xb, yb, cut_opt, flag)
        assert a == b
    assert all(np.array_equal(v, state(cut)[k]) for k, v in state(plain).items())


def test_a_set_flag_stops_forward_and_backward_but_calls_without_one_run_to_the_end():
    network = Network(SPEC, seed=0)
    x, y = batch()
    flag = InterruptFlag()
    flag.set()
    with pytest.raises(Interrupted):
        network.forward(x, interrupt=flag)
    _, grad, _ = network.loss(x, y, training=True)
    with pytest.raises(Interrupted):
        network.backward(grad, interrupt=flag)
    assert all(layer.interrupt is NEVER for layer in network.layers)  # handed back after a call
    np.testing.assert_array_equal(network.forward(x), network.forward(x, interrupt=InterruptFlag()))
    assert len(network.forward_taps(x[:1])) == len(network.layers)


@pytest.mark.parametrize("tasks", [1, 2])
def test_conv_kernels_skip_their_images_once_the_flag_is_set(tasks):
    rng = np.random.default_rng(0)
    x = rng.random((6, 2, 7, 7), np.float32)
    weight = rng.random((3, 2, 3, 3), np.float32)
    bias = np.zeros(3, np.float32)
    cols = np.empty((tasks, 2 * 9, 25), np.float32)
    gemm = BLAS.gemm_for(np.float32)
    out = np.full((6, 3, 5, 5), -7.0, np.float32)
    conv_kernels.conv_forward(gemm, x, weight, bias, 1, 0, out, cols, False, np.ones(1, np.uint8))
    assert np.all(out == -7.0)
    conv_kernels.conv_forward(gemm, x, weight, bias, 1, 0, out, cols, False, np.zeros(1, np.uint8))
    assert not np.any(out == -7.0)

    dout = rng.random(out.shape, np.float32)
    dx = np.full(x.shape, -7.0, np.float32)
    parts = np.full((tasks, *weight.shape), -7.0, np.float32)
    bias_parts = np.full((tasks, 3), -7.0, np.float32)
    conv_kernels.conv_backward(gemm, x, weight, dout, 1, 0, True, dx, cols, cols.copy(), parts,
                               bias_parts, False, np.ones(1, np.uint8))
    assert np.all(dx == -7.0) and not np.any(parts)  # zeroed, then no image added
