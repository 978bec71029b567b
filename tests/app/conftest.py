"""GUI tests run offscreen; a test that leaves a thread running fails (as napari's conftest).
Shared by the GUI tests: the `window` fixture (the main window, errors collected in
window.errors, "save first?" questions in window.unsaved_questions, answered Discard) and
`train_until` (a fixture giving the helper that trains the window's network to a step)."""
import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def no_thread_left_running():
    from cnnviz.app import engine_warmup
    engine_warmup.first_paint.set()  # many tests' windows are never shown: no wait for a paint
    before = {t.ident for t in threading.enumerate()}
    yield
    assert engine_warmup.join(180), "the engine's warm-up did not end"
    from cnnviz.app.worker import running_threads
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
            and not t.daemon]
    assert not left, f"threads left running: {[t.name for t in left]}"
    assert not running_threads(), "a training thread was left running"


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from cnnviz.app.main_window import MainWindow
    errors, asked = [], []
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    # No modal dialog may open in a test: "save the trained network?" answers Discard.
    win = MainWindow(settings=settings, show_error=lambda title, text: errors.append((title, text)),
                     ask_unsaved=lambda text: (asked.append(text), "discard")[1])
    win.errors, win.unsaved_questions = errors, asked
    qtbot.addWidget(win)
    win.resize(1400, 850)
    win.show()
    qtbot.waitUntil(win.train_action.isEnabled, timeout=180000)  # once the kernels are ready
    yield win
    win.close()


def _train_until(qtbot, win, steps, timeout=60000):
    if win.session.control.paused:
        win.train_action.trigger()
    qtbot.waitUntil(lambda: win.session.latest is not None and win.session.latest.step >= steps,
                    timeout=timeout)


@pytest.fixture
def train_until():
    """train_until(qtbot, win, steps, timeout=60000): press Train if paused, wait for the step."""
    return _train_until
