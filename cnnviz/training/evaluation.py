"""Evaluation on held-out images: loss, accuracy, confusion matrix, misclassified images, and
(when asked) the images that excite each filter and unit most (top_images.py)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz.engine.interrupt import Interrupted, InterruptFlag
from cnnviz.engine.network import Network
from cnnviz.training.top_images import TopImages, TopTracker

# Images per forward call in evaluation: big enough for fast GEMMs, small enough that one call
# stays under a second and its maps in memory (measured on 2 busy cores: LeNet 0.05 s,
# fashion-2conv 0.3-0.6 s). A stop is noticed between chunks.
EVAL_CHUNK = 500


@dataclass(frozen=True, eq=False)
class Evaluation:
    loss: float
    accuracy: float
    confusion: np.ndarray       # (classes, classes), rows the true class, columns the predicted
    misclassified: np.ndarray   # indices into the evaluated x, ascending
    predicted: np.ndarray | None = None  # the predicted class of each evaluated image
    top: TopImages | None = None  # the images that excite each unit most (indices as above)

    @property
    def images(self) -> int:
        return int(self.confusion.sum())


def evaluate(network: Network, x: np.ndarray, y: np.ndarray,
             classes: int | Sequence | None = None, chunk: int = EVAL_CHUNK,
             should_stop: Callable[[], bool] | None = None,
             interrupt: InterruptFlag | None = None, top_k: int = 0) -> Evaluation | None:
    """Loss, accuracy, confusion matrix and misclassified indices over (x, y), in inference
    mode, `chunk` images per forward pass; with top_k, also the top_k images of each conv filter
    and dense unit, from the same passes. `should_stop` is asked between chunks and `interrupt`
    within them; either abandons the evaluation and returns None (stop must not wait for a full
    test set)."""
    classes = network.classes if classes is None else classes
    count = classes if isinstance(classes, int) else len(classes)
    confusion = np.zeros((count, count), np.int64)
    wrong, total_loss = [], 0.0
    predictions = np.zeros(len(x), np.int64)
    tracker = TopTracker(network, top_k) if top_k else None
    for start in range(0, len(x), chunk):
        if should_stop is not None and should_stop():
            return None
        xb, yb = x[start:start + chunk], y[start:start + chunk]
        if tracker is not None:
            tracker.start_chunk(start)
        try:
            outputs = network.forward(xb, training=False, interrupt=interrupt,
                                      each_layer=None if tracker is None else tracker.see)
        except Interrupted:
            return None
        total_loss += network.loss_fn(outputs, yb)[0] * len(xb)
        predicted = predictions[start:start + chunk] = outputs.argmax(axis=1)
        np.add.at(confusion, (yb, predicted), 1)
        wrong.append(start + np.flatnonzero(predicted != yb))
    n = max(len(x), 1)
    misclassified = np.concatenate(wrong) if wrong else np.zeros(0, np.int64)
    return Evaluation(total_loss / n, float(np.trace(confusion)) / n, confusion,
                      misclassified.astype(np.int64), predictions,
                      None if tracker is None else tracker.result(len(x)))
