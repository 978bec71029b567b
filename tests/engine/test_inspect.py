"""The inspector's arithmetic equals the engine's values: every conv cell's sum of products plus
bias is the tap (stride > 1, padding in pixels and "same", several input channels, batch norm and
activations after it), pool blocks give their max or mean, dense units their total, and the
softmax steps the engine's probabilities."""
import numpy as np
import pytest

from cnnviz.engine.inspect import (
    SOFTMAX,
    ConvCell,
    DenseUnit,
    InspectRequest,
    PoolCell,
    SoftmaxSteps,
    conv_cell,
    dense_unit,
    inspect,
    pool_cell,
    softmax_steps,
)
from cnnviz.engine.losses import softmax
from cnnviz.engine.network import Network
from cnnviz.engine.receptive import input_box

SPEC = {
    "input": [3, 11, 9], "classes": ["a", "b", "c"],
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": 1},  # 0: 4x6x5
        {"type": "batchnorm"},                                                   # 1
        {"type": "relu"},                                                        # 2
        {"type": "conv", "filters": 5, "kernel": 3, "padding": "same"},          # 3: 5x6x5
        {"type": "leaky_relu", "slope": 0.1},                                    # 4
        {"type": "maxpool", "size": 2, "stride": 1},                             # 5: 5x5x4
        {"type": "conv", "filters": 3, "kernel": 4, "stride": 3, "padding": 2},  # 6: 3x2x2
        {"type": "tanh"},                                                        # 7
        {"type": "avgpool", "size": 2, "stride": 1},                             # 8: 3x1x1
        {"type": "flatten"},                                                     # 9: 3
        {"type": "dense", "units": 6},                                           # 10
        {"type": "sigmoid"},                                                     # 11
        {"type": "dropout", "rate": 0.3},                                        # 12
        {"type": "dense", "units": 3},                                           # 13
    ],
}
DENSE_ON_MAPS = {
    "input": [2, 5, 4], "classes": ["a", "b"],
    "layers": [{"type": "conv", "filters": 3, "kernel": 3, "padding": 1},
               {"type": "dense", "units": 7}, {"type": "batchnorm"}, {"type": "relu"},
               {"type": "dense", "units": 2}],
}


def probed(spec, dtype, seed=0):
    """A network with random biases and batch norm statistics, a probe and its taps."""
    rng = np.random.default_rng(seed)
    network = Network(spec, seed=seed, dtype=dtype)
    for layer in network.layers:
        for name, param in layer.params().items():
            if name == "bias" or layer.kind == "batchnorm":
                param.value[...] = rng.uniform(-0.5, 1.5, param.value.shape)
        if layer.kind == "batchnorm":
            layer.running_mean[:] = rng.standard_normal(layer.running_mean.shape)
            layer.running_var[:] = rng.uniform(0.3, 3, layer.running_var.shape)
    probe = rng.standard_normal(network.input_shape).astype(dtype)
    taps = [tap[0] for tap in network.forward_taps(probe[None])]
    return network, probe, taps


TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


def cells(shape):
    return [(c, y, x) for c in range(shape[0]) for y in range(shape[1]) for x in range(shape[2])]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_conv_cell_sums_to_the_engines_value(dtype):
    network, probe, taps = probed(SPEC, dtype)
    tol = TOLERANCE[dtype]
    for layer in (0, 3, 6):
        for channel, y, x in cells(taps[layer].shape):
            cell = conv_cell(network, probe, taps, layer, channel, y, x)
            assert isinstance(cell, ConvCell)
            np.testing.assert_allclose(cell.pre_activation, taps[layer][channel, y, x], **tol)
            assert cell.total == pytest.approx(cell.products.sum(), rel=1e-15)
            assert cell.pre_activation == cell.total + cell.bias
            np.testing.assert_array_equal(cell.products, cell.patch.astype(np.float64)
                                          * cell.weights)
            for index, _, value in cell.after:
                np.testing.assert_allclose(value, taps[index][channel, y, x], **tol)
            assert cell.value == cell.after[-1][2]


