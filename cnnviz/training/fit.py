"""Plain epoch-based training and evaluation: shuffled batches from a seeded stream, one
network step per batch, evaluation on held-out data. The app's live loop builds on these."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from cnnviz.data.augment import Augmentation
from cnnviz.data.batches import minibatches
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Optimizer


@dataclass(frozen=True)
class Progress:
    epoch: int          # 1-based
    step: int           # batches done in total
    steps_per_epoch: int
    loss: float         # smoothed (exponential moving average) batch loss
    train_accuracy: float  # over this epoch so far
    images_per_s: float


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float


def evaluate(network: Network, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> Evaluation:
    """Mean loss and accuracy over a dataset, in inference mode."""
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        outputs = network.forward(xb, training=False)
        total_loss += network.loss_fn(outputs, yb)[0] * len(xb)
        correct += int(np.sum(outputs.argmax(axis=1) == yb))
    return Evaluation(total_loss / len(x), correct / len(x))


def train_epochs(network: Network, optimizer: Optimizer, x: np.ndarray, y: np.ndarray,
                 epochs: int, batch_size: int, seed: int,
                 on_progress: Callable[[Progress], None] | None = None,
                 on_epoch_end: Callable[[int], None] | None = None,
                 report_every: int = 20, augmentation: Augmentation | None = None) -> None:
    """Train for whole epochs; the data order comes from `seed` alone. Calls on_progress every
    `report_every` steps and at each epoch's end, then on_epoch_end(epoch)."""
    # Stream 2 of the seed; streams 0 and 1 are the network's initial weights and dropout.
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    steps_per_epoch = -(-len(x) // batch_size)
    step, smoothed = 0, None
    for epoch in range(1, epochs + 1):
        seen = correct = 0
        start = time.perf_counter()
        for xb, yb in minibatches(x, y, batch_size, rng, augmentation):
            result = network.train_step(xb, yb, optimizer)
            step += 1
            seen += len(yb)
            correct += result.correct
            smoothed = result.loss if smoothed is None else 0.95 * smoothed + 0.05 * result.loss
            last = seen == len(x)
            if on_progress and (step % report_every == 0 or last):
                on_progress(Progress(epoch, step, steps_per_epoch, smoothed, correct / seen,
                                     seen / (time.perf_counter() - start)))
        if on_epoch_end:
            on_epoch_end(epoch)
