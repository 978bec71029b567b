"""The Weight update dock's text, without Qt: each optimizer's update worked out line by line
with numbers checked by hand, the check of the optimizer's result, the weight's heading, the
power of ten the gradients are scaled by, and which positions of a sliding sum lie on the
padding (against a real sliding sum of an all-ones image, whose inputs are 0 only there)."""
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.app.panes.weight_formula import (
    check_text,
    decade,
    formula_html,
    padding_mask,
    rows_for,
    rule,
    scaled_title,
    sum_caption,
    sum_total,
    weight_title,
)
from cnnviz.engine.inspect_gradient import gradient_sum, probe_gradients
from cnnviz.engine.network import Network
from cnnviz.engine.weight_update import WeightRef, WeightUpdate

REF = WeightRef(0, "weight", (1, 0, 2, 0))


def sgd(**fields):
    """An SGD update whose numbers are exact in binary: 0.5 - 0.5 * 0.25 = 0.375."""
    values = dict(ref=REF, step=7, optimizer="sgd", lr=0.5, weight_decay=0.0, before=0.5,
                  grad=0.25, after=0.375, momentum=0.0, velocity_before=0.0)
    return WeightUpdate(**{**values, **fields})


def test_plain_sgd_subtracts_lr_times_the_gradient():
    update = sgd()
    rows = rows_for(update)
    assert [symbol for symbol, _, _ in rows] == ["w", "dL/dW", "lr × dL/dW", "w_new"]
    assert rows[2] == ("lr × dL/dW", "0.5 × 0.25", 0.125)
    assert rows[3] == ("w_new", "w − lr × dL/dW = 0.5 − 0.125", 0.375)
    assert rule(update) == "SGD: w_new = w − lr × dL/dW"


def test_momentum_and_weight_decay_are_worked_out_in_order():
    update = sgd(lr=0.1, grad=0.2, weight_decay=0.01, momentum=0.9, velocity_before=0.3)
    rows = dict((symbol, (formula, value)) for symbol, formula, value in rows_for(update))
    assert list(rows) == ["w", "dL/dW", "g", "v", "lr × step", "w_new"]
    assert rows["g"] == ("dL/dW + weight decay × w = 0.2 + 0.01 × 0.5", pytest.approx(0.205))
    assert rows["v"] == ("momentum × v + g = 0.9 × 0.3 + 0.205", pytest.approx(0.27 + 0.205))
    assert rows["lr × step"] == ("0.1 × 0.475  (step = v)", pytest.approx(0.0475))
    assert rows["w_new"] == ("w − lr × step = 0.5 − 0.0475", float(np.float32(0.4525)))
    assert rule(update) == ("SGD with momentum 0.9: v = momentum × v + dL/dW, "
                            "w_new = w − lr × v")


def test_nesterov_steps_by_the_gradient_plus_momentum_times_the_new_velocity():
    update = sgd(lr=0.1, grad=0.2, momentum=0.9, velocity_before=0.3, nesterov=True)
    rows = {symbol: (formula, value) for symbol, formula, value in rows_for(update)}
    # v = 0.9 * 0.3 + 0.2 = 0.47; step = 0.2 + 0.9 * 0.47 = 0.623
    assert rows["v"][1] == pytest.approx(0.47)
    assert rows["lr × step"] == ("0.1 × 0.623  (step = dL/dW + momentum × v)",
                                 pytest.approx(0.0623))
    assert rule(update).startswith("SGD with Nesterov momentum 0.9")


def test_negative_numbers_are_bracketed_inside_a_formula():
    rows = rows_for(sgd(before=-0.5, grad=-0.25))
    assert rows[2][1] == "0.5 × (-0.25)"
    assert rows[3][1] == "w − lr × dL/dW = (-0.5) − (-0.125)"


def test_adams_first_step_is_a_step_of_lr_in_the_gradients_direction():
    update = WeightUpdate(ref=REF, step=1, optimizer="adam", lr=0.01, weight_decay=0.0,
                          before=0.5, grad=0.2, after=0.49, beta1=0.9, beta2=0.999, eps=1e-8,
                          adam_step=1, m_before=0.0, v_before=0.0)
    rows = {symbol: (formula, value) for symbol, formula, value in rows_for(update)}
    assert rows["m"][1] == pytest.approx(0.02)         # 0.1 * 0.2
    assert rows["v"][1] == pytest.approx(0.00004)      # 0.001 * 0.04
    assert rows["m̂"] == ("m / (1 − β1^t), t = 1: 0.02 / 0.1", pytest.approx(0.2))
    assert rows["v̂"][1] == pytest.approx(0.04)
    assert rows["lr × m̂ / (√v̂ + ε)"][1] == pytest.approx(0.01 * 0.2 / (0.2 + 1e-8))
    assert rows["w_new"][1] == float(np.float32(0.49))
    assert rule(update) == "Adam: w_new = w − lr × m̂ / (√v̂ + ε)"


