"""The Input dock's Prediction box: the "network input" preview, the network's three most likely
classes for the probe with their probabilities (the first large, beside the preview), the
verdict on a test image, and the Explain controls (explain.py) with the heat map they ask for.

It only shows what it is given: the probabilities and the map of each snapshot, and the true
class of the test image in the canvas. The wording and the ranking are prediction.py's (no Qt);
labels rewritten with every snapshot are sized once so they do not make Qt lay out the window
again (steady_label.py)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from cnnviz.app.panes.explain import CANNOT, WAITING, ExplainControls
from cnnviz.app.panes.fitted_label import FittedLabel
from cnnviz.app.panes.prediction import (
    DRAW,
    TOP,
    UNAVAILABLE,
    heat_outcome,
    predicted_class,
    ranked,
    usable,
    verdict,
)
from cnnviz.app.panes.probe_preview import ProbePreview
from cnnviz.app.panes.saliency_overlay import caption, normalise
from cnnviz.app.panes.steady_label import SteadyLabel
from cnnviz.app.panes.style import set_style_sheet

MUTED = "#777777"
TONES = {"muted": f"color: {MUTED};", "correct": "color: #1a7f37; font-weight: bold;",
         "wrong": "color: #c62828; font-weight: bold;"}
NO_PREDICTION = "—"


class PredictionBox(QGroupBox):
    # The Explain choice changed: (None | "saliency" | "gradcam", class or None: predicted).
    saliency_changed = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Prediction", parent)
        self.setToolTip("The network's three most likely classes for the probe, with the "
                        "probability it gives each. It changes as the network learns.")
        self._classes: tuple[str, ...] = ()
        self._probabilities: np.ndarray | None = None
        self._true_class: int | None = None
        self.preview = ProbePreview()
        preview_caption = QLabel("network input")
        preview_caption.setStyleSheet(f"color: {MUTED};")
        preview_col = QVBoxLayout()
        preview_col.addWidget(self.preview, 0, Qt.AlignHCenter)
        preview_col.addWidget(preview_caption, 0, Qt.AlignHCenter)

        # The most likely class large, beside the preview; the next two below, full width.
        self.class_labels, self.percent_labels = [], []
        for rank in range(TOP):
            font = QFont(QApplication.font())  # the dock's font, not the group box's title font
            font.setPointSizeF(20 if rank == 0 else 13)
            font.setBold(rank == 0)
            name = FittedLabel(font, smallest_pt=12) if rank == 0 else QLabel()
            pct = SteadyLabel("100.0 %", font)  # the widest: later percentages change only it
            name.setFont(font)
            self.class_labels.append(name)
            self.percent_labels.append(pct)
        best = QVBoxLayout()
        best.addWidget(self.class_labels[0])
        best.addWidget(self.percent_labels[0])
        best.addStretch(1)
        top_row = QHBoxLayout()
        top_row.addLayout(preview_col)
        top_row.addSpacing(6)
        top_row.addLayout(best, 1)
        others = QGridLayout()
        for rank in range(1, TOP):
            self.percent_labels[rank].setAlignment(Qt.AlignRight | Qt.AlignVCenter)
            others.addWidget(self.class_labels[rank], rank, 0)
            others.addWidget(self.percent_labels[rank], rank, 1)
        others.setColumnStretch(0, 1)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.explain = ExplainControls()
        self.explain.changed.connect(self._explain_changed)

        col = QVBoxLayout(self)
        col.addLayout(top_row)
        col.addLayout(others)
        col.addWidget(self.verdict)
        col.addWidget(self.explain)

    def set_classes(self, classes: Sequence[str]) -> None:
        """A new dataset's class names: no heat, no true class, and no prediction until one is
        shown."""
        self._classes = tuple(classes)
        self._true_class = None
        self.preview.set_heat(None)
        self.explain.set_classes(self._classes)

    def show_probabilities(self, probabilities: np.ndarray | None) -> None:
        """Show the top-3 classes of the probe's probabilities (None: no prediction)."""
        p = self._probabilities = usable(probabilities, len(self._classes))
        rows = [] if p is None else ranked(p, self._classes)
        for rank, (name, pct) in enumerate(zip(self.class_labels, self.percent_labels)):
            if rank < len(rows):
                name.setText(rows[rank][0])
                if name.toolTip() != name.text():  # (Qt sends an event even for the same)
                    name.setToolTip(name.text())
                pct.setText(rows[rank][1])
            else:
                name.setText(NO_PREDICTION if p is None and rank == 0 else "")
                pct.setText("")
        self._show_verdict()

    def set_true_class(self, true_class: int | None) -> None:
        """The label of the test image in the canvas, None for a drawing or a file."""
        self._true_class = true_class
        self._show_verdict()

    def _show_verdict(self) -> None:
        text, tone = verdict(self._probabilities, self._true_class, self._classes)
        self.verdict.setText(text)
        if tone is not None:
            set_style_sheet(self.verdict, TONES[tone])

    def _explain_changed(self, mode, class_index) -> None:
        if mode is None:  # Off: the heat goes at once, not with the next snapshot
            self.show_saliency(None)
        self.saliency_changed.emit(mode, class_index)

    def show_saliency(self, heat: np.ndarray | None, mode: str | None = None,
                      class_index: int | None = None) -> None:
        """Draw a snapshot's saliency or Grad-CAM map (H, W) of class class_index over the
        preview, with its caption; None takes it away. Call it after show_probabilities, which
        tells the predicted class."""
        outcome = heat_outcome(heat, mode, class_index, self.preview.probe)
        text = None
        if outcome == DRAW:
            text = caption(mode, class_index, self._classes, predicted_class(self._probabilities))
        self.explain.show_caption(text, CANNOT if outcome == UNAVAILABLE else WAITING)
        self.preview.set_heat(normalise(heat) if outcome == DRAW else None)
