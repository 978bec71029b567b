"""What the training loop hands the GUI: an immutable Snapshot, and the measurements in it
(running averages, speed, evaluation on test images, the probe image's activations, saliency
map and inspected cell)."""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from cnnviz.engine.inspect import inspect
from cnnviz.engine.inspect_gradient import ProbeGradients, gradient_sum, probe_gradients
from cnnviz.engine.layers import Conv
from cnnviz.engine.losses import softmax
from cnnviz.engine.network import Network
from cnnviz.engine.saliency import explain
from cnnviz.engine.weight_update import parameter
from cnnviz.training.evaluation import Evaluation
from cnnviz.training.top_images import TopImages

STATES = ("running", "paused", "stopped", "diverged", "finished")


def frozen(array) -> np.ndarray:
    """A read-only copy: the original may change on, the copy never will."""
    copy = np.array(array, copy=True)
    copy.setflags(write=False)
    return copy


@dataclass(frozen=True, eq=False)  # eq would compare arrays, whose == is elementwise
class Snapshot:
    """The state of training at one moment. Every array is a read-only copy, so a snapshot may
    be kept (or drawn from another thread) while training goes on.

    smoothed_loss and train_accuracy are exponential moving averages over batches (factor
    0.98, so roughly the last 50 batches) with the start-up bias corrected as Adam does, so the
    first values are not pulled towards zero. The test metrics are those of the latest
    evaluation (evaluation_step says when, evaluated_images on how many test images); None until
    the first. confusion[true, predicted] counts images; misclassified holds test-set indices;
    predictions[i] is the class predicted for test image i (-1: not in that evaluation's subset).
    top_images (training/top_images.py) holds, from the same evaluation, the test images (test-set
    indices) that excite each conv filter and dense unit most, and which filters are dead.
    probe_taps[i] is layer i's output for the probe image (without the batch axis).
    images_per_s is measured over the batches since the previous snapshot (evaluations and
    pauses left out) and keeps its last value while paused.
    network_version goes up by one every time the architecture changes, so a viewer can tell
    which layers the taps and weights belong to; network_spec is that network's spec (one copy
    per version, shared by its snapshots: read it, do not change it).
    saliency is the (H, W) map of saliency_mode ("saliency" or "gradcam", as asked with
    Control.set_saliency; None: not asked) for class saliency_class (the predicted class when none
    was chosen); saliency and saliency_class are None without a probe or when the map cannot be
    made (a class the network does not have, Grad-CAM without a conv layer).
    inspection answers the request of Control.set_inspection for the probe (engine/inspect.py:
    a ConvCell, PoolCell, DenseUnit or SoftmaxSteps, its arrays read-only); None without a probe
    or a request, or when the request does not fit the network (after an architecture change).
    probe_gradients is the probe's backward pass (engine/inspect_gradient.py ProbeGradients)
    when Control.set_gradients asked for maps. For the weight of Control.set_weight,
    weight_value is its value now, weight_update its last update by the optimizer
    (engine/weight_update.py WeightUpdate; None before the first step of this weight) and
    gradient_sum the sliding sum behind its gradient on the probe (GradientSum; None without a
    probe, or for a weight without one, such as batch norm's).
    """
    step: int
    epoch: int
    images_seen: int
    batch_loss: float | None
    smoothed_loss: float | None
    train_accuracy: float | None
    images_per_s: float
    test_loss: float | None
    test_accuracy: float | None
    confusion: np.ndarray | None
    misclassified: np.ndarray | None
    probe_taps: tuple[np.ndarray, ...]
    probe_probabilities: np.ndarray | None
    conv_weights: tuple[np.ndarray, ...]
    # lr, momentum, batch_size, optimizer, schedule (its JSON form) and schedule_epochs, as set
    # (read-only)
    hyperparameters: Mapping[str, object]
    state: str
    message: str = ""
    evaluation_step: int | None = None
    evaluated_images: int = 0
    network_version: int = 0
    network_spec: dict | None = None
    saliency: np.ndarray | None = None
    saliency_mode: str | None = None
    saliency_class: int | None = None
    inspection: object | None = None
    predictions: np.ndarray | None = None  # per test image, the latest evaluation's class or -1
    top_images: TopImages | None = None  # the latest evaluation's, read-only
    # training/health.py's LayerHealth per layer, measured after the training batch of step
    # health_step (the latest measured; () before the first batch).
    health: tuple = ()
    health_step: int | None = None
    probe_gradients: object | None = None
    weight_value: float | None = None
    weight_update: object | None = None
    gradient_sum: object | None = None
    # The rate the optimizer used for the latest batch: the set lr as the schedule and the ramp
    # after an edit made it (the set rate before the first batch).
    learning_rate: float | None = None

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"state must be one of {STATES}, got {self.state!r}")
        if not isinstance(self.hyperparameters, MappingProxyType):
            object.__setattr__(self, "hyperparameters",
                               MappingProxyType(dict(self.hyperparameters)))


