"""What the Training health dock plots and says, as plain data (no Qt): the four figures a
health record gives curves of (figures), their plots and labels, the heat strips' value axes and
colour scale with their ticks (decade), a curve's colour, the help texts, and a heat strip's
picture of a Strip (StripPicture: the image, where it lies in steps and values, and the words
for the bin under the mouse).

Apart from the widgets (health_dock.py is the pane, strip_image.py draws a StripPicture) so that
the choices and the words can be checked by plain pytest against health records and Strips."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cnnviz.training.health import Strip
from cnnviz.training.histograms import GRAD_HIGH, GRAD_LOW, GRAD_PER_DECADE, gradient_edges

TOOLTIP = ("How healthy training is, layer by layer. Update ratio: how much one step changes the "
           "weights, lr × |gradient| / |weights|; around 1e-3 (the band) is the usual sign of a "
           "good learning rate, above 1e-1 the weights are thrown about, below 1e-5 they hardly "
           "move. Weight norm: the size of the layer's weights, |weights|; it grows as the layer "
           "learns and should level off. Gradient norm: how strongly the loss pulls on the "
           "layer. Dead or saturated: the share of a ReLU's units that were zero for every "
           "image of the batch (they cannot learn back), or of a tanh's or sigmoid's outputs "
           "in its flat tails.")
WEIGHTS_TIP = ("The chosen layer's weights over the steps: each column is one step, each row a "
               "range of weight values, brighter where more of the weights lie (a log scale: "
               "see the colour bar). A band that widens: the weights spread as the layer "
               "learns; one that keeps widening: they grow without bound (lower the learning "
               "rate, or add weight decay). A band narrowing towards 0: weight decay pulling "
               "them in, or a layer dying. A band that no longer changes: the layer has "
               "stopped learning.")
GRADS_TIP = ("The sizes of the chosen layer's gradients |dL/dw| over the steps, on a log axis: "
             "each column is one step, brighter where more of the weights' gradients lie. The "
             "band sinking towards the bottom over the steps: gradients shrinking towards 0, "
             "vanishing (the layer stops learning: raise the learning rate, or add batch norm). "
             "Rising towards the top: exploding (lower the learning rate). The bottom row, 0: "
             "weights that got no gradient at all, as those of dead ReLU units.")
# The curves' plots, top to bottom: (figure, its name, on a log axis).
PLOTS = (("update_ratio", "update ratio", True), ("weight_norm", "weight norm", True),
         ("grad_norm", "gradient norm", True), ("inactive", "dead or saturated", False))
# The heat strips, top to bottom: (which histogram, its value axis's label, its help).
STRIPS = (("weights", "weight", WEIGHTS_TIP), ("grads", "|gradient|", GRADS_TIP))
STEP_AXIS = "training step (batches)"
HEALTHY_RATIOS = (-4, -2)  # log10 of the update ratios the green band spans
# Colours: log10 of a bin's share. A layer's histograms are of at most 65536 values, so the
# rarest bin holds 10**-4.8 of them: just above the floor, so that it still shows.
SHARE_LEVELS = (-5.5, 0.0)
COLOURS = ("#4c9be8", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#edc948", "#76b7b2",
           "#ff9da7", "#9c755f", "#bab0ac")
ZERO_ROW = GRAD_LOW - 1 / GRAD_PER_DECADE  # the gradient axis's row of zeros, below 10**GRAD_LOW


class LayerStrips(NamedTuple):
    name: str  # "3 conv": the layer and its kind
    weights: Strip
    grads: Strip


def layer_name(record) -> str:
    """A layer as the curves' legends and the layer chooser name it: "3 conv"."""
    return f"{record.layer} {record.kind}"


