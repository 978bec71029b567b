"""The "Explain" controls of the Input dock: which heat map to draw over the probe (Off, Saliency
or Grad-CAM), for which class (the predicted one unless another is picked), and under them the
caption ("Saliency for 'ring' (predicted)") and the legend of the heat's colours.

The widget only says what was chosen (`changed(mode, class_index)`); the window hands the choice
to the worker (Control.set_saliency), and the Input dock draws the maps that come back."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QWidget

from cnnviz.app.panes.box_layout import stack
from cnnviz.app.panes.saliency_overlay import LEGEND_HELP, MODE_HELP, legend_image
from cnnviz.app.panes.style import set_style_sheet

MODES = ((None, "Off"), ("saliency", "Saliency"), ("gradcam", "Grad-CAM"))
PREDICTED = "predicted class"
MUTED = "#777777"
EXPLAIN_TIP = ("Colour the network input by which pixels a class's score depends on: Saliency "
               "(the gradient of the score with respect to each pixel) or Grad-CAM (where the "
               "last conv layer finds evidence for the class). Drawn here and over the input "
               "column of the network view; it follows training.")
CLASS_TIP = "The class whose score is explained: the predicted one, or any class you pick."
WAITING = "The heat map comes with the next update (train, step or pick a test image)."
CANNOT = ("This network gives no such map (Grad-CAM needs a conv layer, and the class must be "
          "one of the network's).")


class ExplainControls(QWidget):
    """Explain [Off | Saliency | Grad-CAM], for class [predicted class | a class]; the caption
    and the legend under them."""

    changed = Signal(object, object)  # (None | "saliency" | "gradcam", class index or None)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode_box = QComboBox()
        for mode, text in MODES:
            self.mode_box.addItem(text, mode)
            self.mode_box.setItemData(self.mode_box.count() - 1, MODE_HELP[mode], Qt.ToolTipRole)
        self.mode_box.setToolTip(EXPLAIN_TIP)
        self.class_box = QComboBox()
        self.class_box.setToolTip(CLASS_TIP)
        self.class_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.class_box.setMinimumContentsLength(8)
        self.mode_box.currentIndexChanged.connect(self._changed)
        self.class_box.currentIndexChanged.connect(self._changed)
        explain, for_label = QLabel("Explain"), QLabel("for class")
        explain.setToolTip(EXPLAIN_TIP)
        for_label.setToolTip(CLASS_TIP)
        choices = QGridLayout()
        choices.setContentsMargins(0, 0, 0, 0)
        choices.addWidget(explain, 0, 0)
        choices.addWidget(self.mode_box, 0, 1)
        choices.addWidget(for_label, 1, 0)
        choices.addWidget(self.class_box, 1, 1)
        choices.setColumnStretch(1, 1)

        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setToolTip(LEGEND_HELP)
        self.legend = QWidget()
        self.legend.setToolTip(LEGEND_HELP)
        legend = QHBoxLayout(self.legend)
        legend.setContentsMargins(0, 0, 0, 0)
        legend.setSpacing(3)
        bar = QLabel()
        bar.setPixmap(QPixmap.fromImage(legend_image(60, 9)))
        for widget in (QLabel("low"), bar, QLabel("high")):
            widget.setStyleSheet(f"color: {MUTED};")
            legend.addWidget(widget)
        legend.addStretch(1)

        stack(self, choices, self.caption, self.legend)
        self.set_classes([])

    def set_classes(self, names: Sequence[str]) -> None:
        """The classes of a new dataset; the choice goes back to the predicted class (quietly:
        a new session asks for choice() when it starts)."""
        self.class_box.blockSignals(True)
        self.class_box.clear()
        self.class_box.addItem(PREDICTED, None)
        for k, name in enumerate(names):
            self.class_box.addItem(str(name), k)
        self.class_box.setCurrentIndex(0)
        self.class_box.blockSignals(False)
        self.show_caption(None)

    def choice(self) -> tuple[str | None, int | None]:
        """(mode, class): mode None (Off), "saliency" or "gradcam"; class None = predicted."""
        mode = self.mode_box.currentData()
        return mode, (self.class_box.currentData() if mode is not None else None)

    def set_choice(self, mode: str | None, class_index: int | None = None) -> None:
        """Choose as the user would; emits `changed` once."""
        self.class_box.blockSignals(True)
        self.class_box.setCurrentIndex(0 if class_index is None else class_index + 1)
        self.class_box.blockSignals(False)
        index = [m for m, _ in MODES].index(mode)
        if self.mode_box.currentIndex() != index:
            self.mode_box.setCurrentIndex(index)
        else:
            self._changed()

    def show_caption(self, text: str | None, why_none: str = WAITING) -> None:
        """What the drawn map is ("Saliency for 'ring' (predicted)"); None: no map drawn, and
        why_none says why."""
        on = self.mode_box.currentData() is not None
        self.class_box.setEnabled(on)
        self.caption.setVisible(on)
        self.legend.setVisible(on and bool(text))
        self.caption.setText(text or why_none)
        set_style_sheet(self.caption, "" if text else f"color: {MUTED};")

    def _changed(self, *_) -> None:
        self.show_caption(None)
        self.changed.emit(*self.choice())
