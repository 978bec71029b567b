"""Plain epoch-based training for the command line: shuffled batches from a seeded stream, one
network step per batch. (The app drives the live loop in loop.py instead.)"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cnnviz.data.augment import Augmentation
from cnnviz.data.batches import minibatches
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Optimizer
from cnnviz.training.recovery import divergence, divergence_message


class Diverged(Exception):
    """Training blew up; str() says at which step and why, fit to show the user."""


@dataclass(frozen=True)
class Progress:
    epoch: int          # 1-based
    step: int           # batches done in total
    steps_per_epoch: int
    loss: float         # smoothed (exponential moving average) batch loss
    train_accuracy: float  # over this epoch so far
    images_per_s: float


def train_epochs(network: Network, optimizer: Optimizer, x: np.ndarray, y: np.ndarray,
                 epochs: int, batch_size: int, seed: int,
                 on_progress: Callable[[Progress], None] | None = None,
                 on_epoch_end: Callable[[int], None] | None = None,
                 report_every: int = 20, augmentation: Augmentation | None = None,
                 learning_rate: Callable[[int], float] | None = None) -> None:
    """Train for whole epochs; the data order comes from `seed` alone. Calls on_progress every
    `report_every` steps and at each epoch's end, then on_epoch_end(epoch). learning_rate(step)
    (step 0 first), when given, sets the optimizer's rate before each step (a schedule). Raises
    Diverged when the loss or the weights blow up (training/recovery.py's divergence)."""
    # Stream 2 of the seed; streams 0 and 1 are the network's initial weights and dropout.
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2,)))
    steps_per_epoch = -(-len(x) // batch_size)
    step, smoothed = 0, None
    for epoch in range(1, epochs + 1):
        seen = correct = 0
        start = time.perf_counter()
        for xb, yb in minibatches(x, y, batch_size, rng, augmentation):
            if learning_rate is not None:
                optimizer.lr = learning_rate(step)
            result = network.train_step(xb, yb, optimizer)
            step += 1
            problem = divergence(result.loss, smoothed, network, optimizer)
            if problem:
                raise Diverged(divergence_message(problem, step, optimizer.lr))
            seen += len(yb)
            correct += result.correct
            smoothed = result.loss if smoothed is None else 0.95 * smoothed + 0.05 * result.loss
            last = seen == len(x)
            if on_progress and (step % report_every == 0 or last):
                on_progress(Progress(epoch, step, steps_per_epoch, smoothed, correct / seen,
                                     seen / (time.perf_counter() - start)))
        if on_epoch_end:
            on_epoch_end(epoch)
