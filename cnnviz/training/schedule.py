"""Learning-rate schedules: the rate of each training step, from the rate the user set (`base`),
the step (0 for the first batch) and the run's length in steps (`total`: epochs x batches per
epoch). Past the end a schedule holds its last rate. The command line, the live loop and
benchmarks/accuracy.py all take their rates from here (no Qt, no engine).

- constant: the set rate throughout;
- step decay: the rate times `factor` at each point of `at` (fractions of the run), like
  PyTorch's MultiStepLR with milestones at those steps;
- one-cycle: PyTorch's OneCycleLR without momentum cycling (pct_start 0.25, div_factor 25,
  final_div_factor 1e4, cosine annealing): from base/25 up to base over the first quarter of the
  steps, then down to base/25e4. The set rate is the peak.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

NAMES = ("constant", "step", "one-cycle")
TITLES = {"constant": "constant", "step": "step decay", "one-cycle": "one-cycle"}
# The step at fraction a of the run is floor(a x total); the tolerance keeps 1/3 of 3n at n.
_ROUNDING = 1e-6


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Batches in one pass over `images` (the last one may be smaller)."""
    return -(-images // batch_size)


@dataclass(frozen=True)
class Constant:
    name: ClassVar[str] = "constant"

    def rate(self, base: float, step: int, total: int) -> float:
        return base

    def describe(self, epochs: int) -> str:
        return "constant rate"

    def as_json(self) -> dict:
        return {"type": self.name}


@dataclass(frozen=True)
class StepDecay:
    """The rate times `factor` from each fraction of the run in `at` on."""
    name: ClassVar[str] = "step"
    at: tuple[float, ...] = (2 / 3,)
    factor: float = 0.1

    def milestones(self, total: int) -> list[int]:
        """The steps at which the rate drops (MultiStepLR's milestones)."""
        return [math.floor(fraction * total + _ROUNDING) for fraction in self.at]

    def rate(self, base: float, step: int, total: int) -> float:
        return base * self.factor ** sum(step >= m for m in self.milestones(total))

    def describe(self, epochs: int) -> str:
        return f"step decay {self.drops(epochs)}"

    def drops(self, epochs: int) -> str:
        """E.g. "x0.1 at epoch 3", for a run of `epochs`."""
        return f"x{self.factor:g} at {_and(_when(a, epochs) for a in self.at)}"

    def as_json(self) -> dict:
        return {"type": self.name, "at": list(self.at), "factor": self.factor}


@dataclass(frozen=True)
class OneCycle:
    name: ClassVar[str] = "one-cycle"
    rise: ClassVar[float] = 0.25        # pct_start: the share of the steps going up
    div: ClassVar[float] = 25.0         # div_factor: the start is base / div
    final_div: ClassVar[float] = 1e4    # final_div_factor: the end is the start / final_div

    def rate(self, base: float, step: int, total: int) -> float:
        """OneCycleLR's two cosine phases: up from the start to `base` until step
        rise x total - 1, then down to the end at step total - 1."""
        start = base / self.div
        end = start / self.final_div
        step = min(step, total - 1)
        rise_end = self.rise * total - 1
        if rise_end > 0 and step <= rise_end:
            return _cosine(start, base, step / rise_end)
        fall = total - 1 - rise_end
        return _cosine(base, end, (step - rise_end) / fall if fall > 0 else 1.0)

    def describe(self, epochs: int) -> str:
        return f"one-cycle peaking at {self.rise:.0%} of the run"

    def as_json(self) -> dict:
        return {"type": self.name}


Schedule = Constant | StepDecay | OneCycle
KINDS: dict[str, type] = {kind.name: kind for kind in (Constant, StepDecay, OneCycle)}
FIELDS = {"constant": (), "step": ("at", "factor"), "one-cycle": ()}



def tips(step: StepDecay, epochs: int) -> dict[str, str]:
    """What each schedule does over a run of `epochs`, by name; step decay as `step` has it."""
    return {"constant": "the rate stays as set",
            "step": f"the rate {step.drops(epochs)}",
            "one-cycle": "the rate rises from a 25th of the set rate to the set rate over the "
                         "first quarter of the run, then falls, cosine-shaped, to almost zero"}


def _cosine(start: float, end: float, fraction: float) -> float:
    """OneCycleLR's cosine annealing from start to end."""
    return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)


def _when(fraction: float, epochs: int) -> str:
    """Where a fraction of a run of `epochs` falls: the epoch it starts, or a percentage."""
    epoch = fraction * epochs
    if abs(epoch - round(epoch)) < 1e-3:
        return f"epoch {round(epoch) + 1}"
    return f"{fraction:.0%} of the run"


def _and(parts) -> str:
    parts = list(parts)
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def of_name(name: str) -> Schedule:
    """A schedule by name, with its usual settings."""
    return KINDS[name]()


def parse(raw, where: str = "schedule") -> Schedule:
    """A schedule from its JSON form: a name ("constant", "step", "one-cycle"), or an object with
    "type" and that type's fields. ValueError names the field (`where`.field) and what is wrong."""
    if isinstance(raw, str):
        raw = {"type": raw}
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a name ({', '.join(NAMES)}) or an object with a "
                         f"'type', not {raw!r}")
    kind = raw.get("type")
    if kind not in KINDS:
        raise ValueError(f"{where}.type must be one of {', '.join(NAMES)}, not {kind!r}")
    unknown = sorted(set(raw) - {"type", *FIELDS[kind]}, key=str)
    if unknown:
        fields = ", ".join(FIELDS[kind]) or "none but 'type'"
        raise ValueError(f"{where}: unknown field '{unknown[0]}' (fields of {kind}: {fields})")
    if kind != "step":
        return KINDS[kind]()
    at = raw.get("at", list(StepDecay.at))
    if (not isinstance(at, list) or not at or not all(_number(a) and 0 < a < 1 for a in at)
            or sorted(at) != at):
        raise ValueError(f"{where}.at must be a list of fractions of the run, each between 0 "
                         f"and 1, in ascending order, not {at!r}")
    factor = raw.get("factor", StepDecay.factor)
    if not (_number(factor) and 0 < factor < 1):
        raise ValueError(f"{where}.factor must be a number between 0 and 1, not {factor!r}")
    return StepDecay(tuple(float(a) for a in at), float(factor))


def _number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))
