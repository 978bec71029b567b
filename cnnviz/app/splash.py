"""The first start: numba compiles the engine's kernels for this machine (15-20 s on 2 cores);
later starts load them from its cache. EngineStartup runs the warm-up (engine/warmup.py) on a
plain thread before the main window exists, so the window's worker is the only thread in the
engine from then on (docs/ARCHITECTURE.md, rule 6), and shows a splash with the progress while numba
compiles, or if the warm-up is slow for another reason. A warm start only loads kernels (or skips
the warm-up once it has marked the cache complete), ends before the splash is due and never
shows it."""
from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from cnnviz.app.icon import app_icon

COMPILING = "Compiling the engine's kernels for this machine…"
COMPILING_NOTE = "First start only: later starts load them from the cache."
COMPILED_NOTE = "Compiled for this machine: later starts load them from the cache."
LOADING = "Loading the engine…"
LOADING_NOTE = "Getting the compiled kernels ready."
OPENING = "Opening the window…"

STYLE = """
#card { background: #1f2a44; border: 1px solid #3d4f78; }
QLabel { color: #d9e0ee; background: transparent; }
#title { color: #ffffff; font-size: 26pt; font-weight: 600; }
#tagline { color: #9fb0cf; font-size: 10.5pt; }
#message { color: #ffffff; font-size: 11pt; font-weight: 600; }
#note, #status { color: #9fb0cf; font-size: 9.5pt; }
QProgressBar { background: #131b2e; border: 1px solid #3d4f78; border-radius: 3px; }
QProgressBar::chunk { background: #f2c744; border-radius: 2px; }
"""


class Splash(QWidget):
    """A frameless card: the icon, the name, a message, a progress bar and a status line."""

    def __init__(self, icon: QIcon | None = None):
        # Not kept on top: the first start takes a while, and the user may turn to other windows.
        super().__init__(None, Qt.SplashScreen | Qt.FramelessWindowHint)
        self.setWindowTitle("cnnviz")
        self.setAttribute(Qt.WA_DeleteOnClose, False)
        card = QFrame(self, objectName="card")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(card)
        picture = QLabel()
        icon = app_icon() if icon is None else icon
        picture.setPixmap(icon.pixmap(QSize(72, 72)))
        picture.setFixedSize(72, 72)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(QLabel("cnnviz", objectName="title"))
        names.addWidget(QLabel("Watch a convolutional neural network learn", objectName="tagline"))
        heading = QHBoxLayout()
        heading.setSpacing(18)
        heading.addWidget(picture, 0, Qt.AlignTop)
        heading.addLayout(names, 1)
        self.message = QLabel(LOADING, objectName="message")
        self.note = QLabel("", objectName="note")
        self.bar = QProgressBar(textVisible=False)
        self.bar.setFixedHeight(8)
        self.status = QLabel("", objectName="status")
        self.clock = QLabel("", objectName="status", alignment=Qt.AlignRight | Qt.AlignVCenter)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.clock)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(28, 26, 28, 22)
        layout.setSpacing(6)
        layout.addLayout(heading)
        layout.addSpacing(22)
        layout.addWidget(self.message)
        layout.addWidget(self.note)
        layout.addSpacing(8)
        layout.addWidget(self.bar)
        layout.addLayout(status_row)
        self.setStyleSheet(STYLE)
        self.clock.ensurePolished()  # the style sheet's font, for a width that fits "999 s"
        self.clock.setMinimumWidth(self.clock.fontMetrics().horizontalAdvance("999 s"))
        self.setFixedWidth(540)
        self._closing_for = None

    def show_progress(self, progress, seconds: float) -> None:
        """Show a warm-up Progress (None: nothing reported yet) `seconds` into it."""
        compiling = progress is not None and progress.compiles
        self.message.setText(COMPILING if compiling else LOADING)
        self.note.setText(COMPILING_NOTE if compiling else LOADING_NOTE)
        self.clock.setText(f"{seconds:.0f} s")
        if compiling:
            ready = min(progress.ready, progress.total)
            self.bar.setRange(0, progress.total)
            self.bar.setValue(ready)
            doing = f"{progress.compiling}   ·   " if progress.compiling else ""
            self.status.setText(f"{doing}{ready} of {progress.total} kernels")
        else:
            self.bar.setRange(0, 0)  # busy
            self.status.setText("")

    def show_opening(self) -> None:
        self.message.setText(OPENING)
        if self.note.text() == COMPILING_NOTE:
            self.note.setText(COMPILED_NOTE)
        self.bar.setRange(0, 1)
        self.bar.setValue(1)

    def show_centred(self) -> None:
        self.adjustSize()
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            frame = self.frameGeometry()
            frame.moveCenter(screen.availableGeometry().center())
            self.move(frame.topLeft())
        self.show()

    def finish(self, window: QWidget) -> None:
        """Close once `window` has painted (at once if it is not going to)."""
        if not window.isVisible():
            self.close()
            return
        self._closing_for = window
        window.installEventFilter(self)
        QTimer.singleShot(3000, self._close_for_window)  # in case no paint comes

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._closing_for and event.type() == QEvent.Paint:
            QTimer.singleShot(0, self._close_for_window)
        return False

    def _close_for_window(self) -> None:
        if self._closing_for is not None:
            self._closing_for.removeEventFilter(self)
            self._closing_for = None
        self.close()

    def mousePressEvent(self, event) -> None:  # a click does not dismiss it (QSplashScreen's does)
        event.accept()


