"""The session controller's rules, with fake panes, a fake window and fake sessions (no Qt):
which spec version is current, what each session's Control is told, what a snapshot gives each
pane, and the refusals (a save holding the session, a network that does not fit)."""
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from cnnviz.app.pane_feed import Panes
from cnnviz.app.session_controller import SAVING, SessionController
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data.dataset import Dataset
from cnnviz.engine.inspect import InspectRequest
from cnnviz.engine.network import Network
from cnnviz.engine.spec import validate
from cnnviz.training.schedule import OneCycle

CLASSES = ("a", "b", "c")


class Recorder:
    """A pane: records every method called on it into `log` as (pane, method, args); attributes
    given as keywords are its state, and a callable one answers for the method."""

    def __init__(self, name, log, **state):
        self._name, self._log = name, log
        self.__dict__.update(state)

    def __getattr__(self, method):
        def call(*args, **kwargs):
            self._log.append((self._name, method, args, kwargs))
        return call

    def calls(self, method):
        return [args for name, m, args, _ in self._log if name == self._name and m == method]


class FakeControl:
    def __init__(self):
        self.calls, self.paused = [], True

    def __getattr__(self, method):
        def call(*args, **kwargs):
            self.calls.append((method, args, kwargs))
            if method in ("pause", "resume"):
                self.paused = method == "pause"
        return call

    def sent(self, method):
        return [args for m, args, _ in self.calls if m == method]


class FakeSession:
    def __init__(self, network, dataset, config):
        self.network, self.dataset, self.config = network, dataset, config
        self.control, self.latest, self.running = FakeControl(), None, False

    def start(self):
        self.running = True


class FakeWindow:
    def __init__(self):
        self.events, self.errors, self.said = [], [], []

    def open_session(self, network, dataset, config):
        session = FakeSession(network, dataset, config)
        self.events.append(("open", session))
        return session

    def close_session(self, session):
        self.events.append(("close", session))

    def show_error(self, title, text):
        self.errors.append((title, text))

    def say(self, text, ms):
        self.said.append((text, ms))


def dataset(shape=(3, 16, 16), classes=CLASSES, name="shapes"):
    rng = np.random.default_rng(0)
    x = rng.random((6, *shape), dtype=np.float32)
    y = np.arange(6) % len(classes)
    return Dataset(name, classes, shape, x, y, x.copy(), y.copy())


def spec_for(data, filters=4):
    spec = fit_to_dataset(load_architecture("shapes-small"), data.input_shape, data.classes)
    spec["layers"][0]["filters"] = filters
    return spec


class Editor(Recorder):
    """The architecture editor: set_spec tells the controller at once, as its signal does."""

    def __init__(self, log):
        super().__init__("editor", log, valid=True, controller=None)

    def set_spec(self, spec):
        self._log.append(("editor", "set_spec", (spec,), {}))
        self.controller.spec_edited(spec, self.valid)

    def is_valid(self):
        return self.valid

    def error(self):
        return "layer 3 does not fit"


@pytest.fixture
def setup():
    log = []
    toolbar = Recorder("toolbar", log, hyperparameters=lambda: {
        "lr": 0.05, "momentum": 0.5, "batch_size": 16, "optimizer": "adam",
        "schedule": OneCycle(), "schedule_epochs": 2},
        augmenting=lambda: False)
    inspector = Recorder("inspector", log, request=None)
    inspector.set_network = lambda summary: (log.append(("inspector", "set_network", (summary,), {})),
                                             inspector.changes)[1]
    inspector.changes = True
    choice = ["saliency", 2]
    panes = Panes(
        toolbar=toolbar, editor=Editor(log),
        network_view=Recorder("network_view", log, show_gradients=True,
                              saliency=Recorder("saliency", log)),
        inspector=inspector, weight_step=Recorder("weight_step", log, summary=None, ref=None),
        curves=Recorder("curves", log), health=Recorder("health", log),
        timeline=Recorder("timeline", log), evaluation=Recorder("evaluation", log),
        top_images=Recorder("top_images", log),
        input=Recorder("input", log, true_class=None, saliency_choice=lambda: tuple(choice)))
    window = FakeWindow()
    controller = SessionController(window, panes)
    panes.editor.controller = controller
    data = dataset()
    controller.use_dataset("shapes", data)
    return SimpleNamespace(controller=controller, panes=panes, window=window, log=log, data=data,
                           choice=choice)


