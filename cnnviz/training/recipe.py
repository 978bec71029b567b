"""A training recipe: the optimizer, learning rate (and SGD's momentum), learning-rate schedule,
batch size, epochs and augmentation an architecture trains well with. The built-in
architectures carry theirs under "recipe" in their JSON (assets/architectures/); an
architecture without one trains with DEFAULT. `cnnviz train` starts from it, and choosing a
preset in the app's toolbar sets the toolbar's settings from it.

    "recipe": {"optimizer": "adam", "lr": 0.001,
               "schedule": {"type": "step", "at": [0.6667], "factor": 0.1},
               "batch_size": 64, "epochs": 3, "augment": false}

Every field may be left out (its default below); the schedule spans the recipe's epochs
(training/schedule.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from cnnviz.engine.spec import SpecError
from cnnviz.training import hyperparameters, schedule
from cnnviz.training.hyperparameters import USUAL_LR

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam"}
FIELDS = ("optimizer", "lr", "momentum", "schedule", "batch_size", "epochs", "augment")


@dataclass(frozen=True)
class Recipe:
    optimizer: str = "sgd"
    lr: float = USUAL_LR["sgd"]
    momentum: float = 0.9                # SGD's; Adam keeps its own
    schedule: schedule.Schedule = field(default_factory=schedule.Constant)
    batch_size: int = 64
    epochs: int = 6
    augment: bool = False

    def describe(self) -> str:
        """E.g. "Adam, lr 0.001, step decay x0.1 at epoch 3, batch 64, 3 epochs"."""
        momentum = f", momentum {self.momentum:g}" if self.optimizer == "sgd" else ""
        return (f"{OPTIMIZERS[self.optimizer]}, lr {self.lr:g}{momentum}, "
                f"{self.schedule.describe(self.epochs)}, batch {self.batch_size}, "
                f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
                f"{', augmented' if self.augment else ''}")

    def rate(self, step: int, images: int) -> float:
        """The learning rate of step `step` (0 first) on a training set of `images`."""
        total = self.epochs * schedule.steps_per_epoch(images, self.batch_size)
        return self.schedule.rate(self.lr, step, total)

    def as_json(self) -> dict:
        """The recipe as the JSON it is read from (momentum only for SGD)."""
        out = {"optimizer": self.optimizer, "lr": self.lr, "momentum": self.momentum,
               "schedule": self.schedule.as_json(), "batch_size": self.batch_size,
               "epochs": self.epochs, "augment": self.augment}
        if self.optimizer != "sgd":
            del out["momentum"]
        return out


DEFAULT = Recipe()


def parse(raw, where: str = "recipe") -> Recipe:
    """A recipe from its JSON object; SpecError (whose field is e.g. "recipe.lr") names the field
    and says what is wrong."""
    def fail(name: str, why: str):
        return SpecError(f"{where}.{name} {why}", field=f"{where}.{name}")

    if not isinstance(raw, dict):
        raise SpecError(f"{where} must be an object with some of the fields "
                        f"{', '.join(FIELDS)}, not {raw!r}", field=where)
    unknown = sorted(set(raw) - set(FIELDS), key=str)
    if unknown:
        raise SpecError(f"{where}: unknown field '{unknown[0]}' (a recipe has: "
                        f"{', '.join(FIELDS)})", field=f"{where}.{unknown[0]}")
    optimizer = raw.get("optimizer", DEFAULT.optimizer)
    if optimizer not in OPTIMIZERS:
        raise fail("optimizer", f"must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}")
    if "momentum" in raw and optimizer != "sgd":
        raise fail("momentum", f"is SGD's; {OPTIMIZERS[optimizer]} keeps its own (leave it out)")
    values = {}
    for name, default in (("lr", USUAL_LR[optimizer]), ("momentum", DEFAULT.momentum),
                          ("batch_size", DEFAULT.batch_size), ("epochs", DEFAULT.epochs)):
        try:
            values[name] = hyperparameters.check(name, raw.get(name, default))
        except ValueError as exc:  # "lr must be ...": the field's full name in front
            raise fail(name, str(exc).removeprefix(name).lstrip()) from None
    try:
        plan = schedule.parse(raw.get("schedule", "constant"), f"{where}.schedule")
    except ValueError as exc:
        raise SpecError(str(exc), field=f"{where}.schedule") from None
    augment = raw.get("augment", DEFAULT.augment)
    if not isinstance(augment, bool):
        raise fail("augment", f"must be true or false, not {augment!r}")
    return Recipe(optimizer, schedule=plan, augment=augment, **values)


def of_spec(spec: dict) -> Recipe | None:
    """The recipe an architecture carries (checked), or None when it has none."""
    return parse(spec["recipe"]) if "recipe" in spec else None


def with_optimizer(recipe: Recipe, optimizer: str) -> Recipe:
    """Another optimizer, with its usual learning rate (each has its own scale: Adam's steps
    are about lr in size whatever the gradient)."""
    if optimizer == recipe.optimizer:
        return recipe
    return replace(recipe, optimizer=optimizer, lr=USUAL_LR[optimizer])
