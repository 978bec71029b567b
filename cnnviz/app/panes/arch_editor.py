"""Architecture editor pane: the network's layers as a list, edited as plain data.

Every edit (add, remove, move, duplicate, a field in the form) changes the spec dict and validates
it at once with `cnnviz.engine.spec.validate`; an invalid spec marks the offending layer in red and
shows the engine's message under the list. `spec_changed(spec, valid)` tells the app, which keeps
Train disabled while the spec is invalid. The pane never builds layers (docs/ARCHITECTURE.md, rule 4).
Each row also gives the layer's receptive field (engine/receptive.py): its size and jump, in input
pixels, worked out for the layers before the first error too.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cnnviz.engine import spec as specs
from cnnviz.engine.receptive import Field, receptive_fields
from cnnviz.engine.spec import LAYER_TYPES, LayerInfo, SpecError, Summary, describe
from cnnviz.files import atomic_write

from .edit_history import EditHistory, conv_block
from .layer_form import ERROR_COLOUR, LayerForm
from .layer_settings import LAYER_HELP, layer_title

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
ERROR_BACKGROUND = "#fde2e0"
WIDTH_HINT = 340  # fits "maxpool 3x3" beside the other five columns
PENDING_COLOUR = "#8a8a8a"

# What "Add" inserts: the required fields get a reasonable starting value.
NEW_LAYER = {
    "conv": {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
    "dense": {"type": "dense", "units": 64},
    "maxpool": {"type": "maxpool", "size": 2},
    "avgpool": {"type": "avgpool", "size": 2},
}

PANE_TIP = ("The network's layers in order, with the shape each one outputs, how much of the "
            "image each output value sees (RF: receptive field size / jump), how many numbers it "
            "learns (params) and how much arithmetic it does per image (MACs: mult-adds). Select a layer "
            "to change it; every edit is checked at once.")


def compact(number: int) -> str:
    """1234 -> '1.2k', 2_500_000 -> '2.5M'; short enough for a narrow dock."""
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if number >= limit:
            value = number / limit
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(number)


def shape_text(shape) -> str:
    return "\u00d7".join(str(s) for s in shape)


def rf_text(field: Field) -> str:
    """'5 / 1' (size / jump) for a map layer, 'whole' (the whole image) for a flat one: short,
    so the six columns fit a narrow dock."""
    return "whole" if field.whole else f"{field.size} / {field.jump}"


def rf_tip(field: Field) -> str:
    if field.whole:
        return ("receptive field: the whole image; each output value depends on every input "
                "pixel")
    apart = f"{field.jump} input pixel{'' if field.jump == 1 else 's'}"
    return (f"receptive field: each output value sees a {field.size}\u00d7{field.size} patch of "
            f"the input; neighbouring values are {apart} apart")


def _partial_rows(spec: dict) -> list[LayerInfo]:
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


def _fields(input_shape, rows: list[LayerInfo]) -> list[Field]:
    """The receptive field of each row's output (as many as can be worked out)."""
    if not rows:
        return []
    try:
        return receptive_fields(Summary(tuple(input_shape), (), "", tuple(rows)))
    except (ValueError, TypeError, KeyError):
        return []


