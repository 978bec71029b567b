"""Start the desktop app."""
from __future__ import annotations

import sys


def run(argv: list[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from cnnviz.app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    app.setApplicationName("cnnviz")
    app.setOrganizationName("cnnviz")
    window = MainWindow()
    window.show()
    return app.exec()
