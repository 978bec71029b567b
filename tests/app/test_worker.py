"""The worker thread: snapshots arrive in the GUI thread through the one-slot mailbox, control
works across threads, and shutdown leaves no thread running."""
import threading

import pytest

from cnnviz.app.worker import LatestMailbox, TrainingSession
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.training.loop import TrainConfig


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(train_size=640, test_size=200)


def make_session(data, **config):
    spec = fit_to_dataset(load_architecture("shapes-small"), data.input_shape, data.classes)
    return TrainingSession(Network(spec, seed=0), data, TrainConfig(batch_size=32, **config))


def test_mailbox_keeps_only_the_newest():
    box = LatestMailbox()
    assert box.put(1) is True and box.put(2) is False
    assert box.take() == 2 and box.take() is None


def test_snapshots_reach_the_gui_thread(qtbot, shapes):
    session = make_session(shapes)
    received = []
    session.snapshot.connect(lambda snap: received.append((snap, threading.current_thread())))
    session.start()
    try:
        session.control.resume()
        qtbot.waitUntil(lambda: bool(received) and received[-1][0].step >= 20, timeout=30000)
    finally:
        assert session.shutdown()
    assert all(thread is threading.main_thread() for _, thread in received)
    steps = [snap.step for snap, _ in received]
    assert steps == sorted(steps)


def test_starts_paused_and_steps(qtbot, shapes):
    session = make_session(shapes)
    received = []
    session.snapshot.connect(received.append)
    session.start()
    try:
        qtbot.waitUntil(lambda: bool(received) and received[-1].state == "paused", timeout=30000)
        assert received[-1].step == 0
        session.control.step(3)
        qtbot.waitUntil(lambda: received[-1].step == 3 and received[-1].state == "paused",
                        timeout=30000)
    finally:
        assert session.shutdown()


def test_shutdown_while_running_is_quick(qtbot, shapes):
    import time
    session = make_session(shapes)
    session.start()
    session.control.resume()
    qtbot.waitUntil(lambda: session.latest is not None and session.latest.step > 2, timeout=30000)
    start = time.perf_counter()
    assert session.shutdown()
    assert time.perf_counter() - start < 1.0
    assert not session.running


def test_an_error_in_the_worker_is_one_line_for_the_user_and_a_traceback_in_the_log(
        qtbot, window, monkeypatch, tmp_path):
    from cnnviz.training.loop import TrainingRun

    monkeypatch.setenv("CNNVIZ_LOG_DIR", str(tmp_path / "logs"))

    def broken(self):
        raise RuntimeError("the kernel fell over")
        yield  # a generator, as the real run is

    monkeypatch.setattr(TrainingRun, "run", broken)
    window.reset()  # a new session, whose loop fails at once
    qtbot.waitUntil(lambda: any(t == "Training stopped" for t, _ in window.errors), timeout=20000)
    text = next(text for title, text in window.errors if title == "Training stopped")
    log = tmp_path / "logs" / "cnnviz.log"
    assert text == (f"Training failed: RuntimeError: the kernel fell over. The details are in "
                    f"{log}.")
    assert "Traceback" in log.read_text() and "def broken" not in text
