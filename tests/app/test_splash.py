"""The first start (app/splash.py, app/main.py): the engine warms up on a plain thread before the
window exists; a splash shows while numba compiles (or if the warm-up is slow), and closes once
the window has painted; a warm start shows none. Slow warm-ups are faked with a warm-up that
waits for the test, which lets it go once it has seen the splash."""
import threading

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from cnnviz.app.icon import APP_ID
from cnnviz.app.main import open_window
from cnnviz.app.splash import COMPILING, LOADING, EngineStartup, Splash
from cnnviz.engine.warmup import Progress, warm_up


@pytest.fixture(autouse=True)
def app_names_restored(qapp):
    """open_window names the application; give the other tests theirs back."""
    saved = (qapp.applicationName(), qapp.organizationName(), qapp.applicationDisplayName(),
             qapp.desktopFileName(), qapp.windowIcon())
    yield
    qapp.setApplicationName(saved[0])
    qapp.setOrganizationName(saved[1])
    qapp.setApplicationDisplayName(saved[2])
    qapp.setDesktopFileName(saved[3])
    qapp.setWindowIcon(saved[4])


def main_window_factory(tmp_path, made):
    from cnnviz.app.main_window import MainWindow

    class Window(MainWindow):
        painted = False

        def paintEvent(self, event):
            type(self).painted = True
            super().paintEvent(event)

    def make():
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
        made.append(Window(settings=settings, show_error=lambda title, text: None))
        return made[-1]
    return make


def looking_splash(seen: dict, release: threading.Event, windows=()):
    """A splash factory: once the splash is on screen, note what it shows and let the fake
    warm-up go on; when it hides, note whether the window (made by then) had painted."""
    class LookingSplash(Splash):
        def hideEvent(self, event):
            seen.setdefault("window painted before the splash hid",
                            bool(windows) and windows[0].painted)
            super().hideEvent(event)

    def make():
        splash = LookingSplash()

        def look():
            seen.update(visible=splash.isVisible(), message=splash.message.text(),
                        note=splash.note.text(), status=splash.status.text(),
                        bar=(splash.bar.value(), splash.bar.maximum()))
            seen["splash"] = splash
            release.set()
        QTimer.singleShot(0, look)
        return splash
    return make


def test_a_compiling_warm_up_shows_the_splash_until_the_window_has_painted(qtbot, tmp_path):
    release, seen, made = threading.Event(), {}, []

    def compiling(report):
        report(Progress(ready=7, total=16, compiled=9, compiling="conv_backward"))
        release.wait(30)
        report(Progress(ready=16, total=16, compiled=20, compiling=None, done=True))

    window, startup = open_window(QApplication.instance(), compiling,
                                  make_window=main_window_factory(tmp_path, made),
                                  show_after_ms=0, make_splash=looking_splash(seen, release, made))
    qtbot.addWidget(window)
    assert seen["visible"] and seen["message"] == COMPILING
    assert "first start only" in seen["note"].lower()
    assert "conv_backward" in seen["status"] and "7 of 16" in seen["status"]
    assert seen["bar"] == (7, 16)
    assert startup.splash is seen["splash"] and startup.progress.done
    qtbot.waitUntil(lambda: not startup.splash.isVisible(), timeout=10000)
    assert window.isVisible() and seen["window painted before the splash hid"]
    window.close()


def test_a_slow_warm_up_that_compiles_nothing_shows_the_splash_after_patience(qtbot):
    release, seen = threading.Event(), {}

    def loading(report):
        report(Progress(ready=3, total=16, compiled=0, compiling=None))
        release.wait(30)

    startup = EngineStartup(loading, show_after_ms=0, patience_ms=0,
                            make_splash=looking_splash(seen, release)).run()
    assert seen["visible"] and seen["message"] == LOADING
    assert seen["bar"][1] == 0  # busy: no count to show
    startup.splash.close()


def test_a_warm_start_shows_no_splash(qtbot):
    warm_up()  # compiled or loaded now, in this process: the next warm-up compiles nothing
    startup = EngineStartup(show_after_ms=0, patience_ms=60_000).run()
    assert startup.error is None
    assert startup.progress.done and startup.progress.compiled == 0
    assert startup.splash is None


def test_a_compile_shorter_than_show_after_shows_no_splash(qtbot):
    def quick(report):
        report(Progress(ready=1, total=16, compiled=1, compiling="_out_size"))
        report(Progress(ready=2, total=16, compiled=2, compiling=None, done=True))

    startup = EngineStartup(quick, show_after_ms=60_000, patience_ms=60_000).run()
    assert startup.splash is None and startup.progress.done


def test_when_the_splash_is_due():
    startup = EngineStartup(show_after_ms=300, patience_ms=2000)
    loading = Progress(ready=5, total=16, compiled=0, compiling=None)
    compiling = Progress(ready=5, total=16, compiled=0, compiling="conv_forward")
    compiled = Progress(ready=6, total=16, compiled=1, compiling=None)
    assert not startup.due(None, 0.1) and not startup.due(loading, 1.9)
    assert not startup.due(compiling, 0.2)
    assert startup.due(compiling, 0.3) and startup.due(compiled, 0.5)
    assert startup.due(None, 2.0) and startup.due(loading, 2.5)


def test_the_app_has_its_icon_id_and_title(qtbot, tmp_path):
    made = []
    window, startup = open_window(QApplication.instance(), lambda report: None,
                                  make_window=main_window_factory(tmp_path, made))
    qtbot.addWidget(window)
    app = QApplication.instance()
    assert not app.windowIcon().isNull()
    assert app.desktopFileName() == APP_ID
    assert app.applicationDisplayName() == "cnnviz"
    assert "cnnviz" in window.windowTitle()
    assert startup.splash is None
    window.close()


def test_a_failing_warm_up_still_opens_the_window(qtbot, capsys):
    def broken(report):
        raise RuntimeError("no compiler today")

    window, startup = open_window(QApplication.instance(), broken, make_window=QWidget)
    qtbot.addWidget(window)
    assert "no compiler today" in startup.error
    assert "warming up the engine failed" in capsys.readouterr().err
    assert window.isVisible()
