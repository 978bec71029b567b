"""What each column of the network view draws from a snapshot, as plain data (no Qt).

A snapshot carries the probe's taps (every layer's output), the conv weights, the class
probabilities and, with gradients on, the probe's dL/dW and dL/d(map); `matches` says whether
it belongs to the network drawn, and `column_data` picks out the array a column shows, or None
when the snapshot has nothing for it (no probe, no gradients yet): the column is then blank.
Apart from the drawing so that the rules (a probe of another shape is not drawn, a gradient
column waits for its gradients) can be read and tested on their own.
"""
from __future__ import annotations

import numpy as np

from cnnviz.app.panes.stage_plan import weight_shape


def matches(summary, snapshot) -> bool:
    """Whether the snapshot's taps and weights belong to the network `summary` (None: none)."""
    if summary is None:
        return False
    layers = summary.layers
    taps = snapshot.probe_taps
    if taps and (len(taps) != len(layers)
                 or any(t.shape != info.out_shape for t, info in zip(taps, layers))):
        return False
    convs = [info for info in layers if info.type == "conv"]
    weights = snapshot.conv_weights
    if len(weights) != len(convs) or any(w.shape != weight_shape(c) for w, c in zip(weights, convs)):
        return False
    p = snapshot.probe_probabilities
    return p is None or p.shape == (len(summary.classes),)


def column_data(column, snapshot, probe: np.ndarray | None) -> np.ndarray | None:
    """The array that `column` (a ColumnPlan, or the view's column made from one) shows from a
    snapshot that matches its network; `probe` is the image the taps were computed from, when
    the snapshot does not carry it."""
    taps = snapshot.probe_taps
    gradients = getattr(snapshot, "probe_gradients", None)
    if column.kind == "filters":
        if not column.gradient:
            return snapshot.conv_weights[column.conv]
        if gradients is None or len(gradients.filters) <= column.conv:
            return None
        return gradients.filters[column.conv]
    if column.kind == "gradients":
        grad = None if gradients is None else gradients.maps[column.tap]
        return grad if grad is not None and grad.shape == column.shape else None
    if column.kind == "output":
        return snapshot.probe_probabilities
    if column.kind == "input":
        carried = getattr(snapshot, "probe", None)
        probe = probe if carried is None else carried
        return probe if taps and probe is not None and probe.shape == column.shape else None
    return taps[column.tap] if taps else None
