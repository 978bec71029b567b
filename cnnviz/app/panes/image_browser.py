"""The Input dock's "Test images" box: Previous, Random and Next, "Only misclassified", and the
line that names the test image in the canvas. The state and its decisions (which image comes
next, what the line says) are browsing.py's, without Qt; this box turns its buttons into
`picked(index)` for the dock, which puts that image in the canvas, and shows the state."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cnnviz.app.panes.browsing import Browsing

ONLY_WRONG_TIP = ("Browse only the test images the network got wrong at its last evaluation on "
                  "the test set.")
NOT_EVALUATED_TIP = "Available after the network's first evaluation on the test set."


class ImageBrowser(QGroupBox):
    picked = Signal(int)  # a test image to put in the canvas
    # "Only misclassified" was ticked: the list should be of the weights as they are now.
    fresh_errors_wanted = Signal()

    def __init__(self, rng: np.random.Generator, parent: QWidget | None = None) -> None:
        super().__init__("Test images", parent)
        self.setToolTip("Images held back from training: the network never learns from them, "
                        "so they show how well it generalises.")
        self.state = Browsing(rng)
        self.prev_button = QPushButton("◀ Previous")
        self.random_button = QPushButton("Random")
        self.next_button = QPushButton("Next ▶")
        self.prev_button.setToolTip("The previous test image.")
        self.random_button.setToolTip("A test image picked at random.")
        self.next_button.setToolTip("The next test image.")
        self.prev_button.clicked.connect(lambda: self._pick(self.state.previous_index()))
        self.random_button.clicked.connect(self.random)
        self.next_button.clicked.connect(lambda: self._pick(self.state.next_index()))
        self.only_wrong = QCheckBox("Only misclassified")
        self.only_wrong.setToolTip(ONLY_WRONG_TIP)
        self.only_wrong.toggled.connect(self._only_wrong_toggled)
        self.status = QLabel()
        self.status.setWordWrap(True)
        nav = QHBoxLayout()
        for b in (self.prev_button, self.random_button, self.next_button):
            nav.addWidget(b)
        col = QVBoxLayout(self)
        col.addLayout(nav)
        col.addWidget(self.only_wrong)
        col.addWidget(self.status)

    @property
    def true_class(self) -> int | None:
        """The label of the test image in the canvas, while it is as it was (None otherwise)."""
        return self.state.true_class

    def reset(self, classes: Sequence[str]) -> None:
        """A new dataset (class names `classes`): no test set yet, nothing shown."""
        self.state.reset(classes)
        self.only_wrong.setChecked(False)
        self.refresh()

    def set_test_set(self, x: np.ndarray | None, y: np.ndarray | None,
                     input_shape: tuple[int, ...]) -> None:
        self.state.set_test_set(x, y, input_shape)
        self.refresh()

    def set_misclassified(self, indices: np.ndarray | Sequence[int] | None,
                          step: int | None = None) -> None:
        if self.state.set_misclassified(indices, step):
            self.refresh()

    def show_image(self, index: int) -> np.ndarray:
        """Test image `index`, now the one in the canvas (IndexError if there is none)."""
        image = self.state.show(index)
        self.refresh()
        return image

    def drawn_on(self) -> None:
        self.state.drawn_on()
        self.refresh()

    def leave(self) -> None:
        """A file, not a test image, is now in the canvas."""
        self.state.leave()
        self.refresh()

    def random(self) -> None:
        self._pick(self.state.random_index())

    def _pick(self, index: int | None) -> None:
        if index is not None:
            self.picked.emit(index)

    def _only_wrong_toggled(self, on: bool) -> None:
        self.state.only_wrong = on
        self.refresh()
        if on:
            self.fresh_errors_wanted.emit()

    def refresh(self) -> None:
        n, known = self.state.count, self.state.errors_known
        self.only_wrong.setEnabled(n > 0 and known)
        if n and not known:
            self.only_wrong.setChecked(False)  # (which refreshes again, if it was ticked)
            self.only_wrong.setToolTip(NOT_EVALUATED_TIP)
        elif n:
            self.only_wrong.setToolTip(ONLY_WRONG_TIP)
        reachable = len(self.state.candidates()) > 0
        for b in (self.prev_button, self.random_button, self.next_button):
            b.setEnabled(reachable)
        self.status.setText(self.state.status())
