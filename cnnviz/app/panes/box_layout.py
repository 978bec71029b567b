"""Laying widgets out one above the other, as most panes do, in one call: the layout's margin
and spacing set, then the parts added in order."""
from __future__ import annotations

from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget


def stack(parent: QWidget, *parts, margin: int = 0, spacing: int = 2) -> QVBoxLayout:
    """A vertical layout of `parent` holding the parts, top to bottom: widgets, layouts, or
    (widget, stretch) pairs."""
    layout = QVBoxLayout(parent)
    layout.setContentsMargins(margin, margin, margin, margin)
    layout.setSpacing(spacing)
    for part in parts:
        part, stretch = part if isinstance(part, tuple) else (part, 0)
        if isinstance(part, QLayout):
            layout.addLayout(part, stretch)
        else:
            layout.addWidget(part, stretch)
    return layout
