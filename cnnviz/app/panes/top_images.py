"""The Top images dock: for the chosen conv or dense layer, one row per filter or unit with the
test images of the latest evaluation that excite it most (training/top_images.py), best first.

A conv filter's images are cut down to the patch its map's best cell sees (the cell's receptive
field, drawn at the field's full size: the part outside the image is left dark), scaled up; a
dense unit's are whole images. The score is written under each patch, and the hover text says
what it is; a dead filter's (or unit's) row says so in red instead. Clicking a patch offers its test image as the probe
(image_chosen). Only the rows in view are painted, and a new evaluation is laid out only while
the dock is on screen.

This module is the pane: the layer chooser, and when to lay out a new evaluation. The rows are
painted by patch_rows.py; where each patch sits and what the rows say is top_rows.py (no Qt).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from cnnviz.app.panes.patch_rows import PatchRows
from cnnviz.app.panes.top_rows import (
    GAP,
    LABEL_W,
    PATCH,
    evaluation_title,
    layer_choice,
    layer_fits,
)

REFRESH_MS = 200   # a new evaluation is laid out this long after it arrives (at most 5 a second)
NO_EVALUATION = "No evaluation yet: the rows fill in after the first test."
TOOLTIP = ("For each filter (conv layer) or unit (dense layer), the test images of the latest "
           "evaluation that make it respond most, best first. A conv filter shows the patch of "
           "the image that its strongest map cell sees (its receptive field), a dense unit the "
           "whole image. The number under a patch is the score: the largest value of the "
           "filter's map after its nonlinearity. Click a patch to make its image the probe.")


class TopImagesPane(QWidget):
    image_chosen = Signal(int)  # a test-set index, to become the probe

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        self.summary = None
        self.test_x = self.test_y = None
        self.classes: tuple[str, ...] = ()
        self.shown = None     # the TopImages laid out
        self.pending = None   # the latest snapshot's, laid out when the pane is in view
        self._left_behind = None  # the old network's, still carried after an architecture edit
        self._step = None
        self.title = QLabel(NO_EVALUATION)
        self.title.setWordWrap(True)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The conv or dense layer whose filters or units to show.")
        self.layer_box.activated.connect(self._show_rows)
        self.rows = PatchRows()
        self.rows.image_chosen.connect(self.image_chosen)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.rows)
        self.scroll.setWidgetResizable(True)
        self.scroll.setToolTip(TOOLTIP)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        head = QHBoxLayout()
        head.addWidget(QLabel("Layer"))
        head.addWidget(self.layer_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(head)
        layout.addWidget(self.scroll, 1)

    def sizeHint(self) -> QSize:
        return QSize(LABEL_W + 8 * (PATCH + GAP) + 30, 320)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, 160)

    # ---- data ----------------------------------------------------------------------------------

    def set_test_set(self, x: np.ndarray | None, y: np.ndarray | None, classes=()) -> None:
        """The test images the indices point into, their labels and the class names."""
        self.test_x, self.test_y, self.classes = x, y, tuple(str(c) for c in classes)
        self.clear()

    def set_network(self, summary) -> None:
        """The network drawn from now on; the evaluation shown was of another one (or of the
        weights before a Reset), so it goes until the next evaluation."""
        self._left_behind = self.pending if self.pending is not None else self.shown
        self.summary = summary
        self.clear()

    def clear(self) -> None:
        self.shown = self.pending = None
        self._timer.stop()
        self.layer_box.clear()
        self.rows.show_layer(None)
        self.title.setText(NO_EVALUATION)

    def update_snapshot(self, snapshot) -> None:
        """Take the snapshot's top images; laid out when they changed, and only in view."""
        top = getattr(snapshot, "top_images", None)
        if top is None or top is self.shown or top is self._left_behind:
            return
        self.pending, self._step = top, snapshot.evaluation_step
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.pending is not None:
            self._refresh()

    def _refresh(self) -> None:
        top, self.pending = self.pending, None
        if top is None or self.summary is None or self.test_x is None:
            return
        fitting = [t for t in top.layers if layer_fits(t, self.summary)]
        chosen = self.layer_box.currentData()
        self.shown = top
        self.layer_box.clear()
        for t in fitting:
            self.layer_box.addItem(layer_choice(t, self.summary), t.layer)
        if chosen is not None and self.layer_box.findData(chosen) >= 0:
            self.layer_box.setCurrentIndex(self.layer_box.findData(chosen))
        self.title.setText(evaluation_title(self._step, top))
        self._show_rows()

    def _show_rows(self, *_) -> None:
        layer = self.layer_box.currentData()
        top = None if self.shown is None or layer is None else self.shown.layer(layer)
        self.rows.show_layer(top, self.summary, self.test_x, self.test_y, self.classes,
                             0 if self.shown is None else self.shown.evaluated)
