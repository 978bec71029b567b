"""The user's work is not lost silently, and the window comes back as they left it: a prompt
before a trained network is discarded, Save and Export say so and keep training, the last
dataset, network and settings return, Space trains from any control, Adam brings its rate."""
import json

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from cnnviz.app.main_window import MainWindow


def make_window(qtbot, path, answers=None):
    errors = []
    settings = QSettings(str(path), QSettings.IniFormat)
    win = MainWindow(settings=settings, show_error=lambda title, text: errors.append(text),
                     ask_unsaved=lambda text: (answers.append(text), answers.pop(0))[1]
                     if answers else "discard")
    win.errors = errors
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session.latest is not None, timeout=20000)
    return win


def test_switching_the_network_asks_before_discarding_training(qtbot, window, train_until):
    asked = []
    replies = ["cancel", "discard"]
    window.ask_unsaved = lambda text: (asked.append(text), replies.pop(0))[1]
    train_until(qtbot, window, 5)
    window.train_action.trigger()
    session = window.session
    window.arch_box.setCurrentText("tinyvgg")
    window.arch_box.activated.emit(0)  # as a choice in the box does
    assert len(asked) == 1 and "trained for" in asked[0] and "switching the network" in asked[0]
    assert window.session is session and window.arch_box.currentText() == "shapes-small"
    window.arch_box.setCurrentText("tinyvgg")
    window.arch_box.activated.emit(0)
    assert window.session is not session and window.spec["name"] == "tinyvgg"
    # A fresh network has nothing to lose: no question.
    window.arch_box.activated.emit(0)
    assert len(asked) == 2


def test_save_says_so_keeps_training_and_counts_as_saved(qtbot, window, train_until, tmp_path):
    asked = []
    window.ask_unsaved = lambda text: (asked.append(text), "cancel")[1]
    train_until(qtbot, window, 3)
    assert not window.session.control.paused
    path = tmp_path / "mine.cnnviz"
    assert window.save_model(str(path))
    assert window.statusBar().currentMessage().startswith("Saved mine.cnnviz (the weights of step")
    assert not window.session.control.paused and window.train_action.text() == "Pause"
    assert window.export("onnx", str(tmp_path / "mine.onnx"))
    assert window.statusBar().currentMessage().startswith("Exported mine.onnx")
    assert not window.session.control.paused
    qtbot.waitUntil(lambda: window.session.latest.step > window.controller.saved_step, timeout=10000)
    window.train_action.trigger()  # pause: the steps since the save are unsaved
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    assert not window.may_discard("switching the dataset") and len(asked) == 1


