"""The Top images dock as plain data (no Qt): which layers of the last evaluation still fit the
network, and for one layer's LayerTop (training/top_images.py) its rows laid out, one row per
filter or unit with its k best test images: where each patch, label and score sits, which patch
a point falls on, what a row is called, the part of a test image a patch shows (a conv filter's
the receptive field of its best cell, engine/receptive.py), and the hover texts.

Apart from the widgets (patch_rows.py paints these rows, top_images.py is the pane) so that the
geometry and the words can be checked by plain pytest; boxes are (left, top, width, height) in
the rows' pixels."""
from __future__ import annotations

import numpy as np

from cnnviz.engine.receptive import input_box, receptive_fields

PATCH = 56         # a patch's side on screen, pixels
GAP = 6            # between patches
SCORE_H = 14       # the score under each patch
LABEL_W = 92       # the filter's name and mark, left of its row
ROW_H = PATCH + SCORE_H + 6
PATCH_TOP = 2      # a patch's top within its row

DEAD_TIP = ("Dead: {name}'s output was 0 for every one of the {images:,} test images of the "
            "last evaluation. The ReLU after it never lets anything through, so no gradient "
            "reaches its weights and it cannot learn back by itself. Try a smaller learning rate "
            "(a too large step often kills filters), a leaky ReLU or batch norm before the ReLU, "
            "or Reset for new weights.")


def layer_fits(top, summary) -> bool:
    """Whether a LayerTop belongs to this network's layer of the same index (an architecture
    edit leaves the last evaluation's numbers behind until the next one)."""
    layers = summary.layers
    if not (0 <= top.layer < len(layers) and top.layer <= top.tap < len(layers)):
        return False
    info, out = layers[top.layer], layers[top.tap].out_shape
    if info.type != top.kind or out[0] != top.units:
        return False
    if top.kind == "conv":
        positions = top.positions
        return (len(out) == 3 and positions is not None and positions.size > 0
                and int(positions[..., 0].max()) < out[1] and int(positions[..., 1].max()) < out[2])
    return len(out) == 1


def layer_choice(top, summary) -> str:
    """A fitting LayerTop as the layer chooser lists it."""
    what = "filters" if top.kind == "conv" else "units"
    return f"layer {top.layer}: {summary.layers[top.layer].label} ({top.units} {what})"


def evaluation_title(step, top) -> str:
    """The pane's heading for the TopImages of the evaluation at `step`."""
    return (f"Evaluation at step {step} on {top.evaluated:,} test images: for each filter or "
            f"unit, the {top.k} that excite it most. Click one to make it the probe.")


