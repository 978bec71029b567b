"""A heat strip of the Training health dock on screen (StripImage, a pyqtgraph ImageItem): a
StripPicture (health_figures.py) drawn on its steps and values, coloured by the log of each
bin's share, with the hovered bin's step, values and share as its tooltip.

Apart from the pane (health_dock.py), which keeps the strips and says when to draw them; only
pyqtgraph's public ImageItem API is used (setImage, setRect, clear, hoverEvent)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF

from cnnviz.app.panes.health_figures import SHARE_LEVELS, StripPicture
from cnnviz.training.health import Strip


class StripImage(pg.ImageItem):
    """A heat strip: a Strip's columns on their steps (empty bins transparent); `picture` is
    the StripPicture shown, None while none is."""

    def __init__(self, kind: str):
        super().__init__(axisOrder="col-major")  # image[column, bin]: x is the step
        self.kind = kind
        self.setAcceptHoverEvents(True)
        self.picture: StripPicture | None = None

    def show_strip(self, strip: Strip | None) -> None:
        self.picture = StripPicture.of(strip, self.kind)
        if self.picture is None:
            self.clear()
            return
        self.setImage(self.picture.image(), autoLevels=False, levels=SHARE_LEVELS)
        self.setRect(QRectF(*self.picture.rect()))

    def hoverEvent(self, ev) -> None:
        super().hoverEvent(ev)
        if ev.isExit() or self.picture is None:
            return
        where = self.picture.bin_at(ev.pos().x(), ev.pos().y())
        if where is not None:
            self.setToolTip(self.picture.hover_text(*where))
