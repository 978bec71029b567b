"""The live training loop (docs/ARCHITECTURE.md, rule 5): a generator that trains batch after batch and
now and then yields an immutable Snapshot. Control comes in only through a `Control`, read
between batches, so the loop runs the same under plain pytest as on the app's worker thread."""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from cnnviz.data.augment import Augmentation
from cnnviz.data.batches import minibatches
from cnnviz.data.dataset import Dataset
from cnnviz.engine.interrupt import Interrupted
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD, make_optimizer
from cnnviz.engine.spec import shape_text
from cnnviz.engine.weight_update import watch
from cnnviz.training import health
from cnnviz.training.control import Changes, Control
from cnnviz.training.evaluation import EVAL_CHUNK, Evaluation, evaluate
from cnnviz.training.rebuild import edit_report, mismatch, rebuild, spec_problem
from cnnviz.training.recovery import Checkpoint, divergence_message, loss_problem, state_problem
from cnnviz.training.schedule import Constant, Schedule, steps_per_epoch
from cnnviz.training.snapshot import Ema, Pacer, Progress, Snapshot, eval_subset
from cnnviz.training.top_images import TOP_K


@dataclass
class TrainConfig:
    epochs: int | None = None           # None: until stopped
    batch_size: int = 64
    lr: float = 0.02                    # the set rate (one-cycle's peak)
    momentum: float = 0.9               # SGD's; Adam keeps PyTorch's betas (0.9, 0.999)
    optimizer: str = "sgd"              # "sgd" or "adam"
    # The learning-rate schedule (training/schedule.py) over schedule_epochs epochs of the
    # dataset from the run's first step (or from the step it was changed at); then its last rate.
    schedule: Schedule = field(default_factory=Constant)
    schedule_epochs: int = 6
    weight_decay: float = 0.0
    seed: int = 0                       # the data order and augmentation
    augmentation: Augmentation | None = None
    # A snapshot after snapshot_every batches or snapshot_seconds, whichever comes first, but
    # never more often than max_snapshot_hz (None switches a rule off).
    snapshot_every: int | None = 10
    snapshot_seconds: float | None = 1 / 30
    max_snapshot_hz: float | None = 30.0
    eval_every: int | None = 200        # batches between evaluations on eval_subset test images
    eval_subset: int = 1000             # (a fixed random subset); the full set at epoch ends
    eval_chunk: int = EVAL_CHUNK        # images per forward pass while evaluating
    top_images: int = TOP_K             # per filter and unit, the evaluated images that excite
                                        # it most (up to ~10% of an evaluation); 0: none
    checkpoint_every: int = 50          # batches between copies of the last good weights
    edit_warmup: int = 200              # batches over which the rate ramps up after an edit
    health_seconds: float = 0.25        # the network's health is measured at most this often
    idle_timeout: float = 0.5           # seconds a paused loop sleeps between checks
    start_step: int = 0                 # a reopened model goes on counting from its record
    start_epoch: int = 1


def train(network: Network, dataset: Dataset, control: Control,
          config: TrainConfig | None = None) -> Iterator[Snapshot]:
    """Train `network` on `dataset` until stopped or done, yielding Snapshots. The generator's
    return value (`yield from`, StopIteration.value) is the network at the end: a new object if
    the architecture was changed on the way. The arguments are checked now, not at first next()."""
    problem = mismatch(network.input_shape, network.classes, dataset)
    if problem:
        raise ValueError(f"the network {problem}")
    if len(dataset.train_x) == 0:
        raise ValueError(f"{dataset.name} has no training images")
    return TrainingRun(network, dataset, control, config or TrainConfig()).run()


