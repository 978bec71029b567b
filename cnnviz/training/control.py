"""The one way into a running training loop (docs/ARCHITECTURE.md, rule 5).

Any thread (the GUI's) may call the commands; the training loop, on the worker thread, collects
them between batches with `take_changes()` and sleeps in `wait_while_paused()`. Everything sits
behind one lock, and one Condition on that lock wakes the sleeping loop whenever something happens.

Running, pausing and stepping are one number, the *batch budget*: how many more batches the loop
may run before it pauses. None means no limit (running), 0 means paused, n > 0 means stepping.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field

import numpy as np

from cnnviz.engine.inspect import InspectRequest
from cnnviz.engine.interrupt import InterruptFlag
from cnnviz.engine.optim import OPTIMIZERS
from cnnviz.engine.saliency import MODES as SALIENCY_MODES
from cnnviz.engine.weight_update import WeightRef
from cnnviz.training import hyperparameters
from cnnviz.training.schedule import KINDS, Schedule

OPTIMIZER_NAMES = tuple(OPTIMIZERS)
SCHEDULE_KINDS = tuple(KINDS.values())


@dataclass
class Changes:
    """What arrived since the loop last looked. Only the hyperparameters that were set are in
    `hyperparameters`; `probe_changed` tells a new probe (possibly None: cleared) from none.
    `views` holds what snapshots should show of the probe, by name, only those that changed:
    "saliency" (mode, class), "inspection" (an InspectRequest or None), "gradients" (maps on or
    off, the class whose loss to backpropagate) and "weight" (the WeightRef whose update to
    record, or None)."""
    hyperparameters: dict = field(default_factory=dict)
    probe_changed: bool = False
    probe: np.ndarray | None = None
    evaluate: bool = False
    spec: dict | None = None
    views: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.hyperparameters or self.probe_changed or self.evaluate
                    or self.spec is not None or self.views)


class Control:
    """Thread-safe commands for the training loop; see the module docstring."""

    def __init__(self, paused: bool = False):
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._budget: int | None = 0 if paused else None
        self._stopped = False
        self._changes = Changes()
        # Set by pause and stop so they cut the running batch short; only the loop clears it,
        # when it starts new work (arm), so a batch cut short is always seen as such.
        self.interrupt = InterruptFlag()

    # ---- commands: any thread ------------------------------------------------------------------

    def pause(self) -> None:
        """Pause now: the batch under way is abandoned (its weight update never happens) and
        run again on resume."""
        with self._wake:
            self._budget = 0
            self.interrupt.set()
            self._wake.notify_all()

    def resume(self) -> None:
        with self._wake:
            self._budget = None
            self._wake.notify_all()

    def step(self, n: int = 1) -> None:
        """Run exactly n more batches, then pause. Steps requested while stepping add up; while
        running, the loop pauses after n more batches."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"step needs a whole number of batches >= 1, got {n!r}")
        with self._wake:
            self._budget = (self._budget or 0) + int(n)
            self._wake.notify_all()

    def stop(self) -> None:
        """End the loop for good: it abandons the batch under way, yields one last snapshot and
        returns."""
        with self._wake:
            self._stopped = True
            self.interrupt.set()
            self._wake.notify_all()

    def set_hyperparameters(self, lr: float | None = None, momentum: float | None = None,
                            batch_size: int | None = None, optimizer: str | None = None,
                            schedule: Schedule | None = None,
                            schedule_epochs: int | None = None) -> None:
        """Change what the next batch uses. Values are checked here, so a bad one raises in the
        caller's thread instead of killing the loop. A schedule (training/schedule.py) spans
        schedule_epochs epochs; another schedule or span starts at the next batch."""
        new = {name: hyperparameters.check(name, value) for name, value in
               (("lr", lr), ("momentum", momentum), ("batch_size", batch_size))
               if value is not None}
        if schedule_epochs is not None:
            new["schedule_epochs"] = hyperparameters.LIMITS["epochs"].check("schedule_epochs",
                                                                            schedule_epochs)
        if optimizer is not None:
            if optimizer not in OPTIMIZER_NAMES:
                raise ValueError(f"optimizer must be one of {OPTIMIZER_NAMES}, got {optimizer!r}")
            new["optimizer"] = optimizer
        if schedule is not None:
            if not isinstance(schedule, SCHEDULE_KINDS):
                raise ValueError(f"a schedule is one of training/schedule.py's, got {schedule!r}")
            new["schedule"] = schedule
        with self._wake:
            self._changes.hyperparameters.update(new)
            self._wake.notify_all()

    def set_probe(self, image: np.ndarray | None) -> None:
        """The image (C, H, W) whose activations snapshots show; None clears it. The image is
        copied, so the caller may go on drawing into its own array."""
        if image is not None:
            image = np.array(image, dtype=np.float32, copy=True, order="C")
            if image.ndim != 3:
                raise ValueError(f"a probe is one image (C, H, W), got shape {image.shape}")
        with self._wake:
            self._changes.probe_changed, self._changes.probe = True, image
            self._wake.notify_all()

    def set_saliency(self, mode: str | None, class_index: int | None = None) -> None:
        """What snapshots overlay on the probe: mode None (nothing), "saliency" or "gradcam", for
        class class_index (None: the predicted class). A class the network does not have (after
        an architecture change) gives snapshots without a map, not an error."""
        if mode is not None and mode not in SALIENCY_MODES:
            raise ValueError(f"saliency mode must be None or one of {SALIENCY_MODES}, got {mode!r}")
        if class_index is not None:
            _class_index(class_index)
        self._view("saliency", (mode, None if mode is None or class_index is None
                                else int(class_index)))

    def set_inspection(self, request: InspectRequest | None) -> None:
        """The cell (or unit, or the softmax) whose arithmetic snapshots carry; None for none.
        A request that does not fit the network gives snapshots without an inspection."""
        if request is not None and not isinstance(request, InspectRequest):
            raise ValueError(f"an inspection is an InspectRequest or None, got {request!r}")
        self._view("inspection", request)

    def set_gradients(self, maps: bool, class_index: int | None = None) -> None:
        """Whether snapshots carry the probe's backward pass (ProbeGradients: dL/d(map) of every
        layer, each conv layer's dL/dW), and for the loss of which class: the probe's true
        class, one the user chose, or None for the predicted class. The class also serves the
        sliding sum behind a watched weight's gradient (set_weight). With maps off nothing extra
        is computed."""
        if class_index is not None:
            class_index = _class_index(class_index)
        self._view("gradients", (bool(maps), class_index))

    def set_weight(self, ref: WeightRef | None) -> None:
        """The weight whose every update snapshots carry (WeightUpdate), with, for a conv or
        dense weight, the sliding sum behind its gradient on the probe; None for none."""
        if ref is not None and not isinstance(ref, WeightRef):
            raise ValueError(f"a weight is a WeightRef or None, got {ref!r}")
        self._view("weight", ref)

    def _view(self, name: str, value) -> None:
        with self._wake:
            self._changes.views[name] = value
            self._wake.notify_all()

    def request_evaluation(self) -> None:
        with self._wake:
            self._changes.evaluate = True
            self._wake.notify_all()

    def set_spec(self, spec: dict) -> None:
        """A new architecture: the loop rebuilds the network, keeping unchanged layers. The spec
        is copied, so the GUI may go on editing its own."""
        spec = copy.deepcopy(spec)
        with self._wake:
            self._changes.spec = spec
            self._wake.notify_all()

    # ---- state --------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._budget == 0 and not self._stopped

    @property
    def stopped(self) -> bool:
        with self._lock:
            return self._stopped

    # ---- the loop's side: the worker thread ---------------------------------------------------

    def take_changes(self) -> Changes:
        """Everything that arrived since the last call, cleared in the same breath."""
        with self._lock:
            changes, self._changes = self._changes, Changes()
            return changes

    def take_batch(self) -> bool:
        """May the loop run one more batch now? Uses up one step of a step(n), and arms the
        interrupt flag for the batch."""
        with self._lock:
            if self._stopped or self._budget == 0:
                return False
            if self._budget is not None:
                self._budget -= 1
            self.interrupt.clear()
            return True

    def arm(self) -> bool:
        """Clear the interrupt flag for work a later pause may cut short (an evaluation); False,
        and the flag left set, once stopped."""
        with self._lock:
            if self._stopped:
                return False
            self.interrupt.clear()
            return True

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Sleep while paused with nothing to do; True when woken by a resume, step, stop or a
        change (a new probe wants an answer even while paused), False on timeout."""
        with self._wake:
            return self._wake.wait_for(
                lambda: self._stopped or self._budget != 0 or bool(self._changes), timeout)


def _class_index(value) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"class_index must be None or a whole number >= 0, got {value!r}")
    return int(value)
