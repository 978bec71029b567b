"""The form for one layer's parameters, built from `cnnviz.engine.spec.FIELDS[type]`.

Part of the architecture editor pane: it edits plain data (a layer's dict in the spec) and says
which field changed; it never builds layers (docs/ARCHITECTURE.md, rule 4).
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

from cnnviz.engine.spec import FIELDS, Field, describe

ERROR_COLOUR = "#c0392b"

LAYER_HELP = {
    "conv": "Convolution: slides small learned filters over the input maps; each filter "
            "produces one output map that lights up where its pattern appears.",
    "relu": "ReLU: keeps positive values and sets negative ones to zero.",
    "leaky_relu": "Leaky ReLU: like ReLU, but negative values are scaled down instead of zeroed.",
    "tanh": "Tanh: squashes every value into the range -1 to 1.",
    "sigmoid": "Sigmoid: squashes every value into the range 0 to 1.",
    "maxpool": "Max pooling: keeps the largest value of each window, so the maps get smaller.",
    "avgpool": "Average pooling: averages each window, so the maps get smaller.",
    "flatten": "Flatten: lays the maps out as one long list of numbers, for dense layers.",
    "dense": "Dense (fully connected): every output is a weighted sum of all the inputs.",
    "dropout": "Dropout: while training, randomly zeroes a fraction of the values so the "
               "network cannot rely on any single one.",
    "batchnorm": "Batch normalisation: rescales each channel to mean 0 and variance 1, then "
                 "applies a learned scale and shift.",
}

FIELD_HELP = {
    ("conv", "filters"): "How many filters this layer learns; each gives one output map.",
    ("conv", "kernel"): "Width and height of each filter in pixels (3 means 3x3).",
    ("conv", "stride"): "How many pixels the filter moves each step; 2 halves the output size.",
    ("conv", "padding"): "Zero pixels added around the border. 'same' (below 0) pads so the "
                         "output keeps the input's size (needs an odd kernel and stride 1).",
    ("conv", "init"): "How the starting weights are drawn: 'he' suits ReLU, 'glorot' suits "
                      "tanh and sigmoid.",
    ("dense", "units"): "Number of outputs; each one is connected to every input value.",
    ("dense", "init"): "How the starting weights are drawn: 'he' suits ReLU, 'glorot' suits "
                       "tanh and sigmoid.",
    ("maxpool", "size"): "Width and height of the pooling window.",
    ("maxpool", "stride"): "Step between windows; by default equal to the size (no overlap).",
    ("avgpool", "size"): "Width and height of the pooling window.",
    ("avgpool", "stride"): "Step between windows; by default equal to the size (no overlap).",
    ("leaky_relu", "slope"): "How much of a negative value is kept (0 would be plain ReLU).",
    ("dropout", "rate"): "Fraction of values set to zero while training (none at test time).",
    ("batchnorm", "momentum"): "How quickly the running mean and variance follow each batch.",
    ("batchnorm", "eps"): "A small number added to the variance so it never divides by zero.",
}

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

    def _effective(self, raw: dict, name: str, field: Field):
        if name in raw:
            return raw[name]
        if isinstance(field.default, str) and field.default in self._fields:
            return self._effective(raw, field.default, self._fields[field.default])
        return field.default

    def _show_values(self, raw: dict) -> None:
        for name, field in self._fields.items():
            widget = self._widgets[name]
            value = self._effective(raw, name, field)
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


def layer_title(index: int, raw) -> str:
    """'Layer 3: conv 5x5' for the form's group box."""
    return f"Layer {index}: {describe(raw) if isinstance(raw, dict) else '?'}"