class TopRows:
    """The rows of one LayerTop, cut from these test images (test_y and classes name the true
    classes; evaluated is how many test images the evaluation saw)."""

    def __init__(self, top, summary, test_x, test_y=None, classes=(), evaluated: int = 0):
        self.top, self.summary, self.test_x, self.test_y = top, summary, test_x, test_y
        self.classes, self.evaluated = tuple(classes), evaluated
        self.fields = receptive_fields(summary)
        self.units, self.k = top.units, top.images.shape[1]

    @property
    def width(self) -> int:
        return LABEL_W + self.k * (PATCH + GAP)

    @property
    def height(self) -> int:
        return self.units * ROW_H

    # ---- geometry ------------------------------------------------------------------------------

    def rows_within(self, top: int, bottom: int) -> range:
        """The rows that a band of pixels from top to bottom (both included) touches."""
        return range(max(0, top // ROW_H), min(self.units - 1, bottom // ROW_H) + 1)

    def cell_box(self, unit: int, rank: int) -> tuple[int, int, int, int]:
        return LABEL_W + rank * (PATCH + GAP), unit * ROW_H + PATCH_TOP, PATCH, PATCH

    def score_box(self, unit: int, rank: int) -> tuple[int, int, int, int]:
        left, top, _, _ = self.cell_box(unit, rank)
        return left, top + PATCH, PATCH, SCORE_H

    def label_box(self, unit: int) -> tuple[int, int, int, int]:
        return 2, unit * ROW_H, LABEL_W - 6, PATCH

    def dead_box(self, unit: int) -> tuple[int, int, int, int]:
        """The frame round a dead row's note, where its patches would be."""
        return LABEL_W - 3, unit * ROW_H, self.k * (PATCH + GAP), PATCH + 4

    def unit_at(self, y: float) -> int | None:
        unit = int(y) // ROW_H
        return unit if y >= 0 and unit < self.units else None

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(unit, rank) of the patch under a point, or None."""
        if x < LABEL_W or y < 0:
            return None
        unit, inside_y = divmod(int(y), ROW_H)
        rank, inside_x = divmod(int(x) - LABEL_W, PATCH + GAP)
        if (unit >= self.units or rank >= self.k or inside_x >= PATCH
                or not PATCH_TOP <= inside_y < PATCH + PATCH_TOP or self.is_dead(unit)):
            return None  # a dead filter's row shows no images: none excites it
        return unit, rank

    # ---- the patches ---------------------------------------------------------------------------

    def patch(self, unit: int, rank: int) -> tuple[np.ndarray, tuple[float, float, float, float]]:
        """The pixels to draw for a patch and the box they fill in its cell (the cell is the
        receptive field at its full size; a field partly outside the image shows only the part
        inside)."""
        image = self.test_x[self.top.images[unit, rank]]
        height, width = image.shape[1:]
        if self.top.kind != "conv":
            scale = PATCH / max(height, width)
            return image, (0.0, 0.0, width * scale, height * scale)
        y, x = (int(v) for v in self.top.positions[unit, rank])
        top, left, bottom, right = input_box(self.summary, self.top.tap, y, x)
        field = self.fields[self.top.tap]
        scale = PATCH / max(field.size, bottom - top, right - left)
        # Where the field would start were it not clipped to the image (padding counts).
        first_y = field.centre(y) - (field.size - 1) / 2
        first_x = field.centre(x) - (field.size - 1) / 2
        where = (max(0.0, left - first_x) * scale, max(0.0, top - first_y) * scale,
                 (right - left) * scale, (bottom - top) * scale)
        return image[:, top:bottom, left:right], where

    def score(self, unit: int, rank: int) -> float:
        return float(self.top.scores[unit, rank])

    def ignored(self, unit: int, rank: int) -> bool:
        """Whether the unit gives this image 0: fewer than k test images excite it."""
        return self.top.dead is not None and self.score(unit, rank) <= 0

    # ---- names and words -----------------------------------------------------------------------

    def unit_name(self, unit: int) -> str:
        top = self.top
        if top.kind == "conv":
            return f"filter {unit}"
        if top.tap == len(self.summary.layers) - 1 and unit < len(self.classes):
            return f"class {self.classes[unit]}"  # the last layer: one unit per class
        return f"unit {unit}"

    def is_dead(self, unit: int) -> bool:
        dead = self.top.dead
        return dead is not None and bool(dead[unit])

    def row_label(self, unit: int) -> str:
        return self.unit_name(unit) + ("\ndead" if self.is_dead(unit) else "")

    def dead_note(self) -> str:
        """Written across a dead row instead of its patches."""
        return (f"0 for all {self.evaluated:,} test images: nothing gets through its ReLU. "
                "Hover for what to try.")

    def dead_tip(self, unit: int) -> str:
        return DEAD_TIP.format(name=self.unit_name(unit), images=self.evaluated)

    def describe(self, unit: int, rank: int) -> str:
        """The hover text of a patch."""
        top = self.top
        index = int(top.images[unit, rank])
        name = self.unit_name(unit)
        true = ""
        if self.test_y is not None and index < len(self.test_y):
            label = int(self.test_y[index])
            true = f" (true class {self.classes[label] if label < len(self.classes) else label})"
        score = self.score(unit, rank) + 0.0
        if top.kind == "conv":
            y, x = (int(v) for v in top.positions[unit, rank])
            what = (f"the largest value of {name}'s map, at row {y}, col {x}; the patch is what "
                    "that cell sees")
        else:
            what = f"{name}'s activation"
        if self.ignored(unit, rank):
            what += (f"; 0 means {name} does not respond to it at all: fewer than "
                     f"{self.k} of the test images excite it")
        text = (f"Test image #{index}{true}: rank {rank + 1} of {self.k} for {name}, "
                f"score {score:.4g} ({what}). Click to make it the probe.")
        if self.is_dead(unit):
            text += "\n\n" + self.dead_tip(unit)
        return text