class TrainingRun:
    """One training run; `run()` is the generator. `network` is the network being trained (a new
    object after an architecture change); read it only while the loop is paused or done."""

    def __init__(self, network: Network, dataset: Dataset, control: Control, config: TrainConfig):
        self.network, self.dataset, self.control, self.config = network, dataset, control, config
        # The settings as snapshots (and model files) report them: plain JSON values.
        self.hyper = {"lr": float(config.lr), "momentum": float(config.momentum),
                      "batch_size": int(config.batch_size), "optimizer": config.optimizer,
                      "schedule": config.schedule.as_json(),
                      "schedule_epochs": int(config.schedule_epochs)}
        self.schedule, self.schedule_start = config.schedule, config.start_step
        self.optimizer = self._new_optimizer()
        # Stream 2 of the seed, as fit.py: 0 and 1 are the network's initial weights and dropout.
        self.rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(2,)))
        self.batches = None  # the epoch's batch iterator; None: start a new one
        self.unfinished: tuple[np.ndarray, np.ndarray] | None = None  # a batch cut short
        self.epoch_images, self.epoch_done = 0, False
        self.progress = Progress()
        self.progress.step, self.progress.epoch = config.start_step, config.start_epoch
        self.pending_eval: str | None = None  # "subset" or "full"
        self.eval_waits = False  # a pause cut the pending evaluation short: it waits for resume
        self.probe: np.ndarray | None = None
        # What snapshots show of the probe, as Control's set_saliency, set_inspection,
        # set_gradients and set_weight asked (snapshot.probe_view).
        self.views = {"saliency": (None, None), "inspection": None, "gradients": (False, None),
                      "weight": None}
        self.weight_update = None  # the watched weight's last update
        self.message, self.message_shown = "", True
        self.diverged, self.show_soon = False, False
        self.weights_step = config.start_step  # where the weights are from (restores go back)
        # The divergence baseline: the smoothed loss of this network's good batches (it starts
        # again after an edit, whose network has a loss of its own).
        self.usual_loss = Ema()
        self.checkpoint = Checkpoint(network, self.optimizer, config.start_step)
        self.checkpoint_due = False  # propose the weights before the next batch
        self.steps_since_edit = config.edit_warmup  # no warm-up at the start
        # The network's health after the last good batch: measured when a snapshot goes out,
        # before the probe's forward pass overwrites what the activation layers kept.
        self.health, self.health_step, self.health_due = (), None, False
        self.health_time = -math.inf
        self.pacer = Pacer(config.snapshot_every, config.snapshot_seconds, config.max_snapshot_hz)

    @cached_property
    def subset(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The test images of periodic evaluations: taken on the worker thread when first
        needed, so that creating a run (Reset in the app) stays quick."""
        return eval_subset(self.dataset, self.config.eval_subset, self.config.seed)

    # ---- the loop -----------------------------------------------------------------------------

    def run(self) -> Iterator[Snapshot]:
        control, shown_pause = self.control, False
        while True:
            self._apply(control.take_changes())
            if control.stopped:
                yield self._snapshot("stopped")
                return self.network
            if self.pending_eval and not (self.eval_waits and control.paused):
                self._evaluate()
            if control.take_batch():
                if shown_pause:  # time spent paused is not training time
                    shown_pause = False
                    self.progress.restart_clock()
                good = self._train_batch()
                if good is None:
                    continue  # cut short by a pause or stop: see to it at the top
                if self.epoch_images >= len(self.dataset.train_x) and self._end_epoch():
                    yield self._snapshot("finished")
                    return self.network
                if not good:
                    control.pause()
                    shown_pause = True
                    yield self._snapshot("diverged")
                elif self.pacer.due(urgent=self.show_soon):
                    yield self._snapshot("running")
            elif not control.stopped:
                # Paused: show it once, then sleep; wake to answer a probe, a change or a resume
                # (within the rate limit: a probe being drawn changes at the mouse's rate).
                sleep = self.config.idle_timeout
                if not shown_pause or self.show_soon:
                    sleep = self.pacer.delay()
                    if not sleep:
                        shown_pause = True
                        yield self._snapshot("diverged" if self.diverged else "paused")
                        sleep = self.config.idle_timeout
                control.wait_while_paused(sleep)

    def _train_batch(self) -> bool | None:
        """One batch; False when it diverged (and the last good weights are back), None when a
        pause or stop cut it short (the weights are untouched; the batch is run again next)."""
        if self.epoch_done:  # counted only now, so the snapshot at an epoch's end names it
            self.progress.epoch, self.epoch_done = self.progress.epoch + 1, False
        x, y = self.unfinished or self._next_batch()
        self.unfinished = None
        if self.checkpoint_due:  # this batch's loss will tell whether these weights are good
            self.checkpoint.propose(self.network, self.optimizer, self.weights_step,
                                    copy.copy(self.usual_loss))
            self.checkpoint_due = False
        self.optimizer.lr = self._learning_rate()
        watching = watch(self.network, self.optimizer, self.views["weight"])
        try:
            result = self.network.train_step(x, y, self.optimizer, self.control.interrupt)
        except Interrupted:
            self.unfinished = (x, y)
            return None
        progress = self.progress
        progress.count_batch(len(y))
        self.epoch_images += len(y)
        self.pacer.batch_done()
        problem = loss_problem(result.loss, self.usual_loss.value)
        if problem:  # the weights the step started from are bad: the candidate with them
            self.checkpoint.discard()
            self._restore(problem)
            return False
        self.checkpoint.confirm()  # their loss was sound
        problem = state_problem(self.network, self.optimizer)  # what the update left
        if problem:
            self._restore(problem)
            return False
        self.diverged, self.weights_step = False, progress.step
        self.health_due = True
        self.weight_update = watching.finish(progress.step) if watching else None
        self.steps_since_edit += 1
        if self.message_shown:
            self.message = ""  # a message stays while paused, until training goes on
        progress.record(result.loss, result.correct, len(y))
        self.usual_loss.add(result.loss)
        if progress.step % self.config.checkpoint_every == 0:
            self.checkpoint_due = True
        every = self.config.eval_every
        if every and progress.step % every == 0 and not self.pending_eval:
            self.pending_eval = "subset"
        return True

    def _next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The next batch of the epoch. An epoch is len(train) images: after a batch-size change
        the iterator restarts with a new permutation and stops counting at the epoch's end."""
        remaining = len(self.dataset.train_x) - self.epoch_images
        batch = next(self.batches, None) if self.batches is not None else None
        if batch is None:
            self.batches = minibatches(self.dataset.train_x, self.dataset.train_y,
                                       self.hyper["batch_size"], self.rng,
                                       self.config.augmentation)
            batch = next(self.batches)
        x, y = batch
        return x[:remaining], y[:remaining]

    def _end_epoch(self) -> bool:
        """Evaluate on the whole test set; True when the configured epochs are done."""
        self.batches, self.epoch_images, self.epoch_done = None, 0, True
        self.pending_eval = "full"
        epochs = self.config.epochs
        if epochs is not None and self.progress.epoch >= epochs:
            self._evaluate()
            return True
        return False

    # ---- divergence ---------------------------------------------------------------------------

    def _learning_rate(self) -> float:
        """The schedule's rate for the next batch, ramped up linearly over the first batches
        after an edit: the new layers' random weights give large gradients, which at the full
        rate can blow up (or kill) a network whose other layers were already trained."""
        total = self.hyper["schedule_epochs"] * steps_per_epoch(len(self.dataset.train_x),
                                                                self.hyper["batch_size"])
        rate = self.schedule.rate(self.hyper["lr"], self.progress.step - self.schedule_start,
                                  total)
        warmup = self.config.edit_warmup
        if self.steps_since_edit >= warmup:
            return rate
        return rate * (self.steps_since_edit + 1) / warmup

    def _restore(self, what: str) -> None:
        usual = self.checkpoint.restore(self.network, self.optimizer)
        self.weight_update = None  # undone
        self.usual_loss = copy.copy(usual) if usual is not None else Ema()
        self.weights_step, self.diverged = self.checkpoint.step, True
        self._say(f"{divergence_message(what, self.progress.step, self.hyper['lr'])}. The "
                  f"weights from step {self.checkpoint.step} were restored.")

    # ---- changes from the GUI -----------------------------------------------------------------

    def _apply(self, changes: Changes) -> None:
        hyper = changes.hyperparameters
        if hyper:
            self.checkpoint_due = True  # a bigger learning rate may blow up: keep these weights
        if "lr" in hyper:  # (the optimizer takes the rate, scheduled, before each batch)
            self.hyper["lr"] = hyper["lr"]
        self._set_schedule(hyper.get("schedule", self.schedule),
                           hyper.get("schedule_epochs", self.hyper["schedule_epochs"]))
        if "momentum" in hyper:
            self.hyper["momentum"] = hyper["momentum"]
            if isinstance(self.optimizer, SGD):
                self.optimizer.momentum = hyper["momentum"]
        if hyper.get("batch_size", self.hyper["batch_size"]) != self.hyper["batch_size"]:
            self.hyper["batch_size"], self.batches = hyper["batch_size"], None
        if hyper.get("optimizer", self.hyper["optimizer"]) != self.hyper["optimizer"]:
            self.hyper["optimizer"] = hyper["optimizer"]
            self.optimizer = self._new_optimizer()
        if changes.probe_changed:
            self._set_probe(changes.probe)
        if "weight" in changes.views and changes.views["weight"] != self.views["weight"]:
            self.weight_update = None
        self.views.update(changes.views)
        if changes.evaluate:
            self.pending_eval, self.eval_waits = "full", False
        if changes.spec is not None:
            self._rebuild(changes.spec)
        self.show_soon = self.show_soon or bool(changes)

    def _set_schedule(self, schedule: Schedule, epochs: int) -> None:
        """Another schedule, or span, starts from the next batch on."""
        if (schedule, epochs) != (self.schedule, self.hyper["schedule_epochs"]):
            self.schedule, self.schedule_start = schedule, self.progress.step
            self.hyper.update(schedule=schedule.as_json(), schedule_epochs=epochs)

    def _say(self, message: str) -> None:
        """A message for the user, carried by snapshots until one showing it has gone out."""
        self.message, self.message_shown, self.show_soon = message, False, True

    def _new_optimizer(self):
        return make_optimizer(self.hyper["optimizer"], self.hyper["lr"], self.hyper["momentum"],
                              self.config.weight_decay)

    def _set_probe(self, probe: np.ndarray | None) -> None:
        if probe is not None and probe.shape != self.network.input_shape:
            self._say(f"the probe image is {shape_text(probe.shape)}; the network "
                      f"takes {shape_text(self.network.input_shape)}")
            probe = None
        self.probe = probe

    def _rebuild(self, spec: dict) -> None:
        problem = spec_problem(spec, self.dataset)
        if problem:
            self._say(f"the new architecture was not applied: {problem}")
            return
        old = self.network
        self.network = rebuild(old, spec, self.optimizer, old.seed)
        self.progress.network_version += 1
        # Momentum and Adam's moments were gathered on the old network's loss surface; kept,
        # they push the layers that stayed on in directions that no longer go downhill.
        self.optimizer.state = {}
        self.usual_loss, self.steps_since_edit = Ema(), 0
        self.health, self.health_step, self.health_due = (), None, False  # of the old network
        self.weight_update = None
        self.checkpoint = Checkpoint(self.network, self.optimizer, self.weights_step)
        self.checkpoint_due = False
        warmup = (f"; the learning rate ramps up over the next {self.config.edit_warmup} steps"
                  if self.config.edit_warmup > 1 else "")
        self._say(f"Architecture changed: {edit_report(old, self.network)}{warmup}.")

    # ---- evaluation and snapshots -------------------------------------------------------------

    def _evaluate(self) -> None:
        self._measure_health(force=True)  # while the layers still hold the training batch
        kind, self.pending_eval = self.pending_eval, None
        index, x, y = (self.subset if kind == "subset" else
                       (None, self.dataset.test_x, self.dataset.test_y))
        if len(x) == 0 or not self.control.arm():
            return
        result = evaluate(self.network, x, y, self.dataset.num_classes, self.config.eval_chunk,
                          should_stop=lambda: self.control.stopped,
                          interrupt=self.control.interrupt, top_k=self.config.top_images)
        if result is None:  # stopped, or paused half way: then it runs again on resume
            self.pending_eval, self.eval_waits = self.pending_eval or kind, True
            return
        self.eval_waits = False
        wrong = result.misclassified if index is None else index[result.misclassified]
        predicted = result.predicted
        if index is not None:  # over the whole test set, -1 for the images not evaluated
            predicted = np.full(len(self.dataset.test_x), -1, np.int64)
            predicted[index] = result.predicted
        top = result.top if index is None or result.top is None else result.top.reindexed(index)
        self.progress.record_evaluation(Evaluation(result.loss, result.accuracy,
                                                   result.confusion, wrong, predicted, top))
        self.show_soon = True

    def _measure_health(self, force: bool = False) -> None:
        """Before a forward pass overwrites what the last batch left in the layers: at most every
        config.health_seconds (it costs up to 7% of a batch, fashion-2conv, and the health
        curves need only a few points a second) unless `force`; otherwise this batch's figures
        are skipped."""
        now = time.perf_counter()
        if self.health_due and (force or now - self.health_time >= self.config.health_seconds):
            self.health = health.measure(self.network, self.optimizer.lr)
            self.health_step, self.health_time = self.progress.step, now
        self.health_due = False

    def _snapshot(self, state: str) -> Snapshot:
        self._measure_health()
        snapshot = self.progress.snapshot(self.network, self.probe, self.hyper, state,
                                          self.message, self.views, self.health,
                                          self.health_step, self.weight_update,
                                          learning_rate=self.optimizer.lr)
        self.message_shown, self.show_soon = True, False
        self.pacer.sent()
        return snapshot
