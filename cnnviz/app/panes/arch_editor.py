"""Architecture editor pane: the network's layers as a list, edited as plain data.

A view over an `ArchitectureModel` (arch_model.py), which holds the spec, makes the edits (add,
remove, move, duplicate, a field in the form), undoes them and validates every one at once with
`cnnviz.engine.spec.validate`; the rows' texts come from arch_rows.py. An invalid spec marks the
offending layer in red and shows the engine's message under the list. `spec_changed(spec, valid)`
tells the app, which keeps Train disabled while the spec is invalid. The pane never builds layers
(docs/ARCHITECTURE.md, rule 4). Each row also gives the layer's receptive field
(engine/receptive.py): its size and jump, in input pixels, worked out for the layers before the
first error too.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from cnnviz.architectures import load_file
from cnnviz.engine import spec as specs
from cnnviz.engine.spec import LAYER_TYPES, SpecError

from .arch_model import ArchitectureModel
from .arch_rows import header_text, layer_rows, totals_text, warning
from .layer_form import ERROR_COLOUR, LayerForm
from .layer_list import LayerList
from .layer_settings import LAYER_HELP, layer_title

WIDTH_HINT = 340  # fits "maxpool 3x3" beside the other five columns

PANE_TIP = ("The network's layers in order, with the shape each one outputs, how much of the "
            "image each output value sees (RF: receptive field size / jump), how many numbers it "
            "learns (params) and how much arithmetic it does per image (MACs: mult-adds). Select a layer "
            "to change it; every edit is checked at once.")


class ArchitectureEditor(QWidget):
    """Edit an architecture spec. `spec_changed(spec, valid)` after every change of the spec
    (edits, `set_spec`, `load_file`); `spec` is a deep copy."""

    spec_changed = Signal(object, bool)

    def __init__(self, parent=None, message: Callable[[str, str], None] | None = None):
        super().__init__(parent)
        self.message = message or self._message_box  # (title, text); tests inject their own
        self.model = ArchitectureModel()
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

        self.tree = LayerList(self)
        self.tree.currentItemChanged.connect(self._selection_changed)
        QShortcut(QKeySequence.StandardKey.Delete, self.tree, self.remove_layer,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("Shift+Delete"), self.tree, self.remove_block,
                  context=Qt.ShortcutContext.WidgetShortcut)

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
        keep = self.current_index()
        self.model.set_spec(spec)
        self._changed(keep if keep is not None else 0)

    def undo(self) -> bool:
        """Take the last edit back; False when there is none."""
        return self._changed(self.model.undo(self.current_index()))

    def redo(self) -> bool:
        return self._changed(self.model.redo(self.current_index()))

    def spec(self) -> dict | None:
        """The current spec (a deep copy), valid or not; None before set_spec."""
        return copy.deepcopy(self.model.spec)

    def is_valid(self) -> bool:
        return self.model.is_valid()

    def error(self) -> str:
        """The engine's message for the current spec, '' when it is valid."""
        return self.model.error_message()

    def error_layer(self) -> int | None:
        """Index of the layer the current error is about, or None."""
        return self.model.error_layer()

    def summary(self) -> specs.Summary | None:
        """The validated summary of the current spec, None while it is invalid."""
        return self.model.summary

    def current_index(self) -> int | None:
        return self.tree.current_index()

    def select_layer(self, index: int) -> None:
        self.tree.select_layer(index)

    def load_file(self, path) -> bool:
        """Open an architecture JSON file into the editor; on an error show it and keep the
        current spec."""
        spec = self.read_file(path)
        if spec is not None:
            self.set_spec(spec)
        return spec is not None

    def read_file(self, path) -> dict | None:
        """The spec in an architecture JSON file, or None after showing why it cannot be read."""
        try:
            return load_file(path)  # (its recipe checked too)
        except SpecError as exc:
            self.message("Cannot open the architecture", str(exc))
            return None

    def save_file(self, path) -> bool:
        """Save the spec as JSON, atomically (cnnviz/files.py)."""
        problem = self.model.save(path)
        if problem is not None:
            self.message("Cannot save the architecture", problem)
        return problem is None

    # ---- edits: the model makes them, the pane shows them ----------------------------------

    def add_layer(self, kind: str) -> None:
        self._changed(self.model.add_layer(kind, self.current_index()))

    def remove_layer(self) -> None:
        self._changed(self.model.remove_layer(self.current_index()))

    def remove_block(self) -> None:
        """Remove the conv block of the selected layer in one edit (one undo brings it back)."""
        self._changed(self.model.remove_block(self.current_index()))

    def duplicate_layer(self) -> None:
        self._changed(self.model.duplicate_layer(self.current_index()))

    def move_layer(self, step: int) -> None:
        self._changed(self.model.move_layer(self.current_index(), step))

    def _field_changed(self, name: str, value) -> None:
        if self.model.set_field(self.current_index(), name, value):
            self._refresh(rebuild=False)  # the same rows: the form keeps its widgets and focus
            self._emit()

    def _changed(self, select: int | None) -> bool:
        """After the layers changed: rows anew, `select` selected; None: nothing changed."""
        if select is None:
            return False
        self._refresh(rebuild=True, select=select)
        self._emit()
        return True

    def _emit(self) -> None:
        self.spec_changed.emit(self.spec(), self.is_valid())

    # ---- display ----------------------------------------------------------------------------

    def _refresh(self, rebuild: bool, select: int | None = None) -> None:
        """Update the rows (recreated when `rebuild`), header, totals, message and form."""
        self.tree.show_rows(layer_rows(self.model), rebuild)
        self.header.setText(header_text(self.model.spec))
        self.totals_label.setText(totals_text(self.model.summary))
        error = self.model.error
        self.error_label.setText(warning(str(error)) if error else "")
        self.error_label.setVisible(error is not None)
        layers = self.model.layers
        if select is not None and layers:
            self.select_layer(max(0, min(select, len(layers) - 1)))
        self._selection_changed()

    def _selection_changed(self, *args) -> None:
        index = self.current_index()
        raw = self.model.layer(index)
        self.form.set_layer(raw)
        self.form_box.setTitle(layer_title(index, raw) if raw is not None else "Layer")
        self.form.mark_field(self.model.error_field(index))
        has = index is not None
        self.add_button.setEnabled(self.model.spec is not None)
        self.duplicate_button.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.remove_block_action.setEnabled(self.model.conv_block(index) is not None)
        self.up_button.setEnabled(self.model.can_move(index, -1))
        self.down_button.setEnabled(self.model.can_move(index, +1))

    def _message_box(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)
