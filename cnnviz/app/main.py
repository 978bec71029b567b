"""Start the desktop app: the main window at once; the engine's kernels get ready behind it
(compiled on the first start, loaded from numba's cache later: app/engine_warmup.py), with their
progress in the status bar. The dataset the window opens with is made (Shapes, ~0.5 s) or read
on a thread of its own while Qt and the app's modules import."""
from __future__ import annotations

import sys
from concurrent.futures import Future, ThreadPoolExecutor


def set_up_application(app) -> None:
    """The names and the icon the desktop shows for every window of the app."""
    from cnnviz.app.icon import APP_ID, app_icon
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    app.setApplicationDisplayName("cnnviz")
    app.setDesktopFileName(APP_ID)  # the Wayland app_id: the desktop entry's icon and name
    app.setWindowIcon(app_icon())


def _opening_dataset():
    """(name, Dataset) of the dataset the window opens with (on the preloading thread)."""
    from PySide6.QtCore import QSettings

    from cnnviz.app import last_session, window_memory
    from cnnviz.data import catalog
    name = window_memory.opening_dataset(last_session.load(QSettings("cnnviz", "cnnviz")))
    return name, catalog.load(name)


def preload_dataset() -> Future:
    """Begin loading the dataset the window opens with: a Future of (name, Dataset)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="cnnviz dataset")
    future = pool.submit(_opening_dataset)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return future


def run(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    preloaded = preload_dataset()
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    set_up_application(app)
    from cnnviz.app.main_window import MainWindow
    window = MainWindow(preloaded=preloaded)
    window.show()
    return app.exec()
