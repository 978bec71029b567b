"""Weight and gradient histograms against numpy.histogram, the sample against the whole
tensor, exact re-binning when a range doubles, and heat-strip histories bounded over 100k steps."""
from dataclasses import replace

import numpy as np
import pytest

from cnnviz.architectures import load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD
from cnnviz.training import health, histograms
from cnnviz.training.histograms import GRAD_BINS, SAMPLE, WEIGHT_BINS


def numpy_weight_shares(values, half):
    counts, _ = np.histogram(np.asarray(values, np.float64), WEIGHT_BINS, (-half, half))
    return counts / np.size(values)


def numpy_gradient_shares(values):
    edges = histograms.gradient_edges()
    # The top bin holds everything above its edge: numpy's last bin is closed, so clip to it.
    counts, _ = np.histogram(np.minimum(np.abs(values), edges[-1]), edges)
    return counts / np.size(values)


def test_weight_histogram_matches_numpy_over_the_smallest_power_of_two_range():
    rng = np.random.default_rng(1)
    w = (rng.standard_normal((40, 25)) * 0.2).astype(np.float32)
    w[0, :3] = 0.0
    shares, half = histograms.weight_histogram(w)
    top = np.abs(w).max()
    assert half / 2 < top <= half and np.log2(half) == int(np.log2(half))
    np.testing.assert_array_equal(shares, numpy_weight_shares(w, half))
    assert shares.sum() == pytest.approx(1.0)
    crafted = np.array([-0.5, 0.5, 0.0, -0.2, 0.45], np.float32)  # ±half: first and last bin
    shares, half = histograms.weight_histogram(crafted)
    assert half == 0.5 and shares[0] == shares[-1] == 0.2
    np.testing.assert_array_equal(shares, numpy_weight_shares(crafted, 0.5))
    assert histograms.weight_histogram(np.array([1.0, np.nan], np.float32)) is None


def test_gradient_histogram_counts_sizes_on_the_fixed_log_axis():
    edges = histograms.gradient_edges()
    assert len(edges) == GRAD_BINS + 1 and edges[1] == 1e-10 and edges[-1] == pytest.approx(100)
    # By hand: 3e-3 lies in [10**-2.75, 10**-2.5), row 1 + (10 - 2.75) * 4 = 30.
    assert edges[30] < 3e-3 < edges[31]
    g = np.array([3e-3, -3e-3, 0.0, -0.0, 1e-12, 5e5, -7.0, 2e-7, 0.05, -0.05], np.float32)
    shares = histograms.gradient_histogram(g)
    np.testing.assert_allclose(shares, numpy_gradient_shares(g))
    assert shares[30] == 0.2 and shares[0] == 0.3 and shares[-1] == 0.1  # 5e5: the top row
    rng = np.random.default_rng(2)  # over every decade, both signs
    g = (10.0 ** rng.uniform(-12, 3, 5000) * rng.choice([-1, 1], 5000)).astype(np.float32)
    np.testing.assert_allclose(histograms.gradient_histogram(g), numpy_gradient_shares(g))
    assert histograms.gradient_histogram(np.array([np.inf, 1.0])) is None
    assert histograms.gradient_histogram(np.array([1.0, np.nan])) is None
    dead = histograms.gradient_histogram(np.zeros((8, 4), np.float32))  # a dead layer: all 0
    assert dead[0] == 1.0 and dead.sum() == 1.0


def test_a_big_layer_is_sampled_evenly_and_its_shape_kept():
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((4096, 1024)) * 0.03).astype(np.float32)
    w[:, ::2] *= 3  # every other unit wider: a sample of every other unit would see only one
    s = histograms.sample(w)
    stride = s.strides[0] // w.itemsize
    assert s.size <= SAMPLE and s.base is not None and stride % 2  # a view: no copy
    index = np.arange(w.size)[::stride]
    np.testing.assert_array_equal(s, w.reshape(-1)[index])
    assert len(set(index % 1024)) == 1024  # every unit of a row is sampled
    shares, half = histograms.weight_histogram(w)
    whole = numpy_weight_shares(w, half)
    assert np.abs(shares - whole).max() < 0.005
    g = w * 1e-3
    assert np.abs(histograms.gradient_histogram(g) - numpy_gradient_shares(g)).max() < 0.005


