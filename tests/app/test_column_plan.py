"""The network view's columns for a network, and what each draws from a snapshot, without Qt
(stage_plan.plan_columns, column_data.py). The expected columns are read off the spec by hand."""
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.app.panes.column_data import column_data, matches
from cnnviz.app.panes.stage_plan import ColumnPlan, plan_columns, weight_shape
from cnnviz.engine.spec import validate

SPEC = {"input": [3, 16, 16], "classes": ["a", "b"],
        "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0: 4x16x16
                   {"type": "batchnorm"}, {"type": "relu"},                    # 1, 2
                   {"type": "maxpool", "size": 2},                             # 3: 4x8x8
                   {"type": "conv", "filters": 5, "kernel": 3},                # 4: 5x6x6
                   {"type": "tanh"},                                           # 5
                   {"type": "flatten"},                                        # 6: 180
                   {"type": "dense", "units": 8}, {"type": "dropout", "rate": 0.5},  # 7, 8
                   {"type": "dense", "units": 2}]}                             # 9
RGB = ("red", "green", "blue")
GRADIENT = "red: loss rises · blue: falls"

FORWARD = [
    ColumnPlan("input", "input", (3, 16, 16), "3 channels · 16×16", names=RGB),
    ColumnPlan("filters", "conv 3x3 filters", (4, 3, 3, 3), layer=0, conv=0, names=RGB),
    ColumnPlan("maps", "conv 3x3 → batchnorm → relu", (4, 16, 16), "4 maps · 16×16",
               "layers 0–2", tap=2),
    ColumnPlan("pooled", "maxpool 2x2", (4, 8, 8), "4 maps · 8×8", "layer 3", tap=3),
    ColumnPlan("filters", "conv 3x3 filters", (5, 4, 3, 3), layer=4, conv=1),
    ColumnPlan("maps", "conv 3x3 → tanh", (5, 6, 6), "5 maps · 6×6", "layers 4–5", tap=5),
    # no column for flatten; the dense layer's dropout is in its span, not its title
    ColumnPlan("dense", "dense 8", (8,), span="layers 7–8", tap=8),
    ColumnPlan("output", "output", (2,)),  # the last dense layer is drawn as the output
]


@pytest.fixture(scope="module")
def summary():
    return validate(SPEC)


def test_the_columns_of_a_network(summary):
    assert plan_columns(summary) == FORWARD


def test_gradients_add_dl_dw_beside_each_filters_and_dl_dmap_beside_each_maps(summary):
    plans = plan_columns(summary, gradients=True)
    f, m, p = FORWARD[1], FORWARD[2], FORWARD[3]
    assert plans[:8] == [
        FORWARD[0], f, ColumnPlan("filters", "conv 3x3 dL/dW", (4, 3, 3, 3), layer=0, conv=0,
                                  gradient=True, names=RGB),
        m, ColumnPlan("gradients", "dL/d(relu)", (4, 16, 16), GRADIENT, "layers 0–2", tap=2),
        p, ColumnPlan("gradients", "dL/d(maxpool 2x2)", (4, 8, 8), GRADIENT, "layer 3", tap=3),
        FORWARD[4]]
    assert [c.kind for c in plans[8:]] == ["filters", "maps", "gradients", "dense", "output"]
    assert plans[8].gradient and plans[8].conv == 1 and plans[10].tap == 5


def test_a_one_channel_input_has_no_channel_names():
    plans = plan_columns(validate(dict(SPEC, input=[1, 16, 16])))
    assert plans[0].names is None and plans[1].names is None
    assert plans[0].subtitle == "1 channels · 16×16" and plans[1].shape == (4, 1, 3, 3)


def fake_snapshot(summary, **changes):
    """A snapshot of `summary` as the loop makes one: every layer's output for the probe, the
    conv weights and the probabilities (no probe of its own, no gradients)."""
    rng = np.random.default_rng(0)
    values = dict(
        probe_taps=tuple(rng.standard_normal(info.out_shape).astype(np.float32)
                         for info in summary.layers),
        conv_weights=tuple(rng.standard_normal(weight_shape(info)).astype(np.float32)
                           for info in summary.layers if info.type == "conv"),
        probe_probabilities=np.array([0.25, 0.75], np.float32))
    values.update(changes)
    return SimpleNamespace(**values)


def test_each_column_draws_its_array_of_the_snapshot(summary):
    snap = fake_snapshot(summary)
    probe = np.ones((3, 16, 16), np.float32)
    drawn = [column_data(plan, snap, probe) for plan in FORWARD]
    expected = [probe, snap.conv_weights[0], snap.probe_taps[2], snap.probe_taps[3],
                snap.conv_weights[1], snap.probe_taps[5], snap.probe_taps[8],
                snap.probe_probabilities]
    assert all(a is b for a, b in zip(drawn, expected))
    carried = np.zeros((3, 16, 16), np.float32)  # a snapshot's own probe comes first
    assert column_data(FORWARD[0], SimpleNamespace(**vars(snap), probe=carried), probe) is carried


def test_without_a_probe_only_the_filters_are_drawn(summary):
    snap = fake_snapshot(summary, probe_taps=(), probe_probabilities=None)
    probe = np.ones((3, 16, 16), np.float32)
    assert [column_data(plan, snap, probe) is not None for plan in FORWARD] == [
        False, True, False, False, True, False, False, False]
    taps = fake_snapshot(summary)
    assert column_data(FORWARD[0], taps, None) is None  # the window has not said the probe
    assert column_data(FORWARD[0], taps, np.ones((3, 8, 8), np.float32)) is None  # another shape


def test_gradient_columns_wait_for_their_gradients(summary):
    plans = plan_columns(summary, gradients=True)
    dw, dmap = plans[2], plans[4]  # conv 0's dL/dW, dL/d(relu) of layer 2
    assert column_data(dw, fake_snapshot(summary), None) is None
    assert column_data(dmap, fake_snapshot(summary), None) is None
    maps = [None] * len(summary.layers)
    maps[2] = np.full((4, 16, 16), 0.5, np.float32)
    filters = (np.full((4, 3, 3, 3), 0.25, np.float32),)
    snap = fake_snapshot(summary, probe_gradients=SimpleNamespace(filters=filters, maps=maps))
    assert column_data(dw, snap, None) is filters[0] and column_data(dmap, snap, None) is maps[2]
    assert column_data(plans[8], snap, None) is None  # conv 1's dL/dW: not sent yet
    maps[2] = np.zeros((4, 8, 8), np.float32)  # of another network
    assert column_data(dmap, snap, None) is None


def test_a_snapshot_matches_only_its_own_network(summary):
    assert matches(summary, fake_snapshot(summary))
    assert matches(summary, fake_snapshot(summary, probe_taps=(), probe_probabilities=None))
    assert not matches(None, fake_snapshot(summary))
    other = validate(dict(SPEC, layers=[dict(SPEC["layers"][0], filters=6)] + SPEC["layers"][1:]))
    assert not matches(summary, fake_snapshot(other))  # other taps and weights
    assert not matches(summary, fake_snapshot(other, probe_taps=()))  # other weights alone
    taps = fake_snapshot(summary).probe_taps
    assert not matches(summary, fake_snapshot(summary, probe_taps=taps[:-1]))
    assert not matches(summary, fake_snapshot(summary, probe_probabilities=np.ones(3)))
