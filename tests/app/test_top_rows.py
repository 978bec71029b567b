"""The Top images dock's rows without Qt: which evaluated layers still fit the network, where
each patch sits and which one a point falls on (inside, in the gaps, on a dead row), the crop of
a test image a patch shows (a conv cell's receptive field, worked out by hand for this network),
and the names and hover texts."""
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.app.panes.top_rows import (
    DEAD_TIP,
    GAP,
    LABEL_W,
    PATCH,
    ROW_H,
    TopRows,
    evaluation_title,
    layer_choice,
    layer_fits,
)
from cnnviz.engine.spec import validate
from cnnviz.training.top_images import LayerTop

CLASSES = ("a", "b", "c", "d", "e", "f", "g", "h")
SUMMARY = validate({
    "input": [3, 16, 16], "classes": list(CLASSES),
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0
        {"type": "relu"},                                            # 1
        {"type": "maxpool", "size": 2},                              # 2
        {"type": "conv", "filters": 6, "kernel": 3, "padding": 1},   # 3: 6 maps of 8x8
        {"type": "relu"},                                            # 4
        {"type": "flatten"},                                         # 5
        {"type": "dense", "units": 8},                               # 6
    ]})
TEST_X = np.arange(10 * 3 * 16 * 16, dtype=np.float32).reshape(10, 3, 16, 16)
TEST_Y = np.array([0, 1, 2, 3, 4, 1, 6, 7, 0, 9])  # 9: a label beyond the class names


def conv_top(positions=None, units=6, dead=None):
    """Layer 3's top images, three a filter: filter u's r-th is image (u + r) % 10."""
    ranks = np.arange(3)
    images = (np.arange(units)[:, None] + ranks) % 10
    scores = np.tile([0.5, 0.25, 0.0], (units, 1))
    if positions is None:
        positions = np.zeros((units, 3, 2), int)
    return LayerTop(3, 4, "conv", scores, images, np.asarray(positions), dead)


def dense_top(units=8):
    images = np.tile([9, 3], (units, 1))
    return LayerTop(6, 6, "dense", np.ones((units, 2)), images, None, None)


def rows_of(top, evaluated=60):
    return TopRows(top, SUMMARY, TEST_X, TEST_Y, CLASSES, evaluated)


def test_a_layer_top_fits_only_the_layer_it_was_measured_on():
    assert layer_fits(conv_top(np.full((6, 3, 2), 7)), SUMMARY)  # the map's last cell
    assert layer_fits(dense_top(), SUMMARY)
    assert not layer_fits(conv_top(np.full((6, 3, 2), 8)), SUMMARY)  # off an 8x8 map
    assert not layer_fits(conv_top(units=5), SUMMARY)  # the layer has 6 filters now
    assert not layer_fits(dense_top(units=10), SUMMARY)
    assert not layer_fits(LayerTop(6, 6, "conv", np.ones((8, 1)), np.zeros((8, 1), int),
                                   np.zeros((8, 1, 2), int), None), SUMMARY)  # a dense layer now
    assert not layer_fits(LayerTop(7, 7, "dense", np.ones((8, 1)), np.zeros((8, 1), int), None,
                                   None), SUMMARY)  # no layer 7


def test_the_chooser_and_the_title_say_what_they_show():
    assert layer_choice(conv_top(), SUMMARY) == "layer 3: conv 3x3 (6 filters)"
    assert layer_choice(dense_top(), SUMMARY) == "layer 6: dense 8 (8 units)"
    top = SimpleNamespace(evaluated=1200, k=8)
    assert evaluation_title(40, top) == ("Evaluation at step 40 on 1,200 test images: for each "
                                         "filter or unit, the 8 that excite it most. Click one to "
                                         "make it the probe.")


def test_patches_sit_in_rows_after_the_label_with_gaps_between():
    rows = rows_of(conv_top())
    assert (rows.units, rows.k) == (6, 3)
    assert (rows.width, rows.height) == (LABEL_W + 3 * (PATCH + GAP), 6 * ROW_H)
    assert rows.cell_box(0, 0) == (92, 2, 56, 56)
    assert rows.cell_box(1, 2) == (92 + 2 * 62, 76 + 2, 56, 56)
    assert rows.score_box(1, 2) == (216, 78 + 56, 56, 14)  # right under its patch
    assert rows.label_box(2) == (2, 152, 86, 56)
    assert rows.dead_box(2) == (89, 152, 3 * 62, 60)


