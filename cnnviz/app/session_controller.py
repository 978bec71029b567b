"""The window's decisions about its training session, without Qt: which dataset and spec are
current and when a network version the worker reports reaches the panes; what the worker's
Control is told when the user edits the network, picks a preset, switches the dataset, opens a
model or presses Train, Step, Test or Reset; and when the panes are given a dataset, a network
or a snapshot (pane_feed.py says what each pane gets). The window connects Qt's signals to these
methods and makes the sessions. Apart from it so that the rules (a spec the window sets from
code sends no rebuild to the session about to be replaced; nothing replaces the session a save
is reading) sit in one place, tested by plain pytest with fake panes and sessions
(docs/ARCHITECTURE.md, rules 4 and 6)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Protocol

from cnnviz.app import pane_feed
from cnnviz.app.panes import curve_history
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data import catalog
from cnnviz.data.augment import Augmentation
from cnnviz.engine.spec import validate
from cnnviz.training.loop import TrainConfig
from cnnviz.training.rebuild import mismatch

DEFAULT_DATASET, DEFAULT_ARCH = "shapes", "shapes-small"
PAUSED_STATES = ("paused", "stopped", "finished", "diverged")
SAVING = "Saving: try again once it is done."


def _count(value, default: int) -> int:
    """A step or epoch count from a model file's record (which may come from anywhere)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    return default


class Host(Protocol):
    """What the controller asks of the window: a session made (not started) and one ended, and
    a word to the user."""

    def open_session(self, network, dataset, config): ...
    def close_session(self, session) -> None: ...
    def show_error(self, title: str, text: str) -> None: ...
    def say(self, text: str, ms: int) -> None: ...


