"""The mosaics' colour mapping as one compiled pass (the network view colours ~150k pixels per
snapshot; numpy took six passes and three temporaries for it, about a millisecond of the GUI
thread's time per snapshot, while the worker wants both cores).

`colour_map` computes exactly what MosaicItem's numpy passes did, and so what pyqtgraph draws:
float32 arithmetic throughout (numpy computes a float32 array with a Python float in float32).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def colour_map(image, low, factor, colours, out):
    """out[i, j] = colours[index] for a float32 `image`: index = (v - low) * factor clipped to
    0..n-1 and truncated, n = len(colours) - 1; the last colour where that is NaN (a NaN pixel,
    or an infinite one times a zero factor)."""
    n = colours.shape[0] - 1
    top = np.float32(n - 1)
    zero = np.float32(0.0)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            s = (image[i, j] - low) * factor
            if s != s:
                out[i, j] = colours[n]
            elif s < zero:
                out[i, j] = colours[0]
            elif s > top:
                out[i, j] = colours[n - 1]
            else:
                out[i, j] = colours[int(s)]


def warm_up() -> None:
    """Compile (first start) or load from the cache the kernel for float32 mosaics, so that the
    window's first paint does not wait for it (the app calls this on its warm-up thread)."""
    image = np.zeros((2, 2), np.float32)
    colour_map(image, np.float32(0), np.float32(1), np.zeros(2, np.uint32),
               np.empty((2, 2), np.uint32))
