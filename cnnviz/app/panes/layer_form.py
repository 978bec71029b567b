"""The form for one layer's parameters, built from `cnnviz.engine.spec.FIELDS[type]`.

Part of the architecture editor pane: it edits plain data (a layer's dict in the spec) and says
which field changed; it never builds layers (docs/ARCHITECTURE.md, rule 4). What it says of each
field (help, defaults) is in layer_settings.py.
"""
from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cnnviz.engine.spec import FIELDS, Field

from .layer_settings import FIELD_HELP, LAYER_HELP, effective_value

ERROR_COLOUR = "#c0392b"

FLOAT_STEPS = {"eps": 1e-5}


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows values compactly ('1e-05', '0.5') yet keeps 12 decimals."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(12)

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        if math.isfinite(value) and self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class LayerForm(QWidget):
    """Widgets for the selected layer's fields. `field_changed(name, value)` after a user edit."""

    field_changed = Signal(str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._type: str | None = None
        self._widgets: dict[str, QWidget] = {}
        self._labels: dict[str, QLabel] = {}
        self._fields: dict[str, Field] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._help = QLabel(self)
        self._help.setWordWrap(True)
        self._help.setStyleSheet("color: #505050; font-style: italic;")
        layout.addWidget(self._help)
        self._body = QWidget(self)
        self._form = QFormLayout(self._body)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addWidget(self._body)
        self.set_layer(None)

    # ---- public -----------------------------------------------------------------------------

    def layer_type(self) -> str | None:
        return self._type

    def field_widget(self, name: str) -> QWidget | None:
        return self._widgets.get(name)

    def set_layer(self, raw: dict | None) -> None:
        """Show `raw` (a layer dict from the spec): rebuild the widgets if its type changed,
        otherwise only update their values."""
        kind = raw.get("type") if isinstance(raw, dict) else None
        kind = kind if isinstance(kind, str) and kind in FIELDS else None
        if raw is None:
            self._rebuild(None, "Select a layer to edit its settings.")
        elif kind is None:
            shown = raw.get("type") if isinstance(raw, dict) else raw
            self._rebuild(None, f"Unknown layer type {shown!r}: remove this layer and add a "
                                f"new one.")
        elif kind != self._type:
            help_text = LAYER_HELP.get(kind, "")
            if not FIELDS[kind]:
                help_text += " It has no settings."
            self._rebuild(kind, help_text)
        if kind is not None:
            self._show_values(raw)

    def mark_field(self, name: str | None) -> None:
        """Show the label of the field an error is about in red (None: no field)."""
        for field_name, label in self._labels.items():
            bad = field_name == name
            label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;" if bad else "")

    # ---- building ---------------------------------------------------------------------------

    def _rebuild(self, kind: str | None, help_text: str) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
        self._widgets.clear()
        self._labels.clear()
        self._type = kind
        self._help.setText(help_text)
        self._fields = dict(FIELDS[kind]) if kind else {}
        for name, field in self._fields.items():
            widget = self._make_widget(name, field)
            tip = FIELD_HELP.get((kind, name), "")
            widget.setToolTip(tip)
            label = QLabel(name, self._body)
            label.setToolTip(tip)
            self._widgets[name] = widget
            self._labels[name] = label
            self._form.addRow(label, widget)
        self._body.setVisible(bool(self._fields))

    def _make_widget(self, name: str, field: Field) -> QWidget:
        if isinstance(field.kind, tuple):
            box = QComboBox(self._body)
            box.addItems([str(choice) for choice in field.kind])
            box.currentTextChanged.connect(lambda text, n=name: self._edited(n, text))
            return box
        if field.kind is int:
            spin = QSpinBox(self._body)
            low, high = int(field.low), int(field.high)
            if field.also:  # e.g. conv padding: the value just below the range means "same"
                spin.setSpecialValueText(str(field.also[0]))
                low -= 1
            spin.setRange(low, high)
            spin.valueChanged.connect(lambda value, n=name: self._edited(n, value))
            return spin
        spin = FloatSpinBox(self._body)
        step = FLOAT_STEPS.get(name, 0.01)
        low = field.low + step if field.low_open else field.low
        spin.setRange(low, field.high)
        spin.setSingleStep(step)
        spin.valueChanged.connect(lambda value, n=name: self._edited(n, value))
        return spin

    # ---- values -----------------------------------------------------------------------------

    def _show_values(self, raw: dict) -> None:
        for name, field in self._fields.items():
            widget = self._widgets[name]
            value = effective_value(raw, name, self._fields)
            widget.blockSignals(True)
            try:
                if isinstance(widget, QComboBox):
                    index = widget.findText(str(value))
                    if index >= 0 and index != widget.currentIndex():
                        widget.setCurrentIndex(index)
                elif isinstance(widget, QSpinBox):
                    if field.also and value in field.also:
                        number = widget.minimum()
                    elif isinstance(value, int) and not isinstance(value, bool):
                        number = value
                    else:  # a bad value from a file: the engine's message says what is wrong
                        number = int(field.low)
                    if number != widget.value():
                        widget.setValue(number)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    if float(value) != widget.value():
                        widget.setValue(float(value))
            finally:
                widget.blockSignals(False)

    def _edited(self, name: str, value) -> None:
        field = self._fields[name]
        widget = self._widgets[name]
        if isinstance(widget, QSpinBox) and field.also and value == widget.minimum():
            value = field.also[0]
        self.field_changed.emit(name, value)

