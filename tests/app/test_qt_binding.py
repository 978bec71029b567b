"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a method that
returns nothing, so any app aborts ("deallocating None") after a few thousand calls. The
dependency excludes that release; this test fails if an installed binding does it again."""
import sys

from PySide6.QtWidgets import QLabel


def test_void_calls_keep_none_alive(qapp):
    label = QLabel()
    label.setText("warm up")
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("x")
        label.setToolTip("y")
    assert abs(sys.getrefcount(None) - before) < 50
