"""How the panes write numbers and shapes: short ones for the network view's small labels (fmt),
numbers in the Inspector's sentences (num) and in its grid cells (cell_text), a negative zero
made 0 (plain) wherever a value is printed, and shapes as 8×32×32 (shape_text).

Apart from the panes because these are decisions about text, not drawing: plain pytest tests
them, and every pane writes a number the same way.
"""
from __future__ import annotations

import math

from cnnviz.engine import spec as specs


def plain(value) -> float:
    """The value as a float with a negative zero made 0 (ReLU and rounding give -0.0, which
    prints as "-0")."""
    return float(value) + 0.0


def fmt(value: float) -> str:
    """A short number for a small label: 0, 0.88, -12, 3e+03, 2e-04."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    if abs(value) >= 1000 or abs(value) < 0.01:
        return f"{value:.0e}"
    return f"{value:.2g}"


def num(value: float) -> str:
    """A number in a sentence: 3 decimals (3.214, -0.120), or 3 significant digits when very
    large or small (1.23e+03, 0.000412)."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    size = abs(value)
    if size >= 1000 or size < 0.001:
        return f"{value:.3g}"
    return f"{value:.1f}" if size >= 100 else f"{value:.3f}"


def cell_text(value: float) -> str:
    """A number in a grid cell: at most six characters (-0.123, 12.35, -123, 1e+04)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if size >= 999.5:
        return f"{value:.0e}"
    text = f"{value:.0f}" if size >= 99.95 else f"{value:.2f}" if size >= 9.9995 else f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def shape_text(shape) -> str:
    """A shape as the window writes it: 8×32×32 (engine/spec.py's shape_text with a times sign)."""
    return specs.shape_text(shape, "\u00d7")
