"""number_text.py (no Qt): how the panes write numbers."""
import math

import numpy as np
import pytest

from cnnviz.app.panes.number_text import cell_text, fmt, num, plain


def test_plain_makes_a_negative_zero_zero_and_keeps_every_other_value():
    assert math.copysign(1.0, plain(-0.0)) == 1.0
    assert math.copysign(1.0, plain(np.float32(-0.0))) == 1.0
    assert f"{plain(-0.0):.3g}" == "0"
    assert plain(np.float32(-2.5)) == -2.5 and type(plain(np.float32(1))) is float


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (-0.0, "0"), (0.875, "0.88"), (-12.4, "-12"), (3210, "3e+03"),
    (0.0002, "2e-04"), (0.01, "0.01"), (999, "1e+03"), (float("inf"), "inf"), (float("nan"), "nan"),
])
def test_fmt_writes_a_label_in_two_significant_digits_or_an_exponent(value, text):
    assert fmt(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (0.0, "0"), (3.2144, "3.214"), (-0.12, "-0.120"), (123.45, "123.5"), (1234.5, "1.23e+03"),
    (0.000412, "0.000412"), (0.001, "0.001"), (-float("inf"), "-inf"),
])
def test_num_writes_three_decimals_or_three_significant_digits(value, text):
    assert num(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (0.1234, "0.123"), (-0.0001, "0.000"), (12.345, "12.35"), (9.9996, "10.00"), (-123.4, "-123"),
    (99.96, "100"), (999.4, "999"), (999.5, "1e+03"), (-12345, "-1e+04"), (float("nan"), "nan"),
])
def test_cell_text_fits_six_characters(value, text):
    assert cell_text(value) == text
    assert len(text) <= 6