def test_conv_cell_patch_padding_and_geometry():
    network, probe, taps = probed(SPEC, np.float64)
    # layer 0: kernel 3, stride 2, padding 1; cell (0, 0) starts at (-1, -1)
    cell = conv_cell(network, probe, taps, 0, 2, 0, 0)
    assert (cell.rows, cell.cols, cell.stride, cell.padding) == ((-1, 2), (-1, 2), 2, 1)
    assert cell.patch.shape == cell.weights.shape == cell.padding_mask.shape == (3, 3, 3)
    expected_mask = np.zeros((3, 3), bool)
    expected_mask[0, :] = expected_mask[:, 0] = True
    assert (cell.padding_mask == expected_mask).all()
    assert (cell.patch[cell.padding_mask] == 0).all()
    np.testing.assert_array_equal(cell.patch[:, 1:, 1:], probe[:, 0:2, 0:2])
    np.testing.assert_array_equal(cell.weights, network.layers[0].weight.value[2])
    assert cell.bias == network.layers[0].bias.value[2]
    assert cell.input_layer == -1 and cell.field == (0, 0, 2, 2)
    assert [(index, label) for index, label, _ in cell.after] == [(1, "batchnorm"), (2, "relu")]
    # the last row of layer 0 (y = 5) reaches row 11, one past the 11 rows: padding again
    cell = conv_cell(network, probe, taps, 0, 0, 5, 2)
    assert cell.rows == (9, 12) and cell.cols == (3, 6)
    assert cell.padding_mask[:, 2, :].all() and not cell.padding_mask[:, :2, :].any()
    np.testing.assert_array_equal(cell.patch[:, :2, :], probe[:, 9:11, 3:6])
    # a deeper layer: the patch comes from the previous layer's output
    cell = conv_cell(network, probe, taps, 6, 1, 1, 1)
    assert cell.input_layer == 5 and cell.rows == (1, 5) and cell.cols == (1, 5)
    np.testing.assert_array_equal(cell.patch[:, :, :3], taps[5][:, 1:5, 1:4])
    assert cell.padding_mask[:, :, 3].all()
    assert cell.field == input_box(network.summary, 6, 1, 1)


