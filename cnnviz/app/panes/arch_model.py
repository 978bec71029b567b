"""The architecture being edited, as plain data (no Qt): the spec dict, the edits the editor
offers, their undo and redo, and what validation says of the result.

The editor pane (`arch_editor.py`) is a view over this model: it turns clicks into calls here and
draws what the model then holds. Every edit changes the spec dict and validates it at once with
`cnnviz.engine.spec.validate`; the model never builds layers (docs/ARCHITECTURE.md, rule 4).
While the spec is invalid, the layers before the first one that cannot be worked out still have
their shapes and receptive fields, so the list keeps showing them. An edit takes the index of the
selected layer and returns the index to select afterwards, or None when it changed nothing; the
selection itself stays the view's.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from cnnviz.engine import spec as specs
from cnnviz.engine.receptive import Field, receptive_fields
from cnnviz.engine.spec import LayerInfo, SpecError, Summary
from cnnviz.files import atomic_write

from .edit_history import EditHistory, conv_block

# What "Add" inserts: the required fields get a reasonable starting value.
NEW_LAYER = {
    "conv": {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
    "dense": {"type": "dense", "units": 64},
    "maxpool": {"type": "maxpool", "size": 2},
    "avgpool": {"type": "avgpool", "size": 2},
}


def partial_rows(spec: dict) -> list[LayerInfo]:
    """The layers that can be worked out before the first one that cannot (used to keep showing
    shapes while the spec is invalid)."""
    rows = []
    try:
        shape = tuple(spec["input"])
        if len(shape) != 3 or not all(isinstance(s, int) and s >= 1 for s in shape):
            return rows
        for index, raw in enumerate(spec["layers"]):
            config = specs.normalise_layer(raw, index)
            out, params, macs = specs.infer_layer(config, shape)
            if min(out) < 1:
                break
            rows.append(LayerInfo(index, config, shape, out, params, macs))
            shape = out
    except (SpecError, ValueError, TypeError, KeyError, ZeroDivisionError):
        pass
    return rows


def fields_of(rows: list[LayerInfo]) -> list[Field]:
    """The receptive field of each row's output (as many as can be worked out)."""
    if not rows:
        return []
    try:
        return receptive_fields(Summary(tuple(rows[0].in_shape), (), "", tuple(rows)))
    except (ValueError, TypeError, KeyError):
        return []


