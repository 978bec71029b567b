"""Shuffled minibatches over a dataset split, optionally augmented."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from cnnviz.data.augment import Augmentation, augment


def minibatches(x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator,
                augmentation: Augmentation | None = None,
                drop_last: bool = False) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One shuffled pass over (x, y) in batches of `batch_size`.

    Every call draws a fresh permutation from `rng`, so successive epochs differ while a
    seeded rng replays them exactly. Each batch is a new contiguous float32 array gathered
    by index (the dataset's read-only arrays are never handed out), with its labels. The
    last batch is smaller unless `drop_last`. With an augmentation, every batch is augmented
    with the same rng, after the permutation is drawn.

    Arguments are checked here, when called, not at the first `next()`.
    """
    x, y = np.asarray(x), np.asarray(y)
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
    if augmentation is not None and not isinstance(augmentation, Augmentation):
        raise ValueError(f"augmentation must be an Augmentation or None, "
                         f"got {type(augmentation).__name__}")
    # Drawn now, so the permutation does not depend on when iteration starts.
    order = rng.permutation(len(x))
    return _batches(x, y, order, int(batch_size), rng, augmentation, drop_last)


def _batches(x, y, order, batch_size, rng, augmentation, drop_last):
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    for start in range(0, stop, batch_size):
        index = order[start:start + batch_size]
        xb = np.ascontiguousarray(x[index], dtype=np.float32)
        if augmentation is not None:
            xb = augment(xb, augmentation, rng)
        yield xb, y[index]
