"""A one-line label in large type that shrinks its font to fit its width (down to a floor),
then elides: a long class name ("Ankle boot", "horizontal line") stays on one line instead of
wrapping into the widgets below it. text() is always the whole text."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy


class FittedLabel(QLabel):
    def __init__(self, font: QFont, smallest_pt: float):
        super().__init__()
        self._smallest = smallest_pt
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # the layout sets the width
        self.setMinimumHeight(QFontMetrics(font).height())

    def fitted(self) -> tuple[QFont, str]:
        """The font the text is drawn in and the text as drawn (elided if it still does not fit)."""
        width = max(1, self.contentsRect().width())
        font = QFont(self.font())
        size = font.pointSizeF()
        while size > self._smallest and QFontMetrics(font).horizontalAdvance(self.text()) > width:
            size = max(self._smallest, size - 1)
            font.setPointSizeF(size)
        return font, QFontMetrics(font).elidedText(self.text(), Qt.ElideRight, width)

    def paintEvent(self, event) -> None:
        font, shown = self.fitted()
        painter = QPainter(self)
        painter.setFont(font)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(Qt.AlignLeft | Qt.AlignVCenter), shown)
