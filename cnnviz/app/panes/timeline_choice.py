"""What the Filter timeline shows, as plain data (no Qt): the layer chooser's names, the colour
scale shared by a layer's moments, which moment the slider stands on (the latest while following
training, else the one nearest the step the user chose, once thinned away), and the pane's words
for a moment, its scale and an empty timeline.

Apart from the widgets (filter_timeline.py is the pane, timeline_canvas.py draws the filters) so
that these choices can be checked by plain pytest against a FilterTimeline's moments."""
from __future__ import annotations

from cnnviz.training.timeline import Moment

NO_SNAPSHOT = "No snapshot yet: the filters appear once training starts."
NO_CONV = "This network has no conv layer: the timeline follows conv layers' filters."
LONGEST_NOTE = "start · step 999,999"  # the widest title over a moment's filters
LONGEST_STEP = "step 999,999 · latest, following"  # the widest step label


def layer_name(index: int, shape) -> str:
    out, inputs, kh, kw = shape
    return (f"conv{index + 1} · {out} filters × {inputs} input{'s' if inputs != 1 else ''}, "
            f"{kh}×{kw}")


def input_names(layer: int, shape) -> list[str] | None:
    """The names of a conv layer's input channels: an RGB image's colours for the first layer."""
    return ["red", "green", "blue"] if layer == 0 and shape[1] == 3 else None


def shared_bound(moments: list[Moment]) -> float:
    """The colour scale's half-width: the largest |weight| of any of the moments (1 if all
    are zero)."""
    return max((m.peak for m in moments), default=0.0) or 1.0


def shown_index(moments: list[Moment], following: bool, chosen_step: int | None) -> int:
    """The moment to show: the last while following (or with no step chosen), else the one
    nearest the chosen step (the earlier of two as near). -1 for no moments."""
    if following or chosen_step is None or not moments:
        return len(moments) - 1
    return min(range(len(moments)), key=lambda i: abs(moments[i].step - chosen_step))


def start_note(moment: Moment) -> str:
    return f"start · step {moment.step:,}"


def moment_note(moment: Moment, latest: bool) -> str:
    return f"step {moment.step:,}" + (" · latest" if latest else "")


def step_text(moments: list[Moment], index: int, following: bool) -> str:
    """Under the slider: the moment's step, and which of the moments it is."""
    latest = index == len(moments) - 1
    return (f"step {moments[index].step:,} · "
            + ("latest, following" if latest and following else
               f"moment {index + 1} of {len(moments)}"))


def scale_text(bound: str, moments: int, layer: int) -> str:
    """The colour scale ±bound (as written) shared by a conv layer's moments."""
    return (f"colour scale ±{bound}, shared by the {moments} moments: conv{layer + 1}'s largest "
            "|weight| in any of them (red +, blue −, white 0)")
