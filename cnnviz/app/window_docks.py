"""Which dock holds which pane: each dock's title (its name in the saved window state too) and
tooltip, the side it starts on, and the docks that share the Curves' place as tabs. Apart from
the window so that adding a pane means one line here and one in the window's list of panes;
window_layout.py works out the sizes of this arrangement for the screen."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from cnnviz.app.window_layout import Docks, PaneScroll

# In the order of the View menu. The ones after Evaluation are tabs beside the Curves.
DOCK_TIPS = {
    "Architecture": "The network's layers: edit them, and see each layer's output shape and size.",
    "Input": "The probe: the image every pane shows the network working on.",
    "Curves": "How the loss falls and the accuracy rises as the network learns.",
    "Evaluation": "Which test images the network gets right and wrong, by class.",
    "Inspector": "The arithmetic behind the cell you clicked in the network view, live.",
    "Training health": "Per layer: how big the updates are against the weights, the gradients, "
                       "dead units.",
    "Weight update": "One weight's last update by the optimizer, new weight = weight − learning "
                     "rate × gradient, with the real numbers, and where its gradient comes from.",
    "Filter timeline": "A conv layer's filters at moments of training, from random noise to now.",
    "Top images": "For each filter and unit, the test images that excite it most; dead filters "
                  "marked.",
}


def _dock(window: QMainWindow, title: str, pane: QWidget, area) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(title)
    dock.setWidget(PaneScroll(pane))
    dock.setToolTip(DOCK_TIPS[title])
    window.addDockWidget(area, dock)
    return dock


def dock_panes(window: QMainWindow, panes) -> Docks:
    """A dock in `window` for each of `panes` (a session_controller.Panes) but the network
    view, which is the window's central widget."""
    bottom = Qt.BottomDockWidgetArea
    architecture = _dock(window, "Architecture", panes.editor, Qt.LeftDockWidgetArea)
    input_dock = _dock(window, "Input", panes.input, Qt.RightDockWidgetArea)
    curves = _dock(window, "Curves", panes.curves, bottom)
    evaluation = _dock(window, "Evaluation", panes.evaluation, bottom)
    inspector, health, weight, timeline, top_images = (
        _dock(window, title, pane, bottom) for title, pane in (
            ("Inspector", panes.inspector), ("Training health", panes.health),
            ("Weight update", panes.weight_step), ("Filter timeline", panes.timeline),
            ("Top images", panes.top_images)))
    docks = Docks(architecture, input_dock, curves, evaluation,
                  (inspector, weight, health, timeline, top_images))
    for dock in docks.tabs:  # at once: side by side, their minimum widths would add up
        window.tabifyDockWidget(curves, dock)
    return docks
