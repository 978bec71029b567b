"""Abandoning a long engine call from another thread (Stop, Pause, closing the window).

A flag is one byte that any thread may set. The conv kernels, the longest-running ones, read it
between images and skip their remaining images once it is set; the network checks it after each
layer and raises Interrupted. A training step that is interrupted never reaches the weight update,
so the weights are those of before the step (Network.train_step also puts batch norm's running
statistics back). The partial outputs left behind are never used.
"""
from __future__ import annotations

import numpy as np


class Interrupted(Exception):
    """The engine call was abandoned because its InterruptFlag was set."""


class InterruptFlag:
    def __init__(self):
        self.array = np.zeros(1, np.uint8)  # what the kernels read

    def set(self) -> None:
        self.array[0] = 1

    def clear(self) -> None:
        self.array[0] = 0

    def __bool__(self) -> bool:
        return bool(self.array[0])


NEVER = InterruptFlag()  # for calls that must run to the end (inference of the probe); never set
