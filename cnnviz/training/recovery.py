"""Recovering from a diverged update without locking the user out.

A training step computes the loss of the weights it starts from and then updates them, so the
weights after a step are unchecked until the next step's loss is known. A Checkpoint therefore
takes a copy (weights, batch norm statistics, the optimizer's state) as a *candidate* before a
step and keeps it as the last good state only once that step's loss, computed on exactly those
weights, was checked finite and not exploding. Restoring brings all of it back together."""
from __future__ import annotations

import math

import numpy as np

from cnnviz.engine.network import Network
from cnnviz.engine.optim import Optimizer

# A batch loss this many times the usual loss (or 1, if larger) means training diverged. A
# batch's mean cross-entropy of 100 means the true classes got e^-100 on average: only weights
# blown up do that. (1000 let SGD at learning rate 5 through: its loss went 3.2, 3.3, 1291, then
# to 1e25 against a smoothed loss already raised by the 1291.)
EXPLOSION = 100.0


def loss_problem(loss: float, usual_loss: float | None) -> str | None:
    """What is wrong with a batch loss, or None. Besides NaN and infinity, a loss a hundred
    times its usual size counts: cross-entropy's gradient is bounded, so a far too high learning
    rate mostly blows the weights up to huge but finite values, not to NaN."""
    if math.isnan(loss):
        return "loss became NaN"
    if math.isinf(loss):
        return "loss became infinite"
    if loss > EXPLOSION * max(usual_loss if usual_loss is not None else loss, 1.0):
        return f"loss exploded to {loss:.3g}"
    return None


def _finite(arrays) -> bool:
    # A NaN or infinity anywhere makes the sum non-finite: one fast reduction per array.
    return all(np.isfinite(np.sum(a)) for a in arrays)


def state_problem(network: Network, optimizer: Optimizer | None = None) -> str | None:
    """Whether the weights or the optimizer's state (momentum, Adam's moments) hold a NaN or
    an infinity."""
    if not _finite(p.value for p in network.parameters()):
        return "the weights became NaN or infinite"
    if optimizer is not None and not _finite(optimizer.state_arrays()):
        return "the optimizer's state became NaN or infinite"
    return None


def divergence(loss: float, usual_loss: float | None, network: Network,
               optimizer: Optimizer | None = None) -> str | None:
    """What went wrong with the step that gave `loss` (and left `network`), or None."""
    return loss_problem(loss, usual_loss) or state_problem(network, optimizer)


def divergence_message(problem: str, step: int, lr: float) -> str:
    """The sentence a user sees for a divergence() found at `step` with learning rate `lr`."""
    return f"{problem} at step {step}; learning rate {lr:g} is probably too high"


class _State:
    """A copy of everything a restore brings back, and the step it is from."""

    def __init__(self, network: Network, optimizer: Optimizer, step: int, usual_loss):
        self.weights, self.step, self.usual_loss = network.state_dict(), step, usual_loss
        self.optimizer_kind = type(optimizer)
        self.optimizer_state = _copy_state(optimizer.state)


def _copy_state(state: dict) -> dict:
    """The optimizer's per-Parameter state with its arrays copied; the keys stay the same
    Parameter objects (load_state_dict copies values into them, so they stay the network's)."""
    return {param: {key: value.copy() if isinstance(value, np.ndarray) else value
                    for key, value in entry.items()} for param, entry in state.items()}


class Checkpoint:
    """The last good state: weights whose loss was checked, the optimizer's state that went with
    them, and the usual loss then (the divergence baseline). The first state is trusted as given
    (a fresh or rebuilt network has no checked loss yet, and nothing better to go back to)."""

    def __init__(self, network: Network, optimizer: Optimizer, step: int,
                 usual_loss: float | None = None):
        self.good = _State(network, optimizer, step, usual_loss)
        self.candidate: _State | None = None

    @property
    def step(self) -> int:
        return self.good.step

    def propose(self, network: Network, optimizer: Optimizer, step: int,
                usual_loss: float | None) -> None:
        """Copy the state now, before a step; it becomes good if confirm() follows that step.
        A state with NaN or infinity in it is not even proposed."""
        self.candidate = (None if state_problem(network, optimizer) else
                          _State(network, optimizer, step, usual_loss))

    def confirm(self) -> None:
        """The step after propose() gave a sound loss: its starting state is good."""
        if self.candidate is not None:
            self.good, self.candidate = self.candidate, None

    def discard(self) -> None:
        self.candidate = None

    def restore(self, network: Network, optimizer: Optimizer) -> float | None:
        """Put the good state back into `network` and `optimizer`; returns its usual loss. An
        optimizer of another kind than the saved one (the user switched) starts afresh."""
        network.load_state_dict(self.good.weights)
        if type(optimizer) is self.good.optimizer_kind:
            optimizer.state = _copy_state(self.good.optimizer_state)
        else:
            optimizer.state = {}
        self.candidate = None
        return self.good.usual_loss
