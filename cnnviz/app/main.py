"""Start the desktop app: the engine's kernels first (compiled on the first start behind a splash,
loaded from numba's cache afterwards: app/splash.py), then the main window."""
from __future__ import annotations

import sys
from collections.abc import Callable


def set_up_application(app) -> None:
    """The names and the icon the desktop shows for every window of the app."""
    from cnnviz.app.icon import APP_ID, app_icon
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    app.setApplicationDisplayName("cnnviz")
    app.setDesktopFileName(APP_ID)  # the Wayland app_id: the desktop entry's icon and name
    app.setWindowIcon(app_icon())


def open_window(app, warm_up: Callable | None = None, make_window: Callable | None = None,
                **startup_options):
    """Warm the engine up (a splash if it takes long), then build and show the main window; the
    splash closes once the window has painted. Returns (window, startup)."""
    from cnnviz.app.splash import EngineStartup

    set_up_application(app)
    # Before the window exists: the window's worker thread must be the only one in the engine.
    startup = EngineStartup(warm_up, **startup_options).run()
    if startup.splash is not None:
        startup.splash.show_opening()
        app.processEvents()  # paint "Opening the window…" before building the window
    if make_window is None:
        from cnnviz.app.main_window import MainWindow as make_window
    window = make_window()
    window.show()
    if startup.splash is not None:
        startup.splash.finish(window)
    return window, startup


def run(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    window, _startup = open_window(app)
    return app.exec()