class EngineStartup(QObject):
    """Runs `warm_up(report)` on a plain thread; wait() keeps the GUI's events going until it
    ends. The splash shows when the warm-up reports that numba is compiling and show_after_ms
    have passed, or when it is still running after patience_ms (a loaded machine, a slow disk)."""

    def __init__(self, warm_up: Callable | None = None, show_after_ms: int = 300,
                 patience_ms: int = 2000, poll_ms: int = 40,
                 make_splash: Callable[[], Splash] = Splash):
        super().__init__()
        self.warm_up, self.make_splash = warm_up, make_splash
        self.show_after, self.patience = show_after_ms / 1000, patience_ms / 1000
        self.splash: Splash | None = None
        self.progress = None       # the latest Progress the warm-up reported (any thread)
        self.error: str | None = None
        self.seconds: float | None = None  # how long the warm-up took
        self._thread: threading.Thread | None = None
        self._start = 0.0
        self._loop: QEventLoop | None = None
        self._timer = QTimer(self, interval=poll_ms)
        self._timer.timeout.connect(self._poll)

    def _report(self, progress) -> None:  # on the warm-up thread: only store it
        self.progress = progress

    def _work(self) -> None:
        try:
            warm_up = self.warm_up
            if warm_up is None:  # imported here: numba takes a while to import
                from cnnviz.app.panes.colour_kernel import warm_up as warm_up_drawing
                from cnnviz.engine.warmup import warm_up_unless_marked as warm_up
                warm_up(self._report)
                warm_up_drawing()  # the network view's colour kernel, off the GUI thread
            else:
                warm_up(self._report)
        except Exception:  # the window still opens; its worker reports what goes wrong
            self.error = traceback.format_exc()
            print(f"cnnviz: warming up the engine failed:\n{self.error}", file=sys.stderr)
        self.seconds = time.perf_counter() - self._start

    def start(self) -> None:
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._work, name="cnnviz engine warm-up")
        self._thread.start()
        self._timer.start()

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        """Process events until the warm-up has ended, then join its thread."""
        if self.running():
            self._loop = QEventLoop()
            self._loop.exec()
            self._loop = None
        self._timer.stop()
        if self._thread is not None:
            self._thread.join()

    def run(self) -> EngineStartup:
        self.start()
        self.wait()
        return self

    def due(self, progress, seconds: float) -> bool:
        """Whether the splash should show now, `seconds` into a warm-up that has not ended."""
        compiling = progress is not None and progress.compiles
        return (compiling and seconds >= self.show_after) or seconds >= self.patience

    def _poll(self) -> None:
        seconds = time.perf_counter() - self._start
        progress = self.progress
        if not self.running():
            if self.splash is not None:
                self.splash.show_progress(progress, seconds)
                self.splash.show_opening()
            self._timer.stop()
            if self._loop is not None:
                self._loop.quit()
            return
        if self.splash is None and self.due(progress, seconds):
            self.splash = self.make_splash()
            self.splash.show_progress(progress, seconds)
            self.splash.show_centred()
        elif self.splash is not None:
            self.splash.show_progress(progress, seconds)