def eval_subset(dataset, size: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fixed random subset of `size` test images (stream 3 of the seed; 0-2 are the initial
    weights, dropout and the data order), so that periodic evaluations compare with each other:
    (test-set indices, ascending; images; labels)."""
    n = len(dataset.test_x)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3,)))
    index = np.sort(rng.choice(n, min(n, size), replace=False))
    return index, dataset.test_x[index], dataset.test_y[index]


class ProbeView(NamedTuple):
    """What a snapshot shows of the probe image (see Snapshot); all arrays read-only."""
    taps: tuple[np.ndarray, ...] = ()
    probabilities: np.ndarray | None = None
    saliency: np.ndarray | None = None
    saliency_class: int | None = None
    inspection: object | None = None
    gradients: ProbeGradients | None = None
    gradient_sum: object | None = None


NO_VIEWS = MappingProxyType({})


def probe_view(network: Network, probe: np.ndarray | None,
               views: Mapping[str, object] = NO_VIEWS) -> ProbeView:
    """The probe image's taps (one per layer) and class probabilities, and what `views` asks
    for (Control's: "saliency", "inspection", "gradients", "weight"), from one forward pass and
    the backward passes the views need; an empty view without a probe."""
    if probe is None:
        return ProbeView()
    raw = network.forward_taps(probe[None])
    plain_taps = [tap[0] for tap in raw]
    gradients = summed = None
    maps, gradient_class = views.get("gradients") or (False, None)
    weight = views.get("weight")
    if maps or weight is not None:
        try:  # first, while the layers hold the forward pass (later backward passes keep it)
            gradients = probe_gradients(network, raw, int(np.argmax(raw[-1][0]))
                                        if gradient_class is None else gradient_class)
            if weight is not None:
                summed = gradient_sum(network, probe, plain_taps, gradients, weight)
        except ValueError:  # a class or weight this network does not have
            pass
    heat, chosen = None, None
    saliency_mode, saliency_class = views.get("saliency") or (None, None)
    if saliency_mode is not None:
        try:
            heat, chosen = explain(network, raw, saliency_mode, saliency_class)
        except ValueError:  # a class or layer this network does not have
            pass
    taps = tuple(frozen(tap) for tap in plain_taps)
    answer = None
    inspection = views.get("inspection")
    if inspection is not None:
        try:
            answer = frozen_fields(inspect(network, probe, taps, inspection))
        except ValueError:  # the request does not fit this network
            pass
    return ProbeView(taps, frozen(softmax(raw[-1])[0]), None if heat is None else frozen(heat),
                     chosen, answer, gradients if maps else None, summed)


def frozen_fields(result):
    """A dataclass with every array field made a read-only copy."""
    return dataclasses.replace(result, **{
        f.name: frozen(getattr(result, f.name)) for f in dataclasses.fields(result)
        if isinstance(getattr(result, f.name), np.ndarray)})


def conv_weights(network: Network) -> tuple[np.ndarray, ...]:
    return tuple(frozen(layer.weight.value) for layer in network.layers if isinstance(layer, Conv))


class Pacer:
    """When the next snapshot is due: after `every` batches or `seconds`, whichever comes first,
    but never more often than `max_hz` (docs/ARCHITECTURE.md, rule 7). None switches a rule off.
    An urgent snapshot (a change to show) skips the batch and time rules, not the rate limit.
    `clock` gives the time in seconds (tests pass their own)."""

    def __init__(self, every: int | None, seconds: float | None, max_hz: float | None,
                 clock: Callable[[], float] = time.perf_counter):
        self.every, self.seconds, self.max_hz, self.clock = every, seconds, max_hz, clock
        self.batches, self.last = 0, -math.inf

    def batch_done(self) -> None:
        self.batches += 1

    def due(self, urgent: bool = False) -> bool:
        if self.delay() > 0:
            return False
        return bool(urgent or (self.every and self.batches >= self.every)
                    or (self.seconds is not None
                        and self.clock() - self.last >= self.seconds))

    def delay(self) -> float:
        """Seconds until the rate limit allows another snapshot; 0 for now."""
        if not self.max_hz:
            return 0.0
        return max(0.0, self.last + 1 / self.max_hz - self.clock())

    def sent(self) -> None:
        self.batches, self.last = 0, self.clock()


class Ema:
    """Exponential moving average with the start-up bias divided out (as Adam does)."""

    def __init__(self, decay: float = 0.98):
        self.decay, self.total, self.weight = decay, 0.0, 0.0

    def add(self, value: float) -> None:
        self.total = self.decay * self.total + (1 - self.decay) * value
        self.weight = self.decay * self.weight + (1 - self.decay)

    @property
    def value(self) -> float | None:
        return self.total / self.weight if self.weight else None


class Progress:
    """The counters and measures that snapshots report, kept up to date by the loop."""

    def __init__(self):
        self.step = self.images_seen = 0
        self.epoch, self.network_version = 1, 0
        self._spec_of_version: tuple[int, dict] | None = None
        self.batch_loss: float | None = None
        self.loss, self.accuracy = Ema(), Ema()
        self.evaluation: Evaluation | None = None
        self.evaluation_step: int | None = None
        self.images_per_s = 0.0
        self.restart_clock()

    def count_batch(self, images: int) -> None:
        """A batch ran (even one whose update was thrown away: its images were used)."""
        self.step += 1
        self.images_seen += images

    def record(self, loss: float, correct: int, images: int) -> None:
        self.batch_loss = loss
        self.loss.add(loss)
        self.accuracy.add(correct / images)

    def record_evaluation(self, evaluation: Evaluation) -> None:
        # Frozen once here, then shared by every snapshot until the next evaluation.
        predicted = evaluation.predicted
        self.evaluation = Evaluation(evaluation.loss, evaluation.accuracy,
                                     frozen(evaluation.confusion), frozen(evaluation.misclassified),
                                     None if predicted is None else frozen(predicted),
                                     evaluation.top)  # made read-only by top_images.py
        self.evaluation_step = self.step
        self.restart_clock()  # evaluating is not training time

    def restart_clock(self) -> None:
        """Measure speed from now (after a pause or an evaluation, which are not training)."""
        self._since, self._images = time.perf_counter(), self.images_seen

    def _spec(self, network: Network) -> dict:
        """The network's spec, copied once per network version: the GUI reads it on another
        thread, so it must not be the network's own dict."""
        if self._spec_of_version is None or self._spec_of_version[0] != self.network_version:
            self._spec_of_version = (self.network_version, copy.deepcopy(network.spec))
        return self._spec_of_version[1]

    def snapshot(self, network: Network, probe: np.ndarray | None, hyperparameters: dict,
                 state: str, message: str, views: Mapping[str, object] = NO_VIEWS,
                 health: tuple = (), health_step: int | None = None,
                 weight_update=None, learning_rate: float | None = None) -> Snapshot:
        """A snapshot of now; views says what to show of the probe (probe_view)."""
        now = time.perf_counter()
        if self.images_seen > self._images and now > self._since:
            # Speed over the batches since the last snapshot; kept as it was while paused.
            self.images_per_s = (self.images_seen - self._images) / (now - self._since)
            self.restart_clock()
        view = probe_view(network, probe, views)
        ev = self.evaluation
        return Snapshot(
            step=self.step, epoch=self.epoch, images_seen=self.images_seen,
            batch_loss=self.batch_loss, smoothed_loss=self.loss.value,
            train_accuracy=self.accuracy.value, images_per_s=self.images_per_s,
            test_loss=None if ev is None else ev.loss,
            test_accuracy=None if ev is None else ev.accuracy,
            confusion=None if ev is None else ev.confusion,
            misclassified=None if ev is None else ev.misclassified,
            predictions=None if ev is None else ev.predicted,
            top_images=None if ev is None else ev.top,
            probe_taps=view.taps, probe_probabilities=view.probabilities,
            conv_weights=conv_weights(network), hyperparameters=dict(hyperparameters),
            state=state, message=message, evaluation_step=self.evaluation_step,
            evaluated_images=0 if ev is None else ev.images,
            network_version=self.network_version, network_spec=self._spec(network),
            saliency=view.saliency,
            saliency_mode=(views.get("saliency") or (None, None))[0],
            saliency_class=view.saliency_class, inspection=view.inspection, health=health,
            health_step=health_step, probe_gradients=view.gradients,
            weight_value=weight_value(network, views.get("weight")),
            weight_update=weight_update, gradient_sum=view.gradient_sum,
            learning_rate=learning_rate)


def weight_value(network: Network, ref) -> float | None:
    """The value of weight `ref` now; None without one, or when the network has none such."""
    if ref is None:
        return None
    try:
        return float(parameter(network, ref).value[ref.index])
    except ValueError:
        return None
