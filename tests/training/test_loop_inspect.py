"""Saliency maps and the inspector in the training loop: snapshots carry them for the probe,
they follow the weights as training goes on, a paused loop answers a new request at once, and a
request that does not fit the network gives None instead of stopping the loop."""
import threading
import time

import numpy as np
import pytest

from cnnviz.engine.inspect import SOFTMAX, ConvCell, DenseUnit, InspectRequest, PoolCell
from cnnviz.engine.saliency import grad_cam, saliency
from cnnviz.training.control import Control
from tests.training.loop_helpers import TINY, WATCHDOG_S, start, take

# ---- saliency -----------------------------------------------------------------------------------

def test_snapshots_carry_the_saliency_of_the_predicted_class(shapes, control):
    network, run = start(shapes, control)
    probe = shapes.test_x[0]
    control.set_probe(probe)
    control.set_saliency("saliency")
    snapshot = next(run)
    predicted = int(np.argmax(snapshot.probe_probabilities))
    assert snapshot.saliency_mode == "saliency" and snapshot.saliency_class == predicted
    assert snapshot.saliency.shape == (32, 32) and snapshot.saliency.dtype == np.float32
    assert not snapshot.saliency.flags.writeable
    # the weights the snapshot was made with: the generator waits at its yield
    np.testing.assert_allclose(snapshot.saliency, saliency(network, probe, predicted),
                               rtol=1e-6, atol=1e-9)
    assert snapshot.saliency.max() > 0


def test_grad_cam_for_a_chosen_class_follows_the_weights(shapes, control):
    network, run = start(shapes, control, lr=0.05)
    probe = shapes.test_x[1]
    control.set_probe(probe)
    control.set_saliency("gradcam", 5)
    first = next(run)
    assert first.saliency_mode == "gradcam" and first.saliency_class == 5
    np.testing.assert_allclose(first.saliency, grad_cam(network, probe, 5), rtol=1e-5, atol=1e-6)
    assert first.saliency.min() >= 0 and first.saliency.max() <= 1
    later = take(run, 8)[-1]
    assert later.saliency_class == 5 and not np.array_equal(later.saliency, first.saliency)
    np.testing.assert_allclose(later.saliency, grad_cam(network, probe, 5), rtol=1e-5, atol=1e-6)
    control.set_saliency(None)
    cleared = next(run)
    assert cleared.saliency is None and cleared.saliency_mode is None
    assert cleared.saliency_class is None


def test_without_a_probe_there_is_nothing_to_show(shapes, control):
    _, run = start(shapes, control)
    control.set_saliency("saliency", 1)
    control.set_inspection(InspectRequest(0, (0, 0, 0)))
    snapshot = next(run)
    assert snapshot.saliency is None and snapshot.saliency_class is None
    assert snapshot.saliency_mode == "saliency" and snapshot.inspection is None


# ---- inspection ---------------------------------------------------------------------------------

def test_snapshots_carry_the_inspection_and_it_follows_the_weights(shapes, control):
    _, run = start(shapes, control, lr=0.05)
    control.set_probe(shapes.test_x[2])
    control.set_inspection(InspectRequest(3, (5, 2, 6)))
    first = next(run)
    cell = first.inspection
    assert isinstance(cell, ConvCell) and (cell.layer, cell.channel, cell.y, cell.x) == (3, 5, 2, 6)
    np.testing.assert_allclose(cell.pre_activation, first.probe_taps[3][5, 2, 6], rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(cell.value, first.probe_taps[4][5, 2, 6], rtol=1e-5, atol=1e-5)
    for array in (cell.patch, cell.weights, cell.products, cell.padding_mask):
        assert not array.flags.writeable
    np.testing.assert_array_equal(cell.patch[:, 0:2, 0:2], first.probe_taps[2][:, 1:3, 5:7])
    later = take(run, 5)[-1]
    assert not np.array_equal(later.inspection.weights, cell.weights)
    np.testing.assert_allclose(later.inspection.pre_activation, later.probe_taps[3][5, 2, 6],
                               rtol=1e-5, atol=1e-5)

    control.set_inspection(InspectRequest(5, (1, 3, 0)))
    pooled = next(run).inspection
    assert isinstance(pooled, PoolCell) and pooled.kind == "max"
    assert not pooled.block.flags.writeable
    control.set_inspection(InspectRequest(7, (2,), top=4))
    snapshot = next(run)
    unit = snapshot.inspection
    assert isinstance(unit, DenseUnit) and len(unit.contributions) == 4
    assert unit.source_layer == 5 and unit.source_shape == (8, 4, 4)
    np.testing.assert_allclose(unit.total, snapshot.probe_taps[7][2], rtol=1e-5, atol=1e-5)
    control.set_inspection(InspectRequest(SOFTMAX))
    snapshot = next(run)
    np.testing.assert_allclose(snapshot.inspection.probabilities, snapshot.probe_probabilities,
                               rtol=1e-5, atol=1e-7)
    control.set_inspection(None)
    assert next(run).inspection is None


def test_a_paused_loop_answers_new_requests_at_once(shapes, control):
    network, run = start(shapes, control, idle_timeout=10.0)
    control.set_probe(shapes.test_x[3])
    take(run, 2)
    control.pause()
    paused = next(run)
    assert paused.state == "paused" and paused.inspection is None and paused.saliency is None
    before = network.state_dict()
    asked = []

    def gui(action):
        time.sleep(0.2)
        asked.append(time.perf_counter())
        action()

    for action, check in (
            (lambda: control.set_inspection(InspectRequest(0, (1, 4, 4))),
             lambda s: isinstance(s.inspection, ConvCell)),
            (lambda: control.set_saliency("gradcam"), lambda s: s.saliency is not None)):
        thread = threading.Thread(target=gui, args=(action,))
        thread.start()
        try:
            answer = next(run)  # the loop sleeps until the request wakes it
        finally:
            thread.join(timeout=WATCHDOG_S)
        answered = time.perf_counter()
        assert answer.state == "paused" and answer.step == 2 and check(answer)
        assert answered - asked[-1] < 5.0  # woken, not the 10 s idle timeout
    after = network.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)  # answered, not trained


