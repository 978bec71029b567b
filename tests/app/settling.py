"""Waiting for Qt's layout to settle, instead of waiting a fixed time and hoping it did."""
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication


class LayoutRequests(QObject):
    """Counts LayoutRequest events delivered to any widget."""

    def __init__(self):
        super().__init__()
        self.count = 0
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event):
        self.count += event.type() == QEvent.Type.LayoutRequest
        return False

    def close(self):
        QApplication.instance().removeEventFilter(self)


def settle(qtbot) -> None:
    """Wait until a turn of the event loop lays nothing out any more (the first show's layout
    takes a few turns)."""
    def quiet() -> bool:
        requests = LayoutRequests()
        QApplication.processEvents()
        requests.close()
        return requests.count == 0
    qtbot.waitUntil(quiet, timeout=2000)
