"""The Curves pane's points as plain data for a model file, and back: so a reopened model shows
how it was trained. Bounded (a long run keeps every n-th batch point) and checked when read, since
a model file may come from anywhere."""
from __future__ import annotations

import math

import numpy as np

LIMIT = 2000  # rows per kind at most
WIDTHS = {"batch": 3, "test": 3, "rate": 2}  # values per row ("rate" since the schedules)


def _rows(columns: list[np.ndarray], limit: int) -> list[list]:
    count = len(columns[0])
    keep = np.unique(np.linspace(0, count - 1, min(count, limit)).round().astype(int)) \
        if count else np.zeros(0, int)
    return [[None if not math.isfinite(float(c[i])) else float(c[i]) for c in columns]
            for i in keep]


def record(pane, limit: int = LIMIT) -> dict:
    """{"batch": [[step, loss, smoothed], ...], "test": [[step, loss, accuracy %], ...],
    "rate": [[step, learning rate], ...]}."""
    steps, loss = pane.raw.views()
    smooth_steps, smoothed = pane.smooth.views()
    by_step = dict(zip(smooth_steps.tolist(), smoothed.tolist()))
    smoothed_at = np.array([by_step.get(s, math.nan) for s in steps.tolist()])
    test_steps, accuracy = pane.test_acc.views()
    loss_by_step = dict(zip(*(a.tolist() for a in pane.test_loss.views())))
    test_loss = np.array([loss_by_step.get(s, math.nan) for s in test_steps.tolist()])
    return {"batch": _rows([steps, loss, smoothed_at], limit),
            "test": _rows([test_steps, test_loss, accuracy], limit),
            "rate": _rows(list(pane.rate.views()), limit)}


def parse(value) -> dict[str, list[tuple]] | None:
    """A record() read back, or None if it is not one (then the curves start empty)."""
    if not isinstance(value, dict):
        return None
    parsed = {}
    for kind, width in WIDTHS.items():
        rows = value.get(kind, [])
        if not isinstance(rows, list) or len(rows) > LIMIT:
            return None
        good = []
        for row in rows:
            if not (isinstance(row, list) and len(row) == width and all(
                    v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)
                                  and math.isfinite(v)) for v in row) and row[0] is not None):
                return None
            good.append(tuple(math.nan if v is None else float(v) for v in row))
        parsed[kind] = good
    return parsed
