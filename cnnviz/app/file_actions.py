"""The File menu and what it does: save and open a model (a `.cnnviz` file: weights, dataset,
training record and curves), export the weights (ONNX, safetensors, npz), open and save an
architecture (JSON), the recent models, and the "save the trained network first?" question
asked before anything discards unsaved training. Apart from the window because it is the one
place the app reads and writes files, and the one place it waits, in a nested event loop, for
the worker to pause (the network may be read only while it is paused, docs/ARCHITECTURE.md,
rule 6)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from cnnviz.app.panes import curve_history
from cnnviz.app.session_controller import PAUSED_STATES
from cnnviz.architectures import recipe_of
from cnnviz.data import catalog
from cnnviz.data.errors import DataError
from cnnviz.training.rebuild import mismatch

MODELS = "cnnviz models (*.cnnviz)"
EXPORTS = (("onnx", "ONNX (*.onnx)"), ("safetensors", "safetensors (*.safetensors)"),
           ("npz", "NumPy (*.npz)"))
RECENT = 8  # models in File > Recent models


def menu_action(menu, text, slot, shortcut=None):
    """An entry in `menu` that calls `slot`, with its keyboard shortcut."""
    action = menu.addAction(text, slot)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    return action

def wait_until_paused(session, timeout_ms: int = 5000) -> bool:
    """Wait, with the event loop running, until `session`'s worker says it is paused (its
    network is then safe to read from this thread); False if it did not within the timeout."""
    if not session.running:
        return True
    loop = QEventLoop()
    timer = QTimer(singleShot=True, interval=timeout_ms)
    timer.timeout.connect(loop.quit)

    def check(snap):
        if snap.state in PAUSED_STATES:
            loop.quit()
    session.snapshot.connect(check)
    latest = session.latest
    if latest is None or latest.state not in PAUSED_STATES:
        timer.start()
        loop.exec()
    session.snapshot.disconnect(check)
    latest = session.latest
    return latest is not None and latest.state in PAUSED_STATES


class FileActions:
    """The File menu of `window` (a MainWindow), which it fills, and the actions behind it."""

    def __init__(self, window, menu):
        self.window, self.controller = window, window.controller
        self.settings = window.settings
        menu_action(menu, "Open model…", self.open_model_dialog, "Ctrl+O")
        menu_action(menu, "Save model…", self.save_model_dialog, "Ctrl+S")
        export = menu.addMenu("Export weights")
        for fmt, pattern in EXPORTS:
            menu_action(export, pattern.split(" (")[0] + "…",
                        lambda f=fmt, p=pattern: self.export_dialog(f, p))
        menu.addSeparator()
        menu_action(menu, "Open architecture…", self.open_architecture_dialog)
        menu_action(menu, "Save architecture…", self.save_architecture_dialog)
        self.recent_menu = menu.addMenu("Recent models")
        self._refresh_recent()
        menu.addSeparator()
        menu_action(menu, "Quit", window.close, "Ctrl+Q")

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)

    # ---- models ---------------------------------------------------------------------------

    def save_model(self, path: str) -> bool:
        from cnnviz.training.modelfile import save_model
        window = self.window
        with self.controller.paused(wait_until_paused) as session:
            if session is None:
                window.show_error("Save model", "Training did not pause in time; try again.")
                return False
            snap = session.latest
            training = {"steps": snap.step, "epochs": snap.epoch, "seed": 0,
                        "hyperparameters": dict(snap.hyperparameters),
                        "test_accuracy": snap.test_accuracy,
                        "curves": curve_history.record(window.curves)}
            name, dataset = self.controller.dataset_name, self.controller.dataset
            try:
                save_model(path, session.network,
                           {"name": name, "preprocessing": catalog.preprocessing_of(name, dataset)},
                           training)
            except (OSError, DataError, ValueError) as exc:
                window.show_error("Save model", f"Could not save {path}:\n{exc}")
                return False
            self.controller.saved_step = snap.step
        window.setWindowModified(False)
        window.show_title(Path(path).name)
        self._remember(path)
        self._say(f"Saved {Path(path).name} (the weights of step {snap.step}).")
        return True

    def open_model(self, path: str) -> bool:
        """Train on from a model file, with its dataset (loaded first if it is another)."""
        from cnnviz.training.modelfile import load_model
        window = self.window
        try:
            model = load_model(path)
        except DataError as exc:
            window.show_error("Open model", str(exc))
            return False
        name = model.dataset.get("name", self.controller.dataset_name)
        if name != self.controller.dataset_name and name in catalog.CATALOG:
            if not window.load_dataset(name, download=True):
                return False
        problem = mismatch(model.network.input_shape, model.network.classes, self.controller.dataset)
        if problem:
            window.show_error("Open model", f"{path}: the network {problem}. Open it with the "
                              f"dataset it was trained on.")
            return False
        self.controller.show_spec(model.network.spec)
        window.start_session(model.network, model.training, Path(path).name)
        self._remember(path)
        return True

    def export(self, fmt: str, path: str) -> bool:
        from cnnviz.training import export as exporters
        writer = exporters.EXPORTERS[fmt]
        with self.controller.paused(wait_until_paused) as session:
            if session is None:
                self.window.show_error("Export", "Training did not pause in time; try again.")
                return False
            step = session.latest.step
            try:
                writer(session.network, path)
            except (OSError, ValueError) as exc:
                self.window.show_error("Export", f"Could not export {path}:\n{exc}")
                return False
        self._say(f"Exported {Path(path).name} (the weights of step {step}).")
        return True

    def may_discard(self, doing: str) -> bool:
        """Whether the trained network may go: yes if nothing trained is unsaved; otherwise the
        user chooses to save it first, to discard it, or to cancel what they were doing."""
        steps = self.controller.unsaved_steps()
        if steps is None:
            return True
        answer = self.window.ask_unsaved(f"The network has trained for {steps} steps since it "
                                         f"was last saved; {doing} starts a new one.")
        if answer == "save":
            return self.save_model_dialog()
        return answer == "discard"

    def ask_unsaved(self, text: str) -> str:
        """The question may_discard asks: "save", "discard" or "cancel"."""
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(self.window, "Save the trained network?", text, buttons,
                                      QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    # ---- the dialogs ----------------------------------------------------------------------

    def open_model_dialog(self) -> None:
        if not self.may_discard("opening a model"):
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", "", MODELS)
        if path:
            self.open_model(path)

    def save_model_dialog(self) -> bool:
        """Ask where, and save; False if the user cancelled or saving failed."""
        path, _ = QFileDialog.getSaveFileName(self.window, "Save model", "model.cnnviz", MODELS)
        return bool(path) and self.save_model(path)

    def export_dialog(self, fmt: str, pattern: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export weights", f"model.{fmt}", pattern)
        if path:
            self.export(fmt, path)

    def open_architecture_dialog(self) -> None:
        if not self.may_discard("opening an architecture"):
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open architecture", "", "JSON (*.json)")
        if path:
            self.open_architecture(path)

    def open_architecture(self, path: str) -> bool:
        """Train the architecture in a JSON file from new weights. The spec goes to the new
        session only: the one running must not rebuild its network to it first."""
        spec = self.window.editor.read_file(path)
        if spec is None:
            return False
        if "recipe" in spec:  # its own way to train it, as a preset's (else the settings stay)
            self.window.toolbar.take_recipe(recipe_of(spec), Path(path).name)
        return self.window.set_architecture(spec)

    def save_architecture_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save architecture", "network.json",
                                              "JSON (*.json)")
        if path:
            self.window.editor.save_file(path)

    # ---- recent models --------------------------------------------------------------------

    def _remember(self, path: str) -> None:
        recent = [p for p in (self.settings.value("recent", []) or []) if p != path]
        self.settings.setValue("recent", [path] + recent[:RECENT - 1])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.value("recent", []) or []:
            self.recent_menu.addAction(
                Path(path).name,
                lambda p=path: self.may_discard("opening a model") and self.open_model(p))
