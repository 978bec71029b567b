"""Start the desktop app: the main window at once; the engine's kernels get ready behind it
(compiled on the first start, loaded from numba's cache later: app/engine_warmup.py), with their
progress in the status bar."""
from __future__ import annotations

import sys


def set_up_application(app) -> None:
    """The names and the icon the desktop shows for every window of the app."""
    from cnnviz.app.icon import APP_ID, app_icon
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    app.setApplicationDisplayName("cnnviz")
    app.setDesktopFileName(APP_ID)  # the Wayland app_id: the desktop entry's icon and name
    app.setWindowIcon(app_icon())


def run(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    set_up_application(app)
    from cnnviz.app.main_window import MainWindow
    window = MainWindow()
    window.show()
    return app.exec()
