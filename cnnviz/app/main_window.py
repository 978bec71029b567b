"""The main window, put together: the network view in the centre, the panes in docks
(window_docks.py), the Training toolbar (toolbar.py), the menus (window_menus.py, with the File
menu's actions in file_actions.py), the status bar (status_bar.py), and what comes back from
the last run (window_memory.py). It connects Qt's signals to the session controller
(session_controller.py, no Qt), which decides what the worker's Control is told and which pane
gets what from each snapshot; the window makes and ends the worker's sessions and keeps the
title. It edits plain data (the spec, the hyperparameters) and never calls the engine itself
(docs/ARCHITECTURE.md, rules 4 and 6)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox

from cnnviz.app import engine_warmup, window_memory
from cnnviz.app.download_dialog import DatasetDownloads
from cnnviz.app.pane_feed import Panes
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
from cnnviz.app.session_controller import SessionController
from cnnviz.app.status_bar import TrainingStatus
from cnnviz.app.toolbar import TrainingToolbar
from cnnviz.app.window_docks import dock_panes
from cnnviz.app.window_layout import arrange
from cnnviz.app.window_menus import build_menus
from cnnviz.app.worker import TrainingSession
from cnnviz.architectures import load_architecture, recipe_of
from cnnviz.data import catalog
from cnnviz.data.errors import DataError
from cnnviz.engine.network import Network
from cnnviz.engine.weight_update import WeightRef

WARM_UP_POLL_MS = 100  # how often the status bar shows the kernels' progress while they compile


class MainWindow(QMainWindow):
    # The session controller's state, under the names the tests, scripts and benchmarks use.
    session = property(lambda self: self.controller.session)
    dataset = property(lambda self: self.controller.dataset)
    dataset_name = property(lambda self: self.controller.dataset_name)
    spec = property(lambda self: self.controller.spec)
    probe = property(lambda self: self.controller.probe)

    def __init__(self, settings: QSettings | None = None, show_error=None, ask_unsaved=None,
                 preloaded=None):
        """`preloaded`: a Future of (name, Dataset), the dataset loading since before the window
        (app/main.py), taken instead of loading that dataset again."""
        super().__init__()
        self._preloaded = preloaded
        pg.setConfigOptions(imageAxisOrder="row-major")
        self.settings = settings or QSettings("cnnviz", "cnnviz")
        self.show_error = show_error or (lambda title, text: QMessageBox.warning(self, title, text))
        self.setWindowTitle("cnnviz")
        self.model_name, self._network_title = None, ""
        self.status = TrainingStatus(self.statusBar())
        self.counters = self.status.counters
        self._build_toolbar()
        self._watch_warm_up()
        self._build_panes()
        self._connect()
        self.files = build_menus(self)
        self.recent_menu = self.files.recent_menu
        # (what would be lost) -> "save", "discard" or "cancel"; tests replace it.
        self.ask_unsaved = ask_unsaved or self.files.ask_unsaved
        self.downloads = DatasetDownloads(self)
        self._arranged = window_memory.restore_layout(self)
        window_memory.start_as_last_time(self)

    # ---- construction ---------------------------------------------------------------------

    def _build_panes(self) -> None:
        self.network_view = NetworkView()
        self.setCentralWidget(self.network_view)
        # Every dialog goes through the window's show_error (tests replace it).
        self.editor = ArchitectureEditor(message=lambda title, text: self.show_error(title, text))
        self.input = InputPane(show_error=lambda _parent, title, text: self.show_error(title, text))
        self.curves, self.evaluation = CurvesPane(), EvaluationPane()
        self.inspector, self.health, self.weight_step, self.timeline, self.top_images = (
            Inspector(), HealthPane(), WeightStepPane(), FilterTimelinePane(), TopImagesPane())
        panes = Panes(self.toolbar, self.editor, self.network_view, self.inspector,
                      self.weight_step, self.curves, self.health, self.timeline, self.evaluation,
                      self.top_images, self.input)
        self.controller = SessionController(self, panes)
        self.docks = dock_panes(self, panes)
        self.curves_dock = self.docks.curves
        self.inspector_dock, self.weight_dock, self.health_dock, self.timeline_dock, \
            self.top_images_dock = self.docks.tabs

    def _build_toolbar(self) -> None:
        bar = self.toolbar = TrainingToolbar(self)
        self.addToolBar(bar)
        # Its controls, under the names the tests, scripts and benchmarks use.
        (self.dataset_box, self.arch_box, self.train_action, self.step_action, self.reset_action,
         self.evaluate_action, self.lr, self.momentum, self.batch, self.optimizer, self.augment) = (
            bar.dataset_box, bar.arch_box, bar.train_action, bar.step_action, bar.reset_action,
            bar.evaluate_action, bar.lr, bar.momentum, bar.batch, bar.optimizer, bar.augment)

    def _connect(self) -> None:
        bar, controller = self.toolbar, self.controller
        bar.dataset_chosen.connect(self._dataset_chosen)
        bar.architecture_chosen.connect(self._architecture_chosen)
        bar.train_action.triggered.connect(self.toggle_training)
        bar.step_action.triggered.connect(self.step)
        bar.reset_action.triggered.connect(self.reset)
        bar.evaluate_action.triggered.connect(self.evaluate_now)
        bar.hyperparameters_changed.connect(controller.send_hyperparameters)
        bar.note.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.health.warned.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.weight_step.step_requested.connect(self.step)
        self.top_images.image_chosen.connect(self.input.show_test_image)
        self.evaluation.image_chosen.connect(self.input.show_test_image)
        self.network_view.cell_clicked.connect(self._clicked)
        self.network_view.gradients_toggled.connect(controller.send_gradients)
        self.network_view.hovered.connect(self.status.show_hover)
        self.inspector.weight_chosen.connect(self.watch_weight)
        self.editor.spec_changed.connect(controller.spec_edited)
        self.input.probe_changed.connect(controller.set_probe)
        self.input.saliency_changed.connect(controller.set_saliency)
        self.input.fresh_errors_wanted.connect(self.evaluate_now)

    # ---- dataset, architecture, session ---------------------------------------------------

    def _dataset_chosen(self, name: str) -> None:
        if self.may_discard("switching the dataset"):
            self.load_dataset(name, download=True)
        else:
            self.toolbar.show_dataset(self.dataset_name)

    def _architecture_chosen(self, name: str) -> None:
        if self.may_discard("switching the network"):
            spec = load_architecture(name)
            self.toolbar.take_recipe(recipe_of(spec), name)  # a preset trains as its recipe says
            self.set_architecture(spec)
        elif self.spec is not None:
            self.toolbar.show_architecture(self.spec.get("name"))

    def load_dataset(self, name: str, arch: str | None = None, download: bool = False) -> bool:
        """Load a dataset and start a session on it. With download (the chooser), a dataset not
        on this machine is offered for download first; the previous one stays if it is not got."""
        try:
            if download and not self.downloads.ensure(name):
                self.toolbar.show_dataset(self.dataset_name)
                return False
            data = self._take_preloaded(name) or catalog.load(name)
        except DataError as exc:
            self.show_error("Dataset not available", str(exc))
            self.toolbar.show_dataset(self.dataset_name)
            return False
        self.controller.use_dataset(name, data)
        self.toolbar.show_dataset(name)
        return self.set_architecture(self.controller.spec_to_load(arch))

    def _take_preloaded(self, name: str):
        """The preloaded dataset if it is `name` (once), else None (its error, if it failed)."""
        future, self._preloaded = self._preloaded, None
        if future is None:
            return None
        loaded, data = future.result()
        return data if loaded == name else None

    def set_architecture(self, spec: dict) -> bool:
        """Train `spec`, fitted to the dataset, from new weights; False if it does not fit."""
        spec = self.controller.take_spec(spec)
        if spec is None:
            return False
        self.toolbar.show_architecture(spec.get("name"))
        self.start_session(Network(spec, seed=0))
        return True

    def start_session(self, network: Network, record: dict | None = None,
                      model_name: str | None = None) -> None:
        """Train `network` from here on (SessionController.start says when it is refused);
        `record`, a model file's training record, goes on from its step and curves; `model_name`
        titles the window."""
        if not self.controller.start(network, record):
            return
        self.status.new_session()
        self._network_title = f"{network.spec.get('name') or 'network'} on {self.dataset.name}"
        self.show_title(model_name)

    def open_session(self, network, dataset, config) -> TrainingSession:
        session = TrainingSession(network, dataset, config, self)
        session.snapshot.connect(self._on_snapshot)
        session.ended.connect(self._session_ended)
        session.compiling.connect(self._kernels)
        return session

    def close_session(self, session) -> None:
        session.snapshot.disconnect(self._on_snapshot)
        session.ended.disconnect(self._session_ended)
        session.compiling.disconnect(self._kernels)
        session.shutdown()

    def stop_session(self) -> None:
        self.controller.stop()

    def _watch_warm_up(self) -> None:
        """The engine's kernels get ready after the first paint; until then the status bar shows
        numba's progress (WARM_UP_POLL_MS) and Train waits."""
        engine_warmup.start(after_paint=True)
        self.toolbar.kernels_ready(engine_warmup.ready())
        self._warm_up_timer = QTimer(self, interval=WARM_UP_POLL_MS)
        self._warm_up_timer.timeout.connect(self._poll_warm_up)
        if not engine_warmup.ready():
            self._warm_up_timer.start()

    def _poll_warm_up(self) -> None:
        progress = engine_warmup.progress()
        if progress is not None:
            self._kernels(progress)
        if engine_warmup.ready():
            self._warm_up_timer.stop()

    def _kernels(self, progress) -> None:
        """numba's progress on the engine's kernels: Train once they are ready."""
        ready = engine_warmup.ready()
        self.status.show_kernels(progress, warming=not ready)
        self.toolbar.kernels_ready(ready)

    def _session_ended(self, error: str) -> None:
        if error:
            self.show_error("Training stopped", error)
        self.toolbar.show_running(False)

    def show_title(self, model_name: str | None) -> None:
        """The model file's name (once there is one), the network and the dataset. It ends with
        the app's display name, so Qt does not append it again; [*] is where Qt shows the
        modified mark (training not saved yet)."""
        self.model_name = model_name
        name = f"{model_name}[*] · " if model_name else ""
        self.setWindowTitle(f"{name}{self._network_title}{'' if name else '[*]'} — cnnviz")

    def say(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    # ---- training controls and what the panes show ----------------------------------------

    def toggle_training(self) -> None:
        self.controller.toggle_training()

    def step(self) -> None:
        self.controller.step()

    def evaluate_now(self) -> None:
        if self.controller.evaluate():
            self.status.testing()

    def reset(self) -> None:
        if self.spec is not None and self.editor.is_valid():
            self.start_session(Network(self.editor.spec(), seed=0))

    def _clicked(self, request) -> None:
        if isinstance(request, WeightRef):
            self.watch_weight(request)
        else:
            self.inspect(request)

    def watch_weight(self, ref) -> None:
        """Follow one weight's updates in the Weight update dock (a WeightRef; None: none)."""
        self.controller.watch_weight(ref)
        if ref is not None:
            self.weight_dock.show()
            self.weight_dock.raise_()

    def inspect(self, request) -> None:
        """Show the arithmetic of a cell (an InspectRequest; None: nothing)."""
        self.controller.inspect(request)
        if request is not None:
            self.inspector_dock.show()
            self.inspector_dock.raise_()

    def _on_snapshot(self, snap) -> None:
        self.controller.fan_out(snap)
        self.status.show_snapshot(snap, len(self.dataset.test_y))
        self.setWindowModified(snap.step > self.controller.saved_step)

    # ---- files (file_actions.py) ----------------------------------------------------------

    def may_discard(self, doing: str) -> bool:
        return self.files.may_discard(doing)

    def save_model(self, path: str) -> bool:
        return self.files.save_model(path)

    def open_model(self, path: str) -> bool:
        return self.files.open_model(path)

    def open_architecture(self, path: str) -> bool:
        return self.files.open_architecture(path)

    def export(self, fmt: str, path: str) -> bool:
        return self.files.export(fmt, path)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._arranged:
            self._arranged = True
            arrange(self, self.docks)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        engine_warmup.first_paint.set()  # the worker may start on the kernels now

    def closeEvent(self, event) -> None:
        self.stop_session()
        window_memory.remember(self)
        super().closeEvent(event)
