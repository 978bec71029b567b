"""Keeping what the network has learned when something changes under it.

An edited spec: a new network keeps every layer that survived the edit unchanged, with its learned
weights and optimizer state (DESIGN.md convention 4), so adding a layer does not throw away the
training so far. A diverged update: the last good weights come back from a Checkpoint."""
from __future__ import annotations

import difflib
import math
from typing import Sequence

import numpy as np

from cnnviz.engine import spec as specs
from cnnviz.engine.layers import Layer
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Optimizer

# A batch loss this many times the smoothed loss (or 1, if larger) means training diverged. A
# batch's mean cross-entropy of 100 means the true classes got e^-100 on average: only weights
# blown up do that. (1000 let SGD at learning rate 5 through: its loss went 3.2, 3.3, 1291, then
# to 1e25 against a smoothed loss already raised by the 1291.)
EXPLOSION = 100.0


def mismatch(input_shape, classes, dataset) -> str | None:
    """Why a network (or spec) with this input and these classes cannot train on `dataset`, as
    the end of a sentence, or None when it fits."""
    if tuple(input_shape) != tuple(dataset.input_shape) or len(classes) != dataset.num_classes:
        return (f"takes {'x'.join(map(str, input_shape))} images in {len(classes)} classes; "
                f"{dataset.name} has {'x'.join(map(str, dataset.input_shape))} in "
                f"{dataset.num_classes}")
    return None


def spec_problem(spec: dict, dataset) -> str | None:
    """Why `spec` cannot replace the network training on `dataset`, or None."""
    try:
        summary = specs.validate(spec)
    except specs.SpecError as exc:
        return str(exc)
    problem = mismatch(summary.input, summary.classes, dataset)
    return f"it {problem}" if problem else None


def signature(layer: Layer) -> tuple:
    """What must be equal for a layer's weights to mean the same after an edit: its type, its
    input and output shapes and its (normalised, defaults filled in) settings."""
    config = tuple(sorted((key, repr(value)) for key, value in layer.config.items()))
    return layer.kind, tuple(layer.in_shape), tuple(layer.out_shape), config


def matched_layers(old: Sequence[Layer], new: Sequence[Layer]) -> list[tuple[int, int]]:
    """(old index, new index) of layers that are the same on both sides. Aligning the two
    sequences as a diff does means a layer inserted or removed elsewhere shifts the indices but
    keeps the rest matched."""
    # autojunk off: it would treat frequent signatures (relu) in long networks as noise.
    matcher = difflib.SequenceMatcher(None, [signature(layer) for layer in old],
                                      [signature(layer) for layer in new], autojunk=False)
    return [(block.a + k, block.b + k) for block in matcher.get_matching_blocks()
            for k in range(block.size)]


def rebuild(old_network: Network, new_spec: dict, optimizer: Optimizer | None = None,
            seed: int | None = None) -> Network:
    """The network for `new_spec`, with the Parameter objects (and buffers) of every matched
    layer moved over from `old_network`, so an optimizer keyed by Parameter carries on for them.
    Layers that changed start from fresh initial weights (drawn from `seed`, by default the old
    network's) and the optimizer forgets the state of every old parameter left behind.

    The two networks share the kept arrays afterwards: train only the new one."""
    seed = old_network.seed if seed is None else seed
    new_network = Network(new_spec, seed, old_network.dtype)
    for i, j in matched_layers(old_network.layers, new_network.layers):
        old_layer, new_layer = old_network.layers[i], new_network.layers[j]
        # The attribute names are the dict keys (weight, bias, running_mean, running_var).
        for name, param in old_layer.params().items():
            setattr(new_layer, name, param)
        for name, buffer in old_layer.buffers().items():
            setattr(new_layer, name, buffer)
    if optimizer is not None:
        kept = set(new_network.parameters())  # Parameters hash by identity
        optimizer.forget(p for p in old_network.parameters() if p not in kept)
    _check_moved(new_network)
    return new_network


def _check_moved(network: Network) -> None:
    """Guard against a layer class whose params()/buffers() do not read the attributes named by
    their keys: moving the objects would then silently do nothing."""
    for layer in network.layers:
        for name, param in layer.params().items():
            assert getattr(layer, name) is param, f"{layer.kind}.{name} is not an attribute"
        for name, buffer in layer.buffers().items():
            assert np.shares_memory(getattr(layer, name), buffer), \
                f"{layer.kind}.{name} is not an attribute"


class Checkpoint:
    """The last known good weights (and batch norm statistics) and the step they are from."""

    def __init__(self, network: Network, step: int):
        self.save(network, step)

    def save(self, network: Network, step: int) -> None:
        self.state, self.step = network.state_dict(), step

    def restore(self, network: Network, optimizer: Optimizer) -> None:
        network.load_state_dict(self.state)
        optimizer.forget(network.parameters())  # its velocities are poisoned too


def divergence_message(problem: str, step: int, lr: float) -> str:
    """The sentence a user sees for a divergence() found at `step` with learning rate `lr`."""
    return f"{problem} at step {step}; learning rate {lr:g} is probably too high"


def divergence(loss: float, usual_loss: float | None, network: Network) -> str | None:
    """What went wrong with the batch that gave `loss`, or None. Besides NaN and infinity, a
    loss a hundred times its usual size counts: cross-entropy's gradient is bounded, so a far
    too high learning rate mostly blows the weights up to huge but finite values, not to NaN."""
    if math.isnan(loss):
        return "loss became NaN"
    if math.isinf(loss):
        return "loss became infinite"
    if loss > EXPLOSION * max(usual_loss if usual_loss is not None else loss, 1.0):
        return f"loss exploded to {loss:.3g}"
    # A NaN or infinity anywhere makes the sum non-finite: one fast reduction per parameter.
    if not all(np.isfinite(np.sum(p.value)) for p in network.parameters()):
        return "the weights became NaN or infinite"
    return None
