"""Space trains or pauses wherever the keyboard focus is in the window, as the toolbar promises.

A focused spin box or combo box claims Space for itself (Qt asks the focus widget first, with a
ShortcutOverride event, and a line edit takes every printable key), so the shortcut fired only
while the network view or a pane had the focus. No number or choice in the toolbar or the panes
takes a space, so for those widgets the claim is turned down; text fields that do take spaces
keep them."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QSlider

# Widgets in which a space means nothing (a line edit inside one of them counts as it).
SPACELESS = (QAbstractSpinBox, QComboBox, QSlider, QAbstractButton)


def _spaceless(widget) -> bool:
    while widget is not None:
        if isinstance(widget, SPACELESS):
            return True
        if widget.isWindow():
            return False
        widget = widget.parentWidget()
    return False


class SpaceForTraining(QObject):
    """Install on the application: Space reaches the window's Space shortcut from any widget of
    `window` in SPACELESS."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Space
                and event.modifiers() == Qt.KeyboardModifier.NoModifier
                and isinstance(obj, QObject) and hasattr(obj, "window")
                and obj.window() is self.window and _spaceless(obj)):
            event.ignore()  # not claimed: the shortcut gets the key
            return True
        return False
