"""The Curves pane's logic without Qt: the stepped axis ranges, the series' running bounds, and
what each snapshot adds to the curves (curve_ranges.py, curve_data.py)."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.app.panes.curve_data import CurveData, GrowingSeries, News
from cnnviz.app.panes.curve_ranges import nice_ceiling, series_bounds, stepped, union, widen

NICE_NUMBERS = sorted(m * 10.0 ** k for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
                      for k in range(-4, 8))


@pytest.mark.parametrize("value", [0.0013, 0.7, 1, 1.05, 2.4, 2.6, 7.9, 8.01, 99, 100, 101,
                                   12_345, 3e6])
def test_nice_ceiling_is_the_next_nice_number(value):
    expected = next(n for n in NICE_NUMBERS if n >= value * (1 - 1e-12))
    assert nice_ceiling(value) == pytest.approx(expected)


def test_stepped_x_range_holds_the_data_and_stays_put_as_steps_come():
    low, high = stepped(0, 1234, x_axis=True)
    assert low <= 0 and high > 1234 and high == pytest.approx(1500)
    # The steps up to just below the top give the same range; the top itself moves it on.
    for last in range(1235, 1500):
        assert stepped(0, last, x_axis=True) == (low, high)
    assert stepped(0, 1500, x_axis=True)[1] > high


def test_stepped_y_range_rounds_out_to_a_tenth_of_the_span():
    low, high = stepped(0.234, 2.31, x_axis=False)
    assert (low, high) == pytest.approx((0.0, 2.5))
    low, high = stepped(-3.7, -1.2, x_axis=False)  # step 0.25
    assert (low, high) == pytest.approx((-3.75, -1.0))


@pytest.mark.parametrize("bounds", [(0.5, 0.5), (2.0, 1.0), (0.0, math.inf), (-math.inf, 1.0)])
def test_stepped_leaves_an_empty_or_unbounded_range_alone(bounds):
    assert stepped(*bounds, x_axis=False) == bounds
    assert stepped(*bounds, x_axis=True) == bounds


def test_widen_and_union():
    bounds = [math.inf, -math.inf]
    for value in (3.0, -1.0, 7.5, 2.0):
        widen(bounds, value)
    assert bounds == [-1.0, 7.5]
    assert union([(1, 4), (None, None), (-2, 3)]) == [-2, 4]
    assert union([(None, None)]) is None and union([]) is None


def test_growing_series_doubles_keeps_values_and_running_bounds():
    series = GrowingSeries(4)
    rng = np.random.default_rng(0)
    ys = rng.normal(size=9)
    ys[3] = np.inf
    for i, y in enumerate(ys):
        series.append(10 - i, y)
    assert len(series.x) == 16 and series.count == 9
    x, y = series.views()
    assert x.tolist() == list(range(10, 1, -1))
    finite = np.isfinite(ys)
    np.testing.assert_array_equal(y[finite], ys[finite])
    assert np.isnan(y[3])  # a non-finite loss breaks the line
    assert series.x_range == [2, 10] and series.y_range == [ys[finite].min(), ys[finite].max()]
    series.clear()
    assert series.count == 0 and len(series.views()[0]) == 0
    assert series.x_range == [math.inf, -math.inf]


def test_series_bounds_leave_out_empty_series_and_missing_ys():
    a, b, c = GrowingSeries(), GrowingSeries(), GrowingSeries()
    a.append(5, 0.5)
    a.append(9, 2.0)
    b.append(12, math.nan)  # an x but no finite y
    assert series_bounds([a, b, c]) == [[5, 12], [0.5, 2.0]]
    assert series_bounds([b, c]) == [[12, 12], None]
    assert series_bounds([c]) == [None, None]


def snapshot(step, loss=1.0, smoothed=0.9, evaluation_step=None, accuracy=None, test_loss=None,
             lr=0.01, rate=None):
    return SimpleNamespace(step=step, batch_loss=loss, smoothed_loss=smoothed,
                           evaluation_step=evaluation_step, test_accuracy=accuracy,
                           test_loss=test_loss, hyperparameters={} if lr is None else {"lr": lr},
                           learning_rate=rate)


def test_a_loss_point_per_new_step_only():
    data = CurveData()
    for step, loss in [(1, 2.0), (2, 1.5), (2, 9.0), (1, 9.0), (4, 1.0)]:
        assert data.add(snapshot(step, loss, loss / 2)) == News()
    assert data.raw.views()[0].tolist() == [1, 2, 4]
    assert data.raw.views()[1].tolist() == [2.0, 1.5, 1.0]
    assert data.smooth.views()[1].tolist() == [1.0, 0.75, 0.5]
    data.add(snapshot(5, None))  # a snapshot without a batch loss (paused, probe only)
    data.add(snapshot(6, 0.8, None))  # no running average yet: the raw loss alone
    assert data.raw.views()[0].tolist() == [1, 2, 4, 6]
    assert data.smooth.views()[0].tolist() == [1, 2, 4]


def test_a_rate_point_per_new_step_with_the_rate_it_trained_with():
    data = CurveData()
    for step, rate in [(1, 4e-4), (2, 2e-3), (2, 9.0), (3, None), (5, 1e-5)]:
        assert data.add(snapshot(step, rate=rate, lr=0.01)) == News()  # set rate unchanged
    assert data.rate.views()[0].tolist() == [1, 2, 5]
    assert data.rate.views()[1].tolist() == [4e-4, 2e-3, 1e-5]
    assert data.rate.y_range == [1e-5, 2e-3]
    data.add(snapshot(6, loss=None, rate=0.5))  # no training step: no point
    assert data.rate.count == 3


def test_a_test_point_per_new_evaluation():
    data = CurveData()
    news = data.add(snapshot(10, evaluation_step=10, accuracy=0.625, test_loss=1.25))
    assert news.evaluation == (10, 0.625)
    assert data.add(snapshot(11, evaluation_step=10, accuracy=0.625, test_loss=1.25)) == News()
    assert data.add(snapshot(12, evaluation_step=20, accuracy=None)) == News()  # not finished
    assert data.add(snapshot(20, evaluation_step=20, accuracy=0.75)).evaluation == (20, 0.75)
    assert data.test_acc.views()[0].tolist() == [10, 20]
    assert data.test_acc.views()[1].tolist() == [62.5, 75.0]  # in percent
    assert data.test_loss.views()[0].tolist() == [10]  # the second came without a test loss


def test_a_learning_rate_change_is_news_once():
    data = CurveData()
    assert data.add(snapshot(1, lr=0.01)).lr_change is None  # the first rate is no change
    assert data.add(snapshot(2, lr=0.01)).lr_change is None
    assert data.add(snapshot(3, lr=None)).lr_change is None
    assert data.add(snapshot(3, lr=0.005)).lr_change == (3, 0.005)  # also without a new loss
    assert data.add(snapshot(4, lr=0.005)).lr_change is None
    assert data.add(snapshot(5, lr=0.01)).lr_change == (5, 0.01)


def test_restore_then_continue_and_clear():
    data = CurveData()
    data.restore({"batch": [(1, 2.0, math.nan), (2, 1.8, 1.9), (3, 1.6, 1.8)],
                  "test": [(2, math.nan, 40.0), (3, 1.7, 45.0)], "rate": [(1, 0.1), (3, 0.05)]})
    assert data.rate.views()[1].tolist() == [0.1, 0.05]
    assert data.raw.views()[0].tolist() == [1, 2, 3]
    assert data.smooth.views()[0].tolist() == [2, 3]  # NaN: no running average was saved
    assert data.test_loss.views()[0].tolist() == [3]
    assert data.test_acc.views()[1].tolist() == [40.0, 45.0]
    data.add(snapshot(3, evaluation_step=3, accuracy=0.45))  # already there
    assert data.raw.count == 3 and data.test_acc.count == 2
    data.add(snapshot(4))
    assert data.raw.views()[0].tolist() == [1, 2, 3, 4]
    data.clear()
    assert all(s.count == 0 for s in (data.raw, data.smooth, data.rate, data.test_loss,
                                      data.test_acc))
    assert data.add(snapshot(1, evaluation_step=3, accuracy=0.5, lr=0.02)).evaluation == (3, 0.5)
    assert data.raw.views()[0].tolist() == [1]