def started(setup, spec=None, record=None):
    spec = spec or spec_for(setup.data)
    assert setup.controller.start(Network(spec, seed=0), record)
    return setup.controller.session


def snapshot(**fields):
    values = dict(network_version=0, network_spec=None, state="running", step=1, probe_probabilities=np.ones(3) / 3,
                  saliency=None, saliency_mode=None, saliency_class=None, misclassified=None,
                  evaluation_step=None)
    values.update(fields)
    return SimpleNamespace(**values)


def test_the_module_loads_no_qt():
    code = ("import sys, cnnviz.app.session_controller, cnnviz.app.pane_feed; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'pyqtgraph'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_dataset_reaches_the_input_the_evaluation_and_the_top_images(setup):
    input_pane, evaluation = setup.panes.input, setup.panes.evaluation
    assert input_pane.calls("configure") == [(3, (16, 16), False, list(CLASSES))]
    assert input_pane.calls("show_test_image") == [(0,)]  # something to see at once
    assert evaluation.calls("set_classes") == [(list(CLASSES),)]
    assert evaluation.calls("set_test_labels")[0][0] is setup.data.test_y
    assert setup.panes.top_images.calls("set_test_set")[0][2] == CLASSES


def test_a_dataset_starts_with_the_preset_asked_for_else_the_network_in_use(setup):
    controller = setup.controller
    assert controller.spec_to_load(None)["name"] == "shapes-small"  # nothing in use yet
    assert controller.spec_to_load("tinyvgg")["name"] == "tinyvgg"
    started(setup, spec_for(setup.data, filters=7))
    assert controller.spec_to_load(None)["layers"][0]["filters"] == 7


def test_a_session_starts_paused_from_the_toolbar_with_the_views_of_the_last(setup):
    controller, panes = setup.controller, setup.panes
    first = started(setup)
    probe = np.zeros((3, 16, 16), np.float32)
    controller.set_probe(probe)
    request = InspectRequest(layer=0, index=(1, 2, 3))
    panes.inspector.request = request
    panes.weight_step.ref = "a weight"
    second = started(setup, record={"steps": 40, "epochs": 3})
    assert setup.window.events == [("open", first), ("close", first), ("open", second)]
    assert controller.session is second and second.running and first.control.sent("set_spec") == []
    config = second.config
    assert (config.lr, config.momentum, config.batch_size, config.optimizer) == (0.05, 0.5, 16, "adam")
    assert (config.schedule, config.schedule_epochs) == (OneCycle(), 2)
    assert (config.start_step, config.start_epoch, config.augmentation) == (40, 3, None)
    assert controller.saved_step == 40  # the opened weights count as saved
    assert second.control.sent("set_probe")[0][0] is probe
    assert second.control.sent("set_inspection") == [(request,)]
    assert second.control.sent("set_weight") == [("a weight",)]
    assert second.control.sent("set_saliency") == [("saliency", 2)]
    assert second.control.sent("set_gradients") == [(True, 2)]  # the class chosen under Explain
    assert panes.toolbar.calls("show_running")[-1] == (False,)
    for pane, method in (("curves", "reset"), ("evaluation", "clear"), ("health", "reset"),
                         ("timeline", "reset")):
        assert sum(1 for p, m, _, _ in setup.log if (p, m) == (pane, method)) == 2


def test_a_probe_of_another_shape_is_not_sent_to_a_new_session(setup):
    started(setup)
    setup.controller.set_probe(np.zeros((1, 28, 28), np.float32))
    assert started(setup).control.sent("set_probe") == []


@pytest.mark.parametrize("steps, epochs", [(True, 2.0), (-1, "3"), (10**12, None)])
def test_a_model_files_counts_that_make_no_sense_start_from_the_beginning(setup, steps, epochs):
    config = started(setup, record={"steps": steps, "epochs": epochs}).config
    assert (config.start_step, config.start_epoch) == (0, 1)


def test_a_curve_history_in_the_record_is_restored(setup):
    started(setup, record={"curves": {"batch": [[1, 2.0, 2.0], [2, 1.5, 1.8]], "test": []}})
    (history,), = setup.panes.curves.calls("restore")
    assert history["batch"][-1][0] == 2


def test_a_network_that_does_not_fit_is_refused_and_the_session_goes_on(setup):
    session = started(setup)
    other = fit_to_dataset(load_architecture("shapes-small"), (1, 28, 28), CLASSES)
    assert not setup.controller.start(Network(other, seed=0))
    title, text = setup.window.errors[-1]
    assert title == "Cannot train" and "1x28x28" in text
    assert setup.controller.session is session and ("close", session) not in setup.window.events


def test_a_spec_shown_from_code_sends_no_rebuild_but_an_edit_by_hand_does(setup):
    controller = setup.controller
    session = started(setup)
    preset = controller.take_spec(load_architecture("tinyvgg"))
    assert preset["input"] == [3, 16, 16] and preset["classes"] == list(CLASSES)
    assert controller.spec is preset and session.control.sent("set_spec") == []
    started(setup, preset)
    edited = dict(preset, name="mine")
    controller.spec_edited(edited, True)
    assert controller.session.control.sent("set_spec") == [(edited,)]
    assert controller.spec is edited
    controller.spec_edited(dict(edited), True)  # the same again: nothing to rebuild
    controller.spec_edited(dict(edited, name="broken"), False)  # invalid: neither
    assert len(controller.session.control.sent("set_spec")) == 1
    assert setup.panes.toolbar.calls("allow_training")[-1] == (False,)


def test_a_spec_that_does_not_fit_is_not_taken(setup):
    controller = setup.controller
    started(setup)
    before = controller.spec
    setup.panes.editor.valid = False
    assert controller.take_spec(load_architecture("tinyvgg")) is None
    assert setup.window.errors == [("Architecture does not fit", "layer 3 does not fit")]
    assert controller.spec is before


def test_nothing_replaces_the_session_a_save_is_reading(setup):
    controller = setup.controller
    session = started(setup)
    session.control.paused = False  # training
    seen = []

    def wait_until_paused(waiting):
        seen.append((waiting.control.sent("pause"), controller.holding))
        assert not controller.start(Network(spec_for(setup.data), seed=0))  # Reset, meanwhile
        return True
    with controller.paused(wait_until_paused) as held:
        assert held is session and controller.holding
    assert seen == [([()], True)]
    assert setup.window.said == [(SAVING, 5000)]
    assert controller.session is session and not controller.holding
    assert not session.control.paused  # training goes on after the save
    assert setup.panes.toolbar.calls("show_running")[-2:] == [(False,), (True,)]


def test_a_session_that_did_not_pause_in_time_is_not_given_out_nor_resumed(setup):
    controller = setup.controller
    session = started(setup)
    session.control.paused = False
    with controller.paused(lambda _session: False) as held:
        assert held is None
    assert session.control.sent("resume") == [] and not controller.holding


def test_a_paused_session_stays_paused_after_a_save(setup):
    controller = setup.controller
    session = started(setup)
    with controller.paused(lambda _session: True) as held:
        assert held is session
    assert session.control.sent("resume") == [] and session.control.paused


def test_without_a_session_there_is_nothing_to_hold(setup):
    with setup.controller.paused(lambda _session: pytest.fail("no session to wait for")) as held:
        assert held is None


def test_train_step_and_test_go_to_the_control_only_for_a_valid_network(setup):
    controller, toolbar = setup.controller, setup.panes.toolbar
    session = started(setup)
    controller.toggle_training()
    assert not session.control.paused and toolbar.calls("show_running")[-1] == (True,)
    controller.toggle_training()
    assert session.control.paused and toolbar.calls("show_running")[-1] == (False,)
    controller.step()
    assert session.control.sent("step") == [(1,)]
    assert controller.evaluate() and session.control.sent("request_evaluation") == [()]
    setup.panes.editor.valid = False
    controller.toggle_training()
    controller.step()
    assert session.control.paused and session.control.sent("step") == [(1,)]


def test_the_true_class_of_a_test_image_is_the_one_backpropagated(setup):
    session = started(setup)
    setup.panes.input.true_class = 1
    setup.controller.send_gradients()
    assert session.control.sent("set_gradients")[-1] == (True, 1)


def test_saliency_off_clears_the_views_map(setup):
    session = started(setup)
    setup.controller.set_saliency(None, None)
    assert session.control.sent("set_saliency")[-1] == (None, None)
    assert setup.panes.network_view.saliency.calls("clear") == [()]


def test_unsaved_steps_are_those_after_the_last_save(setup):
    controller = setup.controller
    session = started(setup, record={"steps": 5})
    assert controller.unsaved_steps() is None  # no snapshot yet
    session.latest = snapshot(step=5)
    assert controller.unsaved_steps() is None
    session.latest = snapshot(step=9)
    assert controller.unsaved_steps() == 9


def test_a_snapshot_gives_each_pane_its_part(setup):
    panes = setup.panes
    started(setup)
    snap = snapshot(saliency="map", saliency_mode="saliency", saliency_class=2,
                    misclassified=[4], evaluation_step=200)
    setup.log.clear()
    setup.controller.fan_out(snap)
    for name in ("network_view", "inspector", "weight_step", "evaluation", "top_images"):
        assert getattr(panes, name).calls("update_snapshot") == [(snap,)], name
    for name in ("curves", "health", "timeline"):
        assert getattr(panes, name).calls("add_snapshot") == [(snap,)], name
    assert panes.input.calls("show_prediction") == [(snap.probe_probabilities,)]
    assert panes.input.calls("show_saliency") == [("map", "saliency", 2)]
    assert panes.input.calls("set_misclassified") == [([4], 200)]
    assert not [call for call in setup.log if call[1] == "set_network"]  # version 0: shown


def test_a_new_network_version_gives_the_panes_its_shapes_once(setup):
    controller, panes = setup.controller, setup.panes
    session = started(setup)
    edited = spec_for(setup.data, filters=6)
    controller.spec_edited(edited, True)
    setup.log.clear()
    controller.fan_out(snapshot(network_version=1, network_spec=edited))
    summary = validate(edited)
    for name in ("network_view", "top_images", "inspector"):
        assert getattr(panes, name).calls("set_network") == [(summary,)], name
    assert [kw for p, m, _, kw in setup.log if (p, m) == ("weight_step", "set_network")] == \
        [{"keep": True}]
    assert session.control.sent("set_inspection") == [(None,)]  # the cell inspected went
    setup.log.clear()
    controller.fan_out(snapshot(network_version=1, network_spec=edited))
    assert not [call for call in setup.log if call[1] == "set_network"]


def test_the_panes_take_the_shapes_of_the_network_the_worker_built(setup):
    """Two edits between batches: the Control keeps the last, so the worker builds one new
    version, of the second spec. The panes must show that one's shapes (counting the edits sent,
    the window once paired version 1 with the first)."""
    controller, panes = setup.controller, setup.panes
    started(setup)
    first, second = spec_for(setup.data, filters=6), spec_for(setup.data, filters=9)
    controller.spec_edited(first, True)
    controller.spec_edited(second, True)
    controller.fan_out(snapshot(network_version=1, network_spec=second))
    assert panes.network_view.calls("set_network")[-1] == (validate(second),)


def test_a_paused_snapshot_after_train_was_pressed_leaves_pause_on_the_button(setup):
    session, toolbar = started(setup), setup.panes.toolbar
    session.control.paused = False  # Train pressed after the worker sent this one
    setup.controller.fan_out(snapshot(state="paused"))
    assert toolbar.calls("show_running")[-1] == (True,)
    setup.controller.fan_out(snapshot(state="stopped"))
    assert toolbar.calls("show_running")[-1] == (False,)
    session.control.paused = True
    setup.controller.fan_out(snapshot(state="diverged"))
    assert toolbar.calls("show_running")[-1] == (False,)