def figures(record) -> list[tuple[str, float]]:
    """The (figure, value) points a health record adds to its layer's curves: those it has,
    and on a log axis only those above zero."""
    inactive = (record.dead_fraction if record.dead_fraction is not None
                else record.saturated_fraction)
    values = (("update_ratio", record.update_ratio), ("weight_norm", record.weight_norm),
              ("grad_norm", record.grad_norm), ("inactive", inactive))
    return [(key, value) for key, value in values
            if value is not None and (key == "inactive" or value > 0)]  # a log axis shows no zero


def curve_colour(drawn: int) -> str:
    """The colour of a plot's next curve, after `drawn` others."""
    return COLOURS[drawn % len(COLOURS)]


def decade(power: int) -> str:
    """10**power as a learner reads it: 0.01, 1, 100, 1e-6."""
    return f"{10.0 ** power:g}" if -2 <= power <= 2 else f"1e{power}"


def gradient_ticks() -> list[list[tuple[float, str]]]:
    """The gradient axis's ticks: labelled every sixth decade (some 70 px hold three labels)
    and 0 at the row of zeros, ticked every decade."""
    labelled = range(GRAD_HIGH, GRAD_LOW + 2, -6)  # 100, 1e-4
    return [[((ZERO_ROW + GRAD_LOW) / 2, "0")] + [(d, decade(d)) for d in labelled],
            [(d, "") for d in range(GRAD_LOW, GRAD_HIGH + 1) if d not in labelled]]


def share_ticks() -> list[list[tuple[int, str]]]:
    """The colour bar's ticks: each power of ten of a bin's share, as a percentage."""
    return [[(p, f"{100 * 10.0 ** p:g}%") for p in range(-5, 1)]]


@dataclass(frozen=True)
class StripPicture:
    """A heat strip as drawn: columns[column, bin] on the even step grid of Strip.image, spanning
    steps first to last and values low to high (a log10 of |gradient| for the gradients)."""
    kind: str  # "weights" or "grads"
    steps: np.ndarray
    columns: np.ndarray
    first: float
    last: float
    low: float
    high: float

    @classmethod
    def of(cls, strip: Strip | None, kind: str) -> StripPicture | None:
        """The picture of a Strip; None for none, or one with no columns yet."""
        if strip is None or strip.count == 0:
            return None
        steps, columns, first, last = strip.image()
        if kind == "weights":
            low, high = -strip.half_range, strip.half_range
        else:
            low, high = ZERO_ROW, GRAD_HIGH
        return cls(kind, steps, columns, first, last, low, high)

    def image(self) -> np.ndarray:
        """log10 of each bin's share; NaN for an empty bin, which shows the background."""
        with np.errstate(divide="ignore"):
            shown = np.log10(self.columns)
        shown[~np.isfinite(shown)] = np.nan
        return shown

    def rect(self) -> tuple[float, float, float, float]:
        """(left, bottom, width, height) in steps and values."""
        return self.first, self.low, self.last - self.first, self.high - self.low

    def bin_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(column, bin) at a point of the image, in image pixels; None off it."""
        column, row = int(x), int(y)
        if 0 <= column < self.columns.shape[0] and 0 <= row < self.columns.shape[1]:
            return column, row
        return None

    def bin_text(self, column: int, row: int) -> str:
        """What a learner hovering a bin is looking at."""
        share = self.columns[column, row]
        if self.kind == "weights":
            width = (self.high - self.low) / self.columns.shape[1]
            low = self.low
            what = f"weights from {low + row * width:.3g} to {low + (row + 1) * width:.3g}"
        else:
            edges = gradient_edges()
            what = (f"gradients under {edges[1]:.0e} (zero)" if row == 0 else
                    f"gradients above {edges[row]:.2g}" if row == len(edges) - 2 else
                    f"gradients from {edges[row]:.2g} to {edges[row + 1]:.2g}")
        return f"Step {self.steps[column]:,}: {share:.2%} of the layer's {what}."

    def hover_text(self, column: int, row: int) -> str:
        """A bin's words, then what the strip shows."""
        tip = WEIGHTS_TIP if self.kind == "weights" else GRADS_TIP
        return f"{self.bin_text(column, row)}\n\n{tip}"
