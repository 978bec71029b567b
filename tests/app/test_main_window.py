"""The main window end to end, offscreen: train by pressing the real button, draw, open files,
edit the architecture, save/export/load, and errors that leave the app usable."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from cnnviz.app.main_window import MainWindow


def test_train_by_pressing_the_button(qtbot, window, train_until):
    assert window.train_action.text() == "Train"
    window.input.random_test_image()
    train_until(qtbot, window, 60)
    assert window.train_action.text() == "Pause"
    snap = window.session.latest
    assert [tap.shape for tap in snap.probe_taps] == [
        layer.out_shape for layer in window.session.network.summary.layers]
    assert window.curves.point_count() > 0
    assert "step" in window.counters.text()
    window.train_action.trigger()  # pause
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    assert window.train_action.text() == "Train"


def test_step_and_reset(qtbot, window):
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.step == 1, timeout=20000)
    old = window.session
    window.reset_action.trigger()
    assert window.session is not old and not old.running


def test_drawing_changes_the_probe_and_probabilities(qtbot, window):
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    seen = []
    window.input.probe_changed.connect(seen.append)
    canvas = window.input.canvas
    from PySide6.QtCore import QPoint, Qt
    qtbot.mousePress(canvas, Qt.LeftButton, pos=QPoint(30, 30))
    for x in range(30, 120, 10):
        qtbot.mouseMove(canvas, QPoint(x, x))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=QPoint(120, 120))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    qtbot.waitUntil(lambda: window.session.latest.probe_probabilities is not None, timeout=20000)


def test_open_png_sets_the_probe(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    Image.new("RGB", (50, 50), (200, 20, 20)).save(tmp_path / "red.png")
    assert window.input.open_file(str(tmp_path / "red.png"))
    qtbot.waitUntil(lambda: window.probe is not None, timeout=5000)
    assert window.probe.shape == (3, 32, 32)


def test_invalid_edit_disables_train_and_fixing_enables_it(qtbot, window):
    spec = window.editor.spec()
    bad = dict(spec, layers=[dict(spec["layers"][0], kernel=11, padding=0)] + spec["layers"][1:])
    bad["layers"] = bad["layers"][:1] + [{"type": "maxpool", "size": 16}] * 3 + bad["layers"][1:]
    window.editor.set_spec(bad)
    assert not window.train_action.isEnabled()
    window.editor.set_spec(spec)
    assert window.train_action.isEnabled()


def test_architecture_edit_during_training_keeps_unchanged_weights(qtbot, window, train_until):
    train_until(qtbot, window, 10)
    window.train_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    first_conv = window.session.network.layers[0].weight.value.copy()
    spec = window.editor.spec()
    spec["layers"][-3] = dict(spec["layers"][-3], units=48)  # the hidden dense layer
    window.editor.set_spec(spec)
    window.step_action.trigger()
    qtbot.waitUntil(lambda: window.session.latest.network_version == 1, timeout=20000)
    network = window.session.network
    assert network.layers[-3].weight.value.shape[0] == 48
    # trained one more step, so compare the kept layer's identity rather than values
    assert window.session.network.layers[0].weight.value.shape == first_conv.shape


def test_save_export_and_reload_give_the_same_predictions(qtbot, window, tmp_path, qapp,
                                                          train_until):
    train_until(qtbot, window, 20)
    window.train_action.trigger()  # Save pauses training only while it saved: pause now
    qtbot.waitUntil(lambda: window.session.latest.state == "paused", timeout=10000)
    step = window.session.latest.step
    assert window.save_model(str(tmp_path / "m.cnnviz"))  # the weights of this step
    assert window.export("onnx", str(tmp_path / "m.onnx"))
    assert window.session.control.paused and window.session.latest.step == step
    images = window.dataset.test_x[:16]
    before = window.session.network.forward(images)  # paused: safe to read here
    settings = QSettings(str(tmp_path / "other.ini"), QSettings.IniFormat)
    other = MainWindow(settings=settings, show_error=lambda *a: None)
    qtbot.addWidget(other)
    try:
        assert other.open_model(str(tmp_path / "m.cnnviz"))
        qtbot.waitUntil(lambda: other.session.latest is not None, timeout=20000)
        np.testing.assert_allclose(other.session.network.forward(images), before, rtol=1e-5,
                                   atol=1e-6)
    finally:
        other.close()
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["logits"], {"image": images})[0], before,
                               rtol=1e-4, atol=1e-4 * np.abs(before).max())


def test_bad_files_and_missing_dataset_show_errors(qtbot, window, tmp_path, train_until):
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (tmp_path / "bad.cnnviz").write_bytes(b"PK\x03\x04 not really")
    assert not window.input.open_file(str(tmp_path / "bad.png"))
    assert any("bad.png" in text for _, text in window.errors)
    assert not window.open_model(str(tmp_path / "bad.cnnviz"))
    assert any("bad.cnnviz" in text for _, text in window.errors)
    assert not window.load_dataset("kmnist")
    assert any("not on this machine" in text for _, text in window.errors)
    assert window.dataset_name == "shapes" and window.session is not None
    train_until(qtbot, window, 3)  # still usable
