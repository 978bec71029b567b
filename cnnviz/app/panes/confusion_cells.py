"""What the Evaluation pane says, and which test images a cell of its confusion matrix stands
for, as plain functions (no Qt): the sentences of its title, tooltips and caption, the class
names it numbers when it has none, whether new test labels are another test set, and the test
indices behind a cell, exactly when the predictions are known, else as near as the evaluation's
list of mistakes allows. Kept apart from the widgets so that it is read and tested without a
display."""
from __future__ import annotations

import numpy as np

NO_EVALUATION = "No evaluation yet: the matrix fills in after the first test."
PICK_A_CELL = "Click a cell to see its test images."


def title(step: int, images: int, accuracy: float | None) -> str:
    shown = "" if accuracy is None else f": {100 * accuracy:.1f}% correct"
    return f"Test evaluation at step {step} on {images} images{shown}."


def row_tooltip(i: int, name: str) -> str:
    return (f"True class {i}: {name}. This row counts the test images of {name}, by the class the "
            "network took them for.")


def column_tooltip(i: int, name: str) -> str:
    return (f"Predicted class {i}: {name}. This column counts the test images the network took "
            f"for {name}, by their true class.")


def cell_tooltip(count: int, true_name: str, predicted_name: str, diagonal: bool) -> str:
    what = "were classified correctly" if diagonal else f"were taken for '{predicted_name}'"
    return f"{count} test images of '{true_name}' {what}. Click to see them."


def class_names(classes: tuple[str, ...], n: int) -> tuple[str, ...]:
    """Names for n classes: the first n known ones, then numbers."""
    return classes[:n] + tuple(str(i) for i in range(len(classes), n))


def labels_changed(old: np.ndarray | None, new: np.ndarray | None) -> bool:
    """Whether `new` test labels are another test set than `old` (None: none known before)."""
    return old is not None and new is not old and not (new is not None
                                                       and np.array_equal(old, new))


def cell_images(row: int, col: int, labels: np.ndarray | None, predictions: np.ndarray | None,
                misclassified: np.ndarray | None, evaluated: int,
                row_name: str) -> tuple[np.ndarray, str]:
    """(test indices to show for the cell, a sentence on how they were found or ""): with the
    predicted class of every test image, exactly the cell's images; without, the row's images
    the evaluation did not list as mistakes (the diagonal) or did (any other cell)."""
    if labels is None:
        return np.zeros(0, np.int64), "No test labels were given."
    true = labels == row
    if predictions is not None and len(predictions) == len(labels):
        return np.flatnonzero(true & (predictions == col)), ""
    wrong = np.zeros(len(labels), bool)
    if misclassified is not None:
        wrong[misclassified[misclassified < len(labels)]] = True
    if row == col:
        note = ("" if evaluated >= len(labels) else
                "This evaluation used a subset of the test images, so some of these were not "
                "tested.")
        return np.flatnonzero(true & ~wrong), note
    return (np.flatnonzero(true & wrong),
            f"The predicted class of each image is not known here, so these are all "
            f"misclassified '{row_name}' images, whatever they were taken for.")


def caption(count: int, true_name: str, predicted_name: str, diagonal: bool, found: int,
            shown: int, note: str) -> str:
    """The sentence over the strip: the cell, its count, how many of the `found` images are
    shown, and the note cell_images gave."""
    what = "classified correctly" if diagonal else f"taken for '{predicted_name}'"
    text = f"'{true_name}' {what}: {count} in the matrix; showing {shown}"
    if found > shown:
        text += f" of {found}"
    text += "."
    if note:
        text += " " + note
    if shown:
        text += " Click an image to make it the probe."
    return text
