"""The filter timeline: a conv layer's filters as they were at moments of the run, from the start
(random noise) to now, so the learner sees edge and blob detectors form.

A slider scrubs through the moments the recorder kept (training/timeline.py: at most a fixed
number per layer, spread evenly over the run); its last position is the latest snapshot and
follows training live. Play runs through them. The chosen moment is drawn beside the start, as
the network view draws filters (the same FilterColumn: blue-white-red, centred at zero), but on
one colour scale shared by all of the layer's moments, ±(the largest |weight| of any of them),
so that weights growing or fading over the run show as colour getting stronger or paler.

Recording costs a list entry per snapshot; drawing happens only while the pane is in view, at
most REDRAW_MS apart while training, and at once when the user moves the slider.

This module is the pane: the chooser, the slider, Play, and when to draw. The filters are drawn
by timeline_canvas.py; which moment, the shared scale and the words are timeline_choice.py (no
Qt)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.network_columns import HELP
from cnnviz.app.panes.number_text import fmt
from cnnviz.app.panes.timeline_canvas import MomentFilters, TimelineCanvas
from cnnviz.app.panes.timeline_choice import (
    LONGEST_STEP,
    NO_CONV,
    NO_SNAPSHOT,
    layer_name,
    moment_note,
    scale_text,
    shared_bound,
    shown_index,
    start_note,
    step_text,
)
from cnnviz.training.timeline import FilterTimeline, Moment

REDRAW_MS = 250   # while training: at most four redraws a second
PLAY_MS = 400     # Play: one moment every 0.4 s, a 20-moment run in 8 s
TOOLTIP = ("The filters of one conv layer as they were at moments of training, from the start "
           "to now: scrub with the slider (its right end follows training), or press Play. "
           "Random noise at the start turns into edge and blob detectors. Every moment is drawn "
           "on the same colour scale, so growing weights show as stronger colour.")


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
        self.canvas = TimelineCanvas(self.scene)
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
            LONGEST_STEP))
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
        self._show_empty(NO_SNAPSHOT)

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
                self._show_empty(NO_CONV)
            return
        self.moments = self.timeline.moments(self.layer)
        self._place_slider()
        self._draw()

    def _place_slider(self) -> None:
        """The slider over the moments: at the end when following, else at the chosen step
        (or, once thinned away, the nearest kept moment)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.moments) - 1)
        self.slider.setValue(shown_index(self.moments, self.following, self.chosen_step))
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
            self.start_column, self.column = self.canvas.show_filters(*key)
            self._column_key = key
        bound = shared_bound(self.moments)
        self.start_column.show_moment(self.moments[0], bound, start_note(self.moments[0]))
        self.column.show_moment(moment, bound, moment_note(moment, index == len(self.moments) - 1))
        self.step_label.setText(step_text(self.moments, index, self.following))
        self.scale_text = scale_text(fmt(bound), len(self.moments), self.layer)
        if not self._hovering:
            self.scale_label.setText(self.scale_text)

    def _show_empty(self, text: str) -> None:
        self.canvas.show_message(text)
        self.column = self.start_column = self._column_key = None
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
