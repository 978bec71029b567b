"""Which columns the network view draws, left to right, as plain data (no Qt).

A conv, pool or dense layer and the elementwise layers after it (activation, batch norm,
dropout) make one stage, drawn as one column of maps or one strip, showing the last layer's
output (plan_stages). plan_columns turns the stages into the view's columns: the input, for each
conv stage its filters (and with gradients on their dL/dW) and its maps (and their dL/d(map)),
the pooled maps, the dense strips and the output. The titles and notes are worked out here too,
so that what the view shows for a network can be read, and tested, without drawing it.
"""
from __future__ import annotations

from dataclasses import dataclass

from cnnviz.app.panes.number_text import shape_text
from cnnviz.engine.spec import ELEMENTWISE, POOLS


def weight_shape(info) -> tuple[int, int, int, int]:
    """A conv layer's weights: (filters, input channels, kernel, kernel)."""
    kernel = info.config["kernel"]
    return info.config["filters"], info.in_shape[0], kernel, kernel


@dataclass
class Stage:
    """Layers drawn as one column of maps or one strip: a conv/pool/dense layer and the
    elementwise layers after it (relu, batchnorm, dropout, ...). `last` is the tap shown."""
    first: int
    last: int
    type: str


def plan_stages(summary) -> list[Stage]:
    stages: list[Stage] = []
    for layer in summary.layers:
        if layer.type in ELEMENTWISE and stages:
            stages[-1].last = layer.index
        else:
            stages.append(Stage(layer.index, layer.index, layer.type))
    return stages


@dataclass(frozen=True)
class ColumnPlan:
    """One column of the network view; the view's column made from it has the same fields.

    kind: input, filters, maps, pooled, gradients (dL/d(map)), dense or output. shape: the
    array it draws (a conv layer's weights for filters, (classes,) for the output). tap: the
    layer whose output it shows (maps, pooled, gradients, dense). layer and conv: a filter
    column's layer index and which conv layer it is, from 0; gradient: its dL/dW instead of the
    weights. subtitle: a map column's line under its title (the other kinds write theirs from
    their shape); span: the layers a map or dense column stands for ("layers 0–1"), written
    under it. names: the input's channel names, on the input column and the first filters.
    """
    kind: str
    title: str
    shape: tuple
    subtitle: str = ""
    span: str = ""
    tap: int | None = None
    layer: int | None = None
    conv: int = 0
    gradient: bool = False
    names: tuple[str, ...] | None = None


def plan_columns(summary, gradients: bool = False) -> list[ColumnPlan]:
    """The view's columns for a network, with the gradient columns when `gradients`."""
    channels = summary.input[0]
    names = ("red", "green", "blue") if channels == 3 else None
    plans = [ColumnPlan("input", "input", tuple(summary.input),
                        f"{channels} channels · {shape_text(summary.input[1:])}", names=names)]
    layers = summary.layers
    conv = 0
    for stage in plan_stages(summary):
        first, last = layers[stage.first], layers[stage.last]
        title = " → ".join(layers[i].label for i in range(stage.first, stage.last + 1)
                           if layers[i].type != "dropout")
        span = (f"layer {stage.first}" if stage.first == stage.last
                else f"layers {stage.first}–{stage.last}")
        shape = last.out_shape
        if stage.type == "conv":
            for gradient in (False, True) if gradients else (False,):
                plans.append(ColumnPlan(
                    "filters", f"{first.label} {'dL/dW' if gradient else 'filters'}",
                    weight_shape(first), layer=stage.first, conv=conv, gradient=gradient,
                    names=names if stage.first == 0 else None))
            conv += 1
        if len(shape) == 3:
            kind = "pooled" if stage.type in POOLS else "maps"
            plans.append(ColumnPlan(kind, title, shape, f"{shape[0]} maps · {shape_text(shape[1:])}",
                                    span, tap=stage.last))
            if gradients:
                plans.append(ColumnPlan("gradients", f"dL/d({last.label})", shape,
                                        "red: loss rises · blue: falls", span, tap=stage.last))
        elif len(shape) == 1 and stage.type != "flatten" and not (
                stage.type == "dense" and stage.last == len(layers) - 1):
            plans.append(ColumnPlan("dense", title, shape, span=span, tap=stage.last))
        # flatten (a reshape) and the last dense layer (drawn as the output) get no column
    plans.append(ColumnPlan("output", "output", (len(summary.classes),)))
    return plans
