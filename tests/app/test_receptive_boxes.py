"""What a hovered cell of the network view sees, without Qt (receptive_boxes.py), on a network
with strides, padding, pooling and a stride that leaves the last input row and column unread;
every box is worked out by hand from the layers' windows."""
import pytest

from cnnviz.app.panes.network_geometry import Cell
from cnnviz.app.panes.receptive_boxes import ReceptiveTables, Seen
from cnnviz.app.panes.stage_plan import plan_columns
from cnnviz.engine.spec import validate

STRIDED = {
    "name": "strided", "input": [2, 20, 20], "classes": ["a", "b"],
    "layers": [{"type": "conv", "filters": 3, "kernel": 4, "stride": 3},  # 0: 3x6x6, reads 0..18
               {"type": "relu"},                                          # 1
               {"type": "maxpool", "size": 2},                            # 2: 3x3x3
               {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},  # 3: 4x3x3
               {"type": "relu"},                                          # 4
               {"type": "flatten"},
               {"type": "dense", "units": 5},
               {"type": "relu"},                                          # 7
               {"type": "dense", "units": 2}],
}
# The view's columns: 0 input, 1 filters, 2 maps (layer 1), 3 pooled (layer 2), 4 filters,
# 5 maps (layer 4), 6 dense (layer 7), 7 output.


@pytest.fixture(scope="module")
def summary():
    return validate(STRIDED)


@pytest.fixture(scope="module")
def tables(summary):
    plans = plan_columns(summary)
    assert [p.kind for p in plans] == ["input", "filters", "maps", "pooled", "filters", "maps",
                                       "dense", "output"]
    return ReceptiveTables(summary, plans)


@pytest.mark.parametrize("cell, seen", [
    # an input pixel sees itself (on every channel)
    (Cell(0, "input", 1, 7, 4), Seen((7, 4, 8, 5))),
    # conv 4x4 stride 3: cell (5, 0) reads input rows 15..18, columns 0..3; it reads the input
    (Cell(2, "maps", 0, 5, 0), Seen((15, 0, 19, 4))),
    (Cell(2, "maps", 2, 0, 5), Seen((0, 15, 4, 19))),
    # pool 2x2 cell (1, 2) reads conv rows 2..3, columns 4..5: input rows 6..12, columns 12..18
    (Cell(3, "pooled", 1, 1, 2), Seen((6, 12, 13, 19), before=2, before_box=(2, 4, 4, 6))),
    # conv 3x3 padding 1, cell (0, 2): pooled rows 0..1 and columns 1..2 (the padding is no
    # cell), so conv rows 0..3 and columns 2..5, input rows 0..12 and columns 6..18
    (Cell(5, "maps", 3, 0, 2), Seen((0, 6, 13, 19), before=3, before_box=(0, 1, 2, 3))),
    (Cell(5, "maps", 0, 1, 1), Seen((0, 0, 19, 19), before=3, before_box=(0, 0, 3, 3))),
    # dense units and the classes see what the last map saw: all but the unread row and column
    (Cell(6, "dense", 3), Seen((0, 0, 19, 19))),
    (Cell(7, "output", 1), Seen((0, 0, 19, 19))),
])
def test_what_a_cell_sees(tables, cell, seen):
    assert tables.seen(cell) == seen


def test_weights_see_nothing_of_the_input(tables):
    assert tables.seen(Cell(1, "filters", 0, 1, 1, inner=0)) is None
    assert tables.seen(Cell(4, "filters", 2, 0, 0, inner=1)) is None


def test_gradient_maps_see_nothing_and_do_not_count_as_the_maps_read(summary):
    plans = plan_columns(summary, gradients=True)
    kinds = [p.kind for p in plans]
    assert kinds[:6] == ["input", "filters", "filters", "maps", "gradients", "pooled"]
    tables = ReceptiveTables(summary, plans)
    assert tables.seen(Cell(4, "gradients", 0, 5, 0)) is None
    # the pooled maps read the maps (column 3), not their gradients beside them
    assert tables.seen(Cell(5, "pooled", 1, 1, 2)) == Seen((6, 12, 13, 19), 3, (2, 4, 4, 6))
