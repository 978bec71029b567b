"""`cnnviz train` and the architecture's recipe: the first line says which recipe it trains with
and what the flags changed; each step takes the recipe's scheduled rate; the model file keeps it."""
import json
import zipfile

import pytest

from cnnviz.cli import main
from cnnviz.training import fit

SMALL = {  # for Shapes (3x32x32, 8 classes): a few milliseconds a step
    "name": "small", "input": [3, 32, 32], "classes": [str(i) for i in range(8)],
    "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
               {"type": "maxpool", "size": 4}, {"type": "flatten"}, {"type": "dense", "units": 8}],
}
RECIPE = {"optimizer": "adam", "lr": 0.002, "schedule": {"type": "step", "at": [0.5], "factor": 0.1},
          "batch_size": 32, "epochs": 2}


@pytest.fixture
def rates(monkeypatch):
    """The learning rate of every step `cnnviz train` runs, as train_epochs is given them."""
    seen = []
    real = fit.train_epochs

    def recording(network, optimizer, x, y, epochs, batch_size, **kwargs):
        steps = epochs * -(-len(x) // batch_size)
        seen.extend(kwargs["learning_rate"](step) for step in range(steps))
        seen.append(("batch", batch_size, "epochs", epochs, "optimizer", type(optimizer).__name__))
        return real(network, optimizer, x, y, epochs, batch_size, **kwargs)
    monkeypatch.setattr(fit, "train_epochs", recording)
    return seen


def arch_file(tmp_path, recipe=RECIPE):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(dict(SMALL, recipe=recipe) if recipe is not None else SMALL))
    return str(path)


def train(tmp_path, capsys, *flags, recipe=RECIPE):
    """Train SMALL with `recipe` on 128 Shapes images (4 steps an epoch at batch 32); the lines
    printed, and the saved model's training record."""
    out = tmp_path / "model.cnnviz"
    assert main(["train", "--arch", arch_file(tmp_path, recipe), "--train-limit", "128",
                 "--out", str(out), *flags]) == 0
    with zipfile.ZipFile(out) as archive:
        record = json.loads(archive.read("model.json"))["training"]
    return capsys.readouterr().out.splitlines(), record


def test_the_first_line_names_the_recipe_and_every_step_takes_its_rate(tmp_path, capsys, rates):
    lines, record = train(tmp_path, capsys)
    assert lines[0] == ("recipe: small's (Adam, lr 0.002, step decay x0.1 at epoch 2, batch 32, "
                        "2 epochs)")
    assert lines[1].startswith("Shapes: 128 training")
    # 2 epochs of 4 steps: the drop half way
    assert rates[:-1] == pytest.approx([0.002] * 4 + [0.0002] * 4)
    assert rates[-1] == ("batch", 32, "epochs", 2, "optimizer", "Adam")
    assert record["hyperparameters"] == {
        "optimizer": "adam", "lr": 0.002, "batch_size": 32, "epochs": 2, "augment": False,
        "schedule": {"type": "step", "at": [0.5], "factor": 0.1}}
    assert record["epochs"] == 2 and record["steps"] == 8


def test_flags_override_their_part_and_the_line_says_so(tmp_path, capsys, rates):
    lines, record = train(tmp_path, capsys, "--lr", "0.004", "--schedule", "one-cycle",
                          "--epochs", "2", "--no-augment")
    assert lines[0] == (
        "recipe: small's (Adam, lr 0.002, step decay x0.1 at epoch 2, batch 32, 2 epochs); "
        "--lr 0.004 overrides its learning rate, --schedule one-cycle overrides its schedule, "
        "--epochs 2 is its own, --no-augment is its own; "
        "so: Adam, lr 0.004, one-cycle peaking at 25% of the run, batch 32, 2 epochs")
    # one-cycle over 8 steps: from the peak / 25 up to the peak at step 8 / 4 - 1, then down
    # to the peak / 25e4 at the last
    assert rates[:2] == pytest.approx([0.004 / 25, 0.004])
    assert rates[7] == pytest.approx(0.004 / 25e4)
    assert all(a > b for a, b in zip(rates[1:7], rates[2:8]))
    assert record["hyperparameters"]["schedule"] == {"type": "one-cycle"}
    assert record["hyperparameters"]["lr"] == 0.004


def test_another_optimizer_brings_its_usual_rate_unless_lr_is_given(tmp_path, capsys, rates):
    lines, record = train(tmp_path, capsys, "--optimizer", "sgd", "--momentum", "0.5")
    assert lines[0].endswith(
        "; --optimizer sgd overrides its optimizer (and so the learning rate, to SGD's usual "
        "0.02), --momentum 0.5 overrides its momentum; so: SGD, lr 0.02, momentum 0.5, step "
        "decay x0.1 at epoch 2, batch 32, 2 epochs")
    assert rates[0] == 0.02 and rates[-1][-1] == "SGD"
    assert record["hyperparameters"]["momentum"] == 0.5
    rates.clear()
    lines, _ = train(tmp_path, capsys, "--optimizer", "sgd", "--lr", "0.1", "--augment")
    assert "--optimizer sgd overrides its optimizer, --lr 0.1 overrides its learning rate" in lines[0]
    assert "--augment overrides its augmentation" in lines[0] and lines[0].endswith("augmented")
    assert rates[0] == 0.1


def test_an_architecture_without_a_recipe_trains_with_the_defaults(tmp_path, capsys, rates):
    lines, record = train(tmp_path, capsys, "--epochs", "1", "--batch-size", "32", recipe=None)
    assert lines[0] == ("recipe: the defaults (small has none) (SGD, lr 0.02, momentum 0.9, "
                        "constant rate, batch 64, 6 epochs); --batch-size 32 overrides its batch "
                        "size, --epochs 1 overrides its epochs; so: SGD, lr 0.02, momentum 0.9, "
                        "constant rate, batch 32, 1 epoch")
    assert rates[:-1] == [0.02] * 4
    assert rates[-1] == ("batch", 32, "epochs", 1, "optimizer", "SGD")


def test_momentum_for_an_adam_recipe_is_refused(tmp_path, capsys):
    assert main(["train", "--arch", arch_file(tmp_path), "--momentum", "0.5"]) == 2
    assert capsys.readouterr().err.strip() == (
        "cnnviz: --momentum is SGD's, and this recipe trains with Adam; add --optimizer sgd")


def test_a_bad_recipe_is_one_line_naming_the_file_and_the_field(tmp_path, capsys):
    path = arch_file(tmp_path, dict(RECIPE, schedule={"type": "step", "at": [2]}))
    assert main(["train", "--arch", path]) == 2
    assert capsys.readouterr().err.strip() == (
        f"cnnviz: {path}: recipe.schedule.at must be a list of fractions of the run, each "
        "between 0 and 1, in ascending order, not [2]")


def test_a_first_run_says_it_compiles_the_kernels_and_later_ones_do_not(tmp_path, capsys,
                                                                        monkeypatch):
    from cnnviz.engine import warmup
    monkeypatch.setattr(warmup, "mark_path", lambda: tmp_path / "no-mark-yet.json")
    first, _ = train(tmp_path, capsys)
    later, _ = train(tmp_path, capsys)  # this process has every kernel now: the mark is written
    assert first[2].startswith("compiling the engine's kernels for this machine (the first run")
    assert not any("compiling" in line for line in later)
