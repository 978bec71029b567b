"""The Filter timeline's drawing: MomentFilters, a conv layer's filters at one moment of the
run (the network view's FilterColumn, on a colour scale given from outside, so that all of a
layer's moments share one), and TimelineCanvas, the view that scales their scene to fill it and
reports the point under the mouse.

Apart from the pane (filter_timeline.py), which chooses the moment; the scale and the words are
worked out in timeline_choice.py."""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene, QSizePolicy

from cnnviz.app.panes.filter_column import FilterColumn
from cnnviz.app.panes.hover_view import HoverView
from cnnviz.app.panes.map_grid import DIM_TEXT, TEXT, text_item
from cnnviz.app.panes.network_columns import GAP
from cnnviz.app.panes.timeline_choice import LONGEST_NOTE, input_names
from cnnviz.training.timeline import Moment

MAX_ZOOM = 6.0    # small layers are enlarged to fill the pane, up to this
MIN_ZOOM = 0.5    # big ones shrink to fit, down to this (then the view scrolls)


class MomentFilters(FilterColumn):
    """A FilterColumn drawn on a given colour scale instead of the weights' own, under a
    one-line title (the layer and its shape are said by the pane's chooser)."""

    def __init__(self, scene, x, shape, layer: int, in_names):
        super().__init__(scene, x, f"conv{layer + 1} filters", shape, layer, layer, in_names)
        self.head.setVisible(False)
        self.sub.setVisible(False)
        self.note.setBrush(TEXT)
        self.note.setText(LONGEST_NOTE)  # room for the longest title
        self.grow(self.note.boundingRect().width(), 0)
        self.note.setText("")

    def show_moment(self, moment: Moment, bound: float, note: str) -> None:
        self.data = moment.weights
        self.mosaic.tiles[...] = moment.weights[:self.rows, :self.cols]
        self.image.show(levels=(-bound, bound))
        if self.note.text() != note:
            self.note.setText(note)


class TimelineCanvas(HoverView):
    """The scene of a layer's start and chosen moment (or a message), scaled to fill the view;
    reports the hovered point."""
    def __init__(self, scene: QGraphicsScene):
        super().__init__(scene)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_filters(self, layer: int, shape) -> tuple[MomentFilters, MomentFilters]:
        """Conv layer `layer`'s start and chosen moment side by side, made anew; the view fitted."""
        scene = self.scene()
        scene.clear()
        in_names = input_names(layer, shape)
        start = MomentFilters(scene, 0.0, shape, layer, in_names)
        chosen = MomentFilters(scene, start.width + GAP, shape, layer, in_names)
        # From the titles down (the hidden headers above them count in itemsBoundingRect).
        top = chosen.note.y()
        scene.setSceneRect(QRectF(-8, top - 6, chosen.x + chosen.width + 16,
                                  max(chosen.height, start.height) - top + 14))
        self.fit()
        return start, chosen

    def show_message(self, text: str) -> None:
        """A line of text in place of the filters, unscaled."""
        scene = self.scene()
        scene.clear()
        text_item(scene, text, 0, 0, 13, color=DIM_TEXT)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-8, -6, 8, 8))
        self.resetTransform()

    def fit(self) -> None:
        rect = self.sceneRect()
        room = self.viewport().size()
        if rect.isEmpty() or room.width() < 20 or room.height() < 20:
            return
        scale = min(room.width() / rect.width(), room.height() / rect.height())
        scale = min(MAX_ZOOM, max(MIN_ZOOM, scale))
        self.resetTransform()
        self.scale(scale, scale)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()
