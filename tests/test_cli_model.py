"""The model workflow from the command line: train and save, evaluate, predict, export; Ctrl-C;
errors as one clear line."""
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from cnnviz.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Shapes, a few hundred steps of shapes-small, saved."""
    path = tmp_path_factory.mktemp("model") / "shapes.cnnviz"
    assert main(["train", "--dataset", "shapes", "--epochs", "1", "--train-limit", "9600",
                 "--batch-size", "32", "--lr", "0.02", "--out", str(path)]) == 0
    return path


def test_training_raises_accuracy_well_above_chance(trained, capsys):
    assert trained.is_file()
    assert main(["eval", str(trained), "--dataset", "shapes"]) == 0
    out = capsys.readouterr().out
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.6  # 8 classes: chance is 0.125
    assert "confusion matrix" in out and "horizontal line" in out


def test_train_ends_with_the_accuracy_line(capsys):
    assert main(["train", "--epochs", "1", "--train-limit", "512", "--batch-size", "64"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("test accuracy: ") and len(last.split(": ")[1]) == 6  # 0.1234


def test_predict_prints_top_classes(trained, tmp_path, capsys):
    image = Image.new("RGB", (64, 64), (240, 240, 240))
    from PIL import ImageDraw
    ImageDraw.Draw(image).ellipse([12, 12, 52, 52], fill=(200, 30, 30))
    image.save(tmp_path / "circle.png")
    assert main(["predict", str(trained), str(tmp_path / "circle.png"), "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    probabilities = [item["probability"] for item in result["top"]]
    assert len(probabilities) == 3 and probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.0001
    assert main(["predict", str(trained), str(tmp_path / "circle.png")]) == 0
    assert "circle.png" in capsys.readouterr().out


@pytest.mark.parametrize("fmt,suffix", [("onnx", ".onnx"), ("safetensors", ".safetensors"),
                                        ("npz", ".npz")])
def test_export_every_format(trained, tmp_path, fmt, suffix, capsys):
    out = tmp_path / f"model{suffix}"
    assert main(["export", str(trained), "--format", fmt, "-o", str(out)]) == 0
    assert out.is_file() and out.stat().st_size > 1000


def test_exported_onnx_gives_the_same_answers(trained, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from cnnviz.data.shapes import make_shapes
    from cnnviz.training.modelfile import load_model
    assert main(["export", str(trained), "--format", "onnx", "-o", str(tmp_path / "m.onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    images = make_shapes(train_size=0, test_size=64, seed=9).test_x
    onnx_logits = session.run(["logits"], {"image": images})[0]
    ours = load_model(trained).network.forward(images)
    np.testing.assert_allclose(onnx_logits, ours, rtol=1e-4, atol=1e-4 * np.abs(ours).max())


@pytest.mark.parametrize("argv,message", [
    (["eval", "missing.cnnviz", "--dataset", "shapes"], "missing.cnnviz"),
    (["predict", "missing.cnnviz", "x.png"], "missing.cnnviz"),
    (["export", "missing.cnnviz", "--format", "onnx", "-o", "x.onnx"], "missing.cnnviz"),
    (["train", "--arch", "nope"], "no architecture named 'nope'"),
    (["train", "--dataset", "nope"], "no dataset named 'nope'"),
])
def test_errors_are_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) <= 4


def test_invalid_spec_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"input": [1, 8, 8], "classes": ["a", "b"], "layers": [
        {"type": "conv", "filters": 2, "kernel": 11}, {"type": "dense", "units": 2}]}))
    assert main(["train", "--arch", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "layer 0 (conv 11x11)" in err and "Traceback" not in err


def test_predict_refuses_a_bad_image(trained, tmp_path, capsys):
    (tmp_path / "empty.png").write_bytes(b"")
    assert main(["predict", str(trained), str(tmp_path / "empty.png")]) == 2
    assert "empty.png" in capsys.readouterr().err


def test_bad_flag_exits_non_zero():
    out = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--no-such-flag"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "unrecognized arguments" in out.stderr
    assert "Traceback" not in out.stderr


def test_ctrl_c_stops_cleanly_and_still_saves(tmp_path):
    model = tmp_path / "interrupted.cnnviz"
    # A shell running us in the background starts children with SIGINT ignored, and Python then
    # never raises KeyboardInterrupt: give the child the default, as a terminal would.
    process = subprocess.Popen([sys.executable, "-u", "-m", "cnnviz", "train", "--epochs", "50",
                                "--out", str(model)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until training is under way
            line = process.stdout.readline()
            if "step" in line:
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped by the user" in out and "test accuracy: " in out
    assert model.is_file() and "Traceback" not in err
