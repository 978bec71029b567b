"""How the Evaluation pane's confusion matrix shares its room and colours its cells, as plain
arithmetic (no Qt): the widths of the class names and of the counts, whether the column names
are turned, how far the counts' font may shrink, and the colour of a cell and of its text. The
pane measures (fonts, the style's margins) and applies; what it does with the measures is here,
so that it is read and tested without a display."""
from __future__ import annotations

import math
from dataclasses import dataclass

PAD = 4              # pixels of room at each end of a class name in a header
NAMES_SHARE = 0.3    # the names may take this share of the width when the counts then still fit
SQUEEZE = 0.8        # ... at this fraction of their font size at the least
SMALLEST_POINTS = 6  # the counts' font never shrinks below this (a scroll bar comes instead)
POINTS_STEP = 0.25   # the counts' font shrinks by this much at a time

CORRECT = (40, 100, 200)     # the diagonal: right answers
WRONG = (210, 60, 40)        # everything else: mistakes
EMPTY = (250, 250, 250)
LIGHT_TEXT, DARK_TEXT, ZERO_TEXT = (255, 255, 255), (20, 20, 20), (175, 175, 175)


def split_width(width: float, n: int, want: float, floor: float, count_w: float) -> float:
    """The row header's width: the names' whole width (`want`) if the n counts fit beside it
    at full size (`count_w` each); less down to a share of the width when they still fit
    squeezed; never below `floor` (room for a few letters)."""
    full = width - n * count_w
    squeezed = min(width - n * count_w * SQUEEZE, width * NAMES_SHARE)
    return min(want, max(full, squeezed, floor))


def names_room(longest: int, average_char: int, ellipsis: int) -> tuple[int, int]:
    """(want, floor) for split_width, from the advance of the longest name, of an average
    character and of "…": the whole longest name, and three letters and "…"."""
    # +2: elidedText wants a pixel or two more than the rounded advance of a name
    want = longest + 2 * PAD + 2
    return want, min(want, 3 * average_char + ellipsis + 2 * PAD)


@dataclass(frozen=True)
class MatrixLayout:
    names_width: int  # the row header's width
    cell_width: int   # the room of a column
    rotated: bool     # the column names are turned 90 degrees
    depth: int        # the column header's height


def matrix_layout(width: int, height: int, n: int, want: int, floor: int, count_w: int,
                  row_h: int, bar: int, across: int) -> MatrixLayout:
    """Share the table's inner `width` x `height` between n classes: the row names' width by
    split_width, the rest in equal columns. Names wider than a column are turned, and their
    header gets what the rows (`row_h` high at least) leave of the height, within the same
    bounds; otherwise it is `across` deep (a line of text). If the rows then do not fit, a
    vertical scroll bar (`bar` wide) will come, and the width is shared again without it."""
    for scroll_bar in (False, True):
        room = width - (bar if scroll_bar else 0)
        names_w = math.floor(split_width(room, n, want, floor, count_w))
        cell_w = (room - names_w) // n
        rotated = want > cell_w
        depth = math.floor(split_width(height, n, want, floor, row_h)) if rotated else across
        if scroll_bar or height - depth >= n * row_h:
            break
    return MatrixLayout(names_w, cell_w, rotated, depth)


def shrunk_points(points: float, width_at, room: int) -> tuple[float, int]:
    """(font size, width needed) at which the counts fit `room`: `width_at(points)` is the width
    the largest count needs at a size; the size shrinks by POINTS_STEP down to SMALLEST_POINTS
    at the least, below which the columns keep what it needs (and the table scrolls)."""
    needed = width_at(points)
    while needed > room and points > SMALLEST_POINTS:
        points = max(SMALLEST_POINTS, points - POINTS_STEP)
        needed = width_at(points)
    return points, needed


def cell_rgb(count: int, largest: int, diagonal: bool) -> tuple[int, int, int]:
    """White for 0, up to the full hue for the largest count; the square root makes a few
    mistakes visible next to hundreds of right answers."""
    if count <= 0 or largest <= 0:
        return EMPTY
    t = 0.12 + 0.88 * math.sqrt(count / largest)
    return tuple(round(255 + t * (c - 255)) for c in (CORRECT if diagonal else WRONG))


def text_rgb(background: tuple[int, int, int], count: int) -> tuple[int, int, int]:
    """A count's colour: light on a dark cell (HSL lightness under 0.55), grey for a zero."""
    if (max(background) + min(background)) / 510 < 0.55:
        return LIGHT_TEXT
    return DARK_TEXT if count else ZERO_TEXT
