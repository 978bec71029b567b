"""The mosaics' colour mapping as one compiled pass (the network view colours ~150k pixels per
snapshot; numpy took six passes and three temporaries for it, about a millisecond of the GUI
thread's time per snapshot, while the worker wants both cores).

`colour_map` computes exactly what pyqtgraph's numpy passes do, and so what pyqtgraph draws:
float32 arithmetic throughout (numpy computes a float32 array with a Python float in float32).
Until the worker has compiled it (or loaded it from the cache: warm_up), `colour` uses the same
mapping in numpy, so that the window's first paints never wait for numba, whose compiler the
worker holds while it prepares the engine's kernels.
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


def colour_map_numpy(image, low, factor, colours, out):
    """colour_map in numpy passes (the same float32 arithmetic and the same colours)."""
    n = colours.shape[0] - 1
    with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 is a NaN gap, as in the kernel
        scaled = (image - low) * factor
    gaps = np.isnan(scaled)
    scaled[gaps] = 0
    index = np.clip(scaled, 0, n - 1).astype(np.intp)  # truncated, as int() in the kernel
    index[gaps] = n
    np.take(colours, index, out=out)


_compiled = False  # set once warm_up has prepared colour_map (read by the GUI thread)


def colour(image, low, factor, colours, out) -> None:
    """colour_map once it is compiled, its numpy twin before."""
    (colour_map if _compiled else colour_map_numpy)(image, low, factor, colours, out)


def warm_up() -> None:
    """Compile (first start) or load from the cache the kernel for float32 mosaics, then let
    `colour` use it (the app's worker calls this after the engine's kernels)."""
    global _compiled
    image = np.zeros((2, 2), np.float32)
    colour_map(image, np.float32(0), np.float32(1), np.zeros(2, np.uint32),
               np.empty((2, 2), np.uint32))
    _compiled = True