def test_the_formula_table_escapes_and_writes_every_row():
    html = formula_html(sgd())
    assert html.count("<tr>") == 4 and "<b>lr × dL/dW</b>" in html
    assert "<td align='right'><b>0.375</b></td>" in html


def test_the_check_says_whether_the_optimizer_wrote_what_the_formula_gives():
    right = sgd()
    assert check_text(right, 0.375) == ("The optimizer wrote w_new = 0.375 ✓; the weight moved "
                                        "by -0.125.")
    wrong = sgd(after=0.25)
    assert check_text(wrong, 0.25) == ("The optimizer wrote w_new = 0.25 (worked out here: "
                                       "0.375); the weight moved by -0.25.")
    assert check_text(right, 0.5).endswith("It is 0.5 now (the last good weights were restored).")


def test_the_heading_names_layer_filter_channel_and_position():
    summary = Network({"input": [3, 8, 8], "classes": ["a", "b"], "layers": [
        {"type": "conv", "filters": 2, "kernel": 3}, {"type": "flatten"},
        {"type": "dense", "units": 2}]}, seed=0).summary
    names = SimpleNamespace(summary=summary, layer=lambda i: ["conv1", "flat", "dense1"][i],
                            channel=lambda layer, c: f"channel {c} of {layer}")
    assert weight_title(names, REF) == ("conv1 (layer 0) · filter 1 · channel 0 of -1 · weight "
                                        "(row 2, column 0)")
    assert weight_title(names, WeightRef(0, "bias", (1,))) == "conv1 (layer 0) · bias of filter 1"
    assert weight_title(names, WeightRef(2, "bias", (0,))) == "dense1 (layer 2) · bias of unit 0"
    assert weight_title(names, WeightRef(2, "weight", (1, 5))) == ("dense1 (layer 2) · unit 1 · "
                                                                   "weight of input 5")


@pytest.mark.parametrize(("values", "power"), [
    ([0.00034, -0.0001], -4), ([-0.099], -2), ([0.1], 0), ([0.5, 3.0], 0), ([0.0], 0), ([], 0),
    ([np.inf], 0)])
def test_small_gradients_are_scaled_by_the_power_of_ten_of_the_largest(values, power):
    assert decade(np.array(values)) == power


def test_a_scaled_grid_says_by_how_much():
    assert scaled_title("products", -4) == "products × 10^4"
    assert scaled_title("products", 0) == "products"


@pytest.mark.parametrize(("stride", "index", "padded"), [
    (1, (0, 0, 0, 2), 9),  # 5x5 positions: the first row and the last column on the padding
    (2, (1, 0, 2, 0), 5),  # 3x3: the last row and the first column
    (2, (0, 0, 1, 1), 0)])  # rows and columns 0, 2, 4 of the image itself
def test_the_padding_mask_is_where_an_all_ones_image_gives_zero_inputs(stride, index, padded):
    net = Network({"input": [1, 5, 5], "classes": ["a", "b"], "layers": [
        {"type": "conv", "filters": 2, "kernel": 3, "padding": 1, "stride": stride},
        {"type": "flatten"}, {"type": "dense", "units": 2}]}, seed=0)
    probe = np.ones((1, 5, 5), np.float32)
    taps = net.forward_taps(probe[None])
    grads = probe_gradients(net, taps, 0)
    summed = gradient_sum(net, probe, [t[0] for t in taps], grads, WeightRef(0, "weight", index))
    mask = padding_mask(summed, net.summary.layers[0].in_shape)
    assert mask.shape == summed.inputs.shape and mask.sum() == padded
    np.testing.assert_array_equal(mask, summed.inputs == 0)


def test_the_sum_is_ticked_when_it_matches_the_engine():
    matched = SimpleNamespace(total=0.123456789, engine=0.1234568)
    assert sum_total(matched) == ("Σ = 0.12345679   ·   the engine's dL/dW for this image: "
                                  "0.1234568 ✓")
    assert sum_total(SimpleNamespace(total=0.2, engine=0.1)).endswith("0.1 ✗")
    assert "over the map's position of" in sum_caption(1, "cat")
    assert "over all 25 positions of the map" in sum_caption(25, "cat")
    assert "the loss of class 'cat'" in sum_caption(25, "cat")
