"""Undo and redo for the architecture editor, and the extent of a conv block.

The editor edits plain data, so a step back is the spec (and the selected row) as it was: each
edit records the state before it. Typing a number changes a field once per keystroke; edits of
the same field of the same layer in a row count as one, so one undo takes the whole number
back."""
from __future__ import annotations

import copy

from cnnviz.engine.spec import ELEMENTWISE, POOLS

# What follows a conv inside its block: the nonlinearity, normalisation, dropout, then a pool.
BLOCK_PARTS = set(ELEMENTWISE)
LIMIT = 100  # steps kept


class EditHistory:
    def __init__(self):
        self.undo_stack: list[tuple[dict, int | None]] = []
        self.redo_stack: list[tuple[dict, int | None]] = []
        self._last_field: tuple | None = None

    def clear(self) -> None:
        self.undo_stack.clear()
        self.redo_stack.clear()
        self._last_field = None

    def record(self, spec: dict, selected: int | None, field: tuple | None = None) -> None:
        """Before an edit: remember `spec`. `field` = (layer, name) for a field edit."""
        if field is not None and field == self._last_field:
            return  # the same number being typed
        self._last_field = field
        self.undo_stack.append((copy.deepcopy(spec), selected))
        del self.undo_stack[:-LIMIT]
        self.redo_stack.clear()

    def undo(self, spec: dict, selected: int | None) -> tuple[dict, int | None] | None:
        """The state to go back to (the current one becomes redoable), or None."""
        return self._move(self.undo_stack, self.redo_stack, spec, selected)

    def redo(self, spec: dict, selected: int | None) -> tuple[dict, int | None] | None:
        return self._move(self.redo_stack, self.undo_stack, spec, selected)

    def _move(self, source, target, spec, selected):
        self._last_field = None
        if not source:
            return None
        target.append((copy.deepcopy(spec), selected))
        return source.pop()


def conv_block(layers: list, index: int) -> range | None:
    """The layers of the conv block that layer `index` belongs to: a conv, the nonlinearity and
    such after it, and the pool that ends it; None if `index` is in no conv block."""
    def kind(i):
        layer = layers[i]
        return layer.get("type") if isinstance(layer, dict) else None
    start = index
    while start >= 0 and kind(start) in BLOCK_PARTS | set(POOLS) and kind(start) != "conv":
        if kind(start) in POOLS and start != index:
            return None  # a pool before ours ends another block
        start -= 1
    if start < 0 or kind(start) != "conv":
        return None
    end = start + 1
    while end < len(layers) and kind(end) in BLOCK_PARTS:
        end += 1
    if end < len(layers) and kind(end) in POOLS:
        end += 1
    return range(start, end) if index < end else None
