"""The Input dock: the drawing canvas, "Open image…", the test-set browser and the prediction.

Whatever is in the canvas is the network's *probe*. The pane turns it into a network input
with the data layer's preprocessing (cnnviz.data.images) and announces it with
``probe_changed``; it never runs the network itself. A test image or a file is put into the
canvas (enlarged) so the user can draw on it; until they do, the probe is exactly the test
image, or exactly what load_image made of the file. Probes are coalesced by a single-shot
timer, so a fast stroke sends at most one every EMIT_INTERVAL_MS.

Grey datasets are drawn in white ink on black (as MNIST and Fashion-MNIST look); colour
datasets in a chosen pen colour on white. Which of the data layer's preparations a dataset's
drawings and files get (digits are cropped, scaled and centred as MNIST's were) is decided in
probe_pictures.py.

Under the prediction, the Explain controls (explain.py) pick a heat map for the probe and the
class it explains; ``saliency_changed`` tells the window (whose worker computes the map at every
snapshot), and ``show_saliency`` draws the map that comes back over the "network input" preview.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnviz.app.panes.canvas import Canvas
from cnnviz.app.panes.explain import CANNOT, WAITING, ExplainControls
from cnnviz.app.panes.fitted_label import FittedLabel
from cnnviz.app.panes.probe_pictures import drawing_probe, file_probe, frozen_copy, paper, to_rgb8
from cnnviz.app.panes.saliency_overlay import blend, caption, normalise
from cnnviz.app.panes.steady_label import SteadyLabel
from cnnviz.app.panes.style import set_style_sheet
from cnnviz.data.errors import DataError
from cnnviz.data.images import check_image_args

EMIT_INTERVAL_MS = 30
PREVIEW_SIDE = 84
TOP = 3
FILE_FILTER = ("Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)")
CORRECT, WRONG, MUTED = "#1a7f37", "#c62828", "#777777"

TOOLTIP = ("The probe: the picture in the canvas. Draw on it, open an image or pick a test "
           "image; every other pane shows what the network does with this picture, and below is "
           "the network's answer under its current weights.")


def _show_error(parent: QWidget, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def _ask_path(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open image", "", FILE_FILTER)
    return path or None


def _ask_colour(parent: QWidget, current: QColor) -> QColor | None:
    colour = QColorDialog.getColor(current, parent, "Pen colour")
    return colour if colour.isValid() else None


def _percent(p: float) -> str:
    return "< 0.1 %" if 0 < p < 0.0005 else f"{100 * p:.1f} %"


class InputPane(QWidget):
    """Canvas + tools, file opening, test-set browser and the top-3 prediction."""

    probe_changed = Signal(object)  # float32 (C, H, W), read-only, ready for the network
    saliency_changed = Signal(object, object)  # (None | "saliency" | "gradcam", class or None)
    # "Only misclassified" was ticked: the list should be of the weights as they are now.
    fresh_errors_wanted = Signal()

    def __init__(self, parent: QWidget | None = None, *,
                 show_error: Callable[[QWidget, str, str], None] = _show_error,
                 ask_path: Callable[[QWidget], str | None] = _ask_path,
                 ask_colour: Callable[[QWidget, QColor], QColor | None] = _ask_colour,
                 seed: int | None = None) -> None:
        super().__init__(parent)
        self._show_error, self._ask_path, self._ask_colour = show_error, ask_path, ask_colour
        self._rng = np.random.default_rng(seed)
        self._channels, self._size, self._digit_like = 1, (28, 28), False
        self._classes: tuple[str, ...] = ()
        self._test_x: np.ndarray | None = None
        self._test_y: np.ndarray | None = None
        self._misclassified: np.ndarray | None = None
        self._errors_step: int | None = None  # the step of the evaluation they come from
        self._errors_source = None  # the array they were read from
        self._index: int | None = None          # the test image last put in the canvas
        self._exact: np.ndarray | None = None   # the probe while the canvas is not drawn on
        self._true_class: int | None = None     # its label, for a test image
        self._probabilities: np.ndarray | None = None
        self._preview_probe: np.ndarray | None = None
        self.saliency_heat: np.ndarray | None = None  # the normalised map over the preview
        self._pen = QColor(Qt.black)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(EMIT_INTERVAL_MS)
        self._timer.timeout.connect(self._emit_probe)
        self._build()
        self.setToolTip(TOOLTIP)
        self.configure(1, (28, 28), False, [str(i) for i in range(10)])

    # ---- widgets ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.canvas = Canvas(self)
        self.canvas.edited.connect(self._on_edited)
        self.canvas.file_dropped.connect(self.open_file)

        self.brush_button = self._tool("Brush", "Draw with the pen (right mouse button erases).")
        self.eraser_button = self._tool("Eraser", "Rub out: paint with the background colour.")
        self.brush_button.setChecked(True)
        self.brush_button.clicked.connect(lambda: self._set_eraser(False))
        self.eraser_button.clicked.connect(lambda: self._set_eraser(True))
        self.size_slider = QSlider(Qt.Horizontal)
        self.size_slider.setRange(4, 80)
        self.size_slider.setValue(22)
        self.size_slider.setMinimumWidth(60)
        self.size_slider.setToolTip("Brush size (the dashed circle on the canvas shows it).")
        self.size_slider.valueChanged.connect(self.canvas.set_brush_size)
        self.colour_button = QToolButton()
        self.colour_button.setToolTip("Pen colour (colour datasets only).")
        self.colour_button.clicked.connect(self._choose_colour)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip("Empty the canvas.")
        self.clear_button.clicked.connect(self.clear)
        tools = QHBoxLayout()
        tools.setSpacing(4)
        tools.addWidget(self.brush_button)
        tools.addWidget(self.eraser_button)
        size_label = QLabel("Size")
        tools.addWidget(size_label)
        tools.addWidget(self.size_slider, 1)
        tools.addWidget(self.colour_button)
        tools.addWidget(self.clear_button)

        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Load a PNG, JPEG, BMP, GIF, WebP or TIFF file into the "
                                    "canvas (you can also drop a file on the canvas).")
        self.open_button.clicked.connect(self._on_open_clicked)

        self.prev_button = QPushButton("◀ Previous")
        self.random_button = QPushButton("Random")
        self.next_button = QPushButton("Next ▶")
        self.prev_button.setToolTip("The previous test image.")
        self.random_button.setToolTip("A test image picked at random.")
        self.next_button.setToolTip("The next test image.")
        self.prev_button.clicked.connect(self.previous_test_image)
        self.random_button.clicked.connect(self.random_test_image)
        self.next_button.clicked.connect(self.next_test_image)
        self.only_wrong = QCheckBox("Only misclassified")
        self.only_wrong.setToolTip("Browse only the test images the network got wrong at its "
                                   "last evaluation on the test set.")
        self.only_wrong.toggled.connect(self._update_browser)
        self.only_wrong.toggled.connect(lambda on: on and self.fresh_errors_wanted.emit())
        self.browser_status = QLabel()
        self.browser_status.setWordWrap(True)
        nav = QHBoxLayout()
        for b in (self.prev_button, self.random_button, self.next_button):
            nav.addWidget(b)
        browser = QGroupBox("Test images")
        browser.setToolTip("Images held back from training: the network never learns from "
                           "them, so they show how well it generalises.")
        col = QVBoxLayout(browser)
        col.addLayout(nav)
        col.addWidget(self.only_wrong)
        col.addWidget(self.browser_status)

        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(tools)
        layout.addWidget(self.open_button)
        layout.addWidget(browser)
        layout.addWidget(self._build_prediction())

    def _build_prediction(self) -> QGroupBox:
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_SIDE, PREVIEW_SIDE)
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setStyleSheet("border: 1px solid #888;")
        self.preview.setToolTip("Exactly what the network is given: the canvas shrunk to the "
                                "network's input size (for digits also cropped and centred). "
                                "With Explain on, the heat over it shows which pixels the "
                                "class's score depends on.")
        caption = QLabel("network input")
        caption.setStyleSheet(f"color: {MUTED};")
        preview_col = QVBoxLayout()
        preview_col.addWidget(self.preview, 0, Qt.AlignHCenter)
        preview_col.addWidget(caption, 0, Qt.AlignHCenter)

        # The most likely class large, beside the preview; the next two below, full width.
        self.class_labels, self.percent_labels = [], []
        for rank in range(TOP):
            font = QFont(self.font())
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

        box = QGroupBox("Prediction")
        box.setToolTip("The network's three most likely classes for the probe, with the "
                       "probability it gives each. It changes as the network learns.")
        col = QVBoxLayout(box)
        col.addLayout(top_row)
        col.addLayout(others)
        col.addWidget(self.verdict)
        self.explain = ExplainControls()
        self.explain.changed.connect(self._explain_changed)
        col.addWidget(self.explain)
        return box

    def _tool(self, text: str, tip: str) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setCheckable(True)
        b.setAutoExclusive(True)
        return b

    # ---- dataset ----------------------------------------------------------------------------
    def configure(self, channels: int, size: Sequence[int], digit_like: bool,
                  class_names: Sequence[str]) -> None:
        """Set the pane up for a dataset: input channels (1 or 3), (height, width), whether
        drawings get MNIST-style preprocessing, and the class names. Clears everything."""
        size = (int(size[0]), int(size[1]))
        check_image_args(channels, size, "white")
        self._timer.stop()
        self._channels, self._size, self._digit_like = channels, size, bool(digit_like)
        self._classes = tuple(class_names)
        self._test_x = self._test_y = self._misclassified = self._errors_source = None
        self._index = self._exact = self._true_class = None
        self.canvas.reset(size[0], size[1], self._background_colour(), self._ink_colour())
        self.saliency_heat = None
        self.explain.set_classes(self._classes)
        self.colour_button.setVisible(channels == 3)
        self._paint_colour_button()
        self._set_eraser(False)
        self.only_wrong.setChecked(False)
        self._update_browser()
        self._set_preview(self.probe())
        self.show_prediction(None)

    def _background_colour(self) -> QColor:
        return QColor(paper(self._channels))

    def _ink_colour(self) -> QColor:
        return QColor(self._pen) if self._channels == 3 else QColor(Qt.white)

    def set_test_set(self, x: np.ndarray | None, y: np.ndarray | None) -> None:
        """The dataset's test images (N, C, H, W) float32 and labels (N,), or None."""
        if x is None:
            self._test_x = self._test_y = None
        else:
            x, y = np.asarray(x), np.asarray(y)
            if x.ndim != 4 or x.shape[1:] != (self._channels, *self._size) or len(y) != len(x):
                raise ValueError(f"test set of shape {x.shape} with {len(y)} labels does not fit "
                                 f"inputs {(self._channels, *self._size)}")
            self._test_x, self._test_y = x, y
        self._index = None
        self._update_browser()

    def set_misclassified(self, indices: np.ndarray | Sequence[int] | None,
                          step: int | None = None) -> None:
        """The test images the network got wrong at its last evaluation, at training step
        `step` (None: not known)."""
        if indices is not None and indices is self._errors_source:
            return  # the same evaluation's array as before (it comes with every snapshot)
        self._errors_source, self._errors_step = indices, step
        if indices is None:
            self._misclassified = None
        else:
            n = 0 if self._test_x is None else len(self._test_x)
            a = np.unique(np.asarray(indices, dtype=np.int64))
            self._misclassified = a[(a >= 0) & (a < n)]
        self._update_browser()

    # ---- the probe --------------------------------------------------------------------------
    def probe(self) -> np.ndarray:
        """The current probe: float32 (C, H, W), read-only."""
        if self._exact is not None:
            return self._exact
        return drawing_probe(self.canvas.to_array(), self._channels, self._size, self._digit_like)

    def _on_edited(self) -> None:
        if self._exact is not None:  # a drawing on a test image or file is neither any more
            self._exact = self._true_class = None
            self._update_browser()
            self._update_verdict()
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def true_class(self) -> int | None:
        """The probe's label while it is a test image as it was (None for a drawing)."""
        return self._true_class

    def _emit_probe(self) -> None:
        p = self.probe()
        self._set_preview(p)
        self.probe_changed.emit(p)

    def _set_exact(self, probe: np.ndarray, true_class: int | None) -> None:
        self._exact, self._true_class = frozen_copy(probe), true_class
        self.canvas.set_picture(to_rgb8(self._exact))
        self._update_verdict()
        self._schedule()

    def _set_preview(self, probe: np.ndarray) -> None:
        self._preview_probe = probe
        rgb = to_rgb8(probe)
        heat = self.saliency_heat
        if heat is not None and heat.shape == rgb.shape[:2]:
            rgb = blend(rgb, heat)
        self.preview_rgb = rgb  # (H, W, 3) uint8: what the preview shows, before enlarging
        h, w = rgb.shape[:2]
        img = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        self.preview.setPixmap(QPixmap.fromImage(img).scaled(
            PREVIEW_SIDE - 2, PREVIEW_SIDE - 2, Qt.KeepAspectRatio, Qt.FastTransformation))

    def clear(self) -> None:
        """Empty the canvas (and send the empty probe)."""
        self._exact = self._true_class = None
        self.canvas.clear()
        self._update_browser()
        self._update_verdict()
        self._schedule()

    # ---- tools ------------------------------------------------------------------------------
    def _set_eraser(self, on: bool) -> None:
        self.canvas.set_eraser(on)
        (self.eraser_button if on else self.brush_button).setChecked(True)

    def set_pen_colour(self, colour: QColor) -> None:
        """The ink for colour datasets (grey datasets always draw white on black)."""
        self._pen = QColor(colour)
        if self._channels == 3:
            self.canvas.set_ink(self._pen)
        self._paint_colour_button()

    def _choose_colour(self) -> None:
        colour = self._ask_colour(self, self._pen)
        if colour is not None:
            self.set_pen_colour(colour)
            self._set_eraser(False)

    def _paint_colour_button(self) -> None:
        swatch = QPixmap(16, 16)
        swatch.fill(self._pen)
        self.colour_button.setIcon(swatch)

    # ---- files ------------------------------------------------------------------------------
    def _on_open_clicked(self) -> None:
        path = self._ask_path(self)
        if path:
            self.open_file(path)

    def open_file(self, path) -> bool:
        """Load an image file into the canvas (as the dialog and drops do). A bad file shows
        the reason and leaves the canvas as it was; returns whether the file was loaded."""
        try:
            probe = file_probe(path, self._channels, self._size, self._digit_like,
                               self.canvas.picture_size())
        except DataError as e:
            self._show_error(self, "Cannot open image", str(e))
            return False
        self._index = None
        self._set_exact(probe, None)
        self._update_browser()
        return True

    # ---- test-set browser -------------------------------------------------------------------
    def _candidates(self) -> np.ndarray:
        if self._test_x is None:
            return np.zeros(0, dtype=np.int64)
        if self.only_wrong.isChecked() and self._misclassified is not None:
            return self._misclassified
        return np.arange(len(self._test_x))

    def show_test_image(self, index: int) -> None:
        """Put test image ``index`` in the canvas; it becomes the probe."""
        if self._test_x is None or not 0 <= index < len(self._test_x):
            raise IndexError(f"no test image {index}")
        self._index = int(index)
        self._set_exact(self._test_x[index], int(self._test_y[index]))
        self._update_browser()

    def next_test_image(self) -> None:
        cand = self._candidates()
        if len(cand):
            if self._index is None:
                self.show_test_image(int(cand[0]))
            else:
                pos = np.searchsorted(cand, self._index, side="right")
                self.show_test_image(int(cand[pos % len(cand)]))

    def previous_test_image(self) -> None:
        cand = self._candidates()
        if len(cand):
            if self._index is None:
                self.show_test_image(int(cand[-1]))
            else:
                pos = np.searchsorted(cand, self._index, side="left") - 1
                self.show_test_image(int(cand[pos % len(cand)]))

    def random_test_image(self) -> None:
        cand = self._candidates()
        if len(cand) > 1 and self._index is not None:
            cand = cand[cand != self._index]  # always a different picture
        if len(cand):
            self.show_test_image(int(self._rng.choice(cand)))

    def _update_browser(self) -> None:
        n = 0 if self._test_x is None else len(self._test_x)
        known = self._misclassified is not None
        self.only_wrong.setEnabled(n > 0 and known)
        if n and not known:
            self.only_wrong.setChecked(False)
            self.only_wrong.setToolTip("Available after the network's first evaluation on the "
                                       "test set.")
        elif n:
            self.only_wrong.setToolTip("Browse only the test images the network got wrong at its "
                                       "last evaluation on the test set.")
        count = len(self._candidates())
        for b in (self.prev_button, self.random_button, self.next_button):
            b.setEnabled(count > 0)
        if n == 0:
            text = "No test set loaded."
        elif self.only_wrong.isChecked():
            text = (f"The network gets all {n} test images right" if count == 0 else
                    f"{count} of {n} test images misclassified")
            text += "." if self._errors_step is None else f" at step {self._errors_step}."
        else:
            text = f"{n} test images."
        if self._index is not None and n:
            if self._true_class is not None:
                name = self._class_name(self._true_class)
                where = f"Test image {self._index + 1} of {n}; true class: {name}."
            else:
                where = f"Test image {self._index + 1} of {n}, drawn on."
            text = f"{where}\n{text}" if self.only_wrong.isChecked() else where
        self.browser_status.setText(text)

    def _class_name(self, k: int) -> str:
        return self._classes[k] if 0 <= k < len(self._classes) else f"class {k}"

    # ---- prediction -------------------------------------------------------------------------
    def show_prediction(self, probabilities: np.ndarray | None) -> None:
        """Show the top-3 classes of the probe's probabilities (None: no prediction)."""
        p = None if probabilities is None else np.asarray(probabilities, dtype=np.float64)
        if p is not None and (p.shape != (len(self._classes),) or not np.isfinite(p).all()):
            p = None  # from another network or dataset, or a diverged one
        self._probabilities = p
        if p is None:
            for rank in range(TOP):
                self.class_labels[rank].setText("—" if rank == 0 else "")
                self.percent_labels[rank].setText("")
        else:
            order = np.argsort(-p, kind="stable")[:TOP]
            for rank in range(TOP):
                if rank < len(order):
                    k, label = int(order[rank]), self.class_labels[rank]
                    label.setText(self._class_name(k))
                    if label.toolTip() != label.text():  # (Qt sends an event even for the same)
                        label.setToolTip(label.text())
                    self.percent_labels[rank].setText(_percent(float(p[k])))
                else:
                    self.class_labels[rank].setText("")
                    self.percent_labels[rank].setText("")
        self._update_verdict()

    def _update_verdict(self) -> None:
        p = self._probabilities
        if p is None:
            self.verdict.setText("No prediction yet: train the network." if self._classes else "")
            set_style_sheet(self.verdict, f"color: {MUTED};")
        elif self._true_class is None:
            self.verdict.setText("")
        elif int(np.argmax(p)) == self._true_class:
            self.verdict.setText("Correct.")
            set_style_sheet(self.verdict, f"color: {CORRECT}; font-weight: bold;")
        else:
            self.verdict.setText(f"Wrong: the true class is {self._class_name(self._true_class)}.")
            set_style_sheet(self.verdict, f"color: {WRONG}; font-weight: bold;")

    # ---- saliency ---------------------------------------------------------------------------
    def saliency_choice(self) -> tuple[str | None, int | None]:
        """The heat map asked for: (None | "saliency" | "gradcam", class or None: predicted)."""
        return self.explain.choice()

    def _explain_changed(self, mode, class_index) -> None:
        if mode is None:  # Off: the heat goes at once, not with the next snapshot
            self.show_saliency(None)
        self.saliency_changed.emit(mode, class_index)

    def show_saliency(self, heat: np.ndarray | None, mode: str | None = None,
                      class_index: int | None = None) -> None:
        """Draw a snapshot's saliency or Grad-CAM map (H, W) of class class_index over the
        preview, with its caption; None takes it away. Call it after show_prediction, which
        tells the predicted class."""
        probe = self._preview_probe
        fits = (heat is not None and mode is not None and class_index is not None
                and probe is not None and np.shape(heat) == probe.shape[1:])
        had_heat = self.saliency_heat is not None
        self.saliency_heat = normalise(heat) if fits else None
        predicted = None if self._probabilities is None else int(np.argmax(self._probabilities))
        # a map was asked for and the snapshot has none: the network cannot make it
        cannot = heat is None and mode is not None and probe is not None
        self.explain.show_caption(caption(mode, class_index, self._classes, predicted)
                                  if fits else None, CANNOT if cannot else WAITING)
        if probe is not None and (fits or had_heat):  # (the plain preview is already drawn)
            self._set_preview(probe)
