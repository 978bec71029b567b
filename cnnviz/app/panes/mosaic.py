"""Where the tiles of a mosaic are: a grid of small images (feature maps, filter kernels, dense
units) packed into one float32 image with NaN gaps, and each map scaled to its own range.

This is the arithmetic behind the network view's pictures, apart from any drawing: which pixel a
tile starts at, which tile (and pixel in it) a point of the image falls on, how a column's maps
are laid row by row. It imports numpy only, so plain pytest tests it; map_grid.py draws a
Mosaic in a scene.
"""
from __future__ import annotations

import numpy as np


class Mosaic:
    """`rows` x `cols` tiles of `th` x `tw` pixels at a pitch of `py` x `px` pixels, in one
    float32 image (row-major). Gaps are NaN."""

    def __init__(self, rows: int, cols: int, th: int, tw: int, py: int, px: int):
        assert py >= th and px >= tw
        self.rows, self.cols, self.th, self.tw, self.py, self.px = rows, cols, th, tw, py, px
        self.image = np.full((rows * py, cols * px), np.nan, dtype=np.float32)
        # (rows, cols, th, tw) view of the tiles inside the image buffer.
        self.tiles = self.image.reshape(rows, py, cols, px)[:, :th, :, :tw].transpose(0, 2, 1, 3)

    def fill_sequence(self, tiles: np.ndarray) -> None:
        """Tiles (n, th, tw), n <= rows * cols, laid row by row; the rest left as they are."""
        n, cols = len(tiles), self.cols
        full, rest = divmod(n, cols)
        if full:
            self.tiles[:full] = tiles[:full * cols].reshape(full, cols, self.th, self.tw)
        if rest:
            self.tiles[full, :rest] = tiles[full * cols:]

    def blank(self) -> None:
        self.tiles[...] = np.nan

    def locate(self, x: float, y: float) -> tuple[int, int, int, int] | None:
        """(row, col, y, x in the tile) of image pixel coordinates, or None in a gap."""
        if x < 0 or y < 0:
            return None
        row, ty = divmod(int(y), self.py)
        col, tx = divmod(int(x), self.px)
        if row >= self.rows or col >= self.cols or ty >= self.th or tx >= self.tw:
            return None
        return row, col, ty, tx

    def tile_origin(self, row: int, col: int) -> tuple[int, int]:
        """Top-left pixel (x, y) of a tile in the image."""
        return col * self.px, row * self.py


def normalise_maps(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each map (n, h, w) scaled to 0..1 by its own min and max (a constant map gives 0);
    returns (scaled float32, minima, maxima)."""
    flat = maps.reshape(len(maps), -1)
    low, high = flat.min(axis=1), flat.max(axis=1)
    span = high - low
    span[span == 0] = 1
    scaled = (maps - low[:, None, None]) / span[:, None, None]
    return scaled.astype(np.float32, copy=False), low, high
