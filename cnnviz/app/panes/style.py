"""Style-sheet changes that cost only when something changes."""
from PySide6.QtWidgets import QWidget


def set_style_sheet(widget: QWidget, sheet: str) -> None:
    """Set `widget`'s style sheet unless it already has this one: Qt re-polishes the widget on
    every call, even with the same text, which panes updated per snapshot cannot afford."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)
