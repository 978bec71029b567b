"""The toolbar and the recipes: a preset sets the training settings from its recipe, the
learning-rate schedule box reaches the running loop, and the schedule comes back at the next
start."""
from cnnviz.architectures import load_architecture, recipe_of
from cnnviz.training.recipe import Recipe
from cnnviz.training.schedule import Constant, OneCycle, StepDecay
from tests.app.test_keeping_work import make_window


def choose(box, text: str) -> None:
    """Pick an entry as the user does (activated is what the window listens to)."""
    index = box.findText(text)
    box.setCurrentIndex(index)
    box.activated.emit(index)


def test_a_preset_brings_its_recipe_to_the_toolbar_and_the_session(qtbot, window):
    bar = window.toolbar
    choose(window.arch_box, "lenet5")  # Adam at 0.005, one-cycle over 3 epochs
    assert window.spec["name"] == "lenet5"
    assert (bar.optimizer.currentText(), bar.lr.value(), bar.batch.value()) == ("adam", 0.005, 64)
    assert not bar.momentum.isEnabled() and not bar.augment.isChecked()
    assert bar.schedule.currentText() == "one-cycle" and bar.schedule_epochs == 3
    assert "3 epochs" in bar.schedule.toolTip()
    assert window.statusBar().currentMessage() == (
        "Training settings from lenet5's recipe: Adam, lr 0.005, one-cycle peaking at 25% of the "
        "run, batch 64, 3 epochs.")
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    hyper = window.session.latest.hyperparameters
    assert (hyper["optimizer"], hyper["lr"], hyper["schedule"], hyper["schedule_epochs"]) == (
        "adam", 0.005, {"type": "one-cycle"}, 3)
    choose(window.arch_box, "shapes-small")  # and back: SGD, constant
    assert bar.hyperparameters() == {"lr": 0.02, "momentum": 0.9, "batch_size": 64,
                                     "optimizer": "sgd", "schedule": Constant(),
                                     "schedule_epochs": 6}
    assert bar.momentum.isEnabled()
    assert recipe_of(load_architecture("shapes-small")) == Recipe("sgd", 0.02, 0.9, Constant(),
                                                                  64, 6, False)


def test_a_recipe_sets_every_setting_and_says_what_its_schedule_does(window):
    bar = window.toolbar
    decay = StepDecay((0.5,), 0.2)
    bar.take_recipe(Recipe("sgd", 0.05, 0.5, decay, 32, 4, True))
    assert bar.hyperparameters() == {"lr": 0.05, "momentum": 0.5, "batch_size": 32,
                                     "optimizer": "sgd", "schedule": decay, "schedule_epochs": 4}
    assert bar.augmenting() and bar.schedule.currentText() == "step decay"
    tip = bar.schedule.toolTip()
    assert "4 epochs" in tip and "step decay: the rate x0.2 at epoch 3" in tip
    assert "one-cycle: the rate rises" in tip and "constant: the rate stays as set" in tip
    # Another schedule and back to step decay: the recipe's points are kept.
    choose(bar.schedule, "one-cycle")
    assert bar.hyperparameters()["schedule"] == OneCycle()
    choose(bar.schedule, "step decay")
    assert bar.hyperparameters()["schedule"] == decay


def test_the_schedule_chosen_reaches_the_running_loop(qtbot, window, train_until):
    train_until(qtbot, window, 3)
    choose(window.toolbar.schedule, "one-cycle")  # from this step: the start is lr / 25
    qtbot.waitUntil(lambda: window.session.latest.hyperparameters["schedule"]
                    == {"type": "one-cycle"}, timeout=10000)
    chosen_at = window.session.latest.step
    qtbot.waitUntil(lambda: window.session.latest.step > chosen_at + 1, timeout=20000)
    latest = window.session.latest
    assert latest.hyperparameters["lr"] == 0.02 and latest.learning_rate < 0.02 / 2
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    steps, rates = window.curves.rate.views()
    assert rates[steps <= 3].tolist() == [0.02] * int((steps <= 3).sum())  # before: constant
    assert rates[-1] < 0.02 / 2


def test_the_schedule_comes_back_at_the_next_start(qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    win = make_window(qtbot, path)
    win.toolbar.take_recipe(Recipe("adam", 0.003, schedule=StepDecay((0.25, 0.5)), epochs=8))
    win.close()
    again = make_window(qtbot, path)
    assert again.toolbar.hyperparameters()["schedule"] == StepDecay((0.25, 0.5))
    assert again.toolbar.schedule_epochs == 8 and again.toolbar.lr.value() == 0.003
    assert again.session.latest.hyperparameters["schedule"] == StepDecay((0.25, 0.5)).as_json()
    again.close()


def test_an_architecture_file_brings_its_own_recipe_and_a_bad_one_is_refused(window, tmp_path):
    import json
    bar = window.toolbar
    spec = load_architecture("lenet5")
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(dict(spec, recipe={"optimizer": "sgd", "lr": 0.07, "epochs": 2})))
    assert window.open_architecture(str(mine))
    assert (bar.optimizer.currentText(), bar.lr.value(), bar.schedule_epochs) == ("sgd", 0.07, 2)
    bar.lr.setValue(0.03)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({k: v for k, v in spec.items() if k != "recipe"}))
    assert window.open_architecture(str(plain))
    assert bar.lr.value() == 0.03  # without a recipe the settings stay as they are
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(dict(spec, recipe={"batch_size": 0})))
    assert not window.open_architecture(str(bad))
    assert window.errors[-1] == ("Cannot open the architecture",
                                 f"{bad}: recipe.batch_size must be from 1 to 4096, got 0")
    assert window.editor.spec()["name"] == "lenet5" and bar.lr.value() == 0.03


def test_the_toolbar_fits_the_smallest_screen(window):
    """1280 pixels wide (tests/app/test_window_layout.py): every setting in view, none behind
    the toolbar's overflow button, with the longest preset name chosen."""
    choose(window.arch_box, "fashion-2conv-bn")
    assert window.toolbar.sizeHint().width() <= 1280
