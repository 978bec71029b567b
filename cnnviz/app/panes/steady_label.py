"""A label for text rewritten with every snapshot (counters, percentages).

Qt lays out a label's parents again whenever its text changes its size hint, up to the main
window, and repaints them, unless the label's size is fixed. This label keeps a fixed size that
only grows: text that fits changes nothing but the label itself."""
from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel


class SteadyLabel(QLabel):
    def __init__(self, widest: str = "", font: QFont | None = None):
        """`widest`: a text at least as wide as those expected, to size the label from the
        start (wider text still fits: the label then grows once), in `font` if given."""
        super().__init__(widest)
        if font is not None:
            self.setFont(font)
        self._hold()
        self.setText("")

    def setText(self, text: str) -> None:
        if text == self.text():  # (most are the same from one snapshot to the next)
            return
        super().setText(text)
        hint = self.sizeHint()
        if hint.width() > self.maximumWidth() or hint.height() > self.maximumHeight():
            self._hold()

    def _hold(self) -> None:
        hint = self.sizeHint()
        self.setFixedSize(max(hint.width(), self.minimumWidth()),
                          max(hint.height(), self.minimumHeight()))
