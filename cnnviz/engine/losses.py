"""Losses: each returns (mean loss over the batch, gradient with respect to the network output)."""
from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits, row by row (shifted by the row max, so exp cannot overflow)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax followed by the negative log-likelihood of the true class, averaged over the batch
    (reference.softmax_cross_entropy spells it out)."""
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), labels].mean()
    grad = np.exp(log_probs)
    grad[np.arange(n), labels] -= 1
    grad /= n
    return float(loss), grad


def one_hot(labels: np.ndarray, classes: int, dtype) -> np.ndarray:
    target = np.zeros((labels.shape[0], classes), dtype)
    target[np.arange(labels.shape[0]), labels] = 1
    return target


def mse(outputs: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The textbook squared error E = sum_k 1/2 (target_k - output_k)^2 against one-hot targets,
    averaged over the batch."""
    n = outputs.shape[0]
    diff = outputs - one_hot(labels, outputs.shape[1], outputs.dtype)
    loss = 0.5 * float(np.sum(diff * diff, dtype=np.float64)) / n
    return loss, diff / outputs.dtype.type(n)


LOSSES = {"cross_entropy": cross_entropy, "mse": mse}
