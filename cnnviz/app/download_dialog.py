"""Getting a dataset that is not on this machine, from the app: ask first, then download it on a
background thread behind a progress dialog whose Cancel works.

The thread calls catalog.download and nothing else (never the engine: docs/ARCHITECTURE.md, rule 6). It
keeps only the latest progress in one slot, which the GUI reads every REPORT_EVERY seconds (so
nothing piles up and the last figure is never lost), and reports its end through a queued Qt
signal. Cancel sets an event that
catalog.download polls between chunks; download.fetch keeps the bytes in NAME.part and renames a
file to its final name only once its size and SHA-256 are right, so a cancelled or failed download
never leaves a half-written dataset file, and the next try resumes from the .part.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QComboBox, QMessageBox, QProgressDialog

from cnnviz.data import catalog
from cnnviz.data.catalog import DatasetInfo
from cnnviz.data.errors import DataError

REPORT_EVERY = 0.05       # seconds between two looks at the download's progress
CANCEL_GRACE_MS = 1000    # how long Cancel waits for the thread before giving the app back
STATUS_MS = 20000         # how long a download's outcome stays in the status bar


def megabytes(size: int) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 10e6 else f"{size / 1e6:.1f} MB"


def dataset_label(info: DatasetInfo) -> str:
    """What the dataset chooser shows: the name, plus the download size if it is not here yet."""
    if info.builtin or info.locate() is not None:
        return info.name
    return f"{info.name} (download {megabytes(info.download_size)})"


def show_datasets(box: QComboBox, current: str | None = None) -> None:
    """Fill box with every dataset cnnviz knows (its name is the item data), label each with
    whether it must be downloaded first, and select current."""
    if box.count() == 0:
        for name in catalog.CATALOG:
            box.addItem(name, name)
    for index in range(box.count()):
        info = catalog.CATALOG.get(box.itemData(index))
        if info is not None:
            box.setItemText(index, dataset_label(info))
            box.setItemData(index, f"{info.title}: {info.description}\n{info.status()}",
                            Qt.ToolTipRole)
    if current is not None and box.findData(current) >= 0:
        box.setCurrentIndex(box.findData(current))


class DatasetDownloads(QObject):
    """Fetches missing datasets for a main window (it uses the window's show_error and status
    bar). `ask(info, folder) -> bool` asks the user first; tests replace it."""

    progress = Signal(object, object)   # bytes done, bytes in all (None if unknown), once shown
    finished = Signal(str, str)         # from the thread: "done", "cancelled" or "failed"; message

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ask = self.ask_with_message_box
        self.dialog: QProgressDialog | None = None
        self.download_thread: threading.Thread | None = None   # a daemon: never holds up quitting
        self.outcome: tuple[str, str] | None = None
        self.ended_at: float | None = None   # time.monotonic() when the last download ended
        self._info: DatasetInfo | None = None
        self._folder: Path | None = None
        self._cancel = threading.Event()
        self._loop: QEventLoop | None = None
        self._grace = QTimer(self, singleShot=True, interval=CANCEL_GRACE_MS)
        self._grace.timeout.connect(self._stop_waiting)
        self._latest: tuple[int, int | None] | None = None   # written by the thread only
        self._shown: tuple[int, int | None] | None = None
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._show_progress)
        self.finished.connect(self._ended)   # queued: runs in the GUI thread

    # ---- the GUI thread ---------------------------------------------------------------------

    def ensure(self, name: str) -> bool:
        """True when the dataset's files are on this machine, downloading them first if the user
        agrees; False (the user already told why) when declined, cancelled or failed. Returns once
        the download is over; the app stays live meanwhile (training goes on, panes update)."""
        try:
            info = catalog.info(name)
        except DataError as exc:
            self.window.show_error("Dataset not available", str(exc))
            return False
        if info.builtin or info.locate() is not None:
            return True
        if self.busy():
            self._status(f"The cancelled download of {self._info.title} is still stopping; "
                         "try again in a moment.")
            return False
        folder = catalog.cache_dir() / info.name
        if not self.ask(info, folder):
            self._status(f"{info.title} was not downloaded.")
            return False
        return self._download(info, folder)

    def busy(self) -> bool:
        return self.download_thread is not None and self.download_thread.is_alive()

    def ask_with_message_box(self, info: DatasetInfo, folder: Path) -> bool:
        count = len(info.files)
        resume = (" (continuing the partial download)"
                  if folder.is_dir() and any(folder.glob("*.part")) else "")
        text = (f"{info.title} is not on this machine yet.\n\n"
                f"Download it now? {megabytes(info.download_size)} in {count} "
                f"file{'s' if count != 1 else ''}{resume}, into\n{folder}\n\n"
                f"{info.description}\n{info.source}")
        answer = QMessageBox.question(self.window, f"Download {info.title}?", text,
                                      QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        return answer == QMessageBox.Yes

    def _download(self, info: DatasetInfo, folder: Path) -> bool:
        self._info, self.outcome = info, None
        self.ended_at = None
        self._cancel = threading.Event()   # a new one: a thread still stopping keeps its own
        self.dialog = self._progress_dialog(info, folder)
        self.dialog.canceled.connect(self._cancel_clicked)
        self.download_thread = threading.Thread(target=self._run, args=(info.name, self._cancel),
                                       name=f"cnnviz download {info.name}", daemon=True)
        self._loop = QEventLoop()
        self._latest = self._shown = None
        self._poll.start(max(1, round(REPORT_EVERY * 1000)))
        self.download_thread.start()
        self.dialog.show()
        self._status(f"Downloading {info.title}…")
        self._loop.exec()   # until the thread ends, or CANCEL_GRACE_MS after Cancel
        self._loop = None
        self._grace.stop()
        self._poll.stop()
        self.dialog.canceled.disconnect(self._cancel_clicked)
        self.dialog.hide()
        self.dialog.deleteLater()
        self.dialog = None
        if self.outcome is None:   # cancelled, and the thread is still waiting on the network
            return False           # _ended reports it once it stops
        self.download_thread.join()   # it has reported, which is the last thing it does
        outcome, message = self.outcome
        if outcome == "done":
            self._status(f"Downloaded {info.title} into {folder}.")
            return True
        if outcome == "cancelled":
            self._report_cancelled()
            return False
        self._status(f"Could not download {info.title}.")
        self.window.show_error(f"Could not download {info.title}", message)
        return False

    def _progress_dialog(self, info: DatasetInfo, folder: Path) -> QProgressDialog:
        dialog = QProgressDialog(self._label(info, folder, 0, info.download_size), "Cancel",
                                 0, 1000, self.window)
        dialog.setWindowTitle(f"Downloading {info.title}")
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)   # it closes when the thread ends, not when the bar is full
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        self._folder = folder
        return dialog

    @staticmethod
    def _label(info: DatasetInfo, folder: Path, done: int, total: int | None) -> str:
        amount = (f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total
                  else f"{done / 1e6:.1f} MB")
        return f"Downloading {info.title} into\n{folder}\n\n{amount}"

    @Slot()
    def _show_progress(self) -> None:
        dialog, latest = self.dialog, self._latest
        if dialog is None or self._cancel.is_set() or latest is None or latest == self._shown:
            return   # (setValue would show a cancelled dialog again)
        self._shown = done, total = latest
        dialog.setLabelText(self._label(self._info, self._folder, done, total))
        if total:
            dialog.setRange(0, 1000)
            dialog.setValue(min(1000, round(1000 * done / total)))
        else:
            dialog.setRange(0, 0)   # a busy bar when the size is unknown
        self.progress.emit(done, total)

    @Slot()
    def _cancel_clicked(self) -> None:
        self._cancel.set()
        self._status(f"Cancelling the download of {self._info.title}…")
        self._grace.start()

    @Slot()
    def _stop_waiting(self) -> None:
        if self._loop is not None:
            self._loop.quit()

    @Slot(str, str)
    def _ended(self, outcome: str, message: str) -> None:
        self.ended_at = time.monotonic()
        self._show_progress()   # the last figure
        self.outcome = (outcome, message)
        if self._loop is not None:
            self._loop.quit()
        elif outcome == "done":   # Cancel came too late: every file had arrived
            self._status(f"{self._info.title} is downloaded; choose it again to use it.")
        else:                     # a cancel that took longer than CANCEL_GRACE_MS to stop
            self._report_cancelled()

    def _report_cancelled(self) -> None:
        self._status(f"Download of {self._info.title} cancelled. What arrived is kept in "
                     f"{catalog.cache_dir() / self._info.name}; the next download continues it.")

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, STATUS_MS)

    # ---- the download thread -----------------------------------------------------------------

    def _run(self, name: str, cancel: threading.Event) -> None:
        def progress(done: int, total: int | None) -> None:
            self._latest = (done, total)   # one slot: a newer figure replaces an unread one
        try:
            catalog.download(name, progress=progress, cancel=cancel.is_set)
        except Exception as exc:
            message = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
            self._emit(self.finished, "cancelled" if cancel.is_set() else "failed", message)
        else:
            self._emit(self.finished, "done", "")

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:
            pass  # the window is gone (the app quit while a cancelled download was stopping)
