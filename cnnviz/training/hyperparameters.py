"""The limits of the training settings a user can change, in one place: the toolbar's boxes, the
Control of a running loop and the `cnnviz train` options all check against these, so a value
one of them takes the others take too.

- lr in [0, 10]: 0 freezes the weights; above 10 no network here learns anything.
- momentum in [0, 1): at 1 the velocity never forgets and the weights run off.
- batch_size a whole number in [1, 4096].
- epochs (a recipe's, `cnnviz train --epochs`) a whole number in [1, 1000].

USUAL_LR is each optimizer's usual starting rate: a new optimizer brings it (the toolbar, a
recipe without "lr", `cnnviz train --optimizer` without --lr).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Limit:
    low: float
    high: float
    high_open: bool = False  # True: value must be < high
    whole: bool = False      # a whole number

    def check(self, name: str, value) -> float | int:
        """`value` as a number within the limits, or ValueError saying what is wrong."""
        if self.whole:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            number = int(value)
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number, got {value!r}") from None
        too_high = number >= self.high if self.high_open else number > self.high
        if not math.isfinite(number) or number < self.low or too_high:
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        return number

    def describe(self) -> str:
        return f"from {self.low:g} to {self.high:g}{' (less than it)' if self.high_open else ''}"


LIMITS = {
    "lr": Limit(0.0, 10.0),
    "momentum": Limit(0.0, 1.0, high_open=True),
    "batch_size": Limit(1, 4096, whole=True),
    "epochs": Limit(1, 1000, whole=True),
}
USUAL_LR = {"sgd": 0.02, "adam": 0.001}


def check(name: str, value) -> float | int:
    """Check one setting against LIMITS[name]."""
    return LIMITS[name].check(name, value)
