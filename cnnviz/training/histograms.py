"""Histograms of a layer's weights and of their gradients, and their bounded history over the
steps (a heat strip: step x value bin), to watch a distribution spread, shrink or collapse.

The two value axes differ on purpose:
- Weights, on a linear axis symmetric about 0 whose half-range is a power of two: a learner
  knows the bell of a weight distribution and reads its width directly. A history's range only
  grows, by doubling, so an old column is re-binned exactly (each pair of bins merges into one)
  and every column of a strip shares one axis.
- Gradients, by size |dL/dw| on a fixed log axis, the same for every layer and step: they can
  shrink by orders of magnitude (vanishing) or blow up (exploding), which a linear axis would
  squash into one row. Their sign flips from batch to batch and says little, so it is left out.
  Exact zeros (the weights of a dead unit) get a row of their own at the bottom.

Each histogram is of a fixed strided sample of at most SAMPLE values, the same values every step:
the shape a learner reads is the same to well under a percent, at a fiftieth of the cost on a
3-million-weight layer. Bins hold shares of the sample (they sum to 1), so layers of any size
compare."""
from __future__ import annotations

import math

import numpy as np

SAMPLE = 65536
WEIGHT_BINS = 64  # a multiple of 4: doubling the range merges pairs into the middle half
GRAD_LOW, GRAD_HIGH, GRAD_PER_DECADE = -10, 2, 4  # |g| from 1e-10 to 1e2, 4 rows a decade
GRAD_BINS = 1 + (GRAD_HIGH - GRAD_LOW) * GRAD_PER_DECADE  # row 0: |g| under 1e-10, zeros


def sample(a: np.ndarray) -> np.ndarray:
    """At most SAMPLE values of `a`, every k-th of the flat array. k is odd, so that across a
    row length that is a power of two (most layer widths) every unit is sampled, not every
    other one."""
    flat = a.reshape(-1)
    stride = -(-flat.size // SAMPLE)
    return flat[::stride | 1] if stride > 1 else flat


def weight_histogram(w: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The shares of WEIGHT_BINS equal bins over [-r, r], and r: the smallest power of two that
    holds every sampled weight. None when a weight is not finite (a diverged step)."""
    s = sample(w)
    if s.size == 0:
        return None
    top = max(float(s.max()), -float(s.min()))
    if not math.isfinite(top):
        return None
    half = 2.0 ** math.ceil(math.log2(top)) if top > 0 else 2.0 ** -24
    # In float64, so that a float32 weight lands in the bin numpy.histogram would give it.
    index = ((s.astype(np.float64) + half) * (WEIGHT_BINS / (2 * half))).astype(np.intp)
    np.minimum(index, WEIGHT_BINS - 1, out=index)  # +r itself: in the last bin, as numpy's
    return np.bincount(index, minlength=WEIGHT_BINS) / s.size, half


def gradient_edges() -> np.ndarray:
    """The GRAD_BINS + 1 bin edges of |g|, from 0; the last bin also holds everything above."""
    return np.concatenate(([0.0], 10.0 ** (GRAD_LOW + np.arange(GRAD_BINS) / GRAD_PER_DECADE)))


def gradient_histogram(g: np.ndarray) -> np.ndarray | None:
    """The shares of the sampled |g| in GRAD_BINS bins: row 0 under 10**GRAD_LOW (zeros), then
    GRAD_PER_DECADE rows a decade up to 10**GRAD_HIGH, the top row holding anything larger.
    None when a gradient is not finite."""
    s = sample(g)
    if s.size == 0:
        return None
    with np.errstate(divide="ignore"):
        rows = np.log10(np.abs(s))  # -inf for an exact zero
    largest = rows.max()
    if np.isnan(largest) or largest == np.inf:
        return None
    rows -= GRAD_LOW
    rows *= GRAD_PER_DECADE
    np.floor(rows, out=rows)
    np.clip(rows, -1, GRAD_BINS - 2, out=rows)
    return np.bincount((rows + 1).astype(np.intp), minlength=GRAD_BINS) / s.size


def widen(shares: np.ndarray) -> np.ndarray:
    """Weight histograms (bins on the last axis) re-binned over twice their range: each pair of
    bins becomes one bin of the middle half, the outer quarters empty."""
    bins = shares.shape[-1]
    out = np.zeros_like(shares)
    out[..., bins // 4:bins // 4 + bins // 2] = shares.reshape(
        *shares.shape[:-1], bins // 2, 2).sum(-1)
    return out


def even_columns(steps: np.ndarray, columns: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The columns laid on an even step grid, for an image: as many grid columns as columns, each
    showing the column measured last at or before it (steps between measurements need not be
    even: the health is measured by the clock). Returns the step each grid column shows, the
    image and the steps it spans."""
    n = len(steps)
    if n == 0:
        return steps[:0], columns[:0], 0.0, 1.0
    gap = (steps[-1] - steps[0]) / (n - 1) if n > 1 else 1.0
    first, last = float(steps[0]), float(steps[-1] + gap)
    centres = first + (np.arange(n) + 0.5) * (last - first) / n
    shown = np.searchsorted(steps, centres, side="right") - 1
    return steps[shown], columns[shown], first, last