@pytest.mark.parametrize(("x", "y", "cell"), [
    (216, 78, (1, 2)), (271, 133, (1, 2)),  # the corners of patch (1, 2): 216..271, 78..133
    (92, 2, (0, 0)), (154, 40, (0, 1)), (153, 40, None),
    (272, 100, None), (215, 100, None),     # the gaps either side of it
    (216, 134, None), (216, 77, None),      # its score below, the row's margin above
    (91, 40, None), (0, 40, None),          # the label
    (92 + 3 * 62, 40, None),                # past the last rank
    (100, 6 * 76 + 10, None), (100, -1, None), (-5, 40, None)])  # below the rows, above, left
def test_the_patch_under_a_point(x, y, cell):
    assert rows_of(conv_top()).cell_at(x, y) == cell


def test_a_dead_row_has_no_patch_to_click_but_says_why():
    dead = np.array([False, True, False, False, False, False])
    rows = rows_of(conv_top(dead=dead))
    assert rows.cell_at(170, 76 + 40) is None and rows.cell_at(170, 40) == (0, 1)
    assert [rows.is_dead(u) for u in range(6)] == dead.tolist()
    assert rows.row_label(1) == "filter 1\ndead" and rows.row_label(0) == "filter 0"
    assert rows.unit_at(76 + 40) == 1 and rows.unit_at(6 * 76) is None and rows.unit_at(-3) is None
    assert rows.dead_tip(1) == DEAD_TIP.format(name="filter 1", images=60)
    assert rows.dead_note() == ("0 for all 60 test images: nothing gets through its ReLU. Hover "
                                "for what to try.")
    assert rows.describe(1, 0).endswith("\n\n" + rows.dead_tip(1))
    # With dead known (a ReLU stage), a score of 0 is an image the filter ignores.
    assert [rows.ignored(0, r) for r in range(3)] == [False, False, True]
    assert not rows_of(conv_top()).ignored(0, 2)  # no ReLU: 0 is just a value


def test_the_rows_painted_are_those_the_exposed_band_touches():
    rows = rows_of(conv_top())
    assert rows.rows_within(0, 75) == range(0, 1)
    assert rows.rows_within(0, 76) == range(0, 2)
    assert rows.rows_within(100, 10_000) == range(1, 6)


@pytest.mark.parametrize(("position", "crop", "where"), [
    # A layer-4 cell (y, x) sees the 8x8 pixels from (2y - 3, 2x - 3) on, padding included,
    # drawn 7 screen pixels a pixel; the part off the image stays empty.
    ((0, 0), (slice(0, 5), slice(0, 5)), (21, 21, 35, 35)),
    ((7, 7), (slice(11, 16), slice(11, 16)), (0, 0, 35, 35)),
    ((3, 2), (slice(3, 11), slice(1, 9)), (0, 0, 56, 56)),
])
def test_a_conv_patch_is_its_best_cells_receptive_field(position, crop, where):
    positions = np.zeros((6, 3, 2), int)
    positions[4, 1] = position
    rows = rows_of(conv_top(positions))
    pixels, box = rows.patch(4, 1)
    image = TEST_X[5]  # filter 4's second image
    np.testing.assert_array_equal(pixels, image[:, crop[0], crop[1]])
    assert box == pytest.approx(where)


def test_a_dense_patch_is_the_whole_image_scaled_to_the_patch():
    pixels, box = rows_of(dense_top()).patch(2, 1)
    np.testing.assert_array_equal(pixels, TEST_X[3])
    assert box == (0.0, 0.0, 56.0, 56.0)


def test_names_and_hover_texts():
    rows = rows_of(conv_top(np.tile([3, 2], (6, 3, 1))))
    assert rows.unit_name(4) == "filter 4"
    assert rows.describe(4, 1) == (
        "Test image #5 (true class b): rank 2 of 3 for filter 4, score 0.25 (the largest value "
        "of filter 4's map, at row 3, col 2; the patch is what that cell sees). Click to make it "
        "the probe.")
    dense = rows_of(dense_top())
    assert dense.unit_name(2) == "class c"  # the last layer: one unit per class
    assert dense.describe(2, 0) == ("Test image #9 (true class 9): rank 1 of 2 for class c, "
                                    "score 1 (class c's activation). Click to make it the probe.")
    deeper = validate({"input": [3, 16, 16], "classes": ["a", "b"], "layers": [
        {"type": "flatten"}, {"type": "dense", "units": 5}, {"type": "relu"},
        {"type": "dense", "units": 2}]})
    hidden = TopRows(LayerTop(1, 2, "dense", np.ones((5, 1)), np.zeros((5, 1), int), None, None),
                     deeper, TEST_X, None, ("a", "b"))
    assert hidden.unit_name(1) == "unit 1"
    assert hidden.describe(1, 0).startswith("Test image #0: rank 1 of 1 for unit 1")
