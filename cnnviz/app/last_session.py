"""The choices a user expects back at the next start: the dataset, the network as last edited,
and the training settings. Kept in the app's QSettings as plain values (the spec as JSON text)
and checked when read, so a hand-edited or outdated settings file falls back to the defaults."""
from __future__ import annotations

import json
from dataclasses import dataclass

from PySide6.QtCore import QSettings

from cnnviz.engine.spec import SpecError, validate
from cnnviz.training import hyperparameters, schedule

KEY = "last"


@dataclass(frozen=True)
class LastSession:
    dataset: str | None = None
    spec: dict | None = None
    lr: float | None = None
    momentum: float | None = None
    batch_size: int | None = None
    optimizer: str | None = None
    schedule: schedule.Schedule | None = None
    schedule_epochs: int | None = None   # the epochs the schedule spans
    augment: bool = False


def save(settings: QSettings, last: LastSession) -> None:
    settings.setValue(f"{KEY}/dataset", last.dataset or "")
    settings.setValue(f"{KEY}/spec", json.dumps(last.spec) if last.spec else "")
    for name in ("lr", "momentum", "batch_size", "optimizer", "schedule_epochs"):
        value = getattr(last, name)
        settings.setValue(f"{KEY}/{name}", "" if value is None else str(value))
    settings.setValue(f"{KEY}/schedule",
                      json.dumps(last.schedule.as_json()) if last.schedule else "")
    settings.setValue(f"{KEY}/augment", "1" if last.augment else "0")


def load(settings: QSettings) -> LastSession:
    """What was saved; a value that is missing or does not parse is None (the default)."""
    def text(name: str) -> str:
        value = settings.value(f"{KEY}/{name}", "")
        return value if isinstance(value, str) else ""

    def number(name: str, kind):
        try:
            return kind(text(name))
        except ValueError:
            return None

    spec = None
    try:
        spec = json.loads(text("spec")) if text("spec") else None
        if spec is not None:
            validate(spec)
    except (ValueError, SpecError):
        spec = None
    try:
        chosen = schedule.parse(json.loads(text("schedule"))) if text("schedule") else None
    except ValueError:  # (JSONDecodeError is one)
        chosen = None
    epochs = number("schedule_epochs", int)
    try:
        epochs = hyperparameters.check("epochs", epochs) if epochs is not None else None
    except ValueError:
        epochs = None
    optimizer = text("optimizer")
    return LastSession(text("dataset") or None, spec, number("lr", float),
                       number("momentum", float), number("batch_size", int),
                       optimizer if optimizer in ("sgd", "adam") else None,
                       chosen, epochs, text("augment") == "1")
