"""The Training toolbar: the dataset and network choosers, Train, Step, Reset and Test, and the
training settings (learning rate, momentum, batch size, optimizer, learning-rate schedule,
augmentation). It knows how its controls look and hang together (a new optimizer brings its
usual learning rate; momentum is greyed out for Adam; a preset's recipe sets them all) and hands
the user's choices out through signals and accessors; what a choice does to the session is the
window's and the session controller's business."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QToolBar

from cnnviz.app.download_dialog import show_datasets
from cnnviz.app.space_shortcut import SpaceForTraining
from cnnviz.architectures import builtin_names
from cnnviz.training import hyperparameters, schedule
from cnnviz.training.hyperparameters import USUAL_LR
from cnnviz.training.recipe import DEFAULT, Recipe

MOMENTUM_TIPS = {
    False: "The momentum; changes take effect at the next batch.",
    True: "Adam keeps its own momentum (moving averages of the gradient and of its square, "
          "betas 0.9 and 0.999), so this setting, SGD's, does not apply.",
}


def _spin(box, low, high, value, tip, decimals=None):
    box.setRange(low, high)
    if decimals is not None:
        box.setDecimals(decimals)
        box.setSingleStep(value / 4 if value else 0.01)
    box.setValue(value)
    box.setToolTip(f"The {tip}; changes take effect at the next batch.")
    box.setKeyboardTracking(False)
    return box


class TrainingToolbar(QToolBar):
    dataset_chosen = Signal(str)       # a dataset's name, picked in the chooser
    architecture_chosen = Signal(str)  # a built-in network's name, picked in the chooser
    hyperparameters_changed = Signal()  # read them with hyperparameters()
    note = Signal(str)                 # something to tell the user in the status bar

    def __init__(self, window):
        super().__init__("Training", window)
        self.setObjectName("Training")
        self.dataset_box = QComboBox()
        show_datasets(self.dataset_box)  # item data: the name; text: "cifar10 (download 170 MB)"
        self.dataset_box.setToolTip("The images the network learns from.")
        self.dataset_box.activated.connect(
            lambda index: self.dataset_chosen.emit(self.dataset_box.itemData(index)))
        self.arch_box = QComboBox()
        self.arch_box.addItems(builtin_names())
        self.arch_box.setToolTip("A built-in network to start from; edit it in the Architecture pane.")
        self.arch_box.activated.connect(
            lambda _index: self.architecture_chosen.emit(self.arch_box.currentText()))
        self._add_labelled((("Dataset ", self.dataset_box), (" Network ", self.arch_box)))
        self.addSeparator()
        self._valid, self._kernels = True, True  # a valid architecture, the kernels ready
        self.train_action = self._add_action("Train", Qt.Key_Space, "Train or pause (Space)")
        self.space_filter = SpaceForTraining(window)  # Space works in the spin boxes too
        self.step_action = self._add_action("Step", "S", "Train on one batch, then pause (S)")
        self.reset_action = self._add_action("Reset", "Ctrl+R",
                                             "Start again from new random weights (Ctrl+R)")
        self.evaluate_action = self._add_action(
            "Test", "T", "Measure the accuracy on the whole test set now (T); it is also measured "
                         "every 200 steps on 1000 test images, and on all of them after each epoch")
        self.addSeparator()
        # The limits are those Control and the command line check (training/hyperparameters.py);
        # momentum's is open at 1: the box stops at the last value its two decimals show.
        lr, momentum, batch = (hyperparameters.LIMITS[k] for k in ("lr", "momentum", "batch_size"))
        self.lr = _spin(QDoubleSpinBox(), lr.low, lr.high, DEFAULT.lr,
                        "learning rate (one-cycle's peak)", decimals=5)
        self.momentum = _spin(QDoubleSpinBox(), momentum.low, momentum.high - 0.01,
                              DEFAULT.momentum, "momentum", decimals=2)
        self.batch = _spin(QSpinBox(), batch.low, batch.high, DEFAULT.batch_size, "batch size")
        self.optimizer = QComboBox()
        self.optimizer.addItems(["sgd", "adam"])
        self.optimizer.setToolTip("SGD with momentum, or Adam")
        self.schedule = QComboBox()
        for name in schedule.NAMES:
            self.schedule.addItem(schedule.TITLES[name], name)
        self.augment = QCheckBox("augment")
        self.augment.setToolTip("Random shifts, rotations, scaling, flips and noise on each batch "
                                "(takes effect at Reset)")
        # The schedule spans the network's recipe's epochs; a step decay keeps its recipe's points.
        self.schedule_epochs, self.step_decay = DEFAULT.epochs, schedule.StepDecay()
        self._show_schedule(DEFAULT.schedule)
        # (the schedule beside the rate it shapes, and without a word of its own: the toolbar
        # fits a 1280-pixel screen)
        self._add_labelled(((" lr ", self.lr), (" ", self.schedule), (" momentum ", self.momentum),
                            (" batch ", self.batch), (" ", self.optimizer), (" ", self.augment)))
        for widget in (self.lr, self.momentum, self.batch):
            widget.valueChanged.connect(self.hyperparameters_changed)
        self.optimizer.activated.connect(self._optimizer_chosen)
        self.schedule.activated.connect(self.hyperparameters_changed)

    def _add_labelled(self, controls) -> None:
        """Each control after its word, which shows the control's tooltip too."""
        for text, widget in controls:
            label = QLabel(text)
            label.setToolTip(widget.toolTip())
            self.addWidget(label)
            self.addWidget(widget)

    def _add_action(self, text, shortcut, tip):
        action = self.addAction(text)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        return action

    # ---- what the user chose --------------------------------------------------------------

    def hyperparameters(self) -> dict:
        """The settings as Control.set_hyperparameters takes them."""
        return {"lr": self.lr.value(), "momentum": self.momentum.value(),
                "batch_size": self.batch.value(), "optimizer": self.optimizer.currentText(),
                "schedule": self.chosen_schedule(), "schedule_epochs": self.schedule_epochs}

    def chosen_schedule(self) -> schedule.Schedule:
        name = self.schedule.currentData()
        return self.step_decay if name == self.step_decay.name else schedule.of_name(name)

    def augmenting(self) -> bool:
        return self.augment.isChecked()

    def _optimizer_chosen(self, *_) -> None:
        """A new optimizer brings its usual learning rate (each has its own scale: Adam's
        steps are about lr in size whatever the gradient); momentum is SGD's alone."""
        name = self.optimizer.currentText()
        self._show_momentum()
        usual = USUAL_LR[name]
        if self.lr.value() != usual:
            self.lr.blockSignals(True)  # one change for the worker, below
            self.lr.setValue(usual)
            self.lr.blockSignals(False)
            self.note.emit(f"{'Adam' if name == 'adam' else 'SGD'}: learning rate set to "
                           f"{usual:g}, its usual starting value.")
        self.hyperparameters_changed.emit()

    # ---- what the window shows ------------------------------------------------------------

    def take_recipe(self, recipe: Recipe, whose: str | None = None) -> None:
        """A preset's recipe (training/recipe.py): its optimizer, rate, momentum, batch size,
        schedule and augmentation, told to the session as one change (and to the user, when
        `whose` names the network)."""
        self._set_values(recipe.lr, recipe.momentum, recipe.batch_size)
        self.optimizer.setCurrentText(recipe.optimizer)
        self._show_momentum()
        self.schedule_epochs = recipe.epochs
        self._show_schedule(recipe.schedule)
        self.augment.setChecked(recipe.augment)
        self.hyperparameters_changed.emit()
        if whose:
            self.note.emit(f"Training settings from {whose}'s recipe: {recipe.describe()}.")

    def restore(self, last) -> None:
        """The settings of the last session (a LastSession; None values: the defaults), with no
        session to tell yet."""
        self._set_values(last.lr, last.momentum, last.batch_size)
        if last.optimizer is not None:
            self.optimizer.setCurrentText(last.optimizer)
            self._show_momentum()
        if last.schedule_epochs is not None:
            self.schedule_epochs = last.schedule_epochs
        if last.schedule is not None:
            self._show_schedule(last.schedule)
        self.augment.setChecked(last.augment)

    def _set_values(self, lr, momentum, batch_size) -> None:
        """The boxes' values (None: left as they are) without a signal for each."""
        for box, value in ((self.lr, lr), (self.momentum, momentum), (self.batch, batch_size)):
            if value is not None:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)

    def _show_schedule(self, chosen: schedule.Schedule) -> None:
        """Select a schedule (a step decay's points are kept for the box's "step decay"), and
        say in the tooltip what each does over the recipe's epochs."""
        if isinstance(chosen, schedule.StepDecay):
            self.step_decay = chosen
        self.schedule.setCurrentIndex(self.schedule.findData(chosen.name))
        epochs = self.schedule_epochs
        tips = schedule.tips(self.step_decay, epochs)
        self.schedule.setToolTip(
            f"How the learning rate changes over the network's recipe of {epochs} epoch"
            f"{'s' if epochs != 1 else ''}, after which it holds its last value:\n"
            + "\n".join(f"{schedule.TITLES[name]}: {tips[name]}" for name in schedule.NAMES)
            + "\nChosen while training, it starts from that step. The Curves pane draws the "
              "rate of each step (right-hand axis).")

    def _show_momentum(self) -> None:
        """Momentum is SGD's setting: greyed out, with a tooltip that says why, for Adam."""
        adam = self.optimizer.currentText() == "adam"
        self.momentum.setEnabled(not adam)
        self.momentum.setToolTip(MOMENTUM_TIPS[adam])

    def show_dataset(self, name: str) -> None:
        show_datasets(self.dataset_box, name)

    def show_architecture(self, name: str | None) -> None:
        """Select a built-in network by its name (another name: the box stays as it is)."""
        if name in builtin_names():
            self.arch_box.setCurrentText(name)

    def show_running(self, running: bool) -> None:
        self.train_action.setText("Pause" if running else "Train")

    def allow_training(self, allowed: bool) -> None:
        """Train, Step and Reset only for a valid architecture."""
        self._valid = allowed
        self._enable_training()

    def kernels_ready(self, ready: bool) -> None:
        """Train and Step also wait for the engine's kernels (compiled on the first start)."""
        self._kernels = ready
        self._enable_training()

    def _enable_training(self) -> None:
        for action in (self.train_action, self.step_action):
            action.setEnabled(self._valid and self._kernels)
        self.reset_action.setEnabled(self._valid)