class ArchitectureEditor(QWidget):
    """Edit an architecture spec. `spec_changed(spec, valid)` after every change of the spec
    (edits, `set_spec`, `load_file`); `spec` is a deep copy."""

    spec_changed = Signal(object, bool)

    def __init__(self, parent=None, message: Callable[[str, str], None] | None = None):
        super().__init__(parent)
        self.message = message or self._message_box  # (title, text); tests inject their own
        self._spec: dict | None = None
        self._summary: specs.Summary | None = None
        self._error: SpecError | None = None
        self.setToolTip(PANE_TIP)

        self.header = QLabel(self)
        self.header.setWordWrap(True)

        self.add_button = QToolButton(self)
        self.add_button.setText("Add")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_button.setToolTip("Insert a new layer after the selected one.")
        menu = QMenu(self.add_button)
        menu.setToolTipsVisible(True)
        self.add_actions: dict[str, QAction] = {}
        for kind in LAYER_TYPES:
            action = menu.addAction(kind)
            action.setToolTip(LAYER_HELP.get(kind, ""))
            action.triggered.connect(lambda _=False, k=kind: self.add_layer(k))
            self.add_actions[kind] = action
        self.add_button.setMenu(menu)
        self.duplicate_button = QPushButton("Duplicate", self)
        self.duplicate_button.setToolTip("Insert a copy of the selected layer after it.")
        # Remove, with the whole conv block on its menu (the arrow): one more button would
        # widen the pane past its column.
        self.remove_button = QToolButton(self)
        self.remove_button.setText("Remove")
        self.remove_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.remove_button.setToolTip("Remove the selected layer (Delete key); the arrow offers "
                                      "the whole conv block.")
        remove_menu = QMenu(self.remove_button)
        remove_menu.setToolTipsVisible(True)
        remove_menu.addAction("Remove layer", self.remove_layer).setToolTip(
            "Remove the selected layer (Delete key).")
        self.remove_block_action = remove_menu.addAction("Remove conv block", self.remove_block)
        self.remove_block_action.setToolTip(
            "Remove the whole conv block the selected layer is in: the conv, its activation "
            "(and batch norm or dropout) and the pool that ends it (Shift+Delete).")
        self.remove_button.setMenu(remove_menu)
        self.up_button = QPushButton("\u2191", self)
        self.up_button.setToolTip("Move the selected layer one place earlier.")
        self.down_button = QPushButton("\u2193", self)
        self.down_button.setToolTip("Move the selected layer one place later.")
        for button in (self.up_button, self.down_button):
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("\u2193") + 24)
        self.duplicate_button.clicked.connect(self.duplicate_layer)
        self.remove_button.clicked.connect(self.remove_layer)
        self.up_button.clicked.connect(lambda: self.move_layer(-1))
        self.down_button.clicked.connect(lambda: self.move_layer(+1))
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.duplicate_button, self.remove_button,
                       self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        for column, tip in enumerate(HEADER_TIPS):
            self.tree.headerItem().setToolTip(column, tip)
        for column in (COL_INDEX, COL_RF, COL_PARAMS, COL_MACS):
            self.tree.headerItem().setTextAlignment(column, Qt.AlignmentFlag.AlignRight
                                                    | Qt.AlignmentFlag.AlignVCenter)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(16)
        for column in range(len(COLUMNS)):
            mode = (QHeaderView.ResizeMode.Stretch if column == COL_LAYER
                    else QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(column, mode)
        self.tree.currentItemChanged.connect(self._selection_changed)
        QShortcut(QKeySequence.StandardKey.Delete, self.tree, self.remove_layer,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("Shift+Delete"), self.tree, self.remove_block,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.history = EditHistory()  # undo and redo of the edits made here

        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
        self.totals_label = QLabel(self)
        self.totals_label.setWordWrap(True)

        self.form = LayerForm(self)
        self.form.field_changed.connect(self._field_changed)
        self.form_box = QGroupBox("Layer", self)
        box_layout = QVBoxLayout(self.form_box)
        box_layout.addWidget(self.form)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.totals_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.form_box)
        self._refresh(rebuild=True)

    def sizeHint(self) -> QSize:
        """Wide enough for every column of the list, with its scroll bar (a long network's list
        scrolls), so the dock opens without cut names."""
        hint = super().sizeHint()
        bar = self.tree.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), WIDTH_HINT + bar), hint.height())

    # ---- public API -------------------------------------------------------------------------

    def set_spec(self, spec: dict) -> None:
        """Show and edit `spec` (a deep copy is kept); emits spec_changed."""
        if not isinstance(spec, dict):
            raise TypeError(f"a spec is a dict, not {type(spec).__name__}")
        spec = copy.deepcopy(spec)
        if not isinstance(spec.get("layers"), list):
            layers = spec.get("layers")
            spec["layers"] = list(layers) if isinstance(layers, tuple) else []
        keep = self.current_index()
        self._spec = spec
        self.history.clear()  # another architecture: the edits of the last one do not apply
        self._refresh(rebuild=True, select=keep if keep is not None else 0)
        self._emit()

    def undo(self) -> bool:
        """Take the last edit back; False when there is none."""
        return self._restore(self.history.undo(self._spec, self.current_index()))

    def redo(self) -> bool:
        return self._restore(self.history.redo(self._spec, self.current_index()))

    def _restore(self, state) -> bool:
        if state is None or self._spec is None:
            return False
        self._spec = state[0]
        self._refresh(rebuild=True, select=state[1] if state[1] is not None else 0)
        self._emit()
        return True

    def spec(self) -> dict | None:
        """The current spec (a deep copy), valid or not; None before set_spec."""
        return copy.deepcopy(self._spec)

    def is_valid(self) -> bool:
        return self._spec is not None and self._error is None

    def error(self) -> str:
        """The engine's message for the current spec, '' when it is valid."""
        if self._spec is None:
            return "no architecture loaded"
        return str(self._error) if self._error else ""

    def error_layer(self) -> int | None:
        """Index of the layer the current error is about, or None."""
        return self._error.layer if self._error else None

    def summary(self) -> specs.Summary | None:
        """The validated summary of the current spec, None while it is invalid."""
        return self._summary

    def current_index(self) -> int | None:
        item = self.tree.currentItem()
        return self.tree.indexOfTopLevelItem(item) if item is not None else None

    def select_layer(self, index: int) -> None:
        item = self.tree.topLevelItem(index)
        if item is not None:
            self.tree.setCurrentItem(item)

    def load_file(self, path) -> bool:
        """Open an architecture JSON file; on an error show it and keep the current spec."""
        try:
            spec = specs.load(path)
        except SpecError as exc:
            self.message("Cannot open the architecture", str(exc))
            return False
        self.set_spec(spec)
        return True

    def save_file(self, path) -> bool:
        """Save the spec as JSON, atomically (cnnviz/files.py)."""
        if self._spec is None:
            self.message("Cannot save the architecture", "There is no architecture to save.")
            return False
        if self._error is not None:
            self.message("Cannot save the architecture",
                         f"Fix the architecture first, it could not be opened again:\n{self._error}")
            return False
        path = Path(path)
        text = json.dumps(self._spec, indent=2) + "\n"
        try:
            with atomic_write(path, text=True) as handle:
                handle.write(text)
        except OSError as exc:
            self.message("Cannot save the architecture",
                         f"{path}: cannot write it ({exc.strerror or exc})")
            return False
        return True

    # ---- edits ------------------------------------------------------------------------------

    def _layers(self) -> list:
        return self._spec["layers"] if self._spec is not None else []

    def _record(self, field: tuple | None = None) -> None:
        self.history.record(self._spec, self.current_index(), field)

    def add_layer(self, kind: str) -> None:
        if self._spec is None:
            return
        self._record()
        current = self.current_index()
        at = len(self._layers()) if current is None else current + 1
        self._layers().insert(at, copy.deepcopy(NEW_LAYER.get(kind, {"type": kind})))
        self._structure_changed(at)

    def remove_layer(self) -> None:
        index = self.current_index()
        if index is None:
            return
        self._record()
        del self._layers()[index]
        self._structure_changed(min(index, len(self._layers()) - 1))

    def remove_block(self) -> None:
        """Remove the conv block of the selected layer in one edit (one undo brings it back)."""
        index = self.current_index()
        block = None if index is None else conv_block(self._layers(), index)
        if block is None:
            return
        self._record()
        del self._layers()[block.start:block.stop]
        self._structure_changed(min(block.start, len(self._layers()) - 1))

    def duplicate_layer(self) -> None:
        index = self.current_index()
        if index is None:
            return
        self._record()
        self._layers().insert(index + 1, copy.deepcopy(self._layers()[index]))
        self._structure_changed(index + 1)

    def move_layer(self, step: int) -> None:
        index = self.current_index()
        layers = self._layers()
        if index is None or not 0 <= index + step < len(layers):
            return
        self._record()
        layers[index], layers[index + step] = layers[index + step], layers[index]
        self._structure_changed(index + step)

    def _structure_changed(self, select: int) -> None:
        self._refresh(rebuild=True, select=select)
        self._emit()

    def _field_changed(self, name: str, value) -> None:
        index = self.current_index()
        if index is None:
            return
        raw = self._layers()[index]
        if not isinstance(raw, dict) or (name in raw and raw[name] == value):
            return
        self._record(field=(index, name))
        raw[name] = value
        self._refresh(rebuild=False)
        self._emit()

    def _emit(self) -> None:
        self.spec_changed.emit(self.spec(), self.is_valid())

    # ---- display ----------------------------------------------------------------------------

    def _validate(self) -> None:
        self._summary, self._error = None, None
        if self._spec is None:
            return
        try:
            self._summary = specs.validate(self._spec)
        except SpecError as exc:
            self._error = exc

    def _refresh(self, rebuild: bool, select: int | None = None) -> None:
        """Validate, then update the rows (recreated when `rebuild`), totals, message and form."""
        self._validate()
        layers = self._layers()
        if rebuild or self.tree.topLevelItemCount() != len(layers):
            self.tree.blockSignals(True)
            self.tree.clear()
            self.tree.addTopLevelItems([QTreeWidgetItem() for _ in layers])
            self.tree.blockSignals(False)
        if self._summary is not None:
            rows = list(self._summary.layers)
        else:
            rows = _partial_rows(self._spec) if self._spec is not None else []
        fields = _fields(rows[0].in_shape, rows) if rows else []
        bad = self.error_layer()
        for index, raw in enumerate(layers):
            self._fill_row(self.tree.topLevelItem(index), index, raw,
                           rows[index] if index < len(rows) else None, index == bad,
                           fields[index] if index < len(fields) else None)
        self._show_header()
        self._show_totals(rows)
        self.error_label.setText(f"\u26a0 {self._error}" if self._error else "")
        self.error_label.setVisible(self._error is not None)
        if select is not None and layers:
            self.select_layer(max(0, min(select, len(layers) - 1)))
        self._selection_changed()

    def _fill_row(self, item: QTreeWidgetItem, index: int, raw, row: LayerInfo | None, bad: bool,
                  field: Field | None = None) -> None:
        label = describe(raw) if isinstance(raw, dict) else "?"
        if row is None:
            texts = (str(index), label, "?", "", "", "")
            tip = "Cannot be worked out until the error above it is fixed."
        else:
            in_shape, out_shape = row.in_shape, row.out_shape
            texts = (str(index), label, shape_text(out_shape),
                     rf_text(field) if field is not None else "",
                     compact(row.params), compact(row.macs))
            tip = (f"{label}: {shape_text(in_shape)} in, {shape_text(out_shape)} out\n"
                   f"{row.params:,} parameters, {row.macs:,} multiply-adds per image")
            if field is not None:
                tip += "\n" + rf_tip(field)
        if bad:  # the sign stays visible while the row is selected (the colours do not)
            texts = (texts[0], f"\u26a0 {label}") + texts[2:]
            tip = f"{self._error}"
        for column, text in enumerate(texts):
            item.setText(column, text)
            item.setToolTip(column, rf_tip(field) if column == COL_RF and field is not None
                            and not bad else tip)
            if column != COL_LAYER and column != COL_OUTPUT:
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
            if bad:
                item.setForeground(column, QBrush(QColor(ERROR_COLOUR)))
                item.setBackground(column, QBrush(QColor(ERROR_BACKGROUND)))
            elif row is None:
                item.setForeground(column, QBrush(QColor(PENDING_COLOUR)))
                item.setBackground(column, QBrush())
            else:
                item.setForeground(column, self.tree.palette().text())
                item.setBackground(column, QBrush())
        font = item.font(COL_LAYER)
        font.setBold(bad)
        for column in range(len(COLUMNS)):
            item.setFont(column, font)

    def _show_header(self) -> None:
        spec = self._spec
        if spec is None:
            self.header.setText("No architecture loaded.")
            return
        name = spec.get("name") if isinstance(spec.get("name"), str) else "architecture"
        shape = spec.get("input")
        classes = spec.get("classes")
        parts = [f"<b>{name}</b>"]
        if isinstance(shape, (list, tuple)):
            parts.append(f"input {shape_text(shape)}")
        if isinstance(classes, (list, tuple)):
            parts.append(f"{len(classes)} classes")
        self.header.setText(" \u00b7 ".join(parts))

    def _show_totals(self, rows) -> None:
        if self._summary is not None:
            self.totals_label.setText(f"Total: <b>{self._summary.params:,}</b> params, "
                                      f"<b>{self._summary.macs:,}</b> mult-adds per image")
        else:
            self.totals_label.setText("Total: shown once the architecture is valid.")

    def _selection_changed(self, *args) -> None:
        index = self.current_index()
        layers = self._layers()
        raw = layers[index] if index is not None and index < len(layers) else None
        self.form.set_layer(raw)
        self.form_box.setTitle(layer_title(index, raw) if raw is not None else "Layer")
        self.form.mark_field(self._error.field if self._error is not None
                             and self._error.layer == index and index is not None else None)
        has = index is not None
        self.add_button.setEnabled(self._spec is not None)
        self.duplicate_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.remove_block_action.setEnabled(has and conv_block(layers, index) is not None)
        self.up_button.setEnabled(has and index > 0)
        self.down_button.setEnabled(has and index < len(layers) - 1)

    def _message_box(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)
