"""The window fits any screen from 1280x720 up: docks shrink (their panes scroll), the default
arrangement follows the window's size, and the counters stay in view in the status bar."""
import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QDockWidget

from cnnviz.app.window_layout import PaneScroll, arrange, bottom_height
from tests.app.settling import settle

# What a 1280x720 screen leaves a window: a panel and the title bar take about 60 px.
SMALLEST = (1280, 660)


def test_the_window_can_be_as_small_as_the_smallest_screen(window):
    hint = window.minimumSizeHint()
    assert hint.width() <= SMALLEST[0] and hint.height() <= SMALLEST[1]
    for dock in window.findChildren(QDockWidget):
        assert isinstance(dock.widget(), PaneScroll), dock.windowTitle()


@pytest.mark.parametrize("size, compact", [((1280, 660), True), ((1366, 710), True),
                                           ((1920, 1020), False)])
def test_the_default_arrangement_fits_the_window(qtbot, window, size, compact):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size)
    arrange(window, window.docks)
    settle(qtbot)  # the layout settles
    inside = QRect(0, 0, *size)
    docks = window.docks
    for dock in (docks.architecture, docks.input, docks.curves):
        assert dock.isVisible() and inside.contains(dock.geometry()), dock.windowTitle()
    status = window.statusBar()
    assert inside.contains(status.geometry())
    assert window.counters.isVisible() and window.counters.parent() is status
    tabbed = window.tabifiedDockWidgets(docks.curves)
    assert set(docks.tabs) <= set(tabbed)
    assert (docks.evaluation in tabbed) is compact
    if not compact:
        assert docks.evaluation.isVisible() and inside.contains(docks.evaluation.geometry())
    # The Input dock runs the whole height beside the bottom row: all of it in view.
    assert docks.input.geometry().bottom() >= docks.curves.geometry().bottom() - 2
    # Curves at its default height: tall enough for two readable plots.
    assert window.curves.height() >= 150
    assert docks.curves.height() <= bottom_height(size[1]) + 40
    # The side panes open wide enough to show all of their width.
    for dock in (docks.architecture, docks.input):
        assert dock.widget().horizontalScrollBar().isHidden() or \
            not dock.widget().horizontalScrollBar().isVisible(), dock.windowTitle()


def test_reset_layout_brings_back_closed_and_floating_docks(qtbot, window):
    docks = window.docks
    docks.input.close()
    docks.curves.setFloating(True)
    reset = next(a for a in window.menuBar().findChildren(type(window.train_action))
                 if a.text() == "Reset layout")
    reset.trigger()
    settle(qtbot)  # the layout settles
    assert docks.input.isVisible() and not docks.curves.isFloating()
    assert window.dockWidgetArea(docks.input).name == "RightDockWidgetArea"
