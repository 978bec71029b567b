"""The window opens before the engine's kernels are ready (app/engine_warmup.py): while numba
compiles, the status bar shows its progress and Train and Step wait; a worker stopped while it
waits for the kernels ends at once, having touched nothing; the status bar's words for it."""
import threading
import time

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from cnnviz.app import engine_warmup, status_text
from cnnviz.app.worker import TrainingSession
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.engine.warmup import Progress
from cnnviz.training.loop import TrainConfig

COMPILING = Progress(ready=12, total=40, compiled=12, compiling="conv_forward")


@pytest.fixture
def not_ready(monkeypatch):
    """The warm-up as on a first start, still compiling: set the returned Event to end it."""
    engine_warmup.join()  # the real one, if a test started it, is over
    ready = threading.Event()
    monkeypatch.setattr(engine_warmup, "_ready", ready)
    monkeypatch.setattr(engine_warmup, "_progress", COMPILING)
    monkeypatch.setattr(engine_warmup, "_thread", threading.current_thread())  # "started"
    return ready


def test_the_window_waits_for_the_kernels_showing_numba_at_work(qtbot, tmp_path, not_ready):
    from cnnviz.app.main_window import MainWindow
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings, show_error=lambda *args: None)
    qtbot.addWidget(win)
    engine_warmup.first_paint.clear()
    win.show()
    qtbot.waitUntil(engine_warmup.first_paint.is_set, timeout=5000)  # the warm-up may go on
    status = win.statusBar()
    qtbot.waitUntil(lambda: "12 of 40 ready" in status.currentMessage(), timeout=5000)
    assert status.currentMessage() == status_text.kernels(COMPILING, warming=True)
    assert win.status.kernel_bar.isVisible() and win.status.kernel_bar.value() == 12
    assert not win.train_action.isEnabled() and not win.step_action.isEnabled()
    assert win.reset_action.isEnabled() and win.arch_box.isEnabled()
    win.train_action.trigger()  # a key press on a disabled action does nothing
    assert win.session.control.paused
    not_ready.set()
    qtbot.waitUntil(win.train_action.isEnabled, timeout=5000)
    assert win.step_action.isEnabled() and not win.status.kernel_bar.isVisible()
    assert "kernels" not in status.currentMessage()
    qtbot.waitUntil(lambda: win.session.latest is not None, timeout=60000)  # the worker went on
    win.close()


def test_a_worker_stopped_while_waiting_for_the_kernels_ends_at_once(qtbot, not_ready):
    data = make_shapes(train_size=64, test_size=16)
    spec = fit_to_dataset(load_architecture("shapes-small"), data.input_shape, data.classes)
    session = TrainingSession(Network(spec, seed=0), data, TrainConfig(batch_size=16))
    ended, snapshots = [], []
    session.ended.connect(ended.append)
    session.snapshot.connect(snapshots.append)
    session.start()
    time.sleep(0.2)
    start = time.perf_counter()
    assert session.shutdown(timeout_ms=2000)
    assert time.perf_counter() - start < 0.5
    qtbot.waitUntil(lambda: ended == [""], timeout=2000)
    assert snapshots == []  # it never reached the engine


def test_wait_ready_returns_once_ready_or_when_stopped(not_ready):
    assert engine_warmup.wait_ready(lambda: True) is False
    assert not engine_warmup.ready() and engine_warmup.progress() is COMPILING
    threading.Timer(0.1, not_ready.set).start()
    assert engine_warmup.wait_ready(lambda: False) is True
    assert engine_warmup.ready() and engine_warmup.progress().done


def test_what_the_status_bar_says_about_the_kernels():
    warming = status_text.kernels(COMPILING, warming=True)
    assert warming == ("Compiling the engine's kernels for this machine (first time only): "
                       "12 of 40 ready · conv_forward")
    between = Progress(ready=13, total=40, compiled=13, compiling=None)
    assert status_text.kernels(between, warming=True).endswith("13 of 40 ready")
    assert status_text.kernels(between, warming=False) == ""  # later: only while one compiles
    first_use = Progress(ready=41, total=44, compiled=1, compiling="avgpool_forward")
    assert status_text.kernels(first_use, warming=False).endswith("· avgpool_forward")
    assert status_text.kernels(Progress(0, 40, 0, None), warming=True) == (
        "Loading the engine's kernels…")
    assert status_text.kernels(engine_warmup.DONE, warming=True) == ""


def test_no_full_collection_runs_while_numba_compiles_and_the_thresholds_come_back():
    import gc
    thresholds = gc.get_threshold()
    with engine_warmup._no_full_collections():
        assert gc.get_threshold()[:2] == thresholds[:2] and gc.get_threshold()[2] >= 2**30
        made = [[]]  # what the compilation made, garbage or kept
        assert any(obj is made for obj in gc.get_objects())
    assert gc.get_threshold() == thresholds
    assert not any(obj is made for obj in gc.get_objects())  # frozen: no collection scans it
    gc.unfreeze()  # the tests' own objects go back to the collector


def test_a_kernel_compiled_when_first_used_shows_in_the_status_bar_until_done(window):
    # What the worker reports from inside numba (compiles_reported) when a network needs a
    # kernel the warm-up left for later (average pooling here).
    status = window.statusBar()
    window.session.compiling.emit(Progress(ready=41, total=44, compiled=0,
                                           compiling="avgpool_forward"))
    QApplication.processEvents()
    assert status.currentMessage().endswith("· avgpool_forward")
    assert window.status.kernel_bar.isVisible() and window.train_action.isEnabled()
    window.session.compiling.emit(Progress(ready=42, total=44, compiled=1, compiling=None))
    QApplication.processEvents()
    assert status.currentMessage() == "" and not window.status.kernel_bar.isVisible()
