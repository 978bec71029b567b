"""Which cell of the network view lies under a scene point, and where a cell is (no Qt).

The view's one hit-test: the hover text, a double-click's enlarged map, a click's Inspector
request and the receptive-field outlines all ask NetworkGeometry.cell_at, so they always agree
on what is under the mouse. Each column is described by a Region, made by the column once its
size is final: its rectangle and, for the columns made of tiles, where its mosaic lies in the
scene (a Grid). Kept apart from the drawing so that the arithmetic (tiles, the gaps between
them, the unused end of the last row, dense units past the count, the output's rows) can be
tested without a scene.

Coordinates: scene units, x to the right, y down; a column's rectangle starts at y = 0 (its
header included). A box is (top, left, bottom, right), half-open, in a tile's pixels; a Rect is
(left, top, right, bottom) in the scene.
"""
from __future__ import annotations

from dataclasses import dataclass

Box = tuple[int, int, int, int]
Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Cell:
    """One cell of the view. `column` is its column's index in the view and `kind` that
    column's kind. `tile` is the map (input, maps, pooled, gradients), the filter (filters),
    the unit (dense) or the class (output); (y, x) is the pixel of a map or a kernel, and
    `inner` a kernel's input channel (filters only)."""
    column: int
    kind: str
    tile: int
    y: int = 0
    x: int = 0
    inner: int | None = None


class Grid:
    """A mosaic of tiles in the scene: `mosaic` is a map_grid.Mosaic (any object with its
    `cols`, `locate` and `tile_origin`), its pixel (0, 0) drawn at scene (left, top) and
    each pixel scale_x by scale_y scene units."""

    def __init__(self, mosaic, left: float, top: float, scale_x: float, scale_y: float):
        self.mosaic, self.left, self.top = mosaic, left, top
        self.scale_x, self.scale_y = scale_x, scale_y

    def locate(self, x: float, y: float) -> tuple[int, int, int, int] | None:
        """(tile row, tile column, y, x in the tile) at a scene point, or None in a gap."""
        return self.mosaic.locate((x - self.left) / self.scale_x, (y - self.top) / self.scale_y)

    def rect(self, row: int, col: int, box: Box) -> Rect:
        """Where `box` of the tile at (row, col) lies in the scene."""
        top, left, bottom, right = box
        tx, ty = self.mosaic.tile_origin(row, col)
        return (self.left + (tx + left) * self.scale_x, self.top + (ty + top) * self.scale_y,
                self.left + (tx + right) * self.scale_x, self.top + (ty + bottom) * self.scale_y)


def pixel(y: int, x: int) -> Box:
    """The box of one pixel."""
    return y, x, y + 1, x + 1


@dataclass(frozen=True)
class Region:
    """A column's rectangle: from x = left, `width` wide, from y = 0, `height` high. A plain
    Region has no cells (a column of another kind says nothing on hover)."""
    kind: str
    left: float
    width: float
    height: float

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x < self.left + self.width and 0 <= y < self.height

    def cell_at(self, column: int, x: float, y: float) -> Cell | None:
        """The cell at a scene point inside the rectangle (this region is column `column`)."""
        return None

    def cell_rect(self, cell: Cell) -> Rect:
        raise ValueError(f"a {self.kind} column has no cells")


@dataclass(frozen=True)
class TiledRegion(Region):
    """A column drawn as a mosaic of tiles (`grid`)."""
    grid: Grid

    def cell_at(self, column, x, y):
        where = self.grid.locate(x, y)
        return None if where is None else self.tile_cell(column, *where)

    def tile_cell(self, column: int, row: int, col: int, y: int, x: int) -> Cell | None:
        """The cell at pixel (y, x) of the tile at (row, col), if that tile holds one."""
        raise NotImplementedError


@dataclass(frozen=True)
class MapRegion(TiledRegion):
    """Maps, one a tile, row by row: `shown` tiles hold a map, the rest of the last row none."""
    shown: int

    def tile_cell(self, column, row, col, y, x):
        tile = row * self.grid.mosaic.cols + col
        return Cell(column, self.kind, tile, y, x) if tile < self.shown else None

    def box_rect(self, tile: int, box: Box) -> Rect:
        """Where `box` of map `tile` lies in the scene."""
        return self.grid.rect(*divmod(tile, self.grid.mosaic.cols), box)

    def cell_rect(self, cell):
        return self.box_rect(cell.tile, pixel(cell.y, cell.x))


@dataclass(frozen=True)
class FilterRegion(TiledRegion):
    """Kernels: one row of tiles a filter, one column an input channel."""

    def tile_cell(self, column, row, col, y, x):
        return Cell(column, self.kind, row, y, x, inner=col)

    def cell_rect(self, cell):
        return self.grid.rect(cell.tile, cell.inner, pixel(cell.y, cell.x))


@dataclass(frozen=True)
class StripRegion(TiledRegion):
    """Dense units down strips of `per` cells, strip after strip (one tile each, one pixel
    wide); past `units` the last strip is empty."""
    per: int
    units: int

    def tile_cell(self, column, row, col, y, x):
        unit = col * self.per + y
        return Cell(column, self.kind, unit) if unit < self.units else None

    def cell_rect(self, cell):
        strip, y = divmod(cell.tile, self.per)
        return self.grid.rect(0, strip, pixel(y, 0))


@dataclass(frozen=True)
class RowsRegion(Region):
    """The output's classes, one row of `row` units each from y = top; a bar is 4 units less
    high than its row."""
    top: float
    row: float
    classes: int

    def cell_at(self, column, x, y):
        if y < self.top:
            return None
        i = int((y - self.top) // self.row)
        return Cell(column, self.kind, i) if i < self.classes else None

    def cell_rect(self, cell):
        """All the bars: a class is a cell of the one softmax they show together."""
        return self.left, self.top, self.left + self.width, self.top + self.classes * self.row - 4


class NetworkGeometry:
    """The view's columns as Regions, left to right (their order in the view)."""

    def __init__(self, regions=()):
        self.regions: tuple[Region, ...] = tuple(regions)

    def cell_at(self, x: float, y: float) -> Cell | None:
        """The cell at a scene point: None between columns, in a column's header, labels or
        gaps, on a tile that holds nothing."""
        for index, region in enumerate(self.regions):
            if region.contains(x, y):
                return region.cell_at(index, x, y)
        return None

    def cell_rect(self, cell: Cell) -> Rect:
        """Where a cell lies: its pixel (maps, kernels, units), all the bars (the output)."""
        return self.regions[cell.column].cell_rect(cell)

    def tile_rects(self, column: int, box: Box) -> list[Rect]:
        """Where `box` lies on every map of a map column."""
        region = self.regions[column]
        return [region.box_rect(tile, box) for tile in range(region.shown)]
