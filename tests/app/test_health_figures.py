"""The Training health dock's choices and words, without Qt: which figures a record adds to the
curves, the curves' colours, the axes' ticks, and a heat strip's picture of a Strip (its image,
where it lies, the bin under a point and what the hover says of it)."""
import numpy as np
import pytest

from cnnviz.app.panes.health_figures import (
    COLOURS,
    GRADS_TIP,
    WEIGHTS_TIP,
    StripPicture,
    curve_colour,
    decade,
    figures,
    gradient_ticks,
    layer_name,
    share_ticks,
)
from cnnviz.training.health import LayerHealth, Strip
from cnnviz.training.histograms import GRAD_BINS, WEIGHT_BINS


def test_a_record_adds_the_figures_it_has_and_log_axes_get_no_zero():
    conv = LayerHealth(3, "conv", weight_norm=2.0, grad_norm=0.04, update_ratio=1e-3)
    assert layer_name(conv) == "3 conv"
    assert figures(conv) == [("update_ratio", 1e-3), ("weight_norm", 2.0), ("grad_norm", 0.04)]
    stalled = LayerHealth(0, "dense", weight_norm=1.5, grad_norm=0.0, update_ratio=float("nan"))
    assert figures(stalled) == [("weight_norm", 1.5)]
    assert figures(LayerHealth(1, "relu", dead_fraction=0.2)) == [("inactive", 0.2)]
    # A share of 0 is drawn: the dead-or-saturated plot is linear.
    assert figures(LayerHealth(2, "tanh", saturated_fraction=0.0)) == [("inactive", 0.0)]
    assert figures(LayerHealth(4, "flatten")) == []


def test_curves_take_the_colours_in_turn():
    assert [curve_colour(i) for i in (0, 1, 10, 11)] == [COLOURS[0], COLOURS[1], COLOURS[0],
                                                          COLOURS[1]]


@pytest.mark.parametrize(("power", "text"), [(0, "1"), (2, "100"), (-2, "0.01"), (3, "1e3"),
                                             (-6, "1e-6")])
def test_a_decade_is_written_as_a_learner_reads_it(power, text):
    assert decade(power) == text


def test_the_gradient_axis_labels_zero_and_every_sixth_decade():
    labelled, ticked = gradient_ticks()
    assert labelled == [(-10.125, "0"), (2, "100"), (-4, "1e-4")]  # 0 between -10.25 and -10
    assert [d for d, _ in ticked] == [-10, -9, -8, -7, -6, -5, -3, -2, -1, 0, 1]
    assert share_ticks() == [[(-5, "0.001%"), (-4, "0.01%"), (-3, "0.1%"), (-2, "1%"),
                              (-1, "10%"), (0, "100%")]]


def weight_strip():
    """Three weight histograms at steps 10, 20, 30 over ±0.5: all in bin 40, then half in bin
    0, then a quarter in each of bins 1 to 4."""
    strip = Strip(WEIGHT_BINS)
    for step, bins in ((10, {40: 1.0}), (20, {0: 0.5, 40: 0.5}),
                       (30, dict.fromkeys(range(1, 5), 0.25))):
        shares = np.zeros(WEIGHT_BINS)
        shares[list(bins)] = list(bins.values())
        strip.add(step, shares, 0.5)
    return strip


def test_no_strip_or_an_empty_one_has_no_picture():
    assert StripPicture.of(None, "weights") is None
    assert StripPicture.of(Strip(WEIGHT_BINS), "weights") is None


def test_a_weight_strip_spans_its_steps_and_its_range():
    picture = StripPicture.of(weight_strip(), "weights")
    assert picture.rect() == (10.0, -0.5, 30.0, 1.0)  # steps 10 to 40 (a column each 10)
    image = picture.image()
    assert image.shape == (3, WEIGHT_BINS)
    assert image[0, 40] == 0.0 and image[1, 0] == pytest.approx(np.log10(0.5))
    assert np.isnan(image[0, 0]) and np.isnan(image[2, 40])  # empty bins: no colour
    assert np.count_nonzero(~np.isnan(image)) == 1 + 2 + 4


def test_the_bin_under_a_point_and_what_it_says():
    picture = StripPicture.of(weight_strip(), "weights")
    assert picture.bin_at(1.5, 0.5) == (1, 0) and picture.bin_at(2.99, 63.9) == (2, 63)
    assert picture.bin_at(3.0, 5) is None and picture.bin_at(1, 64) is None
    # Bin 0 of 64 over ±0.5 holds the weights from -0.5 to -0.484375.
    assert picture.bin_text(1, 0) == "Step 20: 50.00% of the layer's weights from -0.5 to -0.484."
    assert picture.bin_text(2, 3) == ("Step 30: 25.00% of the layer's weights from -0.453 to "
                                      "-0.438.")
    assert picture.hover_text(1, 0) == picture.bin_text(1, 0) + "\n\n" + WEIGHTS_TIP


def test_a_gradient_strip_is_on_the_log_axis_with_a_row_of_zeros():
    strip = Strip(GRAD_BINS)
    shares = np.zeros(GRAD_BINS)
    shares[[0, 1, GRAD_BINS - 1]] = (0.1, 0.3, 0.6)
    strip.add(5, shares)
    picture = StripPicture.of(strip, "grads")
    assert picture.rect() == (5.0, -10.25, 1.0, 12.25)  # one column; -10.25 to 2
    assert picture.bin_text(0, 0) == "Step 5: 10.00% of the layer's gradients under 1e-10 (zero)."
    assert picture.bin_text(0, 1) == ("Step 5: 30.00% of the layer's gradients from 1e-10 to "
                                      "1.8e-10.")
    # The last bin starts at 10**1.75 = 56.2 and holds everything larger as well.
    assert picture.bin_text(0, GRAD_BINS - 1) == ("Step 5: 60.00% of the layer's gradients above "
                                                  "56.")
    assert picture.hover_text(0, 0).endswith("\n\n" + GRADS_TIP)
