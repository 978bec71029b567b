"""One set of limits for the training settings: the running loop's Control and the command
line's options take the same values and refuse the same ones (the toolbar's boxes:
tests/app/test_window_status.py)."""
import argparse

import pytest

from cnnviz.cli import build_parser
from cnnviz.training.control import Control
from cnnviz.training.hyperparameters import LIMITS, check

GOOD = {"lr": [0.0, 1e-4, 10.0], "momentum": [0.0, 0.5, 0.99], "batch_size": [1, 64, 4096],
        "epochs": [1, 3, 1000]}
BAD = {"lr": [-0.1, 10.5, float("nan"), float("inf")], "momentum": [-0.1, 1.0, 1.5],
       "batch_size": [0, 4097, 2.5, True], "epochs": [0, 1001, 2.5, True]}
OPTION = {"lr": "--lr", "momentum": "--momentum", "batch_size": "--batch-size",
          "epochs": "--epochs"}
# The Control's name of a setting: the epochs a learning-rate schedule spans.
CONTROL = {"epochs": "schedule_epochs"}


@pytest.mark.parametrize("name", LIMITS)
def test_control_and_the_command_line_agree(name, capsys):
    parser = build_parser()
    for value in GOOD[name]:
        assert check(name, value) == value
        Control().set_hyperparameters(**{CONTROL.get(name, name): value})
        args = parser.parse_args(["train", OPTION[name], str(value)])
        assert getattr(args, name) == value
    for value in BAD[name]:
        with pytest.raises(ValueError, match=f"{name} must be"):
            Control().set_hyperparameters(**{CONTROL.get(name, name): value})
        if isinstance(value, bool):
            continue  # not something one types
        with pytest.raises(SystemExit):
            parser.parse_args(["train", OPTION[name], str(value)])
        assert "must be" in capsys.readouterr().err


def test_an_argparse_type_error_names_the_limits():
    from cnnviz.cli import _setting
    with pytest.raises(argparse.ArgumentTypeError, match="from 0 to 1 \\(less than it\\)"):
        _setting("momentum")("1")
