"""The learning-rate schedules against PyTorch's schedulers, step for step, and their JSON form
with its errors."""
import math
import re

import pytest

from cnnviz.training import schedule
from cnnviz.training.schedule import Constant, OneCycle, StepDecay

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: parity tests need torch==2.13.0 (.ci/run installs it)")
pytestmark = pytest.mark.torch


def torch_rates(make_scheduler, base: float, steps: int) -> list[float]:
    """The rate PyTorch's scheduler sets for each of `steps` optimizer steps."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize("total", [5, 8, 10, 17, 100, 2814])
@pytest.mark.parametrize("peak", [0.005, 0.1])
def test_one_cycle_is_torchs_without_momentum_cycling(total, peak):
    theirs = torch_rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=peak, total_steps=total, pct_start=0.25, div_factor=25,
        final_div_factor=1e4, anneal_strategy="cos", cycle_momentum=False), peak, total)
    ours = [OneCycle().rate(peak, step, total) for step in range(total)]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0)


def test_one_cycle_rises_to_its_peak_then_holds_its_last_rate():
    total = 100
    rates = [OneCycle().rate(0.005, step, total) for step in range(total)]
    top = max(range(total), key=rates.__getitem__)
    assert rates[0] == pytest.approx(0.005 / 25)
    assert top == 24 and rates[top] == pytest.approx(0.005)  # the end of the first quarter
    assert all(a < b for a, b in zip(rates[:top], rates[1:top + 1]))
    assert all(a > b for a, b in zip(rates[top:-1], rates[top + 1:]))
    assert rates[-1] == pytest.approx(0.005 / 25 / 1e4)
    assert OneCycle().rate(0.005, total + 50, total) == rates[-1]


@pytest.mark.parametrize("at, total", [((2 / 3,), 2814), ((0.6667,), 2814), ((0.3, 0.8), 50),
                                        ((0.5,), 7)])
def test_step_decay_is_multisteplr(at, total):
    decay = StepDecay(at, 0.1)
    milestones = decay.milestones(total)
    theirs = torch_rates(lambda o: torch.optim.lr_scheduler.MultiStepLR(
        o, milestones=milestones, gamma=0.1), 0.001, total + 10)
    ours = [decay.rate(0.001, step, total) for step in range(total + 10)]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0)


def test_step_decay_milestones_fall_on_epoch_starts():
    # fashion-2conv's recipe: a tenth in the last of 3 epochs of 938 batches (benchmarks/accuracy.py
    # decayed at total * (epochs - 1) // epochs), written as 0.6667 in the JSON or as 2/3
    assert StepDecay((0.6667,)).milestones(3 * 938) == [2 * 938]
    assert StepDecay((2 / 3,)).milestones(3 * 938) == [2 * 938]
    # thirds of 3n are n and 2n, not one step early through rounding
    for n in (1, 7, 100, 12345):
        assert StepDecay((1 / 3, 2 / 3)).milestones(3 * n) == [n, 2 * n]


def test_step_decay_every_third_is_steplr():
    n = 40
    theirs = torch_rates(lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=n, gamma=0.5),
                         0.02, 3 * n)
    ours = [StepDecay((1 / 3, 2 / 3), 0.5).rate(0.02, step, 3 * n) for step in range(3 * n)]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0)


def test_constant_is_the_set_rate():
    assert {Constant().rate(0.02, step, 10) for step in range(20)} == {0.02}


def test_steps_per_epoch_counts_the_last_short_batch():
    assert schedule.steps_per_epoch(60000, 64) == 938
    assert schedule.steps_per_epoch(64, 64) == 1


@pytest.mark.parametrize("raw, expected", [
    ("constant", Constant()), ({"type": "one-cycle"}, OneCycle()), ("step", StepDecay()),
    ({"type": "step", "at": [0.5, 0.75], "factor": 0.2}, StepDecay((0.5, 0.75), 0.2)),
])
def test_parse_reads_names_and_objects(raw, expected):
    parsed = schedule.parse(raw)
    assert parsed == expected
    assert schedule.parse(parsed.as_json()) == parsed  # the record's form reads back


@pytest.mark.parametrize("raw, words", [
    ("cosine", "recipe.schedule.type must be one of constant, step, one-cycle, not 'cosine'"),
    ({"at": [0.5]}, "recipe.schedule.type must be one of"),
    (3, "recipe.schedule must be a name"),
    ({"type": "step", "at": [1.5]}, "recipe.schedule.at must be a list of fractions"),
    ({"type": "step", "at": [0.8, 0.5]}, "recipe.schedule.at must be a list of fractions"),
    ({"type": "step", "at": []}, "recipe.schedule.at"),
    ({"type": "step", "at": 0.5}, "recipe.schedule.at"),
    ({"type": "step", "factor": 2}, "recipe.schedule.factor must be a number between 0 and 1"),
    ({"type": "step", "factor": True}, "recipe.schedule.factor"),
    ({"type": "one-cycle", "at": [0.5]}, "recipe.schedule: unknown field 'at'"),
])
def test_parse_names_the_bad_field(raw, words):
    with pytest.raises(ValueError, match="^" + re.escape(words)):
        schedule.parse(raw, "recipe.schedule")


def test_descriptions_say_when():
    assert StepDecay((0.6667,), 0.1).describe(3) == "step decay x0.1 at epoch 3"
    assert StepDecay((0.5, 0.75), 0.1).describe(4) == "step decay x0.1 at epoch 3 and epoch 4"
    assert StepDecay((0.6667,), 0.1).describe(5) == "step decay x0.1 at 67% of the run"
    assert "25%" in OneCycle().describe(3)
    assert not math.isnan(OneCycle().rate(0.01, 0, 1))  # a run of one step has a rate too
