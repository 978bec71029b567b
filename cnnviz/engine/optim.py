"""Optimizers with PyTorch's update rules. Hyperparameters are plain attributes, so the training
loop may change the learning rate or momentum between any two steps. State is kept per Parameter
and can be dropped for layers that were rebuilt."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from cnnviz.engine import kernels
from cnnviz.engine.layers import Parameter


class Optimizer:
    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.lr, self.weight_decay = lr, weight_decay
        self.state: dict[Parameter, dict] = {}

    def step(self, parameters: Iterable[Parameter]) -> None:
        for param in parameters:
            state = self.state.get(param)
            if state is None:
                state = self.state[param] = self._new_state(param)
            self._update(param.value.reshape(-1), param.grad.reshape(-1), state)

    def forget(self, parameters: Iterable[Parameter]) -> None:
        """Drop the state of these parameters (their layer changed shape or was removed)."""
        for param in parameters:
            self.state.pop(param, None)

    def state_arrays(self) -> list[np.ndarray]:
        """Every array of the state (momentum buffers, Adam's moments)."""
        return [value for entry in self.state.values() for value in entry.values()
                if isinstance(value, np.ndarray)]

    def _new_state(self, param: Parameter) -> dict:
        raise NotImplementedError

    def _update(self, value: np.ndarray, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    def __init__(self, lr=0.01, momentum=0.9, nesterov=False, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.momentum, self.nesterov = momentum, nesterov

    def _new_state(self, param):
        return {"velocity": np.zeros(param.value.size, param.value.dtype)}

    def _update(self, value, grad, state):
        kernels.sgd_update(value, grad, state["velocity"], float(self.lr), float(self.momentum),
                           float(self.weight_decay), bool(self.nesterov))


class Adam(Optimizer):
    def __init__(self, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.betas, self.eps = tuple(betas), eps

    def _new_state(self, param):
        size, dtype = param.value.size, param.value.dtype
        return {"m": np.zeros(size, dtype), "v": np.zeros(size, dtype), "step": 0}

    def _update(self, value, grad, state):
        state["step"] += 1
        kernels.adam_update(value, grad, state["m"], state["v"], float(self.lr),
                            float(self.betas[0]), float(self.betas[1]), float(self.eps),
                            float(self.weight_decay), state["step"])


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name: str, lr: float, momentum: float = 0.9,
                   weight_decay: float = 0.0) -> Optimizer:
    """The optimizer a name stands for. Momentum is SGD's; Adam keeps PyTorch's betas
    (0.9, 0.999), since its first beta is not what a momentum slider means to most users."""
    if name == "sgd":
        return SGD(lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return Adam(lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}, got {name!r}")