class SessionController:
    def __init__(self, host: Host, panes: pane_feed.Panes):
        self.host, self.panes = host, panes
        self.session = None  # a TrainingSession, or None
        self.dataset, self.dataset_name = None, DEFAULT_DATASET
        self.spec: dict | None = None  # what the session trains, or was last told to
        self.shown_version = 0  # the version whose summary the panes were given
        self.probe = None
        self.saved_step = 0  # the step of the weights last saved (or opened, or started from)
        self.holding = False  # a save or an export waits for the session to pause
        self._spec_from_code = False  # the editor is being given a spec, not edited

    # ---- dataset and spec -----------------------------------------------------------------

    def use_dataset(self, name: str, data) -> None:
        self.dataset, self.dataset_name = data, name
        pane_feed.show_dataset(self.panes, data, catalog.info(name).digit_like)

    def spec_to_load(self, arch: str | None) -> dict:
        """The network a dataset starts with: the built-in `arch`, else the one in use, else
        the default."""
        return load_architecture(arch) if arch else (self.spec or load_architecture(DEFAULT_ARCH))

    def show_spec(self, spec: dict) -> None:
        """Put a spec in the editor from code (a preset, another dataset, a model file): a new
        session follows, so the one running must not rebuild its network to it first."""
        self._spec_from_code = True
        try:
            self.panes.editor.set_spec(spec)
        finally:
            self._spec_from_code = False

    def take_spec(self, spec: dict) -> dict | None:
        """A network to start afresh (a preset, an architecture file, another dataset's): fitted
        to the dataset, shown in the editor and current from now on; None if it does not fit
        (the editor's message says why)."""
        spec = fit_to_dataset(spec, self.dataset.input_shape, self.dataset.classes)
        self.show_spec(spec)
        if not self.panes.editor.is_valid():
            self.host.show_error("Architecture does not fit", self.panes.editor.error())
            return None
        self.spec = spec
        return spec

    def spec_edited(self, spec: dict, valid: bool) -> None:
        """The editor's spec changed: Train, Step and Reset only for a valid one; an edit by
        hand becomes the next network version, rebuilt in the worker (unchanged layers kept)."""
        self.panes.toolbar.allow_training(valid)
        if self._spec_from_code or not valid or self.session is None or spec == self.spec:
            return
        self.spec = spec
        self.session.control.set_spec(spec)

    # ---- the session ----------------------------------------------------------------------

    def start(self, network, record: dict | None = None) -> bool:
        """Train `network` in a new session, paused; `record` (a model file's training record)
        continues its step and epoch count and its curves. Refused, with the running session
        left alone, while a save reads it or when the network does not fit the dataset."""
        if self.holding:
            self.host.say(SAVING, 5000)
            return False
        problem = mismatch(network.input_shape, network.classes, self.dataset)
        if problem:
            self.host.show_error("Cannot train", f"The network {problem}.")
            return False
        self.stop()
        record = record or {}
        config = self.config(_count(record.get("steps"), 0), _count(record.get("epochs"), 1))
        self.spec = network.spec
        self.shown_version = 0
        self.saved_step = config.start_step
        pane_feed.show_new_network(self.panes, network.summary,
                                   curve_history.parse(record.get("curves")))
        self.session = self.host.open_session(network, self.dataset, config)
        self._send_views(network.input_shape)
        self.session.start()
        self.panes.toolbar.show_running(False)
        return True

    def config(self, start_step: int, start_epoch: int) -> TrainConfig:
        """The toolbar's settings; augmentation as suits the dataset's kind of image."""
        toolbar = self.panes.toolbar
        augmentation = None
        if toolbar.augmenting():
            digit_like = catalog.info(self.dataset_name).digit_like
            augmentation = Augmentation.for_digits() if digit_like else Augmentation.for_photos()
        hyper = toolbar.hyperparameters()
        return TrainConfig(epochs=None, batch_size=hyper["batch_size"], lr=hyper["lr"],
                           momentum=hyper["momentum"], optimizer=hyper["optimizer"],
                           schedule=hyper["schedule"], schedule_epochs=hyper["schedule_epochs"],
                           augmentation=augmentation, start_step=start_step, start_epoch=start_epoch)

    def _send_views(self, input_shape) -> None:
        """A new session shows what the old one did: the probe (if it fits), the cell inspected
        (Reset: the same cell, with new weights), the weight watched, gradients and saliency."""
        control, panes = self.session.control, self.panes
        if self.probe is not None and self.probe.shape == input_shape:
            control.set_probe(self.probe)
        if panes.inspector.request is not None:
            control.set_inspection(panes.inspector.request)
        control.set_weight(panes.weight_step.ref)
        self.send_gradients()
        control.set_saliency(*panes.input.saliency_choice())

    def stop(self) -> None:
        if self.session is not None:
            self.host.close_session(self.session)
            self.session = None

    @contextmanager
    def paused(self, wait_until_paused):
        """The session, paused while the block reads its network (None if it did not pause in
        time: `wait_until_paused(session) -> bool`), then resumed if it was running: saving is no
        reason to stop training. While the block waits (the window's event loop runs), start()
        refuses, so no action replaces the session under it (Reset, another dataset or network)."""
        session = self.session
        if session is None:
            yield None
            return
        was_running = not session.control.paused
        self.holding = True
        paused = False
        try:
            if session.running:
                session.control.pause()
                self.panes.toolbar.show_running(False)
            paused = wait_until_paused(session)
            yield session if paused else None
        finally:
            self.holding = False
            if was_running and paused and session is self.session:
                session.control.resume()
                self.panes.toolbar.show_running(True)

    def unsaved_steps(self) -> int | None:
        """The steps trained since the weights were last saved, opened or started, if any."""
        latest = self.session.latest if self.session is not None else None
        if latest is None or latest.step <= self.saved_step:
            return None
        return latest.step

    # ---- the toolbar's controls -----------------------------------------------------------

    def toggle_training(self) -> None:
        if self.session is None or not self.panes.editor.is_valid():
            return
        control = self.session.control
        resuming = control.paused
        if resuming:
            control.resume()
        else:
            control.pause()
        self.panes.toolbar.show_running(resuming)

    def step(self) -> None:
        if self.session is not None and self.panes.editor.is_valid():
            self.session.control.step(1)
            self.panes.toolbar.show_running(False)

    def evaluate(self) -> bool:
        """Ask for the accuracy on the whole test set now; False without a session."""
        if self.session is None:
            return False
        self.session.control.request_evaluation()
        return True

    def send_hyperparameters(self) -> None:
        if self.session is not None:
            self.session.control.set_hyperparameters(**self.panes.toolbar.hyperparameters())

    # ---- what the snapshots show ----------------------------------------------------------

    def set_probe(self, probe) -> None:
        self.probe = probe
        self.panes.network_view.set_probe(probe)
        self.panes.inspector.set_probe(probe)
        if self.session is not None:
            self.session.control.set_probe(probe)
            self.send_gradients()

    def set_saliency(self, mode, class_index) -> None:
        """Saliency / Grad-CAM chosen in the Input dock: the worker computes it (None: stops)."""
        if self.session is not None:
            self.session.control.set_saliency(mode, class_index)
            self.send_gradients()
        if mode is None:
            self.panes.network_view.saliency.clear()

    def send_gradients(self, *_) -> None:
        """The class whose loss the worker backpropagates on the probe: its true class for a
        test image, else the class chosen under Explain, else the predicted one; gradient maps
        only while the view shows them."""
        if self.session is not None:
            chosen = self.panes.input.true_class
            if chosen is None:
                chosen = self.panes.input.saliency_choice()[1]
            self.session.control.set_gradients(self.panes.network_view.show_gradients, chosen)

    def inspect(self, request) -> None:
        """The arithmetic of a cell (an InspectRequest; None: nothing), worked out by the worker
        with every snapshot from now on."""
        self.panes.inspector.set_request(request)
        if self.session is not None:
            self.session.control.set_inspection(request)

    def watch_weight(self, ref) -> None:
        """One weight's updates in the Weight update dock (a WeightRef; None: none)."""
        self.panes.weight_step.set_weight(ref)
        if self.session is not None:
            self.session.control.set_weight(ref)

    def fan_out(self, snap) -> None:
        """Hand a snapshot to every pane, a new network version's shapes first (an edit the
        worker has made): the cell inspected goes if the network changed."""
        spec = snap.network_spec  # what the worker built: an edit it refused or merged has no version
        if spec is not None and snap.network_version != self.shown_version:
            self.shown_version = snap.network_version
            if pane_feed.show_new_version(self.panes, validate(spec)) and self.session is not None:
                self.session.control.set_inspection(None)
        pane_feed.show_snapshot(self.panes, snap)
        if snap.state in PAUSED_STATES and self.session is not None:
            # The control, not the snapshot, says whether training runs: a paused snapshot
            # sent just before Train was pressed arrives after it.
            self.panes.toolbar.show_running(snap.state in ("paused", "diverged")
                                            and not self.session.control.paused)
