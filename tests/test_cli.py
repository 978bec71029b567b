import json

import pytest

from cnnviz import __version__
from cnnviz.architectures import builtin_names, load_architecture
from cnnviz.cli import main
from cnnviz.engine.spec import SpecError, validate


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"cnnviz {__version__}"


def test_builtin_architectures_are_valid():
    assert {"lenet5", "fashion-2conv", "shapes-small", "tinyvgg", "alexnet-mini"} <= set(builtin_names())
    for name in builtin_names():
        assert validate(load_architecture(name)).params > 0


def test_lenet5_has_the_reference_shape():
    summary = validate(load_architecture("lenet5"))
    assert [layer.out_shape for layer in summary.layers if layer.type in ("conv", "maxpool")] == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5)]
    assert summary.params == 61_706


def test_unknown_architecture_is_a_clear_error(capsys):
    with pytest.raises(SpecError, match="no architecture named 'nope'"):
        load_architecture("nope")
    assert main(["arch", "nope"]) == 2
    assert "no architecture named 'nope'" in capsys.readouterr().err


def test_arch_prints_the_layer_table(capsys):
    assert main(["arch", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "conv 5x5" in out and "61,706" in out and "416,520" in out


def test_bench_json(capsys):
    assert main(["bench", "--json", "--networks", "lenet5", "--rounds", "1", "--seconds", "0.05"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["network"] == "lenet5"
    assert result["images_per_s"] > 0 and result["latency_ms"] > 0


def test_train_prints_progress_and_accuracy(capsys):
    assert main(["train", "--epochs", "1", "--train-limit", "256", "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/1" in out and "test accuracy" in out


def test_a_diverging_run_stops_with_one_line_and_saves_nothing(tmp_path, capsys):
    """The README's experiment: SGD at learning rate 5 blows shapes-small up within a few
    batches (its loss goes 3.2, 3.3, then thousands)."""
    out = tmp_path / "model.cnnviz"
    assert main(["train", "--lr", "5", "--epochs", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("cnnviz: training diverged: loss exploded to ")
    assert "learning rate 5 is probably too high. Nothing was saved." in err
    assert "\n" not in err and not out.exists()


@pytest.mark.parametrize("argv", [["train", "--batch-size", "0"], ["train", "--epochs", "-1"],
                                  ["train", "--lr", "-1"], ["train", "--lr", "11"],
                                  ["train", "--momentum", "1"], ["train", "--batch-size", "5000"],
                                  ["bench", "--rounds", "0"]])
def test_bad_numbers_are_refused_with_a_message(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "must be" in capsys.readouterr().err


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "cnnviz", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == f"cnnviz {__version__}"


@pytest.mark.skipif(not __import__("pathlib").Path(
    "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
def test_train_on_real_fashion_mnist(capsys):
    assert main(["train", "--dataset", "fashion-mnist", "--arch", "lenet5", "--epochs", "2",
                 "--train-limit", "6000"]) == 0
    out = capsys.readouterr().out
    assert "Fashion-MNIST: 6,000 training and 10,000 test images" in out
    accuracy = float(out.split("test accuracy ")[-1].split("%")[0])
    assert accuracy > 65  # 6,000 images, two epochs (chance is 10%)


def test_unknown_dataset_is_refused(capsys):
    assert main(["train", "--dataset", "nope"]) == 2
    assert "no dataset named 'nope'" in capsys.readouterr().err


def test_train_on_an_image_folder(tmp_path, capsys):
    from PIL import Image, ImageDraw
    rng = __import__("numpy").random.default_rng(0)
    for label, shape in (("round", "ellipse"), ("box", "rectangle")):
        (tmp_path / label).mkdir()
        for i in range(12):
            image = Image.new("RGB", (40, 40), "white")
            x, y = rng.integers(2, 12, 2)
            getattr(ImageDraw.Draw(image), shape)([x, y, x + 24, y + 24], fill="black")
            image.save(tmp_path / label / f"{i}.png")
    (tmp_path / "box" / "notes.png").write_text("not an image")
    assert main(["train", "--dataset", str(tmp_path), "--arch", "tinyvgg", "--epochs", "1",
                 "--batch-size", "8"]) == 0
    captured = capsys.readouterr()
    assert f"{tmp_path.name}: 20 training and 4 test images, 2 classes" in captured.out
    assert "notes.png" in captured.err and "skipped" in captured.err


def test_fit_to_dataset_keeps_the_body_and_resizes_the_head():
    from cnnviz.architectures import fit_to_dataset
    spec = load_architecture("lenet5")
    fitted = fit_to_dataset(spec, (3, 32, 32), ["a", "b", "c"])
    assert fitted["input"] == [3, 32, 32] and fitted["classes"] == ["a", "b", "c"]
    assert fitted["layers"][-1] == {"type": "dense", "units": 3}
    assert fitted["layers"][:-1] == spec["layers"][:-1]
    assert spec["layers"][-1]["units"] == 10  # the original is untouched
    validate(fitted)


def test_a_closed_pipe_ends_quietly(monkeypatch, capsys):
    """`cnnviz datasets | head -1`: no 'Broken pipe' message, the shell's SIGPIPE status, and
    stdout pointed at devnull so Python's final flush cannot raise again."""
    import os

    from cnnviz import commands

    def archs(_args):
        raise BrokenPipeError(32, "Broken pipe")
    redirected = []
    monkeypatch.setattr(commands, "archs", archs)
    monkeypatch.setattr(os, "dup2", lambda fd, to: redirected.append(to))
    monkeypatch.setattr("sys.stdout.fileno", lambda: 1, raising=False)
    assert main(["archs"]) == 141
    assert capsys.readouterr().err == "" and redirected == [1]


def test_train_health_writes_a_row_per_layer_and_logged_step(tmp_path, capsys):
    import csv

    from cnnviz.training.health import CSV_HEADER
    path = tmp_path / "health.csv"
    assert main(["train", "--epochs", "1", "--train-limit", "256", "--batch-size", "32",
                 "--health", str(path)]) == 0
    rows = list(csv.reader(path.open()))
    assert tuple(rows[0]) == CSV_HEADER
    network = validate(load_architecture("shapes-small"))
    measured = [i for i, layer in enumerate(network.layers)
                if layer.type in ("conv", "dense", "relu")]
    steps = sorted({int(r[2]) for r in rows[1:]})
    assert steps == [5, 8]  # every 5 steps and the epoch's last (256 / 32 = 8 steps)
    for step in steps:
        at = [r for r in rows[1:] if int(r[2]) == step]
        assert [int(r[0]) for r in at] == measured
        for r in at:
            if r[1] == "relu":
                assert r[3:6] == ["", "", ""] and 0.0 <= float(r[6]) <= 1.0
            else:
                assert all(float(v) > 0 for v in r[3:6]) and r[6:] == ["", ""]
    assert f"to {path}" in capsys.readouterr().out


def test_train_health_in_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--health", str(tmp_path / "no" / "h.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnnviz: --health ") and "there is no folder" in err
