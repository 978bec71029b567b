"""The Top images dock's rows on screen (PatchRows): one layer's filters or units, each with the
test images that excite it most, painted by hand, only the rows in the exposed rectangle, with
hover texts and a click that offers a patch's test image as the probe (image_chosen).

Apart from the pane (top_images.py), which chooses the layer and lays out a new evaluation; where
everything sits and what it says is worked out without Qt, in top_rows.py (the `model`)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from cnnviz.app.panes.map_grid import to_qimage
from cnnviz.app.panes.number_text import fmt
from cnnviz.app.panes.top_rows import LABEL_W, TopRows

OUTSIDE = QColor("#2a2b2f")  # receptive field beyond the image's border
DEAD = QColor("#e0403a")
UNMOVED = QColor(30, 31, 34, 170)  # dims a patch the unit gives 0 (fewer than k excite it)


class PatchRows(QWidget):
    """The rows of one layer (model: a TopRows, None for none)."""
    image_chosen = Signal(int)  # a test-set index

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.model: TopRows | None = None
        self._score_font = QFont(self.font())
        self._score_font.setPointSizeF(max(6.0, self._score_font.pointSizeF() * 0.8))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.show_layer(None)

    def show_layer(self, top, summary=None, test_x=None, test_y=None, classes=(),
                   evaluated: int = 0) -> None:
        """Rows for a LayerTop (None: none), cut from these test images."""
        self.model = None if top is None else TopRows(top, summary, test_x, test_y, classes,
                                                      evaluated)
        self.setFixedHeight(max(1, 0 if self.model is None else self.model.height))
        self.setMinimumWidth(self.sizeHint().width())
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(LABEL_W if self.model is None else self.model.width, self.height())

    def cell_rect(self, unit: int, rank: int) -> QRect:
        return QRect(*self.model.cell_box(unit, rank))

    def paintEvent(self, event) -> None:
        model = self.model
        if model is None or model.test_x is None:
            return
        painter = QPainter(self)
        exposed = event.rect()
        text = self.palette().color(self.foregroundRole())
        for unit in model.rows_within(exposed.top(), exposed.bottom()):
            dead = model.is_dead(unit)
            painter.setPen(DEAD if dead else text)
            painter.setFont(self.font())
            painter.drawText(QRect(*model.label_box(unit)), Qt.AlignmentFlag.AlignVCenter
                             | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
                             model.row_label(unit))
            if dead:  # its "best" images would be the first k, all at 0: none is shown
                area = QRect(*model.dead_box(unit))
                painter.drawText(area.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter
                                 | Qt.TextFlag.TextWordWrap, model.dead_note())
                painter.setPen(QPen(DEAD, 2))
                painter.drawRect(area)
                continue
            painter.setFont(self._score_font)
            for rank in range(model.k):
                cell = self.cell_rect(unit, rank)
                painter.fillRect(cell, OUTSIDE)
                pixels, where = model.patch(unit, rank)
                if pixels.size:
                    painter.drawImage(QRectF(*where).translated(cell.topLeft()), to_qimage(pixels))
                if model.ignored(unit, rank):
                    painter.fillRect(cell, UNMOVED)
                painter.setPen(text)
                painter.drawText(QRect(*model.score_box(unit, rank)), Qt.AlignmentFlag.AlignCenter,
                                 fmt(model.score(unit, rank)))
        painter.end()

    # ---- hover and click -----------------------------------------------------------------------

    def _cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        return None if self.model is None else self.model.cell_at(x, y)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()
            cell = self._cell_at(pos.x(), pos.y())
            unit = None if self.model is None else self.model.unit_at(pos.y())
            if cell is not None:
                QToolTip.showText(event.globalPos(), self.model.describe(*cell), self)
            elif unit is not None and self.model.is_dead(unit):
                QToolTip.showText(event.globalPos(), self.model.dead_tip(unit), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mouseMoveEvent(self, event) -> None:
        over = self._cell_at(event.position().x(), event.position().y()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        cell = self._cell_at(event.position().x(), event.position().y())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.image_chosen.emit(int(self.model.top.images[cell]))
        super().mouseReleaseEvent(event)
