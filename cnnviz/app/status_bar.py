"""The window's status bar while training: the counters (epoch, step, speed, test accuracy) at
its right, the training loop's news, the Test action's result, and the value under the mouse in
the network view. It puts on screen what status_text.py (no Qt) decides, and is apart from the
window because these messages share one bar and must not wipe each other out."""
from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QStatusBar

from cnnviz.app import status_text
from cnnviz.app.panes.steady_label import SteadyLabel

REPORT_MS = 10000  # how long the Test action's result stays


class TrainingStatus:
    def __init__(self, bar: QStatusBar):
        self.bar = bar
        self.news, self.report = status_text.LoopNews(), status_text.EvaluationReport()
        self._hover = ""  # the text under the mouse last shown
        # Where no toolbar overflow can hide them. Rewritten with every snapshot: sized for the
        # usual text (SteadyLabel), so the bar is not laid out again.
        self.counters = SteadyLabel("  epoch 99   step 99999   9,999 images/s   "
                                    "test accuracy 100.0%  ")
        self.counters.setToolTip("Epoch (passes over the training set), step (batches), training "
                                 "speed and accuracy on the test images")
        self.kernel_bar = QProgressBar(textVisible=False, maximumWidth=160, maximumHeight=14)
        self.kernel_bar.setToolTip(status_text.COMPILING_TIP)
        self.kernel_bar.hide()
        self._kernels = ""  # what was last said about numba
        bar.addPermanentWidget(self.kernel_bar)
        bar.addPermanentWidget(self.counters)

    def show_kernels(self, progress, warming: bool) -> None:
        """numba compiling or loading the engine's kernels (a warm-up Progress): the message and
        a progress bar (busy while loading) until it is done."""
        text = status_text.kernels(progress, warming)
        if text:
            self.bar.showMessage(text)
            if progress.compiles:
                self.kernel_bar.setRange(0, max(progress.total, 1))
                self.kernel_bar.setValue(min(progress.ready, progress.total))
            else:
                self.kernel_bar.setRange(0, 0)
        elif self.bar.currentMessage() == self._kernels:
            self.bar.clearMessage()
        self.kernel_bar.setVisible(bool(text))
        self._kernels = text

    def show_snapshot(self, snap, test_images: int) -> None:
        """The counters, the Test result once it is in (out of `test_images`), the loop's news."""
        self.counters.setText(status_text.counters(snap))
        report = self.report.update(snap, test_images)
        if report:
            self.bar.showMessage(report, REPORT_MS)
        news = self.news.update(snap, self.bar.currentMessage())
        if news is not None:
            self.bar.showMessage(*news)

    def testing(self) -> None:
        """Test was pressed: say so until its result arrives."""
        self.bar.showMessage("Testing on the whole test set…")
        self.report.ask()

    def new_session(self) -> None:
        if self.news.forget(self.bar.currentMessage()):
            self.bar.clearMessage()  # news of the old session (a divergence) is past

    def show_hover(self, text: str) -> None:
        """The value under the mouse; leaving takes it away, but not another message."""
        if text:
            self.bar.showMessage(text)
        elif self.bar.currentMessage() == self._hover:
            self.bar.clearMessage()
        self._hover = text