def test_requests_that_do_not_fit_give_none_and_training_goes_on(shapes, control):
    network, run = start(shapes, control)
    control.set_probe(shapes.test_x[4])
    control.set_inspection(InspectRequest(3, (8, 0, 0)))  # layer 3 has channels 0 to 7
    control.set_saliency("saliency", 8)  # TINY has 8 classes: 0 to 7
    snapshot = next(run)
    assert snapshot.inspection is None and snapshot.saliency is None
    assert snapshot.saliency_class is None and snapshot.state == "running"
    assert snapshot.message == ""
    # Valid requests, then an architecture change under them.
    control.set_inspection(InspectRequest(3, (7, 7, 7)))  # layer 3: 8x8x8
    control.set_saliency("gradcam", 7)
    assert isinstance(next(run).inspection, ConvCell)
    control.pause()
    next(run)
    fewer = {**TINY, "layers": [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
                                {"type": "relu"}, {"type": "flatten"},
                                {"type": "dense", "units": 8}]}
    control.set_spec(fewer)
    rebuilt = next(run)
    assert rebuilt.network_version == 1 and rebuilt.inspection is None
    assert rebuilt.saliency is not None and rebuilt.saliency_class == 7
    no_conv = {**TINY, "layers": [{"type": "flatten"}, {"type": "dense", "units": 8}]}
    control.set_spec(no_conv)
    control.set_inspection(InspectRequest(1, (3,)))
    rebuilt = next(run)
    assert rebuilt.network_version == 2 and rebuilt.saliency is None  # no conv for Grad-CAM
    assert isinstance(rebuilt.inspection, DenseUnit)
    control.set_saliency("saliency", 7)
    assert next(run).saliency.shape == (32, 32)
    control.step(2)
    assert [s.state for s in take(run, 2)] == ["running", "running"]


def test_training_with_saliency_and_inspection_is_bit_for_bit_training_without(shapes):
    results = []
    for explained in (False, True):
        control = Control()
        network, run = start(shapes, control)
        control.set_probe(shapes.test_x[5])
        if explained:
            control.set_saliency("saliency")
            control.set_inspection(InspectRequest(0, (1, 2, 3)))
        snapshots = take(run, 6)
        if explained:
            control.set_saliency("gradcam", 2)
            control.set_inspection(InspectRequest(7, (1,)))
        snapshots += take(run, 6)
        control.stop()
        list(run)
        assert all((s.saliency is not None) == explained for s in snapshots)
        results.append((network.state_dict(), [s.batch_loss for s in snapshots]))
    (plain, plain_losses), (explained, explained_losses) = results
    assert plain_losses == explained_losses
    assert all(np.array_equal(plain[k], explained[k]) for k in plain)


# ---- control ------------------------------------------------------------------------------------

def test_control_checks_saliency_and_inspection_in_the_callers_thread():
    control = Control()
    for mode, class_index in (("grad", None), ("saliency", -1), ("saliency", 1.0),
                              ("gradcam", True)):
        with pytest.raises(ValueError):
            control.set_saliency(mode, class_index)
    with pytest.raises(ValueError):
        control.set_inspection((0, (1, 2, 3)))
    assert not control.take_changes()
    control.set_saliency("gradcam", np.int64(3))
    control.set_inspection(InspectRequest(2, (0, 1, 1)))
    changes = control.take_changes()
    assert changes.views == {"saliency": ("gradcam", 3), "inspection": InspectRequest(2, (0, 1, 1))}
    assert not control.take_changes()  # handed over once
    control.set_saliency(None, 4)  # no mode: the class means nothing
    control.set_inspection(None)
    changes = control.take_changes()
    assert changes.views == {"saliency": (None, None), "inspection": None}
