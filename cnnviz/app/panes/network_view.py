"""The Network view: what the network does with the probe image, stage by stage, left to right.

Columns: the input channels; for each conv layer its filters (out x in grid of kernels,
blue-white-red centred at zero) and its activation maps (after the layer's nonlinearity); the
pooled maps after each pool; dense layers as activation strips; the class probabilities as
labelled bars. Everything lives in one QGraphicsScene (one ImageItem per column, see map_grid),
built once per network by `set_network` and only updated by `update_snapshot`.

This module ties the parts together: which columns a network gets is stage_plan.py's and what
each draws from a snapshot column_data.py's (both without Qt); the columns are
network_columns.py's and filter_column.py's; which cell is under a point is
network_geometry.py's (no Qt), asked through `cell_at` by the hover text, the enlarged maps
and the overlays (receptive_overlay.py, saliency_overlay.py, inspector_select.py); the
scrolling and zooming are network_canvas.py's.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsScene, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from cnnviz.app.panes.box_layout import stack
from cnnviz.app.panes.column_data import column_data, matches
from cnnviz.app.panes.enlarged_map import EnlargedMap, Pick
from cnnviz.app.panes.filter_column import FilterColumn
from cnnviz.app.panes.inspector_select import CellPicker
from cnnviz.app.panes.map_grid import DIM_TEXT, text_item
from cnnviz.app.panes.network_canvas import NetworkCanvas
from cnnviz.app.panes.network_columns import (
    GAP,
    LABELS_EVERY,
    Column,
    GradientMapColumn,
    MapColumn,
    OutputColumn,
    StripColumn,
)
from cnnviz.app.panes.network_geometry import Cell, NetworkGeometry
from cnnviz.app.panes.receptive_overlay import ReceptiveHighlight
from cnnviz.app.panes.saliency_overlay import SaliencyOverlay
from cnnviz.app.panes.stage_plan import ColumnPlan, plan_columns

GRADIENTS_TIP = ("Show the backward pass beside the forward one: the gradient of the probe "
                 "image's loss with respect to each conv layer's weights and to each map (the "
                 "loss of its true class for a test image, else of the class chosen under "
                 "Explain, else of the predicted class). Red: the loss rises with the value, "
                 "blue: it falls. Shortcut: G.")


class NetworkView(QWidget):
    """The centre of the app: the network's stages left to right, drawn from snapshots."""
    hovered = Signal(str)
    cell_clicked = Signal(object)  # an InspectRequest or a WeightRef (inspector_select.py)
    gradients_toggled = Signal(bool)
    rebuilt = Signal()  # the scene was made again (new columns): the overlays remake their items

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setToolTip("What the network does with the probe image, stage by stage from left "
                        "to right: filters, the maps they make, pooling, dense layers and the "
                        "class probabilities. Hover a pixel for its value and its receptive "
                        "field (outlined in cyan on the input); click it to see its "
                        "arithmetic in the Inspector.")
        self.scene = QGraphicsScene(self)
        self.canvas = NetworkCanvas(self.scene)
        self.status = QLabel("")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for button in self.canvas.zoom_buttons():
            buttons.addWidget(button)
        self.gradients_button = QToolButton()
        self.gradients_button.setText("Gradients")
        self.gradients_button.setCheckable(True)
        self.gradients_button.setToolTip(GRADIENTS_TIP)
        self.gradients_button.toggled.connect(self.set_gradients)
        buttons.addWidget(self.gradients_button)
        hint = QLabel("wheel: scroll · Ctrl+wheel: zoom · drag: pan · click: inspect · "
                      "double-click: enlarge")
        hint.setStyleSheet("color: gray")
        hint.setToolTip(hint.text())
        # Cut off in a narrow window rather than widening it.
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        buttons.addWidget(hint)
        buttons.addStretch(1)
        stack(self, buttons, (self.canvas, 1), self.status, margin=2)
        self.canvas.moved.connect(self._hover)
        self.canvas.double_clicked.connect(self.enlarge_at)
        self.enlarged: dict[Pick, EnlargedMap] = {}
        self.canvas.left.connect(lambda: self._say(""))
        self.columns: list[Column] = []
        self.geometry = NetworkGeometry()  # where the columns' cells are: cell_at
        self.summary = None
        self.show_gradients = False
        self.probe: np.ndarray | None = None
        self._labels_due = 0.0  # when the range labels may next be rewritten (time.perf_counter)
        self._latest = None  # the last snapshot drawn, and the columns it was not drawn in
        self._stale: list[Column] = []
        self._left_behind = None  # the previous network's evaluation (its dead filters)
        self.clear()
        for bar in (self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()):
            bar.valueChanged.connect(self._draw_stale)
            bar.rangeChanged.connect(self._draw_stale)
        self.canvas.zoomed.connect(self._draw_stale)
        # Overlays: the receptive field of the hovered cell, the saliency heat on the input.
        self.receptive = ReceptiveHighlight(self)
        self.saliency = SaliencyOverlay(self)
        self.picker = CellPicker(self)  # a click on a cell: cell_clicked, and a marker

    # -- building ----------------------------------------------------------------------------

    def set_network(self, summary) -> None:
        """Build every column for this network (once); data arrives with update_snapshot."""
        self._labels_due = 0.0
        # The last evaluation's dead filters were found in the network drawn until now.
        self._left_behind = getattr(self._latest, "top_images", None)
        self._latest, self._stale = None, []
        if summary == self.summary:  # the same architecture (Reset): keep the columns, not the data
            for column in self.columns:
                column.blank()
            return
        self._build(summary)

    def set_gradients(self, on: bool) -> None:
        """Show the gradient columns beside the filters and maps, or not (the columns are made
        again; the window asks the worker for the gradients through gradients_toggled)."""
        if on == self.show_gradients:
            return
        self.show_gradients = on
        if self.gradients_button.isChecked() != on:
            self.gradients_button.setChecked(on)
        if self.summary is not None:
            latest = self._latest
            self._build(self.summary)
            if latest is not None:
                self.update_snapshot(latest)
        self.gradients_toggled.emit(on)

    def _build(self, summary) -> None:
        self._latest, self._stale = None, []
        self._close_enlarged()
        self.scene.clear()
        self.columns, self.summary, x = [], summary, 0.0
        for plan in plan_columns(summary, self.show_gradients):
            column = self._make(plan, x)
            if plan.span:
                column.span = plan.span
                column.note.setText(plan.span)
            column.grow(column.note.boundingRect().width(), 0)
            self.columns.append(column)
            x = column.x + column.width + GAP
        self.geometry = NetworkGeometry(column.region() for column in self.columns)
        # The columns' own extent too: the output's percentages are written only with data.
        bounds = self.scene.itemsBoundingRect().united(QRectF(
            0, 0, max(c.x + c.width for c in self.columns), max(c.height for c in self.columns)))
        self.scene.setSceneRect(bounds.adjusted(-12, -10, 12, 12))
        self.canvas.auto_zoom = True
        self.canvas.auto_fit()
        self.rebuilt.emit()

    def _make(self, plan: ColumnPlan, x: float) -> Column:
        if plan.kind == "filters":
            return FilterColumn(self.scene, x, plan.title, plan.shape, plan.conv, plan.layer,
                                plan.names, gradient=plan.gradient)
        if plan.kind == "dense":
            return StripColumn(self.scene, x, plan.title, plan.shape[0], plan.tap)
        if plan.kind == "output":
            return OutputColumn(self.scene, x, self.summary.classes)
        kind = GradientMapColumn if plan.kind == "gradients" else MapColumn
        return kind(self.scene, x, plan.title, plan.subtitle, plan.kind, plan.shape, plan.tap,
                    plan.names)

    def clear(self) -> None:
        """Forget the network: an empty view with a hint."""
        self._close_enlarged()
        self.scene.clear()
        self.columns, self.summary, self.probe = [], None, None
        self.geometry = NetworkGeometry()
        self._latest, self._stale = None, []
        text_item(self.scene, "No network yet: choose an architecture and a dataset.", 0, 0, 14,
                  color=DIM_TEXT)
        self.scene.setSceneRect(self.scene.itemsBoundingRect())
        self._say("")
        self.rebuilt.emit()

    # -- updating ----------------------------------------------------------------------------

    def set_probe(self, image: np.ndarray | None) -> None:
        """The probe image (C, H, W) that the snapshots' taps were computed from: the snapshot
        does not carry it, so the window hands it over when it sends it to the worker."""
        self.probe = None if image is None else np.asarray(image, dtype=np.float32)

    def matches(self, snapshot) -> bool:
        """Whether the snapshot's taps and weights belong to the network that is drawn."""
        return matches(self.summary, snapshot)

    def update_snapshot(self, snapshot) -> bool:
        """Redraw from a snapshot; False (and nothing changed) if it belongs to another network.
        Columns scrolled out of view are drawn when they come into view (most of a big network
        is off screen, and the worker wants the cores the drawing would take)."""
        if not self.matches(snapshot):
            return False
        now = time.perf_counter()
        labels = getattr(snapshot, "state", None) != "running" or now >= self._labels_due
        if labels:
            self._labels_due = now + LABELS_EVERY
        self._latest = snapshot
        visible = self._visible_columns()
        self._stale = [column for column in self.columns if column not in visible]
        for column in visible:
            self._draw(column, snapshot, labels)
        self.saliency.update(snapshot)
        return True

    def _draw(self, column: Column, snapshot, labels: bool) -> None:
        data = column_data(column, snapshot, self.probe)
        if data is None:
            column.blank()
        elif isinstance(column, MapColumn):
            column.update(data, labels)
        else:
            column.update(data)
        if isinstance(column, FilterColumn) and not column.gradient:
            top = getattr(snapshot, "top_images", None)
            column.show_dead(None if top is self._left_behind else top)
        for pick, window in self.enlarged.items():
            if self.columns[pick.column] is column:
                window.follow(column)

    def _visible_columns(self) -> list[Column]:
        """The columns at least partly in view (all of them while the view is not on screen);
        the input always, which the saliency overlay reads."""
        if not self.canvas.isVisible():
            return self.columns
        shown = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        return [column for i, column in enumerate(self.columns)
                if i == 0 or (column.x < shown.right() and column.x + column.width > shown.left())]

    def _draw_stale(self) -> None:
        """Draw the columns that came into view since the last snapshot, from it."""
        if not self._stale or self._latest is None:
            return
        visible = self._visible_columns()
        for column in [c for c in self._stale if c in visible]:
            self._draw(column, self._latest, True)
            self._stale.remove(column)

    # -- the mouse -----------------------------------------------------------------------------

    def cell_at(self, pos: QPointF) -> Cell | None:
        """The cell under a scene position (network_geometry.py), or None."""
        return self.geometry.cell_at(pos.x(), pos.y())

    def _hover(self, pos: QPointF) -> None:
        cell = self.cell_at(pos)
        self._say("" if cell is None else self.columns[cell.column].describe(cell) or "")

    def _say(self, text: str) -> None:
        if text != self.status.text():
            self.status.setText(text)
            self.hovered.emit(text)

    def enlarge_at(self, pos: QPointF) -> EnlargedMap | None:
        """Open the map or filter under `pos` large, in a window that follows training."""
        cell = self.cell_at(pos)
        pick = None if cell is None else Pick.of(cell)
        return None if pick is None else self.enlarge(pick)

    def enlarge(self, pick: Pick) -> EnlargedMap:
        window = self.enlarged.get(pick)
        if window is None:
            window = self.enlarged[pick] = EnlargedMap.of(self.columns[pick.column], pick, self)
            window.destroyed.connect(lambda *_: self.enlarged.pop(pick, None))
        window.show()
        window.raise_()
        return window

    def _close_enlarged(self) -> None:
        for window in list(self.enlarged.values()):  # their columns are gone
            window.close()
        self.enlarged.clear()

    # -- view ----------------------------------------------------------------------------------

    def fit(self) -> None:
        self.canvas.fit()

    def actual_size(self) -> None:
        self.canvas.actual_size()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.canvas.auto_fit()
        self._draw_stale()

    def showEvent(self, event):
        super().showEvent(event)
        self._draw_stale()
