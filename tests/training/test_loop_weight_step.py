"""The weight update and the probe's gradients in the training loop: a watched weight's update
in a snapshot is the one the optimizer made (the next snapshot's weight is its "after", the
next update starts from it), for SGD with momentum and Adam on conv and dense weights; the
gradient maps come only when asked, for the class asked; the sliding sum behind a conv weight's
gradient follows the probe; an edit or a restore forgets the update."""
import numpy as np
import pytest

from cnnviz.engine.inspect_gradient import probe_gradients
from cnnviz.engine.weight_update import WeightRef
from cnnviz.training.control import Control
from tests.training.loop_helpers import TINY, start, take

CONV = WeightRef(3, "weight", (5, 2, 1, 0))
DENSE = WeightRef(7, "weight", (4, 101))


def weight_now(snapshot, ref):
    if ref.layer == 3:
        return float(snapshot.conv_weights[1][ref.index])
    return snapshot.weight_value


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 0.01)])
@pytest.mark.parametrize("ref", [CONV, DENSE], ids=["conv", "dense"])
def test_the_update_shown_is_the_update_made(shapes, control, optimizer, lr, ref):
    network, run = start(shapes, control, optimizer=optimizer, lr=lr)
    control.set_weight(ref)
    first = next(run)
    update = first.weight_update
    assert update.ref == ref and update.step == first.step == 1
    assert update.optimizer == optimizer and update.lr == lr
    assert first.weight_value == update.after == weight_now(first, ref)
    assert abs(update.expected_after() - update.after) <= abs(np.spacing(np.float32(update.after)))
    for later in take(run, 3):
        following = later.weight_update
        assert following.step == later.step and following.before == update.after
        assert following.after == later.weight_value == weight_now(later, ref)
        if optimizer == "adam":
            assert following.m_before == update.m_after and following.adam_step == later.step
        else:
            assert following.velocity_before == update.velocity_after
        update = following
    assert update.after == float(network.layers[ref.layer].weight.value[ref.index])


def test_gradients_come_only_when_asked_for_the_class_asked(shapes, control):
    network, run = start(shapes, control, lr=0.0)  # the weights stay: compare with a direct pass
    probe = shapes.test_x[3]
    control.set_probe(probe)
    assert next(run).probe_gradients is None
    control.set_gradients(True, 2)
    snapshot = next(run)
    grads = snapshot.probe_gradients
    expected = probe_gradients(network, network.forward_taps(probe[None]), 2)
    assert grads.class_index == 2 and grads.loss == pytest.approx(expected.loss)
    for shown, direct, tap in zip(grads.maps, expected.maps, snapshot.probe_taps):
        assert shown.shape == tap.shape and not shown.flags.writeable
        np.testing.assert_allclose(shown, direct, rtol=1e-6, atol=1e-9)
    for shown, direct in zip(grads.filters, expected.filters):
        np.testing.assert_allclose(shown, direct, rtol=1e-6, atol=1e-9)
    control.set_gradients(True)  # the predicted class
    snapshot = next(run)
    assert snapshot.probe_gradients.class_index == int(np.argmax(snapshot.probe_probabilities))
    control.set_gradients(False, 2)
    assert next(run).probe_gradients is None


def test_a_watched_conv_weight_brings_its_sliding_sum_on_the_probe(shapes, control):
    network, run = start(shapes, control)
    control.set_probe(shapes.test_x[0])
    control.set_weight(CONV)
    control.set_gradients(False, int(shapes.test_y[0]))
    snapshot = next(run)
    summed = snapshot.gradient_sum
    assert snapshot.probe_gradients is None  # maps were not asked for
    assert summed.ref == CONV and summed.inputs.shape == (8, 8) and summed.channel == 2
    assert summed.total == pytest.approx(summed.engine, rel=1e-5, abs=1e-8)
    assert not summed.products.flags.writeable
    control.set_weight(None)
    snapshot = next(run)
    assert snapshot.weight_update is snapshot.gradient_sum is snapshot.weight_value is None


def test_an_edit_that_removes_the_weight_forgets_it(shapes, control):
    _, run = start(shapes, control)
    control.set_weight(DENSE)
    assert next(run).weight_update is not None
    smaller = dict(TINY, layers=TINY["layers"][:-1] + [{"type": "dense", "units": 8},
                                                       {"type": "dense", "units": 8}])
    smaller["layers"][-2] = {"type": "dense", "units": 3}  # layer 7 now has 3 units: no unit 4
    control.set_spec(smaller)
    for snapshot in take(run, 2):
        assert snapshot.weight_update is None and snapshot.weight_value is None


def test_control_checks_the_weight_and_the_class():
    control = Control()
    with pytest.raises(ValueError, match="WeightRef"):
        control.set_weight((3, "weight", (0, 0, 0, 0)))
    with pytest.raises(ValueError, match="class_index"):
        control.set_gradients(True, -1)
    control.set_gradients(True, np.int64(1))
    control.set_weight(CONV)
    assert control.take_changes().views == {"gradients": (True, 1), "weight": CONV}
