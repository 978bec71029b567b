"""The network view's one hit-test, without Qt (network_geometry.py): which cell of which
column lies under a scene point, and where a cell lies. The columns are laid out by hand here
(mosaics of known pitch at known places) and every expected number is worked out by hand."""
import pytest

from cnnviz.app.panes import network_geometry as regions
from cnnviz.app.panes.mosaic import Mosaic
from cnnviz.app.panes.network_geometry import Cell, Grid, NetworkGeometry

# Column 0: 5 maps of 4x3 pixels in a 2x3 mosaic at a pitch of 6x5 pixels, pixel (0, 0) at
# scene (100, 58), 2 units a pixel: tile t starts at pixel (5 * (t % 3), 6 * (t // 3)).
MAPS = regions.MapRegion("maps", 100, 30, 82, Grid(Mosaic(2, 3, 4, 3, 6, 5), 100, 58, 2, 2),
                         shown=5)
# Column 1: 3 filters x 2 inputs of 3x3 kernels at a pitch of 4, from scene (172, 72), 3 units
# a pixel; the column starts at 150 (the filter numbers are left of the kernels).
FILTERS = regions.FilterRegion("filters", 150, 46, 108,
                               Grid(Mosaic(3, 2, 3, 3, 4, 4), 172, 72, 3, 3))
# Column 2: 150 dense units down strips of 128, each strip a pixel wide at a pitch of 2,
# a pixel 20 units wide and 4 high, from scene (250, 58).
STRIP = regions.StripRegion("dense", 250, 80, 600,
                            Grid(Mosaic(1, 2, 128, 1, 128, 2), 250, 58, 20, 4), per=128, units=150)
# Column 3: no cells (as a column of a kind that says nothing).
EMPTY = regions.Region("input", 340, 40, 100)
# Column 4: 8 classes in rows of 20 units from y = 58.
OUTPUT = regions.RowsRegion("output", 400, 220, 218, top=58, row=20, classes=8)

VIEW = NetworkGeometry([MAPS, FILTERS, STRIP, EMPTY, OUTPUT])


@pytest.mark.parametrize("point, cell", [
    ((113, 75), Cell(0, "maps", 4, 2, 1)),       # tile 4 (row 1, col 1), pixel (2, 1)
    ((121, 59), Cell(0, "maps", 2, 0, 0)),       # the first pixel of tile 2
    ((100, 58), Cell(0, "maps", 0, 0, 0)),       # the mosaic's very first point
    ((191.5, 97), Cell(1, "filters", 2, 0, 2, inner=1)),  # filter 2 on input 1, pixel (0, 2)
    ((180, 72), Cell(1, "filters", 0, 0, 2, inner=0)),
    ((300, 144), Cell(2, "dense", 149)),         # strip 1, cell 21: the last unit
    ((260, 80), Cell(2, "dense", 5)),
    ((450, 123), Cell(4, "output", 3)),          # the fourth class's row
    ((401, 58), Cell(4, "output", 0)),
])
def test_a_point_on_a_cell_finds_it(point, cell):
    assert VIEW.cell_at(*point) == cell


@pytest.mark.parametrize("point", [
    (117, 75),    # maps: between two tiles of a row (x pixel 8: past tile 1's 3 pixels)
    (113, 79),    # maps: between two rows of tiles (y pixel 10: past the tiles' 4 rows)
    (121, 75),    # maps: tile 5, where a 2x3 mosaic of 5 maps holds nothing
    (113, 30),    # maps: the column's header
    (140, 75),    # between the maps and the filters
    (160, 97),    # filters: left of the kernels, where the filter numbers are
    (182, 97),    # filters: between two kernels
    (300, 148),   # dense: strip 1's cell 22 would be unit 150, past the 150 units
    (280, 144),   # dense: the gap between the two strips
    (360, 50),    # a column without cells
    (450, 50),    # output: above the first row
    (450, 58 + 8 * 20),  # output: under the last row
    (700, 100),   # right of every column
])
def test_a_point_off_the_cells_finds_nothing(point):
    assert VIEW.cell_at(*point) is None


def test_a_point_in_a_column_without_cells_does_not_reach_another_column():
    overlapping = NetworkGeometry([regions.Region("input", 0, 500, 500), MAPS])
    assert overlapping.cell_at(113, 75) is None


def test_where_cells_lie():
    assert VIEW.cell_rect(Cell(0, "maps", 4, 2, 1)) == (112, 74, 114, 76)
    assert VIEW.cell_rect(Cell(1, "filters", 2, 0, 2, inner=1)) == (190, 96, 193, 99)
    assert VIEW.cell_rect(Cell(2, "dense", 149)) == (290, 142, 310, 146)
    assert VIEW.cell_rect(Cell(2, "dense", 5)) == (250, 78, 270, 82)
    # a class: all the bars (one softmax), each 4 units less high than its row
    assert VIEW.cell_rect(Cell(4, "output", 3)) == (400, 58, 620, 214)
    with pytest.raises(ValueError):
        VIEW.cell_rect(Cell(3, "input", 0))


def test_a_box_on_every_map_of_a_column():
    # rows 1..2 and columns 0..1 of each of the 5 maps
    assert VIEW.tile_rects(0, (1, 0, 3, 2)) == [
        (100, 60, 104, 64), (110, 60, 114, 64), (120, 60, 124, 64),
        (100, 72, 104, 76), (110, 72, 114, 76)]


def test_every_cell_found_lies_where_cell_rect_says():
    for region_index, (region, step) in enumerate(((MAPS, 0.5), (FILTERS, 1.0), (STRIP, 2.0))):
        found = 0
        x = region.left
        while x < region.left + region.width:
            y = 0.0
            while y < region.height:
                cell = VIEW.cell_at(x, y)
                if cell is not None:
                    found += 1
                    left, top, right, bottom = VIEW.cell_rect(cell)
                    assert cell.column == region_index
                    assert left <= x < right and top <= y < bottom, (cell, x, y)
                y += step
            x += step
        assert found
