"""One weight's update, as the optimizer really made it: the numbers a learner needs to follow
`w_new = w - lr * dL/dW` (or momentum's, or Adam's, formula) for the weight they chose.

`watch(network, optimizer, ref)` reads the weight and its optimizer state before a training step;
`Watch.finish(step)` reads them again after it and returns a WeightUpdate. Nothing is computed
twice: the gradient is the one the step's backward pass left, the "after" the value the
optimizer wrote. `WeightUpdate.expected_after` works the formula out again from the recorded
numbers, in float64 then rounded to the weight's float32, the way the update kernels do
(kernels.sgd_update, kernels.adam_update), so the arithmetic shown can be checked against what
happened.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnviz.engine.layers import Parameter
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, Adam, Optimizer

NAMES = ("weight", "bias")


@dataclass(frozen=True)
class WeightRef:
    """A weight of the network: parameter `name` ("weight" or "bias") of layer `layer`, at
    `index` (a conv weight: (filter, input channel, row, column); a dense weight: (unit,
    input); a bias: (filter or unit,))."""
    layer: int
    name: str
    index: tuple[int, ...]

    def __post_init__(self):
        if isinstance(self.layer, bool) or not isinstance(self.layer, (int, np.integer)) \
                or self.layer < 0:
            raise ValueError(f"layer must be a layer index >= 0, not {self.layer!r}")
        if self.name not in NAMES:
            raise ValueError(f"name must be one of {NAMES}, not {self.name!r}")
        index = tuple(self.index) if isinstance(self.index, (tuple, list)) else None
        if not index or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                                for i in index):
            raise ValueError(f"index must be a tuple of whole numbers, not {self.index!r}")
        object.__setattr__(self, "layer", int(self.layer))
        object.__setattr__(self, "index", tuple(int(i) for i in index))


def parameter(network: Network, ref: WeightRef) -> Parameter:
    """The Parameter a reference points into; ValueError when the network has no such weight
    (an architecture edit took it away)."""
    if ref.layer >= len(network.layers):
        raise ValueError(f"the network has no layer {ref.layer}")
    param = network.layers[ref.layer].params().get(ref.name)
    if param is None:
        raise ValueError(f"layer {ref.layer} has no {ref.name}")
    shape = param.value.shape
    if len(ref.index) != len(shape) or not all(0 <= i < n for i, n in zip(ref.index, shape)):
        raise ValueError(f"index {ref.index} is outside layer {ref.layer}'s {ref.name} of shape "
                         f"{shape}")
    return param


@dataclass(frozen=True)
class WeightUpdate:
    """The update of one weight at training step `step`. grad is dL/dW of the step's batch (the
    mean over its images); weight decay, when set, adds weight_decay * before to it. SGD keeps
    a velocity, Adam the moments m and v and its own step count t (adam_step); the fields of
    the other optimizer are None."""
    ref: WeightRef
    step: int
    optimizer: str  # "sgd" or "adam"
    lr: float
    weight_decay: float
    before: float
    grad: float
    after: float
    momentum: float | None = None
    nesterov: bool = False
    velocity_before: float | None = None
    velocity_after: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    eps: float | None = None
    adam_step: int | None = None
    m_before: float | None = None
    m_after: float | None = None
    v_before: float | None = None
    v_after: float | None = None

    @property
    def change(self) -> float:
        """after - before, as it happened (float32 values, subtracted exactly in float64)."""
        return float(np.float64(self.after) - np.float64(self.before))

    @property
    def effective_grad(self) -> float:
        """The gradient the rule uses: dL/dW plus the weight decay term."""
        return self.grad + self.weight_decay * self.before

    def bias_corrections(self) -> tuple[float, float]:
        """Adam's (1 - beta1^t, 1 - beta2^t)."""
        return 1.0 - self.beta1 ** self.adam_step, 1.0 - self.beta2 ** self.adam_step

    def term(self) -> float:
        """What the rule subtracts from the weight, worked out from the recorded numbers."""
        g = self.effective_grad
        if self.optimizer == "sgd":
            v = self.momentum * self.velocity_before + g
            return self.lr * (g + self.momentum * v if self.nesterov else v)
        correction1, correction2 = self.bias_corrections()
        m = self.beta1 * self.m_before + (1.0 - self.beta1) * g
        v = self.beta2 * self.v_before + (1.0 - self.beta2) * g * g
        return self.lr / correction1 * m / (math.sqrt(v) / math.sqrt(correction2) + self.eps)

    def expected_after(self) -> float:
        """before - term(), rounded to float32 as the optimizer stores it."""
        return float(np.float32(self.before - self.term()))


class Watch:
    """One weight's value and optimizer state, read before a step (see the module doc)."""

    def __init__(self, network: Network, optimizer: Optimizer, ref: WeightRef):
        self.ref, self.optimizer = ref, optimizer
        self.param = parameter(network, ref)
        self.flat = int(np.ravel_multi_index(ref.index, self.param.value.shape))
        self.before = float(self.param.value.reshape(-1)[self.flat])
        self.state_before = self._state()

    def _state(self) -> dict:
        """The optimizer's numbers for this weight (zeros before its first step, as the
        optimizer starts them)."""
        state = self.optimizer.state.get(self.param)
        if isinstance(self.optimizer, SGD):
            return {"velocity": 0.0 if state is None else float(state["velocity"][self.flat])}
        if isinstance(self.optimizer, Adam):
            if state is None:
                return {"m": 0.0, "v": 0.0, "step": 0}
            return {"m": float(state["m"][self.flat]), "v": float(state["v"][self.flat]),
                    "step": int(state["step"])}
        raise ValueError(f"no update view for {type(self.optimizer).__name__}")

    def finish(self, step: int) -> WeightUpdate:
        """The update the optimizer just made (call right after the step)."""
        opt, before, after = self.optimizer, self.state_before, self._state()
        common = dict(ref=self.ref, step=int(step), lr=float(opt.lr),
                      weight_decay=float(opt.weight_decay), before=self.before,
                      grad=float(self.param.grad.reshape(-1)[self.flat]),
                      after=float(self.param.value.reshape(-1)[self.flat]))
        if isinstance(opt, SGD):
            return WeightUpdate(optimizer="sgd", momentum=float(opt.momentum),
                                nesterov=bool(opt.nesterov),
                                velocity_before=before["velocity"],
                                velocity_after=after["velocity"], **common)
        return WeightUpdate(optimizer="adam", beta1=float(opt.betas[0]),
                            beta2=float(opt.betas[1]), eps=float(opt.eps),
                            adam_step=after["step"], m_before=before["m"], m_after=after["m"],
                            v_before=before["v"], v_after=after["v"], **common)


def watch(network: Network, optimizer: Optimizer, ref: WeightRef | None) -> Watch | None:
    """A Watch of `ref`, or None without one or when the network has no such weight."""
    if ref is None:
        return None
    try:
        return Watch(network, optimizer, ref)
    except ValueError:
        return None
