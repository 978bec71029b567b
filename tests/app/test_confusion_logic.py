"""The Evaluation pane's logic without Qt: how the confusion matrix shares its room and colours
its cells (confusion_layout.py), and what the pane says and which test images a cell stands for
(confusion_cells.py)."""
import math

import numpy as np
import pytest

from cnnviz.app.panes import confusion_cells as cells
from cnnviz.app.panes.confusion_layout import (
    CORRECT,
    DARK_TEXT,
    EMPTY,
    LIGHT_TEXT,
    PAD,
    SMALLEST_POINTS,
    WRONG,
    ZERO_TEXT,
    MatrixLayout,
    cell_rgb,
    matrix_layout,
    names_room,
    shrunk_points,
    split_width,
    text_rgb,
)

# ---- layout ------------------------------------------------------------------------------


def test_names_get_their_whole_width_when_the_counts_fit_beside_them():
    assert split_width(400, 10, want=80, floor=30, count_w=30) == 80


def test_long_names_give_way_to_squeezed_counts_up_to_a_share():
    # 10 counts of 30 leave 100 at full size; squeezed to 80% they leave 160, but the names
    # may take only 30% of 400 = 120.
    assert split_width(400, 10, want=150, floor=30, count_w=30) == pytest.approx(120)
    # Where the squeezed counts leave less than the share, they take what is left.
    assert split_width(400, 10, want=150, floor=30, count_w=42) == pytest.approx(400 - 336)


def test_names_never_get_less_than_the_floor():
    assert split_width(200, 10, want=150, floor=40, count_w=30) == 40
    assert split_width(200, 10, want=25, floor=25, count_w=30) == 25


def test_names_room_is_the_longest_name_and_at_least_three_letters():
    assert names_room(100, 7, 9) == (100 + 2 * PAD + 2, 3 * 7 + 9 + 2 * PAD)
    assert names_room(10, 7, 9) == (10 + 2 * PAD + 2,) * 2  # a short name is its own floor


def test_short_names_run_across_the_columns():
    layout = matrix_layout(400, 400, 10, want=20, floor=20, count_w=24, row_h=20, bar=15,
                           across=22)
    assert layout == MatrixLayout(names_width=20, cell_width=38, rotated=False, depth=22)


def test_names_wider_than_a_column_are_turned_and_take_a_share_of_the_height():
    layout = matrix_layout(400, 400, 10, want=90, floor=30, count_w=24, row_h=20, bar=15,
                           across=22)
    assert layout.names_width == 90 and layout.cell_width == (400 - 90) // 10
    assert layout.rotated
    assert layout.depth == int(split_width(400, 10, 90, 30, 20)) == 90  # 400 - 10 * 20 >= 90


def test_rows_that_do_not_fit_the_height_make_room_for_a_scroll_bar():
    # 10 rows of 30 and names turned 90 deep do not fit 300 pixels: the table will scroll, so
    # the width is shared again without the bar's 15 pixels.
    layout = matrix_layout(400, 300, 10, want=120, floor=30, count_w=24, row_h=30, bar=15,
                           across=22)
    names_w = int(split_width(385, 10, 120, 30, 24))
    assert layout == MatrixLayout(names_w, (385 - names_w) // 10, True,
                                  int(split_width(300, 10, 120, 30, 30)))


def test_the_counts_font_shrinks_until_they_fit_but_not_below_the_smallest():
    def width_at(points):
        return math.ceil(3 * points)
    assert shrunk_points(10.0, width_at, 40) == (10.0, 30)  # fits: unchanged
    assert shrunk_points(10.0, width_at, 27) == (9.0, 27)
    assert shrunk_points(10.0, width_at, 28) == (9.25, 28)  # in quarter points
    assert shrunk_points(10.0, width_at, 5) == (SMALLEST_POINTS, 3 * SMALLEST_POINTS)
    assert shrunk_points(-1.0, width_at, 1) == (-1.0, -3)  # a font sized in pixels stays


# ---- colours -----------------------------------------------------------------------------


def test_cells_go_from_white_to_the_full_hue():
    assert cell_rgb(0, 100, True) == cell_rgb(5, 0, False) == EMPTY
    assert cell_rgb(100, 100, True) == CORRECT and cell_rgb(100, 100, False) == WRONG
    # One mistake beside 400 right answers is still visibly tinted: 12% + 88% of sqrt(1/400).
    t = 0.12 + 0.88 * 0.05
    assert cell_rgb(1, 400, False) == tuple(round(255 + t * (c - 255)) for c in WRONG)
    blues = [cell_rgb(count, 400, True) for count in (1, 10, 100, 399)]
    assert all(sum(a) > sum(b) for a, b in zip(blues, blues[1:]))  # more: darker