def test_the_last_dataset_network_and_settings_come_back(qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    win = make_window(qtbot, path)
    spec = win.editor.spec()
    spec["layers"][0]["filters"] = 12
    win.editor.set_spec(spec)
    win.lr.setValue(0.05)
    win.batch.setValue(32)
    win.augment.setChecked(True)
    win.close()
    again = make_window(qtbot, path)
    assert again.lr.value() == 0.05 and again.batch.value() == 32 and again.augment.isChecked()
    assert again.spec["layers"][0]["filters"] == 12
    assert again.session.network.layers[0].weight.value.shape[0] == 12
    assert again.dataset_name == "shapes" and again.errors == []
    assert again.session.control  # trains with them
    again.close()


def test_a_broken_saved_network_falls_back_to_the_default(qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    settings = QSettings(str(path), QSettings.IniFormat)
    settings.setValue("last/spec", '{"layers": "nonsense"}')
    settings.setValue("last/lr", "fast")
    settings.sync()
    win = make_window(qtbot, path)
    assert win.spec["name"] == "shapes-small" and win.lr.value() == 0.02 and win.errors == []
    win.close()


def test_space_trains_and_pauses_while_a_spin_box_has_the_focus(qtbot, window):
    window.activateWindow()
    window.lr.setFocus()
    qtbot.waitUntil(lambda: window.lr.hasFocus() or not window.isActiveWindow(), timeout=2000)
    QTest.keyClick(window.lr, Qt.Key.Key_Space)
    assert not window.session.control.paused
    QTest.keyClick(window.lr, Qt.Key.Key_Space)
    assert window.session.control.paused
    assert window.lr.value() == 0.02  # the space did not reach the number


def test_choosing_adam_suggests_its_rate_and_greys_momentum(qtbot, window):
    window.optimizer.setCurrentText("adam")
    window.optimizer.activated.emit(1)  # as a choice in the box does
    assert window.lr.value() == 0.001 and not window.momentum.isEnabled()
    assert "Adam keeps its own momentum" in window.momentum.toolTip()
    assert "learning rate set to 0.001" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.session.latest.hyperparameters["lr"] == 0.001, timeout=10000)
    window.optimizer.setCurrentText("sgd")
    window.optimizer.activated.emit(0)
    assert window.lr.value() == 0.02 and window.momentum.isEnabled()


def test_a_reopened_model_goes_on_from_its_step_with_its_curves(qtbot, window, train_until,
                                                                 tmp_path):
    train_until(qtbot, window, 30)
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    window.evaluate_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.test_accuracy is not None, timeout=30000)
    saved = window.session.latest
    points = window.curves.point_count()
    path = tmp_path / "run.cnnviz"
    assert window.save_model(str(path))
    assert window.windowTitle() == "run.cnnviz[*] · shapes-small on Shapes — cnnviz"
    assert not window.isWindowModified()
    window.reset()  # new weights, step 0, empty curves
    qtbot.waitUntil(lambda: window.session.latest is not None and
                    window.session.latest.step == 0, timeout=10000)
    assert window.curves.point_count() == 0
    assert window.open_model(str(path))
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=10000)
    latest = window.session.latest
    assert latest.step == saved.step and latest.epoch == saved.epoch
    assert window.curves.point_count() == points
    tests_x, tests_y = window.curves.test_acc.views()
    assert tests_x[-1] == saved.evaluation_step
    assert tests_y[-1] == 100 * saved.test_accuracy
    assert window.windowTitle() == "run.cnnviz[*] · shapes-small on Shapes — cnnviz"
    assert not window.isWindowModified()
    window.step_action.trigger()  # one more batch: unsaved, and the curves go on from there
    qtbot.waitUntil(lambda: window.session.latest.step == saved.step + 1, timeout=10000)
    assert window.isWindowModified()
    steps, _ = window.curves.raw.views()
    assert steps[-1] == saved.step + 1


def test_curve_history_is_bounded_and_a_bad_one_is_ignored():
    import numpy as np

    from cnnviz.app.panes import curve_history
    from cnnviz.app.panes.curve_data import GrowingSeries

    class Pane:
        raw, smooth, rate, test_loss, test_acc = (GrowingSeries() for _ in range(5))
    for step in range(1, 100_001):
        Pane.raw.append(step, 1.0 / step)
        Pane.smooth.append(step, 2.0 / step)
        Pane.rate.append(step, 0.01)
    Pane.test_acc.append(200, 55.0)
    history = curve_history.record(Pane)
    assert len(history["batch"]) == len(history["rate"]) == curve_history.LIMIT
    assert history["batch"][0] == [1.0, 1.0, 2.0] and history["batch"][-1][0] == 100_000
    assert history["rate"][-1] == [100_000, 0.01]
    assert history["test"] == [[200.0, None, 55.0]]
    parsed = curve_history.parse(history)
    assert parsed["test"][0][0] == 200.0 and np.isnan(parsed["test"][0][1])
    assert curve_history.parse({"batch": [[1, 2, 3]]})["rate"] == []  # saved before the rates
    for bad in ("curves", {"batch": [[1, "a", 2]]}, {"batch": [[1, 2]]}, {"test": [[None, 1, 2]]},
                {"batch": [[1, 2, 3]] * (curve_history.LIMIT + 1)}, {"batch": [[1, True, 2]]},
                {"rate": [[1, 2, 3]]}):
        assert curve_history.parse(bad) is None


