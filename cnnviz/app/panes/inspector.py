"""The Inspector dock: the arithmetic behind one cell the user clicked in the network view.

The window sends the click (an InspectRequest) to the worker (Control.set_inspection), which
answers in every snapshot (snapshot.inspection: a ConvCell, PoolCell, DenseUnit or SoftmaxSteps
from engine/inspect.py), so the numbers follow training live and this pane never calls the
engine. A page is built once per request (inspector_pages.py: conv and pool cells, with Play in
inspector_play.py; inspector_tables.py: dense units and the softmax) and then only refilled.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from cnnviz.app.panes.inspector_pages import ConvPage, Names, PoolPage, label, set_text
from cnnviz.app.panes.inspector_tables import DensePage, SoftmaxPage
from cnnviz.engine.inspect import (
    SOFTMAX,
    ConvCell,
    DenseUnit,
    InspectRequest,
    PoolCell,
    SoftmaxSteps,
)
from cnnviz.engine.spec import ELEMENTWISE

PAGES = {ConvCell: ConvPage, PoolCell: PoolPage, DenseUnit: DensePage, SoftmaxSteps: SoftmaxPage}
HINT = ("Click a pixel of a map, a unit of a dense layer or the output column in the network "
        "view: the arithmetic behind it shows here, and follows training live.")


def resolve(summary, request: InspectRequest) -> tuple[int, tuple[int, ...]]:
    """The (layer, index) whose arithmetic answers a request, as the engine's inspect works it
    out: a cell of an elementwise layer is the cell of the layer before it, a unit of flatten
    the map cell it came from."""
    layer, index = request.layer, tuple(request.index)
    layers = summary.layers
    while 0 <= layer < len(layers) and layers[layer].type in ELEMENTWISE + ("flatten",):
        if layers[layer].type == "flatten" and len(index) == 1:
            index = tuple(int(i) for i in np.unravel_index(index[0], layers[layer].in_shape))
        layer -= 1
    return layer, index


def answers(summary, request: InspectRequest | None, result) -> bool:
    """Whether an inspection result is the answer to this request (and not to an earlier one,
    still on its way)."""
    if request is None or result is None:
        return False
    if request.layer == SOFTMAX:
        return isinstance(result, SoftmaxSteps)
    if isinstance(result, SoftmaxSteps):
        return False
    layer, index = resolve(summary, request)
    if isinstance(result, DenseUnit):
        return (result.layer, (result.unit,)) == (layer, index)
    return (result.layer, (result.channel, result.y, result.x)) == (layer, index)


def title(names: Names, result) -> str:
    if isinstance(result, SoftmaxSteps):
        return "output · softmax, step by step"
    name = f"{names.layer(result.layer)} (layer {result.layer})"
    if isinstance(result, ConvCell):
        return f"{name} · filter {result.channel} · cell (row {result.y}, column {result.x})"
    if isinstance(result, PoolCell):
        return f"{name} · ch {result.channel} · pooled cell (row {result.y}, column {result.x})"
    return f"{name} · unit {result.unit}"


class Inspector(QWidget):
    """The pane. The window gives it the network (set_network), the probe image (set_probe),
    what was clicked (set_request) and every snapshot (update_snapshot). A click on a weight of
    a page (a conv filter's cell, a dense unit's row) emits weight_chosen(WeightRef)."""
    weight_chosen = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setToolTip("The arithmetic behind the cell you clicked in the network view: the "
                        "filter, the patch under it, their products and sum, with the current "
                        "weights.")
        self.summary, self.names = None, None
        self.probe: np.ndarray | None = None
        self.request: InspectRequest | None = None
        self.result = None          # the inspection shown
        self.snapshot = None        # the snapshot it came with
        self.page: QWidget | None = None
        self._key = None
        self.heading = label("", 14, bold=True)
        self.status = label(HINT, 12, dim=True, wrap=True)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(QLabel())
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(16)
        top.addWidget(self.status, 1)
        self.pinned = QVBoxLayout()  # a page's answer (its result_row), always in view
        self.pinned.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addLayout(self.pinned)
        layout.addWidget(self.scroll, 1)

    def set_network(self, summary) -> bool:
        """The network the snapshots come from; True when it changed (the request is dropped)."""
        if summary == self.summary:
            return False
        self.summary = summary
        self.names = None if summary is None else Names(summary)
        self.set_request(None)
        return True

    def set_probe(self, probe) -> None:
        self.probe = None if probe is None else np.asarray(probe, dtype=np.float32)

    def set_request(self, request: InspectRequest | None) -> None:
        """What to show from now on; the page of the previous request goes at once."""
        if request == self.request and self.page is not None:
            return
        self.request = request
        self._clear_page()
        set_text(self.heading, "")
        set_text(self.status, HINT if request is None else "Working it out…")

    def update_snapshot(self, snapshot) -> None:
        if self.request is None or self.names is None:
            return
        result = snapshot.inspection
        if result is None:
            if not snapshot.probe_taps:
                set_text(self.status, "There is no probe image: draw one or pick a test image "
                                      "in the Input pane.")
            return
        if not answers(self.summary, self.request, result):
            return  # an answer to an earlier click, still on its way
        key = (type(result), title(self.names, result),
               tuple(getattr(result, name).shape for name in ("patch", "block", "logits")
                     if hasattr(result, name)), len(getattr(result, "contributions", ())))
        if key != self._key:
            self._clear_page()
            self.page = PAGES[type(result)](self.names, result)
            if hasattr(self.page, "weight_chosen"):
                self.page.weight_chosen.connect(self.weight_chosen)
            self.scroll.setWidget(self.page)
            if getattr(self.page, "result_row", None) is not None:
                self.pinned.addWidget(self.page.result_row)
            self._key = key
            set_text(self.heading, title(self.names, result))
        self.result, self.snapshot = result, snapshot
        self.page.fill(result, snapshot, self.probe)
        where = getattr(self.page, "where", "")
        set_text(self.status, f"{where} · weights of step {snapshot.step}" if where
                 else f"With the weights of step {snapshot.step}.")

    def _clear_page(self) -> None:
        if self.page is not None:
            flashlight = getattr(self.page, "flashlight", None)
            if flashlight is not None:
                flashlight.timer.stop()
            row = getattr(self.page, "result_row", None)
            if row is not None:
                self.pinned.removeWidget(row)
                row.setParent(None)
                row.deleteLater()
            self.scroll.setWidget(QLabel())  # the scroll area deletes the old page
        self.page, self._key, self.result, self.snapshot = None, None, None, None
