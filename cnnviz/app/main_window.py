"""The main window: the Training toolbar (toolbar.py), the network view in the centre, the
other panes as docks, the File menu. It edits plain data (the spec, the hyperparameters) and
steers the worker through its Control; it never calls the engine itself (docs/ARCHITECTURE.md,
rules 4 and 6)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QWidget,
)

from cnnviz.app import last_session
from cnnviz.app.download_dialog import DatasetDownloads
from cnnviz.app.panes import curve_history
from cnnviz.app.panes.arch_editor import ArchitectureEditor
from cnnviz.app.panes.curves import CurvesPane
from cnnviz.app.panes.evaluation import EvaluationPane
from cnnviz.app.panes.filter_timeline import FilterTimelinePane
from cnnviz.app.panes.health_dock import HealthPane
from cnnviz.app.panes.input_dock import InputPane
from cnnviz.app.panes.inspector import Inspector
from cnnviz.app.panes.network_view import NetworkView
from cnnviz.app.panes.top_images import TopImagesPane
from cnnviz.app.panes.weight_step import WeightStepPane
from cnnviz.app.status_bar import TrainingStatus
from cnnviz.app.toolbar import TrainingToolbar
from cnnviz.app.window_layout import Docks, PaneScroll, arrange, fit_to_screen
from cnnviz.app.worker import TrainingSession
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data import catalog
from cnnviz.data.augment import Augmentation
from cnnviz.data.errors import DataError
from cnnviz.engine.network import Network
from cnnviz.engine.spec import validate
from cnnviz.engine.weight_update import WeightRef
from cnnviz.training.loop import TrainConfig
from cnnviz.training.rebuild import mismatch

DEFAULT_DATASET, DEFAULT_ARCH = "shapes", "shapes-small"
PAUSED_STATES = ("paused", "stopped", "finished", "diverged")


def _count(value, default: int) -> int:
    """A step or epoch count from a model file's record (which may come from anywhere)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    return default


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, show_error=None, ask_unsaved=None):
        super().__init__()
        pg.setConfigOptions(imageAxisOrder="row-major")
        self.settings = settings or QSettings("cnnviz", "cnnviz")
        self.show_error = show_error or (lambda title, text: QMessageBox.warning(self, title, text))
        # (what would be lost) -> "save", "discard" or "cancel"; tests replace it.
        self.ask_unsaved = ask_unsaved or self._ask_unsaved
        self._saved_step = 0  # the step of the weights last saved (or opened, or started from)
        self.setWindowTitle("cnnviz")
        self.session: TrainingSession | None = None
        self.dataset = None
        self.dataset_name = DEFAULT_DATASET
        self.spec: dict | None = None
        self.specs_by_version: dict[int, dict] = {}
        self.probe = None
        self.status = TrainingStatus(self.statusBar())
        self.counters = self.status.counters
        self._spec_from_code = False  # the editor is being given a spec, not edited
        self._holding = False  # a save or an export waits for the session to pause
        self._build_panes()
        self._build_toolbar()
        self._build_menus()
        if not self.restoreGeometry(self.settings.value("window/geometry", b"")):
            fit_to_screen(self)
        # A saved arrangement comes back as it was; otherwise the default is worked out for
        # this size once the window is shown (dock sizes before that do not hold).
        self._arranged = self.restoreState(self.settings.value("window/state", b""))
        self._start_as_last_time()

    # ---- construction ---------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area, tip: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(PaneScroll(widget))
        dock.setToolTip(tip)
        self.addDockWidget(area, dock)
        return dock

    def _build_panes(self) -> None:
        self.network_view = NetworkView()
        self.setCentralWidget(self.network_view)
        # Every dialog goes through the window's show_error (tests replace it).
        self.editor = ArchitectureEditor(message=lambda title, text: self.show_error(title, text))
        self.input = InputPane(show_error=lambda _parent, title, text: self.show_error(title, text))
        self.curves = CurvesPane()
        self.evaluation = EvaluationPane()
        self._dock("Architecture", self.editor, Qt.LeftDockWidgetArea,
                   "The network's layers: edit them, and see each layer's output shape and size.")
        self._dock("Input", self.input, Qt.RightDockWidgetArea,
                   "The probe: the image every pane shows the network working on.")
        curves = self._dock("Curves", self.curves, Qt.BottomDockWidgetArea,
                            "How the loss falls and the accuracy rises as the network learns.")
        self.curves_dock = curves
        evaluation = self._dock("Evaluation", self.evaluation, Qt.BottomDockWidgetArea,
                                "Which test images the network gets right and wrong, by class.")
        # The inspector shares the curves' place; a click on a cell brings it forward.
        self.inspector = Inspector()
        self.inspector_dock = self._dock(
            "Inspector", self.inspector, Qt.BottomDockWidgetArea,
            "The arithmetic behind the cell you clicked in the network view, live.")
        self.health = HealthPane()
        self.health_dock = self._dock(
            "Training health", self.health, Qt.BottomDockWidgetArea,
            "Per layer: how big the updates are against the weights, the gradients, dead units.")
        self.health.warned.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.weight_step = WeightStepPane()
        self.weight_dock = self._dock(
            "Weight update", self.weight_step, Qt.BottomDockWidgetArea,
            "One weight's last update by the optimizer, new weight = weight − learning rate × "
            "gradient, with the real numbers, and where its gradient comes from.")
        self.weight_step.step_requested.connect(self.step)
        self.timeline = FilterTimelinePane()
        self.timeline_dock = self._dock(
            "Filter timeline", self.timeline, Qt.BottomDockWidgetArea,
            "A conv layer's filters at moments of training, from random noise to now.")
        self.top_images = TopImagesPane()
        self.top_images_dock = self._dock(
            "Top images", self.top_images, Qt.BottomDockWidgetArea,
            "For each filter and unit, the test images that excite it most; dead filters marked.")
        self.top_images.image_chosen.connect(self._choose_test_image)
        self.docks = Docks(self.findChild(QDockWidget, "Architecture"),
                           self.findChild(QDockWidget, "Input"), curves, evaluation,
                           (self.inspector_dock, self.weight_dock, self.health_dock,
                            self.timeline_dock, self.top_images_dock))
        for dock in self.docks.tabs:  # at once: side by side, their minimum widths would add up
            self.tabifyDockWidget(curves, dock)
        self.network_view.cell_clicked.connect(self._clicked)
        self.network_view.gradients_toggled.connect(self._send_gradients)
        self.inspector.weight_chosen.connect(self.watch_weight)
        self.editor.spec_changed.connect(self._spec_edited)
        self.input.probe_changed.connect(self._probe_changed)
        self.input.saliency_changed.connect(self._saliency_changed)
        self.input.fresh_errors_wanted.connect(self.evaluate_now)
        self.evaluation.image_chosen.connect(self._choose_test_image)
        self.network_view.hovered.connect(self.status.show_hover)

    def _build_toolbar(self) -> None:
        bar = self.toolbar = TrainingToolbar(self)
        self.addToolBar(bar)
        # Its controls, under the names the tests, scripts and benchmarks use.
        (self.dataset_box, self.arch_box, self.train_action, self.step_action, self.reset_action,
         self.evaluate_action, self.lr, self.momentum, self.batch, self.optimizer, self.augment) = (
            bar.dataset_box, bar.arch_box, bar.train_action, bar.step_action, bar.reset_action,
            bar.evaluate_action, bar.lr, bar.momentum, bar.batch, bar.optimizer, bar.augment)
        bar.dataset_chosen.connect(self._dataset_chosen)
        bar.architecture_chosen.connect(self._architecture_chosen)
        bar.train_action.triggered.connect(self.toggle_training)
        bar.step_action.triggered.connect(self.step)
        bar.reset_action.triggered.connect(self.reset)
        bar.evaluate_action.triggered.connect(self.evaluate_now)
        bar.hyperparameters_changed.connect(self._hyperparameters_changed)
        bar.note.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.downloads = DatasetDownloads(self)

    def _build_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self._action(menu, "Open model…", self.open_model_dialog, "Ctrl+O")
        self._action(menu, "Save model…", self.save_model_dialog, "Ctrl+S")
        export = menu.addMenu("Export weights")
        for fmt, suffix in (("onnx", "ONNX (*.onnx)"), ("safetensors", "safetensors (*.safetensors)"),
                            ("npz", "NumPy (*.npz)")):
            self._action(export, suffix.split(" (")[0] + "…",
                         lambda f=fmt, s=suffix: self.export_dialog(f, s))
        menu.addSeparator()
        self._action(menu, "Open architecture…", self.open_architecture_dialog)
        self._action(menu, "Save architecture…", self.save_architecture_dialog)
        self.recent_menu = menu.addMenu("Recent models")
        self._refresh_recent()
        menu.addSeparator()
        self._action(menu, "Quit", self.close, "Ctrl+Q")
        edit = self.menuBar().addMenu("&Edit")
        self._action(edit, "Undo architecture edit", self._undo_edit, "Ctrl+Z")
        redo = self._action(edit, "Redo architecture edit", self._redo_edit)
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self._action(edit, "Remove conv block", self.editor.remove_block)
        view = self.menuBar().addMenu("&View")
        self._action(view, "Clear canvas", self.input.clear, "Ctrl+L")
        self._action(view, "Reset layout", lambda: arrange(self, self.docks))
        gradients = self._action(view, "Show gradients", self.network_view.set_gradients, "G")
        gradients.setCheckable(True)
        gradients.setToolTip(self.network_view.gradients_button.toolTip())
        self.network_view.gradients_toggled.connect(gradients.setChecked)
        view.addSeparator()
        for dock in self.findChildren(QDockWidget):  # show or hide each pane
            view.addAction(dock.toggleViewAction())

    def _undo_edit(self) -> None:
        if not self.editor.undo():
            self.statusBar().showMessage("No architecture edit to undo.", 5000)

    def _redo_edit(self) -> None:
        if not self.editor.redo():
            self.statusBar().showMessage("No architecture edit to redo.", 5000)

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = menu.addAction(text, slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        return action

    # ---- dataset, architecture, session ---------------------------------------------------

    def _start_as_last_time(self) -> None:
        """The dataset, network and settings of the last session, or the defaults."""
        last = last_session.load(self.settings)
        self.toolbar.restore(last)
        name = DEFAULT_DATASET  # unless the last one is still on this machine
        if last.dataset in catalog.CATALOG and catalog.info(last.dataset).locate() is not None:
            name = last.dataset
        self.spec = last.spec
        if not (self.spec and self._load_quietly(name)):
            self.spec = None
            self.load_dataset(DEFAULT_DATASET, DEFAULT_ARCH)

    def _load_quietly(self, name: str) -> bool:
        """Load the last dataset; if it or the last network no longer work, say nothing here
        (the defaults follow)."""
        said = []
        shown, self.show_error = self.show_error, lambda title, text: said.append(text)
        try:
            return self.load_dataset(name) and not said
        finally:
            self.show_error = shown

    def _remember_session(self) -> None:
        last_session.save(self.settings, last_session.LastSession(
            self.dataset_name, self.editor.spec() if self.editor.is_valid() else None,
            **self.toolbar.hyperparameters(), augment=self.toolbar.augmenting()))

    def _dataset_chosen(self, name: str) -> None:
        if self.may_discard("switching the dataset"):
            self.load_dataset(name, download=True)
        else:
            self.toolbar.show_dataset(self.dataset_name)

    def _architecture_chosen(self, name: str) -> None:
        if self.may_discard("switching the network"):
            self.set_architecture(load_architecture(name))
        elif self.spec is not None:
            self.toolbar.show_architecture(self.spec.get("name"))

    def may_discard(self, doing: str) -> bool:
        """Whether the trained network may go: yes if nothing trained is unsaved; otherwise the
        user chooses to save it first, to discard it, or to cancel what they were doing."""
        latest = self.session.latest if self.session is not None else None
        if latest is None or latest.step <= self._saved_step:
            return True
        answer = self.ask_unsaved(f"The network has trained for {latest.step} steps since it was "
                                  f"last saved; {doing} starts a new one.")
        if answer == "save":
            return self.save_model_dialog()
        return answer == "discard"

    def _ask_unsaved(self, text: str) -> str:
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(self, "Save the trained network?", text, buttons,
                                      QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def load_dataset(self, name: str, arch: str | None = None, download: bool = False) -> bool:
        """Load a dataset and start a session on it. With download (the chooser), a dataset not
        on this machine is offered for download first; the previous one stays if it is not got."""
        try:
            if download and not self.downloads.ensure(name):
                self.toolbar.show_dataset(self.dataset_name)
                return False
            data = catalog.load(name)
        except DataError as exc:
            self.show_error("Dataset not available", str(exc))
            self.toolbar.show_dataset(self.dataset_name)
            return False
        self.dataset, self.dataset_name = data, name
        self.toolbar.show_dataset(name)
        info = catalog.info(name)
        self.input.configure(data.input_shape[0], tuple(data.input_shape[1:]), info.digit_like,
                             list(data.classes))
        self.input.set_test_set(data.test_x, data.test_y)
        if len(data.test_x):  # something to see at once: a test image is the probe
            self.input.show_test_image(0)
        self.evaluation.set_classes(list(data.classes))
        self.evaluation.set_test_images(data.test_x)
        self.evaluation.set_test_labels(data.test_y)
        self.top_images.set_test_set(data.test_x, data.test_y, data.classes)
        spec = load_architecture(arch) if arch else (self.spec or load_architecture(DEFAULT_ARCH))
        return self.set_architecture(spec)

    def set_architecture(self, spec: dict) -> bool:
        spec = fit_to_dataset(spec, self.dataset.input_shape, self.dataset.classes)
        self._show_spec(spec)
        if not self.editor.is_valid():
            self.show_error("Architecture does not fit", self.editor.error())
            return False
        self.spec = spec
        self.toolbar.show_architecture(spec.get("name"))
        self.start_session(Network(spec, seed=0))
        return True

    def start_session(self, network: Network, record: dict | None = None,
                      model_name: str | None = None) -> None:
        """Train `network` from here on; `record` (a model file's training record) continues
        its step and epoch count and its curves, `model_name` titles the window. A network that
        does not fit the dataset (the check train() makes) is refused with a message, and the
        session running goes on."""
        if self._holding:  # a save or an export is reading the session's network
            self.statusBar().showMessage("Saving: try again once it is done.", 5000)
            return
        problem = mismatch(network.input_shape, network.classes, self.dataset)
        if problem:
            self.show_error("Cannot train", f"The network {problem}.")
            return
        self.stop_session()
        record = record or {}
        augmentation = None
        if self.toolbar.augmenting():
            digit_like = catalog.info(self.dataset_name).digit_like
            augmentation = Augmentation.for_digits() if digit_like else Augmentation.for_photos()
        hyper = self.toolbar.hyperparameters()
        config = TrainConfig(epochs=None, batch_size=hyper["batch_size"], lr=hyper["lr"],
                             momentum=hyper["momentum"], optimizer=hyper["optimizer"],
                             augmentation=augmentation, start_step=_count(record.get("steps"), 0),
                             start_epoch=_count(record.get("epochs"), 1))
        self.spec = network.spec
        self.specs_by_version = {0: network.spec}
        self._saved_step = config.start_step
        self.network_view.set_network(network.summary)
        self.top_images.set_network(network.summary)
        self.inspector.set_network(network.summary)  # another network: nothing inspected
        self.weight_step.set_network(network.summary,
                                     keep=network.summary == self.weight_step.summary)
        history = curve_history.parse(record.get("curves"))
        if history:
            self.curves.restore(history)
        else:
            self.curves.reset()
        self.evaluation.clear()  # of weights that are gone
        self.health.reset()
        self.timeline.reset()
        self.status.new_session()
        self.session = TrainingSession(network, self.dataset, config, self)
        self.session.snapshot.connect(self._on_snapshot)
        self.session.ended.connect(self._session_ended)
        if self.probe is not None and self.probe.shape == network.input_shape:
            self.session.control.set_probe(self.probe)
        if self.inspector.request is not None:  # Reset: the same cell, with new weights
            self.session.control.set_inspection(self.inspector.request)
        self.session.control.set_weight(self.weight_step.ref)
        self._send_gradients()
        self.session.control.set_saliency(*self.input.saliency_choice())
        self.session.start()
        self.toolbar.show_running(False)
        self.model_name = model_name
        self._network_title = f"{network.spec.get('name') or 'network'} on {self.dataset.name}"
        self._show_title()

    def _show_title(self) -> None:
        """The model file's name (once there is one), the network and the dataset. It ends with
        the app's display name, so Qt does not append it again; [*] is where Qt shows the
        modified mark (training not saved yet)."""
        name = f"{self.model_name}[*] · " if self.model_name else ""
        self.setWindowTitle(f"{name}{self._network_title}{'' if name else '[*]'} — cnnviz")

    def stop_session(self) -> None:
        if self.session is not None:
            self.session.snapshot.disconnect(self._on_snapshot)
            self.session.ended.disconnect(self._session_ended)
            self.session.shutdown()
            self.session = None

    def _session_ended(self, error: str) -> None:
        if error:
            self.show_error("Training stopped", error)
        self.toolbar.show_running(False)

    # ---- training controls ----------------------------------------------------------------

    def toggle_training(self) -> None:
        if self.session is None or not self.editor.is_valid():
            return
        if self.session.control.paused:
            self.session.control.resume()
            self.toolbar.show_running(True)
        else:
            self.session.control.pause()
            self.toolbar.show_running(False)

    def step(self) -> None:
        if self.session is not None and self.editor.is_valid():
            self.session.control.step(1)
            self.toolbar.show_running(False)

    def evaluate_now(self) -> None:
        if self.session is not None:
            self.session.control.request_evaluation()
            self.status.testing()

    def reset(self) -> None:
        if self.spec is not None and self.editor.is_valid():
            self.start_session(Network(self.editor.spec(), seed=0))

    def _hyperparameters_changed(self, *_) -> None:
        if self.session is not None:
            self.session.control.set_hyperparameters(**self.toolbar.hyperparameters())

    def _show_spec(self, spec: dict) -> None:
        """Put a spec in the editor from code (a preset, another dataset, a model file): a new
        session follows, so the one running must not rebuild its network to it first."""
        self._spec_from_code = True
        try:
            self.editor.set_spec(spec)
        finally:
            self._spec_from_code = False

    def _spec_edited(self, spec: dict, valid: bool) -> None:
        self.toolbar.allow_training(valid)
        if self._spec_from_code:
            return
        if valid and self.session is not None and spec != self.spec:
            self.spec = spec
            version = max(self.specs_by_version) + 1
            self.specs_by_version[version] = spec
            self.session.control.set_spec(spec)  # rebuilt in the worker, unchanged layers kept

    def _probe_changed(self, probe) -> None:
        self.probe = probe
        self.network_view.set_probe(probe)
        self.inspector.set_probe(probe)
        if self.session is not None:
            self.session.control.set_probe(probe)
            self._send_gradients()

    def _saliency_changed(self, mode, class_index) -> None:
        """Saliency / Grad-CAM chosen in the Input dock: the worker computes it (None: stops)."""
        if self.session is not None:
            self.session.control.set_saliency(mode, class_index)
            self._send_gradients()
        if mode is None:
            self.network_view.saliency.clear()

    def _clicked(self, request) -> None:
        if isinstance(request, WeightRef):
            self.watch_weight(request)
        else:
            self.inspect(request)

    def watch_weight(self, ref) -> None:
        """Follow one weight's updates in the Weight update dock (a WeightRef; None: none)."""
        self.weight_step.set_weight(ref)
        if self.session is not None:
            self.session.control.set_weight(ref)
        if ref is not None:
            self.weight_dock.show()
            self.weight_dock.raise_()

    def _send_gradients(self, *_) -> None:
        """The class whose loss the worker backpropagates on the probe: its true class for a
        test image, else the class chosen under Explain, else the predicted one; gradient maps
        only while the view shows them."""
        if self.session is not None:
            chosen = self.input.true_class
            if chosen is None:
                chosen = self.input.saliency_choice()[1]
            self.session.control.set_gradients(self.network_view.show_gradients, chosen)

    def inspect(self, request) -> None:
        """Show the arithmetic of a cell (an InspectRequest; None: nothing): the worker works
        it out with every snapshot from now on."""
        self.inspector.set_request(request)
        if self.session is not None:
            self.session.control.set_inspection(request)
        if request is not None:
            self.inspector_dock.show()
            self.inspector_dock.raise_()

    def _choose_test_image(self, index: int) -> None:
        self.input.show_test_image(index)

    def _on_snapshot(self, snap) -> None:
        spec = self.specs_by_version.get(snap.network_version)
        if spec is not None and snap.network_version != getattr(self, "_view_version", 0):
            self._view_version = snap.network_version
            summary = validate(spec)
            self.network_view.set_network(summary)
            self.top_images.set_network(summary)
            if self.inspector.set_network(summary) and self.session is not None:
                self.session.control.set_inspection(None)
            self.weight_step.set_network(summary, keep=True)  # the worker says if it is gone
        self.network_view.update_snapshot(snap)
        self.inspector.update_snapshot(snap)
        self.curves.add_snapshot(snap)
        self.health.add_snapshot(snap)
        self.weight_step.update_snapshot(snap)
        self.timeline.add_snapshot(snap)
        self.evaluation.update_snapshot(snap)
        self.top_images.update_snapshot(snap)
        self.input.show_prediction(snap.probe_probabilities)
        self.input.show_saliency(snap.saliency, snap.saliency_mode, snap.saliency_class)
        self.input.set_misclassified(snap.misclassified, snap.evaluation_step)
        self.status.show_snapshot(snap, len(self.dataset.test_y))
        self.setWindowModified(snap.step > self._saved_step)
        if snap.state in PAUSED_STATES and self.session is not None:
            # The control, not the snapshot, says whether training runs: a paused snapshot
            # sent just before Train was pressed arrives after it.
            self.toolbar.show_running(snap.state in ("paused", "diverged")
                               and not self.session.control.paused)

    # ---- files ----------------------------------------------------------------------------

    def _pause_and_wait(self, session, timeout_ms: int = 5000) -> bool:
        """Pause `session` and wait until its worker says it is paused (then its network is
        safe to read from this thread)."""
        if not session.running:
            return True
        session.control.pause()
        self.toolbar.show_running(False)
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

    @contextmanager
    def _paused(self):
        """The session, paused while the block reads its network (None if it could not be),
        then resumed if it was running: saving is no reason to stop training. While the block
        waits (an event loop runs), no action may replace the session under it (Reset, another
        dataset or network): start_session refuses."""
        session = self.session
        if session is None:
            yield None
            return
        was_running = not session.control.paused
        self._holding = True
        paused = False
        try:
            paused = self._pause_and_wait(session)
            yield session if paused else None
        finally:
            self._holding = False
            if was_running and paused and session is self.session:
                session.control.resume()
                self.toolbar.show_running(True)

    def save_model(self, path: str) -> bool:
        from cnnviz.training.modelfile import save_model
        with self._paused() as session:
            if session is None:
                self.show_error("Save model", "Training did not pause in time; try again.")
                return False
            snap = session.latest
            training = {"steps": snap.step, "epochs": snap.epoch, "seed": 0,
                        "hyperparameters": dict(snap.hyperparameters),
                        "test_accuracy": snap.test_accuracy,
                        "curves": curve_history.record(self.curves)}
            try:
                save_model(path, session.network,
                           {"name": self.dataset_name, "preprocessing":
                            catalog.preprocessing_of(self.dataset_name, self.dataset)},
                           training)
            except (OSError, DataError, ValueError) as exc:
                self.show_error("Save model", f"Could not save {path}:\n{exc}")
                return False
            self._saved_step = snap.step
        self.setWindowModified(False)
        self.model_name = Path(path).name
        self._show_title()
        self._remember(path)
        self.statusBar().showMessage(f"Saved {Path(path).name} (the weights of step {snap.step}).",
                                     10000)
        return True

    def open_model(self, path: str) -> bool:
        from cnnviz.training.modelfile import load_model
        try:
            model = load_model(path)
        except DataError as exc:
            self.show_error("Open model", str(exc))
            return False
        name = model.dataset.get("name", self.dataset_name)
        if name != self.dataset_name and name in catalog.CATALOG:
            if not self.load_dataset(name, download=True):
                return False
        problem = mismatch(model.network.input_shape, model.network.classes, self.dataset)
        if problem:
            self.show_error("Open model", f"{path}: the network {problem}. Open it with the "
                            f"dataset it was trained on.")
            return False
        self._show_spec(model.network.spec)
        self.start_session(model.network, model.training, Path(path).name)
        self._remember(path)
        return True

    def export(self, fmt: str, path: str) -> bool:
        from cnnviz.training import export as exporters
        writer = exporters.EXPORTERS[fmt]
        with self._paused() as session:
            if session is None:
                self.show_error("Export", "Training did not pause in time; try again.")
                return False
            step = session.latest.step
            try:
                writer(session.network, path)
            except (OSError, ValueError) as exc:
                self.show_error("Export", f"Could not export {path}:\n{exc}")
                return False
        self.statusBar().showMessage(f"Exported {Path(path).name} (the weights of step {step}).",
                                     10000)
        return True

    def open_model_dialog(self) -> None:
        if not self.may_discard("opening a model"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "cnnviz models (*.cnnviz)")
        if path:
            self.open_model(path)

    def save_model_dialog(self) -> bool:
        """Ask where, and save; False if the user cancelled or saving failed."""
        path, _ = QFileDialog.getSaveFileName(self, "Save model", "model.cnnviz",
                                              "cnnviz models (*.cnnviz)")
        return bool(path) and self.save_model(path)

    def export_dialog(self, fmt: str, pattern: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export weights", f"model.{fmt}", pattern)
        if path:
            self.export(fmt, path)

    def open_architecture_dialog(self) -> None:
        if not self.may_discard("opening an architecture"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open architecture", "", "JSON (*.json)")
        if path and self.editor.load_file(path):
            self.set_architecture(self.editor.spec())

    def save_architecture_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save architecture", "network.json",
                                              "JSON (*.json)")
        if path:
            self.editor.save_file(path)

    def _remember(self, path: str) -> None:
        recent = [p for p in (self.settings.value("recent", []) or []) if p != path]
        self.settings.setValue("recent", [path] + recent[:7])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.value("recent", []) or []:
            self.recent_menu.addAction(
                Path(path).name,
                lambda p=path: self.may_discard("opening a model") and self.open_model(p))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._arranged:
            self._arranged = True
            arrange(self, self.docks)

    def closeEvent(self, event) -> None:
        self.stop_session()
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/geometry", self.saveGeometry())
        self._remember_session()
        super().closeEvent(event)
