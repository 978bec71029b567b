"""The canvas's arithmetic without Qt: the working picture's scale, where the picture is drawn,
which picture pixel is under the mouse, and the brush's width and circle."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnviz.app.panes.canvas_geometry import (
    brush_radius_on_screen,
    fit_centred,
    stroke_width,
    to_picture,
    working_scale,
)


@pytest.mark.parametrize("height, width, scale", [
    (28, 28, 10),      # MNIST: 280 x 280
    (32, 32, 9),       # CIFAR: 280 / 32 = 8.75, rounded
    (28, 56, 5),       # the longer side counts
    (64, 20, 4),       # 280 / 64 = 4.375
    (1000, 1000, 1),   # larger than the working side: never below one pixel per input pixel
])
def test_the_working_picture_is_a_whole_multiple_of_the_input_near_280(height, width, scale):
    assert working_scale(height, width) == scale


def test_a_square_picture_in_a_wide_area_fills_its_height_centred():
    assert fit_centred((1, 1, 200, 100), (280, 280)) == (51, 1, 100, 100)


def test_a_wide_picture_in_a_tall_area_fills_its_width_centred():
    assert fit_centred((0, 10, 100, 300), (280, 140)) == (0, 135, 100, 50)


@given(left=st.floats(-50, 50), top=st.floats(-50, 50), area_w=st.floats(10, 2000),
       area_h=st.floats(10, 2000), picture_w=st.integers(1, 500), picture_h=st.integers(1, 500))
def test_the_picture_fits_keeps_its_shape_touches_two_sides_and_is_centred(
        left, top, area_w, area_h, picture_w, picture_h):
    x, y, w, h = fit_centred((left, top, area_w, area_h), (picture_w, picture_h))
    tol = 1e-9 * max(area_w, area_h, 1)
    assert w * picture_h == pytest.approx(h * picture_w, rel=1e-9)  # aspect ratio kept
    assert w <= area_w + tol and h <= area_h + tol
    assert abs(w - area_w) <= tol or abs(h - area_h) <= tol  # as large as fits
    assert x + w / 2 == pytest.approx(left + area_w / 2, abs=tol)
    assert y + h / 2 == pytest.approx(top + area_h / 2, abs=tol)


def test_the_widget_point_maps_to_the_picture_pixel_under_it():
    target = (20, 10, 140, 140)  # a 280-pixel picture drawn at half size
    assert to_picture(20, 10, target, 280) == (0, 0)
    assert to_picture(160, 150, target, 280) == (280, 280)
    assert to_picture(90, 45, target, 280) == (140, 70)
    assert to_picture(10, 10, target, 280) == (-20, 0)  # left of the picture: outside it


@pytest.mark.parametrize("pressure, width", [
    (1.0, 20.0),   # a mouse, or a firm press: the whole brush
    (0.0, 6.0),    # the lightest touch: 30 %
    (0.5, 13.0),   # halfway between
    (3.0, 20.0),   # pressures out of range are clamped
    (-1.0, 6.0),
])
def test_pressure_thins_the_stroke(pressure, width):
    assert stroke_width(20.0, pressure) == pytest.approx(width)


def test_a_stroke_is_never_thinner_than_a_pixel():
    assert stroke_width(2.0, 0.0) == 1.0
    assert stroke_width(2.0) == 2.0


def test_the_brush_circle_is_scaled_like_the_picture():
    assert brush_radius_on_screen(22, 140, 280) == 5.5  # drawn at half size: half the radius
    assert brush_radius_on_screen(22, 560, 280) == 22
