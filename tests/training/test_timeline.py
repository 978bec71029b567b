"""The filter timeline's record: which moments a layer keeps (against a brute-force reading of
the rule), bounded over 100k snapshots, the snapshots' own arrays, and architecture edits."""
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.training.timeline import FilterTimeline, LayerMoments


def snap(step, *weights, version=0):
    return SimpleNamespace(step=step, network_version=version, conv_weights=weights)


def filters(shape, value=0.0):
    w = np.full(shape, value, np.float32)
    w.setflags(write=False)
    return w


def expected_kept(steps, capacity):
    """Brute force: the smallest power-of-two spacing whose slots (step // spacing) number at
    most `capacity`, and the index of the first snapshot in each of its slots."""
    spacing = 1
    while len({s // spacing for s in steps}) > capacity:
        spacing *= 2
    first = {}
    for i, s in enumerate(steps):
        first.setdefault(s // spacing, i)
    return spacing, sorted(first.values())


@pytest.mark.parametrize("seed", range(6))
def test_kept_moments_are_the_first_of_each_slot(seed):
    rng = np.random.default_rng(seed)
    capacity = int(rng.integers(2, 25))
    start = int(rng.integers(0, 5000))  # a run continued from a model file
    gaps = rng.choice([0, 1, 1, 2, 3, 7, 40], size=int(rng.integers(1, 3000)))
    steps = (start + np.cumsum(gaps)).tolist()
    timeline = FilterTimeline(capacity)
    arrays = [filters((2, 1, 3, 3), i) for i in range(len(steps))]
    for step, w in zip(steps, arrays):
        timeline.add(snap(step, w))
    spacing, kept = expected_kept(steps, capacity)
    layer = timeline.layers[0]
    assert layer.spacing == spacing
    assert [m.step for m in layer.kept] == [steps[i] for i in kept]
    assert all(m.weights is arrays[i] for m, i in zip(layer.kept, kept))  # no copies
    assert layer.kept[0].step == steps[0]  # the start is always there
    # moments(): the kept ones before the latest step, then the latest snapshot itself.
    moments = timeline.moments(0)
    assert moments[-1].weights is arrays[-1] and moments[-1].step == steps[-1]
    assert [m.step for m in moments[:-1]] == [steps[i] for i in kept if steps[i] < steps[-1]]


def test_a_hundred_thousand_snapshots_cost_what_a_thousand_do():
    timeline = FilterTimeline(20)
    shapes = [(4, 1, 3, 3), (8, 4, 3, 3)]
    held = {}
    for step in range(100_000):
        weights = tuple(filters(shape, step) for shape in shapes)
        timeline.add(snap(step, *weights))
        if step in (999, 99_999):
            held[step] = [len(layer.kept) for layer in timeline.layers]
    spacing, kept = expected_kept(range(100_000), 20)
    for layer in timeline.layers:
        assert layer.spacing == spacing and [m.step for m in layer.kept] == kept
        assert all(float(m.weights.flat[0]) == m.step for m in layer.kept)
    # Spread evenly from the start to now: a spacing apart, the last within one of the end.
    assert kept[0] == 0 and set(np.diff(kept)) == {spacing} and kept[-1] > 100_000 - spacing
    for count in held[999] + held[99_999]:  # never over the capacity, nor under half of it
        assert 10 <= count <= 20


def test_an_edit_keeps_the_layers_whose_shape_is_unchanged():
    a, b, c = (8, 3, 3, 3), (16, 8, 3, 3), (16, 16, 3, 3)
    timeline = FilterTimeline(20)
    for step in range(0, 50, 5):
        timeline.add(snap(step, filters(a), filters(b)))
    first, second = timeline.layers
    before = [m.step for m in first.kept]
    # A 16-filter conv appended after the second: both keep their history; the new one, whose
    # input has 16 channels, starts at the edit's step.
    timeline.add(snap(50, filters(a), filters(b), filters(c), version=1))
    assert timeline.layers[0] is first and [m.step for m in first.kept] == before + [50]
    assert timeline.layers[1] is second
    assert [m.step for m in timeline.layers[2].kept] == [50]
    # A changed filter count: that layer and the next (whose input changed) start afresh.
    timeline.add(snap(55, filters(a), filters((32, 8, 3, 3)), filters((16, 32, 3, 3)), version=2))
    assert timeline.layers[0] is first
    assert [[m.step for m in layer.kept] for layer in timeline.layers[1:]] == [[55], [55]]
    # A conv removed in front: the others shift down with their history.
    kept_third = timeline.layers[2]
    timeline.add(snap(60, filters((32, 3, 3, 3)), filters((16, 32, 3, 3)), version=3))
    assert timeline.layers[1] is kept_third and timeline.layers[0].kept[0].step == 60
    # An edit elsewhere (a dense layer): every conv keeps its moments.
    layers = list(timeline.layers)
    timeline.add(snap(61, filters((32, 3, 3, 3)), filters((16, 32, 3, 3)), version=4))
    assert timeline.layers == layers and timeline.network_version == 4


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="capacity"):
        FilterTimeline(1)
    timeline = FilterTimeline()
    with pytest.raises(ValueError, match="out, in, kh, kw"):
        timeline.add(snap(0, np.zeros((3, 3))))
    with pytest.raises(ValueError, match="whole number"):
        timeline.add(snap(-1, filters((1, 1, 3, 3))))
    timeline.add(snap(10, filters((1, 1, 3, 3))))
    with pytest.raises(ValueError, match="clear"):
        timeline.add(snap(9, filters((1, 1, 3, 3))))
    with pytest.raises(IndexError, match="conv layer 1"):
        timeline.moments(1)
    timeline.clear()
    timeline.add(snap(0, filters((1, 1, 3, 3))))  # after clear, a new run from step 0
    assert [m.step for m in timeline.moments(0)] == [0]


def test_peak_is_the_largest_finite_weight():
    layer = LayerMoments()
    w = np.array([[[[0.5, -2.0], [np.nan, np.inf]]]], np.float32)
    layer.add(3, w)
    assert layer.latest.peak == 2.0
    layer.add(4, np.full((1, 1, 2, 2), np.nan, np.float32))
    assert layer.latest.peak == 0.0