def test_inspection_arrays_are_copies():
    network, probe, taps = probed(SPEC, np.float32)
    cell = conv_cell(network, probe, taps, 3, 0, 1, 1)
    before = cell.weights.copy()
    network.layers[3].weight.value[...] += 1
    np.testing.assert_array_equal(cell.weights, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_cells_give_the_winner_or_the_mean(dtype):
    network, probe, taps = probed(SPEC, dtype)
    for channel, y, x in cells(taps[5].shape):  # maxpool 2, stride 1
        cell = pool_cell(network, probe, taps, 5, channel, y, x)
        assert isinstance(cell, PoolCell) and cell.kind == "max"
        assert cell.rows == (y, y + 2) and cell.cols == (x, x + 2)
        np.testing.assert_array_equal(cell.block, taps[4][channel, y:y + 2, x:x + 2])
        assert cell.value == taps[5][channel, y, x] == cell.block[cell.winner] == cell.block.max()
    cell = pool_cell(network, probe, taps, 8, 2, 0, 0)  # avgpool 2 on a 2x2 map
    assert cell.kind == "average" and cell.winner is None and cell.block.shape == (2, 2)
    np.testing.assert_allclose(cell.value, taps[8][2, 0, 0], **TOLERANCE[dtype])
    np.testing.assert_allclose(cell.value, taps[7][2].mean(), **TOLERANCE[dtype])
    assert cell.field == input_box(network.summary, 8, 0, 0) and cell.input_layer == 7


def test_max_pool_winner_on_a_tie_is_the_first():
    network, probe, taps = probed(SPEC, np.float64)
    taps = list(taps)
    taps[4] = np.zeros_like(taps[4])
    cell = pool_cell(network, probe, taps, 5, 0, 2, 2)
    assert cell.winner == (0, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_units_total_and_largest_contributions(dtype):
    network, probe, taps = probed(SPEC, dtype)
    tol = TOLERANCE[dtype]
    for layer, top in ((10, 2), (13, 4), (13, 10)):
        for unit in range(taps[layer].shape[0]):
            d = dense_unit(network, probe, taps, layer, unit, top=top)
            assert isinstance(d, DenseUnit) and d.layer == layer and d.unit == unit
            np.testing.assert_allclose(d.total, taps[layer][unit], **tol)
            inputs = taps[layer - 1].reshape(-1)
            assert d.inputs == inputs.size
            assert len(d.contributions) == min(top, inputs.size)
            sizes = [abs(c.product) for c in d.contributions]
            assert sizes == sorted(sizes, reverse=True)
            products = inputs.astype(np.float64) * network.layers[layer].weight.value[unit]
            assert min(sizes) >= np.sort(np.abs(products))[::-1][len(sizes) - 1]
            assert d.total == pytest.approx(sum(c.product for c in d.contributions) + d.rest
                                            + d.bias, rel=1e-12, abs=1e-12)
            for c in d.contributions:
                assert c.value == inputs[c.index]
                assert c.weight == network.layers[layer].weight.value[unit, c.index]
                assert c.product == c.value * c.weight
            for index, _, value in d.after:
                np.testing.assert_allclose(value, taps[index][unit], **tol)
    # layer 10 reads the flattened 3x1x1 map of layer 8; layer 13 a flat vector
    d = dense_unit(network, probe, taps, 10, 0)
    assert d.source_layer == 8 and d.source_shape == (3, 1, 1)
    assert all(taps[8][c.source] == c.value for c in d.contributions)
    assert [label for _, label, _ in d.after] == ["sigmoid", "dropout"]
    d = dense_unit(network, probe, taps, 13, 0)
    assert d.source_layer == 12 and d.source_shape is None
    assert all(c.source == (c.index,) for c in d.contributions)


def test_dense_on_maps_names_map_cells_and_batch_norm_follows():
    network, probe, taps = probed(DENSE_ON_MAPS, np.float64)
    d = dense_unit(network, probe, taps, 1, 4, top=5)
    assert d.source_layer == 0 and d.source_shape == (3, 5, 4)
    for c in d.contributions:
        assert taps[0][c.source] == c.value and np.ravel_multi_index(c.source, (3, 5, 4)) == c.index
    assert [index for index, _, _ in d.after] == [2, 3]
    np.testing.assert_allclose([v for _, _, v in d.after], [taps[2][4], taps[3][4]], rtol=1e-12)
    d = dense_unit(network, probe, taps, 4, 1, top=3)
    assert d.source_layer == 3 and d.source_shape is None
    np.testing.assert_allclose(d.total, taps[4][1], rtol=1e-12)


def test_softmax_steps_match_the_engine():
    logits = np.array([2.0, -1.0, 0.5, 30.0], np.float32)
    steps = softmax_steps(logits)
    assert isinstance(steps, SoftmaxSteps) and steps.shift == 30.0
    np.testing.assert_array_equal(steps.shifted, logits.astype(np.float64) - 30)
    np.testing.assert_allclose(steps.exps, np.exp(steps.shifted))
    assert steps.sum == pytest.approx(steps.exps.sum())
    np.testing.assert_allclose(steps.probabilities, softmax(logits[None])[0], rtol=1e-6)
    assert steps.probabilities.sum() == pytest.approx(1.0)
    # large logits cannot overflow after the shift
    assert np.isfinite(softmax_steps(np.array([1000.0, 999.0])).probabilities).all()


def test_inspect_dispatches_on_the_layer():
    network, probe, taps = probed(SPEC, np.float32)
    assert isinstance(inspect(network, probe, taps, InspectRequest(0, (1, 2, 3))), ConvCell)
    # an activation is answered by the conv that produced it, the activation among its steps
    cell = inspect(network, probe, taps, InspectRequest(2, (1, 2, 3)))
    assert isinstance(cell, ConvCell) and (cell.layer, cell.channel, cell.y, cell.x) == (0, 1, 2, 3)
    assert cell.after[-1][0] == 2
    assert isinstance(inspect(network, probe, taps, InspectRequest(5, (4, 1, 0))), PoolCell)
    assert inspect(network, probe, taps, InspectRequest(8, (1, 0, 0))).kind == "average"
    # flatten element 2 is cell (2, 0, 0) of the avgpool's map
    cell = inspect(network, probe, taps, InspectRequest(9, (2,)))
    assert isinstance(cell, PoolCell) and (cell.layer, cell.channel) == (8, 2)
    unit = inspect(network, probe, taps, InspectRequest(12, (3,)))
    assert isinstance(unit, DenseUnit) and (unit.layer, unit.unit) == (10, 3)
    assert len(unit.contributions) == 3  # all of its 3 inputs: fewer than top (10)
    assert len(inspect(network, probe, taps, InspectRequest(13, (0,), top=2)).contributions) == 2
    steps = inspect(network, probe, taps, InspectRequest(SOFTMAX))
    np.testing.assert_allclose(steps.probabilities, softmax(taps[-1][None])[0], rtol=1e-6)


@pytest.mark.parametrize("request_", [
    InspectRequest(14, (0,)),          # past the last layer
    InspectRequest(0, (4, 0, 0)),      # channel out of range
    InspectRequest(0, (0, 6, 0)),      # row out of range
    InspectRequest(0, (0, 0)),         # too few indices
    InspectRequest(10, (0, 0, 0)),     # a map index for a dense layer
    InspectRequest(10, (6,)),          # unit out of range
    InspectRequest(3, (0, -1, 0)),     # negative
])
def test_requests_that_do_not_fit_raise_value_error(request_):
    network, probe, taps = probed(SPEC, np.float32)
    with pytest.raises(ValueError):
        inspect(network, probe, taps, request_)


def test_an_activation_on_the_input_has_nothing_to_show():
    spec = {"input": [1, 4, 4], "classes": ["a", "b"],
            "layers": [{"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 2}]}
    network, probe, taps = probed(spec, np.float32)
    with pytest.raises(ValueError, match="input image"):
        inspect(network, probe, taps, InspectRequest(0, (0, 1, 1)))
    with pytest.raises(ValueError):
        inspect(network, probe, taps[:2], InspectRequest(2, (0,)))  # taps of another network


def test_request_values_are_checked_when_made():
    assert InspectRequest(np.int64(3), [1, np.int32(2), 0]) == InspectRequest(3, (1, 2, 0))
    for layer, index in ((-2, ()), (True, ()), (1.0, ()), (0, (1.5,)), (0, 3), (0, "ab")):
        with pytest.raises(ValueError):
            InspectRequest(layer, index)
    with pytest.raises(ValueError):
        InspectRequest(0, (0,), top=-1)
