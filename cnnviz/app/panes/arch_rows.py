"""What the architecture editor's list says, as plain text (no Qt): each row's six columns and
tooltips, the header above the list and the totals under it.

Apart from the model (`arch_model.py`), which holds the spec and its validation, and from the
pane (`arch_editor.py`), which only paints these texts into its widgets. The texts are short so
the six columns fit a narrow dock: compact counts (2.4k), shapes written by the one shape
formatter (`engine/spec.shape_text`, with ×), receptive fields as size / jump.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from cnnviz.engine.receptive import Field
from cnnviz.engine.spec import LayerInfo, Summary, describe

from .arch_model import ArchitectureModel
from .number_text import shape_text

WARNING_SIGN = "\u26a0"

COLUMNS = ("#", "layer", "output", "RF", "params", "MACs")
COL_INDEX, COL_LAYER, COL_OUTPUT, COL_RF, COL_PARAMS, COL_MACS = range(6)
HEADER_TIPS = (
    "Position of the layer in the network.",
    "The layer's type and main setting.",
    "Shape of what the layer outputs: channels x height x width for maps, a length for vectors.",
    "Receptive field, size / jump: each output value sees a size x size patch of the input "
    "image, and neighbouring values are jump input pixels apart. Hover a map in the network "
    "view to see it.",
    "Learned numbers (weights and biases) in the layer.",
    "Multiply-adds (MACs) the layer does for one image (forward pass): a measure of its compute.",
)
PENDING_TIP = "Cannot be worked out until the error above it is fixed."


def compact(number: int) -> str:
    """1234 -> '1.2k', 2_500_000 -> '2.5M'; short enough for a narrow dock."""
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if number >= limit:
            value = number / limit
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(number)


def rf_text(field: Field) -> str:
    """'5 / 1' (size / jump) for a map layer, 'whole' (the whole image) for a flat one: short,
    so the six columns fit a narrow dock."""
    return "whole" if field.whole else f"{field.size} / {field.jump}"


def rf_tip(field: Field) -> str:
    if field.whole:
        return ("receptive field: the whole image; each output value depends on every input "
                "pixel")
    apart = f"{field.jump} input pixel{'' if field.jump == 1 else 's'}"
    return (f"receptive field: each output value sees a {shape_text((field.size, field.size))} "
            f"patch of the input; neighbouring values are {apart} apart")


def warning(text: str) -> str:
    """An error as the pane shows it: the sign stays visible on a selected row, whose colours do
    not."""
    return f"{WARNING_SIGN} {text}"


class RowState(enum.Enum):
    OK = "ok"
    ERROR = "error"      # the layer the spec's error is about
    PENDING = "pending"  # after the error: its shapes cannot be worked out


@dataclass(frozen=True)
class Row:
    """One layer's line in the list: a text and a tooltip per column (COLUMNS), and its state,
    which the pane shows with colours."""
    texts: tuple[str, ...]
    tips: tuple[str, ...]
    state: RowState


def layer_row(index: int, raw, info: LayerInfo | None, field: Field | None,
              error: str | None = None) -> Row:
    """The row of layer `index` (`raw`, its dict in the spec), from its shapes (`info`, None
    when they cannot be worked out) and receptive field; `error` is the spec's error when it is
    about this layer."""
    label = describe(raw) if isinstance(raw, dict) else "?"
    if info is None:
        texts = (str(index), label, "?", "", "", "")
        tip = PENDING_TIP
    else:
        texts = (str(index), label, shape_text(info.out_shape),
                 rf_text(field) if field is not None else "",
                 compact(info.params), compact(info.macs))
        tip = (f"{label}: {shape_text(info.in_shape)} in, "
               f"{shape_text(info.out_shape)} out\n"
               f"{info.params:,} parameters, {info.macs:,} multiply-adds per image")
        if field is not None:
            tip += "\n" + rf_tip(field)
    if error is not None:
        texts = (texts[0], warning(label)) + texts[2:]
        return Row(texts, (error,) * len(COLUMNS), RowState.ERROR)
    tips = tuple(rf_tip(field) if column == COL_RF and field is not None else tip
                 for column in range(len(COLUMNS)))
    return Row(texts, tips, RowState.PENDING if info is None else RowState.OK)


def layer_rows(model: ArchitectureModel) -> list[Row]:
    """Every layer's row, the one the error is about marked."""
    bad = model.error_layer()
    return [layer_row(index, raw, model.rows[index], model.fields[index],
                      model.error_message() if index == bad else None)
            for index, raw in enumerate(model.layers)]


def header_text(spec: dict | None) -> str:
    """'<b>lenet5</b> · input 1×28×28 · 10 classes' (rich text), above the list."""
    if spec is None:
        return "No architecture loaded."
    name = spec.get("name") if isinstance(spec.get("name"), str) else "architecture"
    shape = spec.get("input")
    classes = spec.get("classes")
    parts = [f"<b>{name}</b>"]
    if isinstance(shape, (list, tuple)):
        parts.append(f"input {shape_text(shape)}")
    if isinstance(classes, (list, tuple)):
        parts.append(f"{len(classes)} classes")
    return " \u00b7 ".join(parts)


def totals_text(summary: Summary | None) -> str:
    """The whole network's parameters and multiply-adds (rich text), once it is valid."""
    if summary is None:
        return "Total: shown once the architecture is valid."
    return (f"Total: <b>{summary.params:,}</b> params, "
            f"<b>{summary.macs:,}</b> mult-adds per image")