def test_counts_are_light_on_dark_cells_and_grey_when_zero():
    assert text_rgb(CORRECT, 5) == LIGHT_TEXT       # HSL lightness 0.47
    assert text_rgb(cell_rgb(1, 400, True), 1) == DARK_TEXT
    assert text_rgb(EMPTY, 0) == ZERO_TEXT
    assert text_rgb((141, 140, 140), 3) == DARK_TEXT  # HSL lightness 0.551: light enough
    assert text_rgb((140, 140, 140), 3) == LIGHT_TEXT  # 0.549: dark


# ---- what the pane says ------------------------------------------------------------------


def test_title_and_tooltips():
    assert cells.title(200, 1000, 0.6666) == "Test evaluation at step 200 on 1000 images: 66.7% correct."
    assert cells.title(200, 1000, None) == "Test evaluation at step 200 on 1000 images."
    assert cells.cell_tooltip(3, "cat", "cat", True) == \
        "3 test images of 'cat' were classified correctly. Click to see them."
    assert cells.cell_tooltip(1, "cat", "dog", False) == \
        "1 test images of 'cat' were taken for 'dog'. Click to see them."
    assert cells.row_tooltip(2, "bird").startswith("True class 2: bird. This row counts")
    assert cells.column_tooltip(2, "bird").startswith("Predicted class 2: bird. This column")


def test_missing_class_names_are_numbered():
    assert cells.class_names(("a", "b"), 4) == ("a", "b", "2", "3")
    assert cells.class_names(("a", "b", "c"), 2) == ("a", "b")


def test_labels_changed_only_for_another_test_set():
    labels = np.array([0, 1, 2])
    assert not cells.labels_changed(None, labels)  # the first labels
    assert not cells.labels_changed(labels, labels)
    assert not cells.labels_changed(labels, labels.copy())
    assert cells.labels_changed(labels, labels[::-1].copy())
    assert cells.labels_changed(labels, None)


def test_caption():
    assert cells.caption(12, "cat", "dog", False, 12, 12, "") == \
        "'cat' taken for 'dog': 12 in the matrix; showing 12. Click an image to make it the probe."
    assert cells.caption(150, "cat", "cat", True, 150, 100, "Note.") == (
        "'cat' classified correctly: 150 in the matrix; showing 100 of 150. Note. Click an image "
        "to make it the probe.")
    assert cells.caption(4, "cat", "cat", True, 4, 0, "") == \
        "'cat' classified correctly: 4 in the matrix; showing 0 of 4."


# ---- the images behind a cell ------------------------------------------------------------

LABELS = np.array([0, 1, 1, 2, 1, 0, 1, 2])
PREDICTED = np.array([0, 1, 2, 2, 0, 0, 2, 1])
MISTAKES = np.flatnonzero(LABELS != PREDICTED)  # 2, 4, 6, 7


@pytest.mark.parametrize("row, col", [(1, 1), (1, 2), (1, 0), (2, 1), (0, 2)])
def test_with_predictions_a_cell_is_exactly_its_images(row, col):
    indices, note = cells.cell_images(row, col, LABELS, PREDICTED, MISTAKES, len(LABELS), "one")
    expected = [i for i in range(len(LABELS)) if LABELS[i] == row and PREDICTED[i] == col]
    assert indices.tolist() == expected and note == ""


def test_without_predictions_the_diagonal_is_the_rows_right_answers():
    indices, note = cells.cell_images(1, 1, LABELS, None, MISTAKES, len(LABELS), "one")
    assert indices.tolist() == [1] and note == ""
    # Predictions of another test set (another length) are not used.
    assert cells.cell_images(1, 1, LABELS, PREDICTED[:5], MISTAKES, 8, "one")[0].tolist() == [1]


def test_without_predictions_a_mistake_cell_is_every_mistake_of_the_row():
    indices, note = cells.cell_images(1, 0, LABELS, None, MISTAKES, len(LABELS), "one")
    assert indices.tolist() == [2, 4, 6]
    assert "misclassified 'one' images, whatever they were taken for" in note


def test_a_subset_evaluation_says_so_and_stray_indices_are_ignored():
    mistakes = np.array([2, 4, 6, 7, 8, 100])  # (8, 100: beyond these labels)
    indices, note = cells.cell_images(0, 0, LABELS, None, mistakes, 5, "zero")
    assert indices.tolist() == [0, 5]
    assert "used a subset of the test images" in note
    assert cells.cell_images(2, 1, LABELS, None, mistakes, 8, "two")[0].tolist() == [7]


def test_no_labels_no_images():
    indices, note = cells.cell_images(0, 0, None, PREDICTED, MISTAKES, 8, "zero")
    assert len(indices) == 0 and note == "No test labels were given."
