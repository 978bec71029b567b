"""What the Input dock's Prediction box says, without Qt: which probabilities it can show, the
classes it ranks first and how their percentages are written, the verdict on a test image, and
whether a saliency map can be drawn over the preview. It is apart from prediction_box.py (the
widgets) so that the ranking and the wording can be read and tested without a window; the test
image browser names classes the same way (class_name)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TOP = 3  # the classes shown: the most likely large, the next two under it


def class_name(classes: Sequence[str], k: int) -> str:
    """Class k's name, or "class k" when the dataset has no name for it."""
    return classes[k] if 0 <= k < len(classes) else f"class {k}"


def percent(p: float) -> str:
    """A probability as the box writes it: one decimal, and "< 0.1 %" rather than a misleading
    "0.0 %" for a class that is unlikely but possible."""
    return "< 0.1 %" if 0 < p < 0.0005 else f"{100 * p:.1f} %"


def usable(probabilities: np.ndarray | None, n_classes: int) -> np.ndarray | None:
    """The probabilities as float64, or None if there are none, or they are of another network
    or dataset (not one per class), or of a diverged one (not finite)."""
    if probabilities is None:
        return None
    p = np.asarray(probabilities, dtype=np.float64)
    return p if p.shape == (n_classes,) and np.isfinite(p).all() else None


def ranked(p: np.ndarray, classes: Sequence[str], top: int = TOP) -> list[tuple[str, str]]:
    """(name, percentage) of the `top` most likely classes, most likely first; ties keep the
    classes' order. Fewer rows when there are fewer classes."""
    order = np.argsort(-p, kind="stable")[:top]
    return [(class_name(classes, int(k)), percent(float(p[k]))) for k in order]


def verdict(p: np.ndarray | None, true_class: int | None,
            classes: Sequence[str]) -> tuple[str, str | None]:
    """(text, tone) under the ranking: whether the network gets the test image in the canvas
    right (nothing for a drawing or a file, which have no true class). The tone, "muted",
    "correct" or "wrong", is for the box to colour; None leaves the colour (there is no text)."""
    if p is None:
        return ("No prediction yet: train the network." if classes else ""), "muted"
    if true_class is None:
        return "", None
    if int(np.argmax(p)) == true_class:
        return "Correct.", "correct"
    return f"Wrong: the true class is {class_name(classes, true_class)}.", "wrong"


def predicted_class(p: np.ndarray | None) -> int | None:
    return None if p is None else int(np.argmax(p))


# What a snapshot's saliency map does to the preview.
DRAW, UNAVAILABLE, PENDING = "draw", "unavailable", "pending"


def heat_outcome(heat: np.ndarray | None, mode: str | None, class_index: int | None,
                 probe: np.ndarray | None) -> str:
    """DRAW: the map fits the probe shown (one value per pixel) and says what it explains.
    UNAVAILABLE: a map was asked for (mode) and the snapshot has none: the network cannot make
    it. PENDING: otherwise (no map asked for, no probe yet, or a map of another probe)."""
    if probe is None:
        return PENDING
    if heat is None:
        return UNAVAILABLE if mode is not None else PENDING
    if mode is not None and class_index is not None and np.shape(heat) == probe.shape[1:]:
        return DRAW
    return PENDING
