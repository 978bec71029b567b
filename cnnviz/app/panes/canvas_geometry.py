"""The drawing canvas's arithmetic, as plain numbers (no Qt): how large its working picture is,
where the picture sits in the widget, which picture pixel the mouse is over, and how wide a
stroke is. It is apart from canvas.py so that the geometry a stroke depends on can be read and
tested without a window; the widget only turns Qt's points and rectangles into these numbers.

Rectangles are (left, top, width, height) tuples; sizes are (width, height), as Qt gives them.
"""
from __future__ import annotations

# The working picture's longer side, in pixels, before rounding to a multiple of the input.
WORKING_SIDE = 280
# The thinnest share of the brush a light touch of a tablet pen draws (full pressure: all of it).
LIGHTEST_TOUCH = 0.3

Rect = tuple[float, float, float, float]


def working_scale(height: int, width: int) -> int:
    """How many picture pixels make one input pixel: a whole number, so that the picture shrinks
    to the input evenly, chosen to bring the longer side near WORKING_SIDE."""
    return max(1, round(WORKING_SIDE / max(height, width)))


def fit_centred(area: Rect, picture: tuple[float, float]) -> Rect:
    """Where a picture of size (width, height) is drawn in `area`: as large as fits, keeping its
    aspect ratio, centred."""
    left, top, area_w, area_h = area
    picture_w, picture_h = picture
    scale = min(area_w / picture_w, area_h / picture_h)
    w, h = picture_w * scale, picture_h * scale
    return left + area_w / 2 - w / 2, top + area_h / 2 - h / 2, w, h


def to_picture(x: float, y: float, target: Rect, picture_width: float) -> tuple[float, float]:
    """The picture pixel under widget point (x, y), the picture being drawn at `target`."""
    left, top, target_w, _ = target
    scale = picture_width / target_w
    return (x - left) * scale, (y - top) * scale


def stroke_width(brush_size: float, pressure: float = 1.0) -> float:
    """The pen's width in picture pixels: the brush size at full pressure (a mouse), down to
    LIGHTEST_TOUCH of it at none; pressures outside 0..1 are clamped, and never under 1 pixel."""
    touch = min(max(pressure, 0.0), 1.0)
    return max(1.0, brush_size * (LIGHTEST_TOUCH + (1 - LIGHTEST_TOUCH) * touch))


def brush_radius_on_screen(brush_size: float, target_width: float, picture_width: float) -> float:
    """The radius, in widget pixels, of the circle that shows the brush over the picture."""
    return brush_size / 2 * target_width / picture_width