def test_ctrl_z_undoes_an_architecture_edit_in_the_window(qtbot, window):
    before = window.editor.spec()
    window.editor.select_layer(0)
    window.editor.add_layer("conv")
    assert len(window.editor.spec()["layers"]) == len(before["layers"]) + 1
    window.activateWindow()
    window.network_view.canvas.setFocus()
    QTest.keySequence(window.network_view.canvas, "Ctrl+Z")
    assert window.editor.spec() == before
    assert window.spec["layers"] == before["layers"]  # and the worker was told
    QTest.keySequence(window.network_view.canvas, "Ctrl+Shift+Z")
    assert len(window.editor.spec()["layers"]) == len(before["layers"]) + 1


def test_a_model_with_other_classes_is_refused_and_the_app_goes_on(qtbot, window, tmp_path):
    """A 3x32x32 model of 5 classes (an image folder's) opened over Shapes (8 classes): a clear
    message, and the session that was training keeps going; never an error in the worker."""
    from cnnviz.architectures import fit_to_dataset, load_architecture
    from cnnviz.engine.network import Network
    from cnnviz.training.modelfile import save_model

    qtbot.waitUntil(lambda: window.session is not None and window.session.latest is not None,
                    timeout=20000)
    classes = ["a", "b", "c", "d", "e"]
    spec = fit_to_dataset(load_architecture("shapes-small"), (3, 32, 32), classes)
    folder = tmp_path / "photos"
    folder.mkdir()
    path = tmp_path / "five.cnnviz"
    save_model(path, Network(spec), {"name": str(folder), "preprocessing": {
        "channels": 3, "size": [32, 32], "digit_like": False, "background": "white"}}, {})
    session = window.session
    assert not window.open_model(str(path))
    title, text = window.errors[-1]
    assert title == "Open model" and str(path) in text
    assert "5 classes" in text and "8" in text and "Shapes" in text
    assert window.session is session  # still the one it was
    step = session.latest.step
    window.step()
    qtbot.waitUntil(lambda: session.latest.step > step, timeout=20000)


def test_a_preset_chosen_sends_no_rebuild_to_the_session_it_replaces(qtbot, window, tmp_path):
    from cnnviz.architectures import load_architecture

    qtbot.waitUntil(lambda: window.session is not None and window.session.latest is not None,
                    timeout=20000)
    old = window.session
    sent = []
    real = old.control.set_spec
    old.control.set_spec = lambda spec: (sent.append(spec), real(spec))
    assert window.set_architecture(load_architecture("tinyvgg"))
    assert window.session is not old and sent == []
    # Nor does an architecture file opened (it went through the editor's own edit signal).
    old, sent = window.session, []
    real = old.control.set_spec
    old.control.set_spec = lambda spec: (sent.append(spec), real(spec))
    path = tmp_path / "lenet.json"
    path.write_text(json.dumps(load_architecture("lenet5")))
    assert window.open_architecture(str(path))
    assert window.session is not old and sent == []
    assert window.editor.spec()["name"] == "lenet5"
    # An edit by hand still goes to the session running now.
    new = window.session
    edited = []
    real_new = new.control.set_spec
    new.control.set_spec = lambda spec: (edited.append(spec), real_new(spec))
    spec = window.editor.spec()
    spec["layers"][0]["filters"] += 1
    window.editor.set_spec(spec)
    assert len(edited) == 1


def test_reset_while_a_save_waits_for_the_pause_leaves_the_session_alone(
        qtbot, window, train_until, tmp_path):
    from PySide6.QtCore import QTimer

    from cnnviz.training.modelfile import load_model

    train_until(qtbot, window, 3)  # running: the save must wait for the pause in an event loop
    session = window.session
    during = []
    window.statusBar().messageChanged.connect(during.append)

    def reset_now():
        during.append(("holding", window.controller.holding))
        window.reset_action.trigger()
    QTimer.singleShot(0, reset_now)  # fires inside that wait
    path = tmp_path / "m.cnnviz"
    assert window.save_model(str(path))
    assert ("holding", True) in during  # Reset came while the save waited
    assert "Saving: try again once it is done." in during  # and was refused
    assert window.session is session and not session.control.paused  # training goes on
    assert load_model(path).training["steps"] >= 3
