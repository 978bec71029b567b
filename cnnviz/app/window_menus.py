"""The window's menu bar: File (file_actions.py), Edit (undo and redo of architecture edits)
and View (the canvas, the layout, gradients, and a switch for each pane's dock). Apart from the
window because a menu is only a list of entries, each a call on the window's parts."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget

from cnnviz.app.file_actions import FileActions, menu_action
from cnnviz.app.window_layout import arrange


def build_menus(window) -> FileActions:
    """Fill `window`'s (a MainWindow) menu bar; the File menu's actions are returned."""
    bar, editor, view_pane = window.menuBar(), window.editor, window.network_view
    files = FileActions(window, bar.addMenu("&File"))

    def edit(undo_or_redo, word: str) -> None:
        if not undo_or_redo():
            window.statusBar().showMessage(f"No architecture edit to {word}.", 5000)
    menu = bar.addMenu("&Edit")
    menu_action(menu, "Undo architecture edit", lambda: edit(editor.undo, "undo"), "Ctrl+Z")
    redo = menu_action(menu, "Redo architecture edit", lambda: edit(editor.redo, "redo"))
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    menu_action(menu, "Remove conv block", editor.remove_block)
    menu = bar.addMenu("&View")
    menu_action(menu, "Clear canvas", window.input.clear, "Ctrl+L")
    menu_action(menu, "Reset layout", lambda: arrange(window, window.docks))
    gradients = menu_action(menu, "Show gradients", view_pane.set_gradients, "G")
    gradients.setCheckable(True)
    gradients.setToolTip(view_pane.gradients_button.toolTip())
    view_pane.gradients_toggled.connect(gradients.setChecked)
    menu.addSeparator()
    for dock in window.findChildren(QDockWidget):  # show or hide each pane
        menu.addAction(dock.toggleViewAction())
    return files
