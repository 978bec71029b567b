"""Which layers the network view draws together, as plain data (no Qt): a conv, pool or dense
layer and the elementwise layers after it (activation, batch norm, dropout) make one stage,
drawn as one column of maps or one strip, showing the last layer's output."""
from __future__ import annotations

from dataclasses import dataclass

from cnnviz.engine import spec as specs
from cnnviz.engine.spec import ELEMENTWISE


def shape_text(shape) -> str:
    """A shape as the view labels it: 8×32×32."""
    return specs.shape_text(shape, "×")


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
