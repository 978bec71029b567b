"""The Input dock: the drawing canvas and its tools, "Open image…", the test-image browser and
the prediction, put together.

Whatever is in the canvas is the network's *probe*. The pane turns it into a network input
with the data layer's preprocessing (probe_pictures.py picks which) and announces it with
``probe_changed``; it never runs the network itself. A test image or a file is put into the
canvas (enlarged) so the user can draw on it; until they do, the probe is exactly the test
image, or exactly what load_image made of the file. Probes are coalesced by a single-shot
timer, so a fast stroke sends at most one every EMIT_INTERVAL_MS.

The parts are their own modules: the canvas (canvas.py, its arithmetic in canvas_geometry.py),
its tools (canvas_tools.py), the "Test images" box (image_browser.py, its state in browsing.py)
and the Prediction box (prediction_box.py, its wording in prediction.py), with the preview
(probe_preview.py) and the Explain controls (explain.py). In the Prediction box the Explain
controls pick a heat map for the probe and the class it explains; ``saliency_changed`` tells
the window (whose worker computes the map at every snapshot), and ``show_saliency`` draws the
map that comes back over the "network input" preview. The dialogs (an error, "Open image",
the pen colour) are parameters, so that tests can answer them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QFileDialog, QMessageBox, QPushButton, QVBoxLayout, QWidget

from cnnviz.app.panes.canvas import Canvas
from cnnviz.app.panes.canvas_tools import CanvasTools
from cnnviz.app.panes.image_browser import ImageBrowser
from cnnviz.app.panes.prediction_box import PredictionBox
from cnnviz.app.panes.probe_pictures import drawing_probe, file_probe, frozen_copy, to_rgb8
from cnnviz.data.errors import DataError
from cnnviz.data.images import check_image_args

EMIT_INTERVAL_MS = 30
FILE_FILTER = ("Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)")

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
        self._show_error, self._ask_path = show_error, ask_path
        self._channels, self._size, self._digit_like = 1, (28, 28), False
        self._exact: np.ndarray | None = None  # the probe while the canvas is not drawn on
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(EMIT_INTERVAL_MS)
        self._timer.timeout.connect(self._emit_probe)

        self.canvas = Canvas(self)
        self.canvas.edited.connect(self._on_edited)
        self.canvas.file_dropped.connect(self.open_file)
        self.tools = CanvasTools(self.canvas, ask_colour)
        self.tools.clear_button.clicked.connect(self.clear)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Load a PNG, JPEG, BMP, GIF, WebP or TIFF file into the "
                                    "canvas (you can also drop a file on the canvas).")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.browser = ImageBrowser(np.random.default_rng(seed))
        self.browser.picked.connect(self.show_test_image)
        self.browser.fresh_errors_wanted.connect(self.fresh_errors_wanted)
        self.prediction = PredictionBox()
        self.prediction.saliency_changed.connect(self.saliency_changed)
        self.explain = self.prediction.explain  # (the saliency tests drive it through the pane too)
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.tools)
        layout.addWidget(self.open_button)
        layout.addWidget(self.browser)
        layout.addWidget(self.prediction)

        self.setToolTip(TOOLTIP)
        self.configure(1, (28, 28), False, [str(i) for i in range(10)])

    # ---- dataset ----------------------------------------------------------------------------
    def configure(self, channels: int, size: Sequence[int], digit_like: bool,
                  class_names: Sequence[str]) -> None:
        """Set the pane up for a dataset: input channels (1 or 3), (height, width), whether
        drawings get MNIST-style preprocessing, and the class names. Clears everything."""
        size = (int(size[0]), int(size[1]))
        check_image_args(channels, size, "white")
        self._timer.stop()
        self._channels, self._size, self._digit_like = channels, size, bool(digit_like)
        self._exact = None
        self.tools.configure(channels)
        self.canvas.reset(size[0], size[1], self.tools.paper(), self.tools.ink())
        self.prediction.set_classes(class_names)
        self.browser.reset(class_names)
        self.prediction.preview.show_probe(self.probe())
        self.show_prediction(None)

    def set_test_set(self, x: np.ndarray | None, y: np.ndarray | None) -> None:
        """The dataset's test images (N, C, H, W) float32 and labels (N,), or None."""
        self.browser.set_test_set(x, y, (self._channels, *self._size))

    def set_misclassified(self, indices: np.ndarray | Sequence[int] | None,
                          step: int | None = None) -> None:
        """The test images the network got wrong at its last evaluation, at training step
        `step` (None: not known)."""
        self.browser.set_misclassified(indices, step)

    # ---- the probe --------------------------------------------------------------------------
    def probe(self) -> np.ndarray:
        """The current probe: float32 (C, H, W), read-only."""
        if self._exact is not None:
            return self._exact
        return drawing_probe(self.canvas.to_array(), self._channels, self._size, self._digit_like)

    @property
    def true_class(self) -> int | None:
        """The probe's label while it is a test image as it was (None for a drawing)."""
        return self.browser.true_class

    def _on_edited(self) -> None:
        if self._exact is not None:  # a drawing on a test image or file is neither any more
            self._exact = None
            self._drawn_on()
        self._schedule()

    def clear(self) -> None:
        """Empty the canvas (and send the empty probe)."""
        self._exact = None
        self.canvas.clear()
        self._drawn_on()
        self._schedule()

    def _drawn_on(self) -> None:
        self.browser.drawn_on()
        self.prediction.set_true_class(None)

    def _set_exact(self, probe: np.ndarray) -> None:
        self._exact = frozen_copy(probe)
        self.canvas.set_picture(to_rgb8(self._exact))
        self.prediction.set_true_class(self.true_class)
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _emit_probe(self) -> None:
        p = self.probe()
        self.prediction.preview.show_probe(p)
        self.probe_changed.emit(p)

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
        self.browser.leave()
        self._set_exact(probe)
        return True

    # ---- test images ------------------------------------------------------------------------
    def show_test_image(self, index: int) -> None:
        """Put test image ``index`` in the canvas; it becomes the probe."""
        self._set_exact(self.browser.show_image(index))

    def random_test_image(self) -> None:
        self.browser.random()

    # ---- prediction -------------------------------------------------------------------------
    def show_prediction(self, probabilities: np.ndarray | None) -> None:
        """Show the top-3 classes of the probe's probabilities (None: no prediction)."""
        self.prediction.show_probabilities(probabilities)

    def saliency_choice(self) -> tuple[str | None, int | None]:
        """The heat map asked for: (None | "saliency" | "gradcam", class or None: predicted)."""
        return self.explain.choice()

    def show_saliency(self, heat: np.ndarray | None, mode: str | None = None,
                      class_index: int | None = None) -> None:
        """Draw a snapshot's saliency or Grad-CAM map (H, W) of class class_index over the
        preview, with its caption; None takes it away. Call it after show_prediction, which
        tells the predicted class."""
        self.prediction.show_saliency(heat, mode, class_index)

    @property
    def saliency_heat(self) -> np.ndarray | None:
        """The normalised map drawn over the preview, (H, W) in 0..1, or None."""
        return self.prediction.preview.heat

    @property
    def preview_rgb(self) -> np.ndarray | None:
        """(H, W, 3) uint8: what the preview shows, before enlarging."""
        return self.prediction.preview.rgb
