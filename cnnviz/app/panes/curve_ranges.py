"""The Curves pane's axis ranges as plain arithmetic (no Qt): the "nice" rounded ranges the plots'
auto-range steps between, and the running [min, max] bounds the series keep so that the loss
plot's range never needs a scan of every point. Apart from the pane so that it is read, and
tested, without a display; the view box that applies it is curve_axes.SteppedViewBox."""
from __future__ import annotations

import math

NICE = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_ceiling(value: float) -> float:
    """The smallest number 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten that is
    at least `value` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    for mantissa in NICE:
        if mantissa * power >= value * (1 - 1e-12):
            return mantissa * power
    return 10 * power


def stepped(low: float, high: float, x_axis: bool) -> tuple[float, float]:
    """A range holding [low, high] that changes only now and then as the data grows: rounded
    outward to about a tenth of the span, and on the x axis (steps, growing) up to the next nice
    number above the last step, so it grows by a fifth to a third at a time. (Bounds that
    pyqtgraph measures include the pens' width converted at the current scale, so they also
    drift a little with every change.)"""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return low, high
    step = nice_ceiling((high - low) / 10)
    # (x: strictly above the last step, so that the next step does not move the axis)
    top = nice_ceiling(high * (1 + 1e-9)) if x_axis and high > 0 else math.ceil(high / step) * step
    return math.floor(low / step) * step, top


def widen(bounds: list[float], value: float) -> None:
    """Make the [min, max] `bounds` take in `value`, in place."""
    if value < bounds[0]:
        bounds[0] = value
    if value > bounds[1]:
        bounds[1] = value


def union(bounds: list[tuple]) -> list[float] | None:
    """The [min, max] that holds every (low, high) given, None if there is none."""
    known = [b for b in bounds if b[0] is not None and b[1] is not None]
    return [min(b[0] for b in known), max(b[1] for b in known)] if known else None


def series_bounds(series: list) -> list:
    """[[x0, x1], [y0, y1]] of GrowingSeries from their running ranges (None for an axis without
    data): an empty series, or one without a finite y, does not count."""
    x_ranges = [s.x_range for s in series if s.count]
    y_ranges = [s.y_range for s in series if s.y_range[0] <= s.y_range[1]]
    return [union(x_ranges), union(y_ranges)]