class ArchitectureModel:
    """The spec under edit (None until `set_spec`) and its validation: `summary` while it is
    valid, `error` (the engine's SpecError) while it is not; `rows` and `fields` hold, for each
    layer, its shapes and its receptive field, or None where they cannot be worked out."""

    def __init__(self):
        self._spec: dict | None = None
        self.summary: Summary | None = None
        self.error: SpecError | None = None
        self.rows: list[LayerInfo | None] = []
        self.fields: list[Field | None] = []
        self.history = EditHistory()

    # ---- the spec and what validation says of it --------------------------------------------

    @property
    def spec(self) -> dict | None:
        """The spec itself, not a copy: read it, edit it only through the methods below."""
        return self._spec

    @property
    def layers(self) -> list:
        return self._spec["layers"] if self._spec is not None else []

    def layer(self, index: int | None):
        """The raw layer (a dict, or whatever a file held) at `index`, None when there is none."""
        return self.layers[index] if self.has_layer(index) else None

    def has_layer(self, index: int | None) -> bool:
        return index is not None and 0 <= index < len(self.layers)

    def set_spec(self, spec: dict) -> None:
        """Edit a deep copy of `spec`; the history of the last one is dropped (its edits do not
        apply to another architecture)."""
        if not isinstance(spec, dict):
            raise TypeError(f"a spec is a dict, not {type(spec).__name__}")
        spec = copy.deepcopy(spec)
        if not isinstance(spec.get("layers"), list):
            layers = spec.get("layers")
            spec["layers"] = list(layers) if isinstance(layers, tuple) else []
        self._spec = spec
        self.history.clear()
        self._validate()

    def is_valid(self) -> bool:
        return self._spec is not None and self.error is None

    def error_message(self) -> str:
        """The engine's message for the current spec, '' when it is valid."""
        if self._spec is None:
            return "no architecture loaded"
        return str(self.error) if self.error else ""

    def error_layer(self) -> int | None:
        """Index of the layer the current error is about, or None."""
        return self.error.layer if self.error else None

    def error_field(self, index: int | None) -> str | None:
        """The field of layer `index` the current error is about, or None."""
        return self.error.field if index is not None and self.error_layer() == index else None

    def _validate(self) -> None:
        self.summary, self.error = None, None
        try:
            self.summary = specs.validate(self._spec)
        except SpecError as exc:
            self.error = exc
        known = list(self.summary.layers) if self.summary is not None else partial_rows(self._spec)
        missing = [None] * (len(self.layers) - len(known))
        self.rows = known + missing
        fields = fields_of(known)
        self.fields = fields + [None] * (len(self.layers) - len(fields))

    # ---- edits ------------------------------------------------------------------------------

    def conv_block(self, index: int | None) -> range | None:
        """The conv block layer `index` is in (what Remove conv block takes), or None."""
        return conv_block(self.layers, index) if self.has_layer(index) else None

    def can_move(self, index: int | None, step: int) -> bool:
        return self.has_layer(index) and self.has_layer(index + step)

    def add_layer(self, kind: str, selected: int | None) -> int | None:
        """Insert a new `kind` layer after the selected one (at the end when none is)."""
        if self._spec is None:
            return None
        at = len(self.layers) if selected is None else selected + 1
        self._edit(selected)
        self.layers.insert(at, copy.deepcopy(NEW_LAYER.get(kind, {"type": kind})))
        return self._edited(at)

    def remove_layer(self, index: int | None) -> int | None:
        if not self.has_layer(index):
            return None
        self._edit(index)
        del self.layers[index]
        return self._edited(index)

    def remove_block(self, index: int | None) -> int | None:
        """Remove the conv block of layer `index` in one edit (one undo brings it back)."""
        block = self.conv_block(index)
        if block is None:
            return None
        self._edit(index)
        del self.layers[block.start:block.stop]
        return self._edited(block.start)

    def duplicate_layer(self, index: int | None) -> int | None:
        """Insert a copy of layer `index` after it."""
        if not self.has_layer(index):
            return None
        self._edit(index)
        self.layers.insert(index + 1, copy.deepcopy(self.layers[index]))
        return self._edited(index + 1)

    def move_layer(self, index: int | None, step: int) -> int | None:
        if not self.can_move(index, step):
            return None
        self._edit(index)
        layers = self.layers
        layers[index], layers[index + step] = layers[index + step], layers[index]
        return self._edited(index + step)

    def set_field(self, index: int | None, name: str, value) -> bool:
        """Set field `name` of layer `index`; False (and no edit) when it already has that value
        or the layer is not a dict. Typing a number sets the field once per keystroke: one undo
        takes them all back (edit_history.py)."""
        raw = self.layer(index)
        if not isinstance(raw, dict) or (name in raw and raw[name] == value):
            return False
        self._edit(index, field=(index, name))
        raw[name] = value
        self._validate()
        return True

    def undo(self, selected: int | None) -> int | None:
        """Take the last edit back; the row selected before it, or None when there is none."""
        return self._restore(self.history.undo(self._spec, selected))

    def redo(self, selected: int | None) -> int | None:
        return self._restore(self.history.redo(self._spec, selected))

    def _edit(self, selected: int | None, field: tuple | None = None) -> None:
        self.history.record(self._spec, selected, field)

    def _edited(self, select: int) -> int:
        self._validate()
        return max(0, min(select, len(self.layers) - 1))

    def _restore(self, state: tuple[dict, int | None] | None) -> int | None:
        if state is None or self._spec is None:
            return None
        self._spec = state[0]
        self._validate()
        return state[1] if state[1] is not None else 0

    # ---- files ------------------------------------------------------------------------------

    def save(self, path) -> str | None:
        """Write the spec as JSON, atomically (cnnviz/files.py); why it could not, or None."""
        if self._spec is None:
            return "There is no architecture to save."
        if self.error is not None:
            return f"Fix the architecture first, it could not be opened again:\n{self.error}"
        path = Path(path)
        text = json.dumps(self._spec, indent=2) + "\n"
        try:
            with atomic_write(path, text=True) as handle:
                handle.write(text)
        except OSError as exc:
            return f"{path}: cannot write it ({exc.strerror or exc})"
        return None
