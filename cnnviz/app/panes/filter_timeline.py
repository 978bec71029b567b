"""The filter timeline: a conv layer's filters as they were at moments of the run, from the start
(random noise) to now, so the learner sees edge and blob detectors form.

A slider scrubs through the moments the recorder kept (training/timeline.py: at most a fixed
number per layer, spread evenly over the run); its last position is the latest snapshot and
follows training live. Play runs through them. The chosen moment is drawn beside the start, as
the network view draws filters (the same FilterColumn: blue-white-red, centred at zero), but on
one colour scale shared by all of the layer's moments, ±(the largest |weight| of any of them),
so that weights growing or fading over the run show as colour getting stronger or paler.

Recording costs a list entry per snapshot; drawing happens only while the pane is in view, at
most REDRAW_MS apart while training, and at once when the user moves the slider."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.filter_column import FilterColumn
from cnnviz.app.panes.map_grid import DIM_TEXT, TEXT, fmt, text_item
from cnnviz.app.panes.network_columns import BACKGROUND, GAP, HELP
from cnnviz.training.timeline import FilterTimeline, Moment

REDRAW_MS = 250   # while training: at most four redraws a second
PLAY_MS = 400     # Play: one moment every 0.4 s, a 20-moment run in 8 s
MAX_ZOOM = 6.0    # small layers are enlarged to fill the pane, up to this
MIN_ZOOM = 0.5    # big ones shrink to fit, down to this (then the view scrolls)
TOOLTIP = ("The filters of one conv layer as they were at moments of training, from the start "
           "to now: scrub with the slider (its right end follows training), or press Play. "
           "Random noise at the start turns into edge and blob detectors. Every moment is drawn "
           "on the same colour scale, so growing weights show as stronger colour.")


def layer_name(index: int, shape) -> str:
    out, inputs, kh, kw = shape
    return (f"conv{index + 1} · {out} filters × {inputs} input{'s' if inputs != 1 else ''}, "
            f"{kh}×{kw}")


def shared_bound(moments: list[Moment]) -> float:
    """The colour scale's half-width: the largest |weight| of any of the moments (1 if all
    are zero)."""
    return max((m.peak for m in moments), default=0.0) or 1.0


class MomentFilters(FilterColumn):
    """A FilterColumn drawn on a given colour scale instead of the weights' own, under a
    one-line title (the layer and its shape are said by the pane's chooser)."""

    def __init__(self, scene, x, shape, layer: int, in_names):
        super().__init__(scene, x, f"conv{layer + 1} filters", shape, layer, layer, in_names)
        self.head.setVisible(False)
        self.sub.setVisible(False)
        self.note.setBrush(TEXT)
        self.note.setText("start · step 999,999")  # room for the longest title
        self.grow(self.note.boundingRect().width(), 0)
        self.note.setText("")

    def show_moment(self, moment: Moment, bound: float, note: str) -> None:
        self.data = moment.weights
        self.mosaic.tiles[...] = moment.weights[:self.rows, :self.cols]
        self.image.show(levels=(-bound, bound))
        if self.note.text() != note:
            self.note.setText(note)


class _Canvas(QGraphicsView):
    """The scene of one MomentFilters, scaled to fill the view; reports the hovered point."""
    moved = Signal(QPointF)
    left = Signal()
    # pyqtgraph items in a scene look for these on their view; nothing here emits them.
    sigDeviceRangeChanged = Signal(object, object)
    sigDeviceTransformChanged = Signal(object)

    def __init__(self, scene: QGraphicsScene):
        super().__init__(scene)
        self.setMouseTracking(True)
        self.setBackgroundBrush(BACKGROUND)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

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

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        self.moved.emit(self.mapToScene(event.position().toPoint()))

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.left.emit()


class FilterTimelinePane(QWidget):
    """Feed it every snapshot (add_snapshot); reset() for a new run."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setToolTip(TOOLTIP)
        self.setMinimumSize(260, 200)
        self.timeline = FilterTimeline()
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("The conv layer whose filters to follow.")
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box.currentIndexChanged.connect(self._layer_chosen)
        self.scale_label = QLabel("")  # the colour scale, or what is under the mouse
        self.scale_text, self._hovering = "", False
        self.scale_label.setStyleSheet("color: gray")
        self.scale_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.scene = QGraphicsScene(self)
        self.canvas = _Canvas(self.scene)
        self.canvas.setToolTip(HELP["filters"])
        self.canvas.moved.connect(self._hover)
        self.canvas.left.connect(lambda: self._say(""))
        self.play_button = QToolButton()
        self.play_button.setText("▶ Play")
        self.play_button.setToolTip("Run through the moments from the start (or from the one "
                                    "shown), one every 0.4 s; press again to stop.")
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("The moment of training to show: left the start, right the latest "
                               "snapshot (which follows training).")
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self._moment_chosen)
        self.latest_button = QToolButton()
        self.latest_button.setText("Latest")
        self.latest_button.setToolTip("Show the latest filters and follow training.")
        self.latest_button.clicked.connect(self.follow_latest)
        self.step_label = QLabel("")
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance(
            "step 999,999 · latest, following"))
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer_box)
        top.addWidget(self.scale_label, 1)
        bottom = QHBoxLayout()
        for widget in (self.play_button, self.slider, self.latest_button, self.step_label):
            bottom.addWidget(widget, 1 if widget is self.slider else 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bottom)
        self._redraw = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw.timeout.connect(self.refresh)
        self._play = QTimer(self, interval=PLAY_MS)
        self._play.timeout.connect(self._play_tick)
        self.reset()

    # ---- feeding --------------------------------------------------------------------------

    def reset(self) -> None:
        """A new run: no moments, the latest followed."""
        self.stop_play()
        self.timeline.clear()
        self.moments: list[Moment] = []
        self.following, self.chosen_step = True, None
        self.column: MomentFilters | None = None  # the chosen moment
        self.start_column: MomentFilters | None = None  # and the layer's first, beside it
        self._column_key = self._shapes = None
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.blockSignals(False)
        self._show_empty("No snapshot yet: the filters appear once training starts.")

    def add_snapshot(self, snapshot) -> None:
        if self.timeline.step is not None and snapshot.step < self.timeline.step:
            self.timeline.clear()  # a new run nobody announced: its own timeline
        self.timeline.add(snapshot)
        # Behind another tab this costs nothing more: drawn when it comes into view.
        if self.isVisible() and not self._redraw.isActive():
            self._redraw.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    # ---- the shown moment -----------------------------------------------------------------

    @property
    def layer(self) -> int:
        return self.layer_box.currentIndex()

    def refresh(self) -> None:
        """Bring the chooser, the slider and the drawing up to date with the record."""
        shapes = self.timeline.shapes
        if shapes != self._shapes:
            self._shapes = shapes
            keep = self.layer_box.currentIndex()
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems([layer_name(i, s) for i, s in enumerate(shapes)])
            self.layer_box.setCurrentIndex(keep if 0 <= keep < len(shapes) else 0)
            self.layer_box.blockSignals(False)
        if not shapes:
            if self.timeline.step is not None:
                self._show_empty("This network has no conv layer: the timeline follows conv "
                                 "layers' filters.")
            return
        self.moments = self.timeline.moments(self.layer)
        self._place_slider()
        self._draw()

    def _place_slider(self) -> None:
        """The slider over the moments: at the end when following, else at the chosen step
        (or, once thinned away, the nearest kept moment)."""
        last = len(self.moments) - 1
        if self.following or self.chosen_step is None:
            index = last
        else:
            index = min(range(len(self.moments)),
                        key=lambda i: abs(self.moments[i].step - self.chosen_step))
        self.slider.blockSignals(True)
        self.slider.setRange(0, last)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        for widget in (self.slider, self.play_button, self.latest_button, self.layer_box):
            widget.setEnabled(True)

    def _draw(self) -> None:
        index = self.slider.value()
        if not 0 <= index < len(self.moments):
            return
        moment = self.moments[index]
        key = (self.layer, moment.weights.shape)
        if key != self._column_key:
            self._build_column(*key)
        bound = shared_bound(self.moments)
        latest = index == len(self.moments) - 1
        start = self.moments[0]
        self.start_column.show_moment(start, bound, f"start · step {start.step:,}")
        self.column.show_moment(moment, bound, f"step {moment.step:,}"
                                + (" · latest" if latest else ""))
        self.step_label.setText(f"step {moment.step:,} · "
                                + ("latest, following" if latest and self.following else
                                   f"moment {index + 1} of {len(self.moments)}"))
        self.scale_text = (f"colour scale ±{fmt(bound)}, shared by the {len(self.moments)} "
                           f"moments: conv{self.layer + 1}'s largest |weight| in any of them "
                           "(red +, blue −, white 0)")
        if not self._hovering:
            self.scale_label.setText(self.scale_text)

    def _build_column(self, layer: int, shape) -> None:
        self.scene.clear()
        in_names = ["red", "green", "blue"] if layer == 0 and shape[1] == 3 else None
        self.start_column = MomentFilters(self.scene, 0.0, shape, layer, in_names)
        self.column = MomentFilters(self.scene, self.start_column.width + GAP, shape, layer,
                                    in_names)
        self._column_key = (layer, shape)
        # From the titles down (the hidden headers above them count in itemsBoundingRect).
        top = self.column.note.y()
        self.scene.setSceneRect(QRectF(-8, top - 6, self.column.x + self.column.width + 16,
                                       max(self.column.height, self.start_column.height) - top
                                       + 14))
        self.canvas.fit()

    def _show_empty(self, text: str) -> None:
        self.scene.clear()
        self.column = self.start_column = self._column_key = None
        text_item(self.scene, text, 0, 0, 13, color=DIM_TEXT)
        self.scene.setSceneRect(self.scene.itemsBoundingRect().adjusted(-8, -6, 8, 8))
        self.canvas.resetTransform()
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        for widget in (self.slider, self.play_button, self.latest_button, self.layer_box):
            widget.setEnabled(False)
        self.step_label.setText("")
        self.scale_text = ""
        self._say("")

    # ---- the user -------------------------------------------------------------------------

    def _moment_chosen(self, index: int) -> None:
        if not 0 <= index < len(self.moments):
            return
        self.following = index == len(self.moments) - 1
        self.chosen_step = self.moments[index].step
        self._draw()

    def _layer_chosen(self, _index: int) -> None:
        if self.layer >= 0 and self.timeline.layers:
            self.moments = self.timeline.moments(self.layer)
            self._place_slider()  # the same step, in this layer's moments
            self._draw()

    def follow_latest(self) -> None:
        self.stop_play()
        self.slider.setValue(self.slider.maximum())
        self._moment_chosen(self.slider.maximum())  # also when it was there already

    def toggle_play(self) -> None:
        if self._play.isActive():
            self.stop_play()
            return
        if not self.moments:
            return
        if self.slider.value() >= self.slider.maximum():
            self.slider.setValue(0)  # from the start
        self._play.start()
        self.play_button.setText("■ Stop")

    def stop_play(self) -> None:
        self._play.stop()
        self.play_button.setText("▶ Play")

    def _play_tick(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.stop_play()  # at the latest: following training from here
            return
        self.slider.setValue(self.slider.value() + 1)

    def _hover(self, pos: QPointF) -> None:
        text = ""
        for column in (self.start_column, self.column):
            if column is not None and column.contains(pos):
                text = column.lookup(pos) or ""
        self._say(text)

    def _say(self, text: str) -> None:
        """A hovered weight's value in place of the colour scale; nothing: the scale again."""
        self._hovering = bool(text)
        text = text or self.scale_text
        if text != self.scale_label.text():
            self.scale_label.setText(text)