def test_widening_a_histogram_is_the_histogram_over_twice_the_range():
    rng = np.random.default_rng(4)
    values = rng.uniform(-0.99, 0.99, 2000)
    twice = histograms.widen(histograms.widen(numpy_weight_shares(values, 1.0)))
    np.testing.assert_allclose(twice, numpy_weight_shares(values, 4.0))
    stacked = np.stack([numpy_weight_shares(values, 1.0)] * 3)
    np.testing.assert_allclose(histograms.widen(stacked)[2], numpy_weight_shares(values, 2.0))


def test_a_strips_range_only_grows_and_every_column_shares_it():
    rng = np.random.default_rng(5)
    first, second, third = (rng.uniform(-r, r, 500) for r in (0.9, 1.9, 0.3))
    strip = health.Strip(WEIGHT_BINS)
    strip.add(1, numpy_weight_shares(first, 1.0), 1.0)
    strip.add(2, numpy_weight_shares(second, 2.0), 2.0)  # widens column 1
    strip.add(3, numpy_weight_shares(third, 0.5), 0.5)   # is widened itself
    steps, columns = strip.points()
    assert strip.half_range == 2.0 and list(steps) == [1, 2, 3]
    for values, column in zip((first, second, third), columns):
        np.testing.assert_allclose(column, numpy_weight_shares(values, 2.0), atol=1e-6)
    with pytest.raises(ValueError, match="power of two"):
        strip.add(4, columns[0], 0.3)
    with pytest.raises(ValueError, match="64 bins"):
        strip.add(4, np.ones(10), 1.0)


def test_a_strip_stays_bounded_over_100k_steps_and_draws_a_bounded_image():
    strip = health.Strip(GRAD_BINS, capacity=500)
    nbytes = strip.values.nbytes
    for step in range(1, 100_001):
        column = np.zeros(GRAD_BINS, np.float32)
        column[step % GRAD_BINS] = 1.0
        strip.add(step, column)
    steps, columns = strip.points()
    assert strip.values.nbytes == nbytes == 500 * GRAD_BINS * 4
    assert 250 <= len(steps) <= 500
    gaps = np.diff(steps)
    assert gaps.min() == gaps.max() and steps[0] == 1 and steps[-1] > 100_000 - gaps[0]
    assert (columns.argmax(axis=1) == steps % GRAD_BINS).all()  # each column is its step's
    shown, image, start, end = strip.image()
    np.testing.assert_array_equal(shown, steps)
    assert image.shape == columns.shape  # columns drawn: as many as kept, at most 500
    np.testing.assert_array_equal(image, columns)  # even steps: the grid is the columns
    assert start == steps[0] and end == steps[-1] + gaps[0]


def test_uneven_steps_are_laid_on_an_even_grid_by_the_last_column_measured():
    steps = np.array([0, 10, 11, 12])
    columns = np.arange(4 * 3).reshape(4, 3)
    shown, image, start, end = histograms.even_columns(steps, columns)
    assert (start, end) == (0, 16)
    centres = [2, 6, 10, 14]
    expected = [max(i for i in range(4) if steps[i] <= c) for c in centres]
    np.testing.assert_array_equal(image, columns[expected])
    np.testing.assert_array_equal(shown, steps[expected])


def test_measure_gives_each_weighted_layer_the_histograms_of_its_last_batch():
    data = make_shapes(train_size=64, test_size=8)
    network = Network(load_architecture("shapes-small"), seed=0)
    network.train_step(data.train_x[:32], data.train_y[:32], SGD(0.05))
    weighted = [i for i, layer in enumerate(network.layers) if "weight" in layer.params()]
    records = {r.layer: r for r in health.measure(network, 0.05)}
    for i in weighted:
        w, g = network.layers[i].weight.value, network.layers[i].weight.grad
        assert w.size <= SAMPLE  # small layers: every weight counted
        r = records[i]
        np.testing.assert_allclose(r.weight_hist, numpy_weight_shares(w, r.weight_range))
        np.testing.assert_allclose(r.grad_hist, numpy_gradient_shares(g))
        assert not r.weight_hist.flags.writeable and not r.grad_hist.flags.writeable
    plain = {r.layer: r for r in health.measure(network, 0.05, histograms=False)}
    assert all(plain[i].weight_hist is None and plain[i].grad_hist is None for i in weighted)
    # The arrays take no part in equality (numpy's would raise).
    assert plain[weighted[0]] == replace(records[weighted[0]], weight_range=None)
