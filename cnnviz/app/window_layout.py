"""Where the main window and its docks go, so that the window fits any screen from 1280x720 up.

Every dock holds its pane in a scroll area, so a dock can shrink below its pane's natural size
(the pane scrolls instead of pushing the window past the screen); each pane keeps a usable
minimum. The default arrangement is worked out from the window's size, at the first start and
at View > Reset layout, instead of being a fixed set of pixel sizes."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QTabBar, QWidget

# Below this the panes stop being useful: the scroll area shows the rest.
DOCK_MINIMUM = QSize(180, 120)
# Screens whose available height is below this get the compact arrangement: the Evaluation
# dock joins the Curves and Inspector tabs, so the bottom row is one short strip.
COMPACT_HEIGHT = 860
EVALUATION_WIDTH = 480  # the confusion matrix of ten classes with their names, at the least
INSPECTOR_WIDTH = 1000  # a conv cell's page: three grids, the receptive field and Play


class PaneScroll(QScrollArea):
    """A pane in a dock: it scrolls when the dock is smaller than the pane wants."""

    def __init__(self, pane: QWidget, minimum: QSize = DOCK_MINIMUM):
        super().__init__()
        self.pane = pane
        self.setWidget(pane)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumSize(minimum)
        self.setToolTip(pane.toolTip())

    def sizeHint(self) -> QSize:
        return self.pane.sizeHint()

    def natural_width(self) -> int:
        """The width that shows the whole pane's width, with room for a vertical scroll bar."""
        pane = self.pane
        return (max(pane.sizeHint().width(), pane.minimumSizeHint().width())
                + self.verticalScrollBar().sizeHint().width())


@dataclass(frozen=True)
class Docks:
    architecture: QDockWidget
    input: QDockWidget
    curves: QDockWidget
    evaluation: QDockWidget
    tabs: tuple[QDockWidget, ...]  # tabbed beside the Curves: the Inspector, Training health, ...


def fit_to_screen(window: QWidget) -> None:
    """Size the window to its screen's available area (what the taskbar and panels leave)."""
    screen = window.screen()
    if screen is None:
        return
    area = screen.availableGeometry()
    window.resize(area.size())
    window.move(area.topLeft())


def compact(height: int) -> bool:
    return height < COMPACT_HEIGHT


def bottom_height(window_height: int) -> int:
    """The bottom row's height: room for ten rows of the confusion matrix with their turned
    class names, and for the Inspector's three channel rows, on a big screen; a third of the
    window on a small one."""
    return max(170, min(420, round(window_height * 0.38)))


def arrange(window: QMainWindow, docks: Docks) -> None:
    """The default arrangement for the window's current size: Architecture left, Input right
    (full height), Curves (with docks.tabs as tabs: the Inspector, Training health, ...) and
    Evaluation at the bottom; on a short screen the Evaluation becomes one more tab there."""
    for dock in (docks.architecture, docks.input, docks.curves, docks.evaluation, *docks.tabs):
        dock.setFloating(False)
        dock.show()
    # The Input dock (the probe, its prediction) runs the window's whole height, beside the
    # bottom row: on a 768-pixel screen it is all in view, without scrolling.
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    window.addDockWidget(Qt.LeftDockWidgetArea, docks.architecture)
    window.addDockWidget(Qt.RightDockWidgetArea, docks.input)
    window.addDockWidget(Qt.BottomDockWidgetArea, docks.curves)
    window.addDockWidget(Qt.BottomDockWidgetArea, docks.evaluation)
    # The tabs go straight into the Curves' tab group (wherever they were): added side by side
    # first, their minimum widths would add up and widen a small window.
    if compact(window.height()):
        for dock in (*docks.tabs, docks.evaluation):
            window.tabifyDockWidget(docks.curves, dock)
    else:
        window.splitDockWidget(docks.curves, docks.evaluation, Qt.Horizontal)
        for dock in docks.tabs:
            window.tabifyDockWidget(docks.curves, dock)
        # The curves and the inspector get the wider share: all of the inspector's grids of
        # numbers if the confusion matrix keeps a usable width beside them.
        row = window.width() - docks.input.widget().natural_width()
        wide = max(row * 3 // 5, min(INSPECTOR_WIDTH, row - EVALUATION_WIDTH))
        window.resizeDocks([docks.curves, docks.evaluation], [wide, row - wide], Qt.Horizontal)
    for bar in window.findChildren(QTabBar):  # many tabs scroll, not widen the window
        bar.setUsesScrollButtons(True)
        bar.setElideMode(Qt.TextElideMode.ElideRight)
    docks.curves.raise_()
    sides = [docks.architecture, docks.input]
    window.resizeDocks(sides, [dock.widget().natural_width() for dock in sides], Qt.Horizontal)
    window.resizeDocks([docks.curves], [bottom_height(window.height())], Qt.Vertical)
