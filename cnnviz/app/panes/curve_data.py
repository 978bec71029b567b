"""What the Curves pane shows, as plain data (no Qt): the five series of points (batch loss, its
running average, test loss, test accuracy, and the learning rate each step trained with) in
buffers that grow, and the decisions a snapshot brings: whether it adds a loss and a rate point
(a new step), a test point (a new evaluation) or a learning-rate marker (the set rate
changed). The pane (curves.py) only draws what this holds; kept apart so that the bookkeeping is
read and tested without a display, and a model file's curves (curve_history.py) are recorded
from and restored into the same series."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnviz.app.panes.curve_ranges import widen

INITIAL_CAPACITY = 1024


class GrowingSeries:
    """x and y values in preallocated float64 buffers; the capacity doubles when full."""

    def __init__(self, capacity: int = INITIAL_CAPACITY):
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.clear()

    def append(self, x: float, y: float) -> None:
        if self.count == len(self.x):
            self._grow()
        self.x[self.count] = x
        widen(self.x_range, x)
        if math.isfinite(y):
            self.y[self.count] = y
            widen(self.y_range, y)
        else:
            self.y[self.count] = np.nan
        self.count += 1

    def _grow(self) -> None:
        capacity = 2 * len(self.x)
        for name in ("x", "y"):
            bigger = np.empty(capacity)
            bigger[:self.count] = getattr(self, name)[:self.count]
            setattr(self, name, bigger)

    def clear(self) -> None:
        self.count = 0
        # The running [min, max] of x and of the finite y ([inf, -inf] while there are none).
        self.x_range = [math.inf, -math.inf]
        self.y_range = [math.inf, -math.inf]

    def views(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[:self.count], self.y[:self.count]


@dataclass(frozen=True)
class News:
    """What a snapshot added beyond loss points: a test point (step, accuracy as a fraction, as
    the snapshot gave it) and a change of learning rate (step, new rate), each None when it
    brought none."""
    evaluation: tuple[int, float] | None = None
    lr_change: tuple[int, float] | None = None


class CurveData:
    """The Curves pane's points: `raw`, `smooth` and `rate` (per training step: the rate the
    optimizer used, as scheduled), `test_loss` and `test_acc` (per evaluation, accuracy in
    percent)."""

    def __init__(self):
        self.raw, self.smooth, self.rate = GrowingSeries(), GrowingSeries(), GrowingSeries()
        self.test_loss, self.test_acc = GrowingSeries(64), GrowingSeries(64)
        self.clear()

    def clear(self) -> None:
        """Forget every point (a new training run)."""
        for series in (self.raw, self.smooth, self.rate, self.test_loss, self.test_acc):
            series.clear()
        self.last_step: int | None = None
        self.last_eval_step: int | None = None
        self.last_lr: float | None = None

    def restore(self, history: dict[str, list[tuple]]) -> None:
        """Add the points of a saved run (curve_history.parse)."""
        for step, loss, smoothed in history.get("batch", []):
            self.raw.append(step, loss)
            if math.isfinite(smoothed):
                self.smooth.append(step, smoothed)
            self.last_step = int(step)
        for step, loss, accuracy in history.get("test", []):
            if math.isfinite(loss):
                self.test_loss.append(step, loss)
            self.test_acc.append(step, accuracy)
            self.last_eval_step = int(step)
        for step, rate in history.get("rate", []):
            self.rate.append(step, rate)

    def add(self, snapshot) -> News:
        """Add what is new in `snapshot`: a loss point for a step later than the last one, a test
        point for an evaluation not seen yet; and note a learning rate other than the last."""
        step = int(snapshot.step)
        if snapshot.batch_loss is not None and (self.last_step is None or step > self.last_step):
            self.raw.append(step, float(snapshot.batch_loss))
            if snapshot.smoothed_loss is not None:
                self.smooth.append(step, float(snapshot.smoothed_loss))
            if snapshot.learning_rate is not None:
                self.rate.append(step, float(snapshot.learning_rate))
            self.last_step = step
        evaluation = lr_change = None
        eval_step = snapshot.evaluation_step
        if (eval_step is not None and eval_step != self.last_eval_step
                and snapshot.test_accuracy is not None):
            self.last_eval_step = eval_step
            if snapshot.test_loss is not None:
                self.test_loss.append(eval_step, float(snapshot.test_loss))
            self.test_acc.append(eval_step, 100.0 * float(snapshot.test_accuracy))
            evaluation = (eval_step, snapshot.test_accuracy)
        lr = snapshot.hyperparameters.get("lr")
        if lr is not None:
            lr = float(lr)
            if self.last_lr is not None and lr != self.last_lr:
                lr_change = (step, lr)
            self.last_lr = lr
        return News(evaluation, lr_change)
