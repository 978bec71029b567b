"""Keeping what the network has learned when something changes under it.

An edited spec: a new network keeps every layer that survived the edit unchanged, with its learned
weights and optimizer state (docs/ARCHITECTURE.md, rule 4), so adding a layer does not throw away the
training so far."""
from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np

from cnnviz.engine import spec as specs
from cnnviz.engine.layers import Layer
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Optimizer


def mismatch(input_shape, classes, dataset) -> str | None:
    """Why a network (or spec) with this input and these classes cannot train on `dataset`, as
    the end of a sentence, or None when it fits."""
    if tuple(input_shape) != tuple(dataset.input_shape) or len(classes) != dataset.num_classes:
        return (f"takes {specs.shape_text(input_shape)} images in {len(classes)} classes; "
                f"{dataset.name} has {specs.shape_text(dataset.input_shape)} in "
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
    for layer in network.layers:  # a real check, not an assert: python -O must not drop it
        for name, param in layer.params().items():
            if getattr(layer, name, None) is not param:
                raise TypeError(f"{layer.kind}.params() names '{name}', which is not the "
                                f"layer's attribute of that name")
        for name, buffer in layer.buffers().items():
            if not np.shares_memory(getattr(layer, name, np.empty(0)), buffer):
                raise TypeError(f"{layer.kind}.buffers() names '{name}', which is not the "
                                f"layer's attribute of that name")


def edit_report(old_network: Network, new_network: Network) -> str:
    """Which learnable layers of `new_network` kept their trained weights through the edit and
    which start from new random ones, as a sentence: "kept the weights of 0 conv 3x3 and 4 dense
    8; new weights for 1 conv 3x3"."""
    matched = {j for _, j in matched_layers(old_network.layers, new_network.layers)}
    kept, fresh = [], []
    for j, (layer, info) in enumerate(zip(new_network.layers, new_network.summary.layers)):
        if layer.params():
            (kept if j in matched else fresh).append(f"{j} {info.label}")
    parts = []
    if kept:
        parts.append(f"kept the weights of {_listed(kept)}")
    if fresh:
        parts.append(f"new weights for {_listed(fresh)}")
    return "; ".join(parts) or "no layer has weights"


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
