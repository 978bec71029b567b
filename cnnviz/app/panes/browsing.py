"""The Input dock's test-image browser as plain state (no Qt): the test set, the images the
network got wrong at its last evaluation, which images Previous, Next and Random may reach (all,
or only the misclassified), which one is in the canvas, and the line that says so. It is apart
from image_browser.py (the buttons) so that which image comes next, wrapping round at both ends,
and the wording can be read and tested without a window."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnviz.app.panes.prediction import class_name


class Browsing:
    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self.classes: tuple[str, ...] = ()
        self.images: np.ndarray | None = None  # (N, C, H, W)
        self.labels: np.ndarray | None = None  # (N,)
        self.misclassified: np.ndarray | None = None  # sorted indices; None: not evaluated yet
        self.errors_step: int | None = None  # the training step of the evaluation they are from
        self._errors_source = None  # the array they were read from
        self.only_wrong = False
        self.index: int | None = None       # the test image last put in the canvas
        self.true_class: int | None = None  # its label, while the canvas shows it as it is

    def reset(self, classes: Sequence[str]) -> None:
        """A new dataset: no test set, no evaluation, nothing shown."""
        self.classes = tuple(classes)
        self.images = self.labels = self.misclassified = self._errors_source = None
        self.index = self.true_class = None

    @property
    def count(self) -> int:
        return 0 if self.images is None else len(self.images)

    def set_test_set(self, x: np.ndarray | None, y: np.ndarray | None,
                     input_shape: tuple[int, ...]) -> None:
        """The dataset's test images (N, *input_shape) and labels (N,), or None."""
        if x is None:
            self.images = self.labels = None
        else:
            x, y = np.asarray(x), np.asarray(y)
            if x.ndim != 4 or x.shape[1:] != input_shape or len(y) != len(x):
                raise ValueError(f"test set of shape {x.shape} with {len(y)} labels does not fit "
                                 f"inputs {input_shape}")
            self.images, self.labels = x, y
        self.index = None

    def set_misclassified(self, indices: np.ndarray | Sequence[int] | None,
                          step: int | None = None) -> bool:
        """The test images the network got wrong at the evaluation of training step `step`
        (None: not known); indices that are no test image are dropped. Returns False, and
        changes nothing, for the very array given last time (it comes with every snapshot)."""
        if indices is not None and indices is self._errors_source:
            return False
        self._errors_source, self.errors_step = indices, step
        if indices is None:
            self.misclassified = None
        else:
            a = np.unique(np.asarray(indices, dtype=np.int64))
            self.misclassified = a[(a >= 0) & (a < self.count)]
        return True

    @property
    def errors_known(self) -> bool:
        return self.misclassified is not None

    def candidates(self) -> np.ndarray:
        """The indices Previous, Next and Random choose among, in order."""
        if self.images is None:
            return np.zeros(0, dtype=np.int64)
        if self.only_wrong and self.misclassified is not None:
            return self.misclassified
        return np.arange(self.count)

    def show(self, index: int) -> np.ndarray:
        """Test image `index`, which is now the one in the canvas, as it is."""
        if self.images is None or not 0 <= index < self.count:
            raise IndexError(f"no test image {index}")
        self.index, self.true_class = int(index), int(self.labels[index])
        return self.images[index]

    def drawn_on(self) -> None:
        """The canvas is drawn on or cleared: it no longer shows the test image as it is."""
        self.true_class = None

    def leave(self) -> None:
        """Something else than a test image (a file) is put in the canvas."""
        self.index = self.true_class = None

    def next_index(self) -> int | None:
        """The candidate after the one shown (the first if none is), wrapping round; None if
        there is no candidate."""
        cand = self.candidates()
        if not len(cand):
            return None
        if self.index is None:
            return int(cand[0])
        return int(cand[np.searchsorted(cand, self.index, side="right") % len(cand)])

    def previous_index(self) -> int | None:
        """The candidate before the one shown (the last if none is), wrapping round."""
        cand = self.candidates()
        if not len(cand):
            return None
        if self.index is None:
            return int(cand[-1])
        return int(cand[(np.searchsorted(cand, self.index, side="left") - 1) % len(cand)])

    def random_index(self) -> int | None:
        """A candidate at random, never the one shown unless it is the only one."""
        cand = self.candidates()
        if len(cand) > 1 and self.index is not None:
            cand = cand[cand != self.index]
        return int(self._rng.choice(cand)) if len(cand) else None

    def status(self) -> str:
        """What the browser says: the test image shown and its true class (or that it has been
        drawn on), and the size of the set browsed."""
        n = self.count
        if n == 0:
            return "No test set loaded."
        count = len(self.candidates())
        if self.only_wrong:
            text = (f"The network gets all {n} test images right" if count == 0 else
                    f"{count} of {n} test images misclassified")
            text += "." if self.errors_step is None else f" at step {self.errors_step}."
        else:
            text = f"{n} test images."
        if self.index is None:
            return text
        if self.true_class is not None:
            name = class_name(self.classes, self.true_class)
            where = f"Test image {self.index + 1} of {n}; true class: {name}."
        else:
            where = f"Test image {self.index + 1} of {n}, drawn on."
        return f"{where}\n{text}" if self.only_wrong else where
