"""The one worker thread: it hosts the training loop and is the only thread that calls the
engine (docs/ARCHITECTURE.md, rules 5 to 7). The GUI steers it through the loop's Control and gets
snapshots through a one-slot mailbox: a newer snapshot replaces an unread one, so nothing piles
up however slow the GUI is (acq4 issue 595)."""
from __future__ import annotations

import threading
import weakref

from PySide6.QtCore import QObject, QThread, Signal

from cnnviz.app import engine_warmup, error_log
from cnnviz.data.dataset import Dataset
from cnnviz.engine.network import Network
from cnnviz.engine.warmup import compiles_reported
from cnnviz.training.control import Control
from cnnviz.training.loop import TrainConfig, TrainingRun
from cnnviz.training.snapshot import Snapshot


class LatestMailbox:
    """One slot holding the newest item."""

    def __init__(self):
        self._lock = threading.Lock()
        self._item = None

    def put(self, item) -> bool:
        """Store `item`; True if the slot was empty (the reader needs a nudge)."""
        with self._lock:
            was_empty = self._item is None
            self._item = item
            return was_empty

    def take(self):
        with self._lock:
            item, self._item = self._item, None
            return item


_threads: weakref.WeakSet[QThread] = weakref.WeakSet()


def running_threads() -> list[QThread]:
    """Worker threads still running (tests check that none is left behind)."""
    return [thread for thread in list(_threads) if thread.isRunning()]


class _WorkerThread(QThread):
    """Waits for the engine's kernels (engine_warmup.py), then runs the loop to its end in run():
    no event loop, so the thread ends when the loop does."""
    ready = Signal()          # the mailbox went from empty to full
    done = Signal(str)        # "" when the loop ended normally, else the error
    compiling = Signal(object)  # a warm-up Progress: the kernels ready, or numba compiling one

    def __init__(self, run: TrainingRun, mailbox: LatestMailbox):
        super().__init__()
        self.setObjectName("cnnviz training")
        self.training, self.mailbox = run, mailbox
        _threads.add(self)

    def run(self) -> None:
        error = ""
        try:
            if not engine_warmup.wait_ready(lambda: self.training.control.stopped):
                self.done.emit("")  # stopped before the kernels were ready: nothing ran
                return
            self.compiling.emit(engine_warmup.DONE)
            with compiles_reported(self.compiling.emit):  # kernels compiled when first used
                for snapshot in self.training.run():
                    if self.mailbox.put(snapshot):
                        self.ready.emit()
        except Exception as exc:  # one line in a dialog, the traceback in the log; the app goes on
            error = error_log.record(exc, "Training")
        self.done.emit(error)


class TrainingSession(QObject):
    """One network training on one dataset in the worker thread. Starts paused."""
    snapshot = Signal(object)   # a Snapshot, in the GUI thread, at most ~30 per second
    ended = Signal(str)         # the loop ended: "" or an error message
    compiling = Signal(object)  # a warm-up Progress, in the GUI thread

    def __init__(self, network: Network, dataset: Dataset, config: TrainConfig,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.control = Control(paused=True)
        self.dataset = dataset
        self._run = TrainingRun(network, dataset, self.control, config)
        self._mailbox = LatestMailbox()
        self._thread = _WorkerThread(self._run, self._mailbox)
        self._thread.ready.connect(self._deliver)   # queued: runs in the GUI thread
        self._thread.done.connect(self._finish)
        self._thread.compiling.connect(self.compiling)
        self.latest: Snapshot | None = None
        self.running = False

    @property
    def network(self) -> Network:
        """The network being trained: read it only while paused or after the session ended."""
        return self._run.network

    def start(self) -> None:
        self.running = True
        self._thread.start()

    def _deliver(self) -> None:
        snapshot = self._mailbox.take()
        if snapshot is not None:
            self.latest = snapshot
            self.snapshot.emit(snapshot)

    def _finish(self, error: str) -> None:
        self._deliver()
        self.running = False
        self.ended.emit(error)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the loop and wait for the thread to end (the flag, then wait; never terminate)."""
        self.control.stop()
        finished = self._thread.wait(timeout_ms)
        self.running = False
        return finished
