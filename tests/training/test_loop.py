"""The live training loop, driven by plain pytest: a generator of snapshots, controlled between
batches through a Control (docs/ARCHITECTURE.md, rule 5)."""
import threading
import time

import numpy as np
import pytest

from cnnviz.architectures import load_architecture
from cnnviz.data.shapes import make_shapes
from cnnviz.engine.network import Network
from cnnviz.training.control import Control
from cnnviz.training.evaluation import evaluate
from cnnviz.training.loop import TrainConfig, train
from cnnviz.training.schedule import OneCycle, StepDecay
from cnnviz.training.snapshot import Pacer, frozen
from tests.training.loop_helpers import EVERY_BATCH, TINY, WATCHDOG_S, start, take


def drain(generator):
    """Every remaining snapshot, and the generator's return value."""
    snapshots = []
    while True:
        try:
            snapshots.append(next(generator))
        except StopIteration as end:
            return snapshots, end.value


def weights(network):
    return {name: value.copy() for name, value in network.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# ---- running, pausing, stepping, stopping -------------------------------------------------------

def test_snapshots_arrive_and_count_steps_and_images(shapes, control):
    _, run = start(shapes, control)
    snapshots = take(run, 5)
    assert [s.step for s in snapshots] == [1, 2, 3, 4, 5]
    assert [s.images_seen for s in snapshots] == [32, 64, 96, 128, 160]
    assert all(s.state == "running" and s.epoch == 1 and s.message == "" for s in snapshots)
    assert all(np.isfinite(s.batch_loss) and np.isfinite(s.smoothed_loss) for s in snapshots)
    assert all(0 <= s.train_accuracy <= 1 and s.images_per_s > 0 for s in snapshots)
    assert snapshots[0].smoothed_loss == pytest.approx(snapshots[0].batch_loss)  # bias-corrected
    assert dict(snapshots[0].hyperparameters) == {"lr": 0.02, "momentum": 0.9, "batch_size": 32,
                                                  "optimizer": "sgd",
                                                  "schedule": {"type": "constant"},
                                                  "schedule_epochs": 6}
    assert snapshots[0].test_accuracy is None and snapshots[0].confusion is None


def test_an_epoch_is_exactly_the_training_set(shapes, control):
    _, run = start(shapes, control, batch_size=64)
    snapshots = take(run, 11)  # 600 images: 9 batches of 64 and one of 24
    assert [s.images_seen for s in snapshots[8:]] == [576, 600, 664]
    assert [s.epoch for s in snapshots[8:]] == [1, 1, 2]


def test_pause_stops_training_until_resumed_from_another_thread(shapes, control):
    network, run = start(shapes, control)
    take(run, 2)
    control.pause()
    paused = next(run)
    assert paused.state == "paused" and paused.step == 2 and control.paused
    frozen_weights = weights(network)
    probe = shapes.test_x[3]
    resumed_at = []

    def gui():  # what the GUI thread does while the worker sleeps in the paused loop
        time.sleep(0.2)
        control.set_probe(probe)
        time.sleep(0.3)
        resumed_at.append(time.perf_counter())
        control.resume()

    thread = threading.Thread(target=gui)
    thread.start()
    try:
        answer = next(run)  # the paused loop answers the new probe without training
        assert answer.state == "paused" and answer.step == 2 and len(answer.probe_taps) == 8
        assert same_weights(weights(network), frozen_weights)
        after = next(run)  # blocks until the resume
        assert resumed_at and time.perf_counter() >= resumed_at[0]
        assert after.state == "running" and after.step == 3 and not control.paused
    finally:
        thread.join(timeout=WATCHDOG_S)
    assert not thread.is_alive()


def test_step_runs_exactly_n_batches_then_pauses(shapes, control):
    _, run = start(shapes, control)
    next(run)
    control.pause()
    assert next(run).state == "paused"
    control.step(3)
    stepped = take(run, 3)
    assert [s.step for s in stepped] == [2, 3, 4]
    again = next(run)
    assert again.state == "paused" and again.step == 4 and control.paused
    control.stop()
    assert next(run).step == 4


def test_stop_ends_the_generator_with_a_stopped_snapshot(shapes, control):
    network, run = start(shapes, control)
    take(run, 2)
    control.stop()
    last = next(run)
    assert last.state == "stopped" and last.step == 2
    with pytest.raises(StopIteration) as end:
        next(run)
    assert end.value.value is network  # the generator returns the network it ends with


def test_finishes_after_the_configured_epochs_with_a_full_evaluation(shapes, control):
    _, run = start(shapes, control, epochs=1, batch_size=64)
    snapshots = list(run)
    last = snapshots[-1]
    assert last.state == "finished" and last.step == 10 and last.epoch == 1
    assert last.images_seen == 600 and last.evaluated_images == 200 and last.evaluation_step == 10


# ---- changes while training ---------------------------------------------------------------------

def test_learning_rate_change_takes_effect_at_the_next_batch(shapes, control):
    network, run = start(shapes, control)
    take(run, 2)
    control.set_hyperparameters(lr=0.0)
    before = weights(network)
    snapshot = next(run)
    assert snapshot.hyperparameters["lr"] == 0.0 and snapshot.step == 3
    assert same_weights(weights(network), before)  # a zero step, momentum or not
    control.set_hyperparameters(lr=0.05, momentum=0.5)
    snapshot = next(run)
    assert dict(snapshot.hyperparameters) == {"lr": 0.05, "momentum": 0.5, "batch_size": 32,
                                              "optimizer": "sgd", "schedule": {"type": "constant"},
                                              "schedule_epochs": 6}
    assert not same_weights(weights(network), before)


def test_batch_size_change_restarts_the_epoch_and_keeps_its_length(shapes, control):
    _, run = start(shapes, control)
    take(run, 2)
    control.set_hyperparameters(batch_size=100)
    snapshots = take(run, 7)
    assert all(s.hyperparameters["batch_size"] == 100 for s in snapshots)
    assert [s.images_seen for s in snapshots] == [164, 264, 364, 464, 564, 600, 700]
    assert [s.epoch for s in snapshots] == [1, 1, 1, 1, 1, 1, 2]


def test_optimizer_switch_keeps_the_learning_rate(shapes, control):
    _, run = start(shapes, control)
    take(run, 2)
    control.set_hyperparameters(optimizer="adam", lr=0.003)
    snapshots = take(run, 3)
    assert dict(snapshots[0].hyperparameters) == {"lr": 0.003, "momentum": 0.9,
                                                  "batch_size": 32, "optimizer": "adam",
                                                  "schedule": {"type": "constant"},
                                                  "schedule_epochs": 6}
    assert all(s.state == "running" and np.isfinite(s.batch_loss) for s in snapshots)


# ---- learning-rate schedules (training/schedule.py) ----------------------------------------------

def test_each_batch_takes_the_schedules_rate(shapes, control):
    # 600 images in batches of 32: 19 steps an epoch, so one-cycle over 2 epochs spans 38 steps
    _, run = start(shapes, control, lr=0.01, schedule=OneCycle(), schedule_epochs=2)
    snapshots = take(run, 45)
    expected = [OneCycle().rate(0.01, step, 38) for step in range(45)]
    assert [s.learning_rate for s in snapshots] == pytest.approx(expected, rel=1e-12)
    # (the schedule itself is held to PyTorch's in test_schedule.py): up, down, then held
    assert expected[0] < expected[8] > expected[37] and expected[37:] == [expected[37]] * 8
    assert {s.hyperparameters["lr"] for s in snapshots} == {0.01}  # the set rate, unchanged
    assert snapshots[0].hyperparameters["schedule"] == {"type": "one-cycle"}
    assert snapshots[0].hyperparameters["schedule_epochs"] == 2


def test_a_schedule_chosen_while_training_starts_at_the_next_batch(shapes, control):
    _, run = start(shapes, control, lr=0.02)
    assert {s.learning_rate for s in take(run, 5)} == {0.02}
    decay = StepDecay((0.5,), 0.1)
    control.set_hyperparameters(schedule=decay, schedule_epochs=1)  # 19 steps from step 5
    snapshots = take(run, 12)
    assert [s.learning_rate for s in snapshots] == pytest.approx([0.02] * 9 + [0.002] * 3)
    assert snapshots[0].hyperparameters["schedule"] == decay.as_json()
    control.set_hyperparameters(lr=0.04, schedule=decay, schedule_epochs=1)  # the same schedule:
    assert next(run).learning_rate == pytest.approx(0.004)  # it goes on, with the new rate
    with pytest.raises(ValueError, match="schedule"):
        control.set_hyperparameters(schedule="one-cycle")
    with pytest.raises(ValueError, match="schedule_epochs"):
        control.set_hyperparameters(schedule_epochs=0)


def test_the_ramp_after_an_edit_scales_the_scheduled_rate(shapes, control):
    network, run = start(shapes, control, lr=0.01, schedule=OneCycle(), schedule_epochs=2,
                         edit_warmup=4)
    take(run, 10)
    edited = dict(network.spec, layers=[dict(layer) for layer in network.spec["layers"]])
    edited["layers"][3]["filters"] = 6  # conv 2 and the dense layer after it start afresh
    control.set_spec(edited)
    snapshots = take(run, 6)
    ramp = [1 / 4, 2 / 4, 3 / 4, 1, 1, 1]
    expected = [OneCycle().rate(0.01, step, 38) * k for step, k in zip(range(10, 16), ramp)]
    assert [s.learning_rate for s in snapshots] == pytest.approx(expected, rel=1e-12)


def test_probe_taps_match_every_layer(shapes, control):
    network, run = start(shapes, control)
    image = shapes.test_x[0]
    control.set_probe(image)
    snapshot = next(run)
    assert [t.shape for t in snapshot.probe_taps] == [layer.out_shape for layer in network.layers]
    expected = network.forward_taps(image[None])  # the same weights: nothing ran since
    for tap, want in zip(snapshot.probe_taps, expected):
        np.testing.assert_array_equal(tap, want[0])
    assert snapshot.probe_probabilities.shape == (8,)
    assert snapshot.probe_probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert [w.shape for w in snapshot.conv_weights] == [(4, 3, 3, 3), (8, 4, 3, 3)]

    control.set_probe(None)
    cleared = next(run)
    assert cleared.probe_taps == () and cleared.probe_probabilities is None
    control.set_probe(np.zeros((1, 28, 28), np.float32))
    wrong = next(run)
    assert wrong.probe_taps == () and "1x28x28" in wrong.message and "3x32x32" in wrong.message
    assert next(run).message == ""  # a message is shown once


def test_snapshot_arrays_are_read_only_copies(shapes, control):
    network, run = start(shapes, control)
    control.set_probe(shapes.test_x[1])
    control.request_evaluation()
    first = next(run)
    arrays = [*first.probe_taps, first.probe_probabilities, *first.conv_weights,
              first.confusion, first.misclassified]
    copies = [a.copy() for a in arrays]
    take(run, 5)
    for array, copy in zip(arrays, copies):
        assert not array.flags.writeable
        np.testing.assert_array_equal(array, copy)
        assert not np.shares_memory(array, network.layers[0].weight.value)
    with pytest.raises(ValueError):
        first.conv_weights[0][0, 0, 0, 0] = 1.0
    with pytest.raises(TypeError):
        first.hyperparameters["lr"] = 1.0
    assert not frozen(np.arange(3)).flags.writeable


def test_divergence_restores_the_last_good_weights_and_pauses(shapes, control):
    network, run = start(shapes, control)
    take(run, 3)
    control.pause()
    next(run)
    good = weights(network)
    control.set_hyperparameters(lr=10.0)  # the highest the app allows
    control.resume()
    for snapshot in run:
        if snapshot.state == "diverged" or snapshot.step > 200:
            break
    assert snapshot.state == "diverged", "lr=10 should blow up within a few batches"
    assert f"at step {snapshot.step};" in snapshot.message
    assert "learning rate 10 is probably too high" in snapshot.message
    assert "weights from step 3 were restored" in snapshot.message
    restored = weights(network)
    assert same_weights(restored, good)
    assert all(np.isfinite(v).all() for v in restored.values())
    assert control.paused
    # The user lowers the learning rate and resumes: training goes on from the good weights.
    control.set_hyperparameters(lr=0.02)
    notice = next(run)  # the paused loop shows the change, still marked as diverged
    assert notice.state == "diverged" and notice.hyperparameters["lr"] == 0.02
    control.resume()
    after = next(run)
    assert after.state == "running" and np.isfinite(after.batch_loss) and after.message == ""


def test_learning_rate_5_is_caught_before_the_network_dies(shapes, control):
    """SGD at learning rate 5 on shapes-small: the loss goes 3.2, 3.3, then thousands, then
    1e25; the first jump is caught (a hundred times the smoothed loss), not only NaN."""
    network = Network(load_architecture("shapes-small"), seed=0)
    initial = weights(network)
    run = train(network, shapes, control, TrainConfig(**EVERY_BATCH, batch_size=64, lr=5.0))
    for snapshot in run:
        if snapshot.state == "diverged" or snapshot.step > 20:
            break
    assert snapshot.state == "diverged" and snapshot.step <= 5
    assert snapshot.message.startswith("loss exploded to ")
    assert same_weights(weights(network), initial)  # the checkpoint of step 0
    assert snapshot.smoothed_loss is None or snapshot.smoothed_loss < 10
    control.stop()


def test_a_nan_weight_is_caught_and_the_first_checkpoint_restored(shapes, control):
    network, run = start(shapes, control)
    initial = weights(network)  # the loop keeps a checkpoint of the starting weights
    last_good = take(run, 3)[-1]
    network.layers[7].weight.value[0, 0] = np.nan  # as if an update had gone wrong
    snapshot = next(run)
    assert snapshot.state == "diverged" and snapshot.step == 4
    assert snapshot.message.startswith("loss became NaN at step 4;")
    assert "weights from step 0 were restored" in snapshot.message
    assert same_weights(weights(network), initial)
    # The NaN batch does not enter the loss figures.
    assert snapshot.batch_loss == last_good.batch_loss
    assert snapshot.smoothed_loss == last_good.smoothed_loss
    control.stop()
    assert next(run).state == "stopped"


def test_spec_change_mid_run_keeps_unchanged_layers(shapes, control):
    network, run = start(shapes, control)
    take(run, 3)
    control.pause()
    next(run)
    first_conv = network.layers[0].weight.value.copy()
    last_dense_in = network.layers[7].weight.value.shape
    spec = {**TINY, "layers": [dict(layer) for layer in TINY["layers"]]}
    spec["layers"][3]["filters"] = 12
    control.set_spec(spec)
    rebuilt = next(run)  # the paused loop answers at once, before any training
    assert rebuilt.state == "paused" and rebuilt.network_version == 1 and rebuilt.step == 3
    np.testing.assert_array_equal(rebuilt.conv_weights[0], first_conv)  # bit for bit
    assert rebuilt.conv_weights[1].shape == (12, 4, 3, 3)
    # A spec that does not fit the data is refused with a message; the network stays.
    control.set_spec({**TINY, "classes": ["a", "b"], "layers": TINY["layers"][:-1]
                      + [{"type": "dense", "units": 2}]})
    refused = next(run)
    assert "not applied" in refused.message and refused.network_version == 1
    control.step(2)
    stepped = take(run, 2)
    assert all(s.state == "running" and np.isfinite(s.batch_loss) for s in stepped)
    control.stop()
    snapshots, new_network = drain(run)
    assert snapshots[-1].state == "stopped"
    assert new_network is not network and new_network.layers[7].weight.value.shape == (8, 192)
    assert last_dense_in == (8, 128)
    assert new_network.layers[0].weight is network.layers[0].weight


# ---- evaluation ---------------------------------------------------------------------------------

def test_evaluation_on_request_and_periodically_on_a_subset(shapes, control):
    _, run = start(shapes, control, eval_every=3, eval_subset=50)
    control.request_evaluation()
    full = next(run)
    assert full.evaluated_images == 200 and full.evaluation_step == 0
    assert 0 <= full.test_accuracy <= 1 and np.isfinite(full.test_loss)
    assert full.confusion.shape == (8, 8) and full.confusion.sum() == 200
    assert len(full.misclassified) == 200 - np.trace(full.confusion)
    later = take(run, 4)
    assert later[-1].evaluation_step == 3 and later[-1].evaluated_images == 50
    assert later[-1].confusion.sum() == 50
    assert np.all(later[-1].misclassified < 200)


def test_evaluate_counts_and_chunks(shapes):
    network = Network(TINY, seed=3)
    x, y = shapes.test_x, shapes.test_y
    whole = evaluate(network, x, y, shapes.classes)
    chunked = evaluate(network, x, y, 8, chunk=7)
    predicted = network.forward(x).argmax(axis=1)
    np.testing.assert_array_equal(whole.misclassified, np.flatnonzero(predicted != y))
    np.testing.assert_array_equal(chunked.confusion, whole.confusion)
    np.testing.assert_array_equal(chunked.misclassified, whole.misclassified)
    assert chunked.loss == pytest.approx(whole.loss, rel=1e-5)
    assert whole.accuracy == np.mean(predicted == y) and whole.images == 200
    assert whole.confusion[y[0], predicted[0]] >= 1
    assert evaluate(network, x, y, 8, chunk=7, should_stop=lambda: True) is None


# ---- learning and reproducibility ---------------------------------------------------------------

def test_learns_shapes_well_above_chance(control):
    data = make_shapes(train_size=2000, test_size=400)
    network = Network(TINY, seed=0)
    config = TrainConfig(epochs=4, batch_size=32, optimizer="adam", lr=0.01, eval_every=None)
    begin = time.perf_counter()
    last = list(train(network, data, control, config))[-1]
    elapsed = time.perf_counter() - begin
    assert last.state == "finished" and last.evaluated_images == 400
    assert last.test_accuracy > 0.5, last  # chance is 1/8
    assert elapsed < 30, f"{elapsed:.1f} s"  # a few seconds on an idle machine


def test_seeded_runs_repeat_exactly(shapes):
    def losses(seed):
        control = Control()
        _, run = start(shapes, control, seed=seed)
        result = [s.batch_loss for s in take(run, 12)]
        control.stop()
        list(run)
        return result

    assert losses(4) == losses(4)
    assert losses(4) != losses(5)


def test_snapshots_are_rate_limited(shapes, control):
    _, run = start(shapes, control, snapshot_every=1, snapshot_seconds=None, max_snapshot_hz=20)
    begin, count = time.perf_counter(), 0
    for snapshot in run:  # noqa: B007 (the last one is read after the loop)
        count += 1
        if time.perf_counter() - begin > 0.5:
            break
    elapsed = time.perf_counter() - begin
    assert count <= elapsed * 20 + 2 and snapshot.step > count


def test_pacer_rules():
    every_three = Pacer(every=3, seconds=None, max_hz=None)
    every_three.sent()
    for _ in range(2):
        every_three.batch_done()
    assert not every_three.due() and every_three.due(urgent=True)
    every_three.batch_done()
    assert every_three.due() and every_three.delay() == 0
    now = [100.0]
    capped = Pacer(every=1, seconds=0.0, max_hz=10, clock=lambda: now[0])
    assert capped.due()  # nothing sent yet
    capped.sent()
    capped.batch_done()
    now[0] += 0.04
    assert not capped.due(urgent=True) and capped.delay() == pytest.approx(0.06)  # urgent waits
    now[0] += 0.06
    assert capped.due() and capped.delay() == 0


# ---- the control object -------------------------------------------------------------------------

def test_control_checks_values_in_the_callers_thread():
    control = Control()
    for bad in (dict(lr=-1), dict(lr=float("nan")), dict(momentum=1.0), dict(batch_size=0),
                dict(batch_size=2.5), dict(optimizer="rmsprop")):
        with pytest.raises(ValueError):
            control.set_hyperparameters(**bad)
    with pytest.raises(ValueError):
        control.step(0)
    with pytest.raises(ValueError):
        control.set_probe(np.zeros((32, 32)))
    assert not control.take_changes()


def test_control_hands_over_changes_once():
    control = Control()
    control.set_hyperparameters(lr=0.1)
    control.set_hyperparameters(momentum=0.5)
    image = np.ones((3, 4, 4), np.float32)
    control.set_probe(image)
    image[:] = 0  # the control kept its own copy
    control.request_evaluation()
    changes = control.take_changes()
    assert changes.hyperparameters == {"lr": 0.1, "momentum": 0.5}
    assert changes.probe_changed and changes.probe.sum() == 48 and changes.evaluate
    assert not control.take_changes()
    control.set_probe(None)
    cleared = control.take_changes()
    assert cleared.probe_changed and cleared.probe is None


def test_control_budget_and_waiting():
    control = Control(paused=True)
    assert control.paused and not control.take_batch()
    begin = time.perf_counter()
    assert control.wait_while_paused(0.05) is False  # nothing happened: times out
    assert time.perf_counter() - begin >= 0.04
    control.step(2)
    assert control.wait_while_paused(5) is True
    assert control.take_batch() and control.take_batch() and not control.take_batch()
    assert control.paused
    control.set_hyperparameters(lr=0.5)
    assert control.wait_while_paused(5) is True  # a change wakes a paused loop
    control.take_changes()
    control.resume()
    assert all(control.take_batch() for _ in range(10)) and not control.paused
    control.stop()
    assert control.stopped and not control.paused and not control.take_batch()
    assert control.wait_while_paused(5) is True


# ---- pause and stop cut the batch under way short ----------------------------------------------

def pause_during_batch(network, control, on_call):
    """Make the network's on_call-th training step see a pause arrive while it runs."""
    original, calls = network.train_step, []

    def train_step(x, labels, optimizer, interrupt=None):
        calls.append(len(labels))
        if len(calls) == on_call:
            control.pause()  # as the GUI thread would, mid-batch
        return original(x, labels, optimizer, interrupt)

    network.train_step = train_step
    return calls


def test_a_pause_mid_batch_abandons_it_and_resume_runs_it_again(shapes, control):
    """The abandoned batch leaves no trace: after resuming, the weights are bit for bit those of
    a run that was never paused."""
    reference, plain = start(shapes, Control(), seed=4)
    take(plain, 5)
    network, run = start(shapes, control, seed=4)
    calls = pause_during_batch(network, control, on_call=3)
    take(run, 2)
    paused = next(run)
    assert paused.state == "paused" and paused.step == 2 and len(calls) == 3
    control.resume()
    assert [s.step for s in take(run, 3)] == [3, 4, 5]
    assert same_weights(weights(network), weights(reference))


def test_a_stop_mid_batch_ends_the_loop_without_finishing_the_batch(shapes, control):
    network, run = start(shapes, control)
    original = network.train_step
    take(run, 2)
    before = weights(network)

    def stopped_mid_batch(x, labels, optimizer, interrupt=None):
        control.stop()
        return original(x, labels, optimizer, interrupt)

    network.train_step = stopped_mid_batch
    last = next(run)
    assert last.state == "stopped" and last.step == 2
    assert same_weights(weights(network), before)


def test_a_pause_mid_evaluation_defers_it_until_resume(shapes, control):
    network, run = start(shapes, control, eval_chunk=50)
    next(run)
    control.pause()
    assert next(run).state == "paused"
    original, calls = network.forward, []

    def forward(x, training=False, interrupt=None, each_layer=None):
        calls.append(interrupt)
        if len(calls) == 2:
            control.pause()  # a second pause click, arriving while the evaluation runs
        return original(x, training, interrupt, each_layer)

    network.forward = forward
    control.request_evaluation()
    answer = next(run)  # cut short after its first chunk: no evaluation yet, still paused
    assert answer.state == "paused" and answer.evaluated_images == 0 and len(calls) == 2
    assert calls[0] is control.interrupt  # evaluations are interruptible, the probe is not
    control.resume()
    evaluated = next(run)
    assert evaluated.evaluated_images == 200 and evaluated.step == 2


def test_evaluations_carry_each_test_images_prediction(shapes, control):
    """What lets a click on a confusion cell list exactly its images: predictions agree with
    the confusion matrix, and a subset evaluation marks the images it left out with -1."""
    _, run = start(shapes, control, eval_every=2, eval_subset=50)
    control.request_evaluation()
    full = next(run)
    pred = full.predictions
    assert pred.shape == (200,) and not pred.flags.writeable
    recount = np.zeros_like(full.confusion)
    np.add.at(recount, (shapes.test_y, pred), 1)
    np.testing.assert_array_equal(recount, full.confusion)
    np.testing.assert_array_equal(np.flatnonzero(pred != shapes.test_y), full.misclassified)
    subset = take(run, 2)[-1]
    assert subset.evaluated_images == 50
    evaluated = subset.predictions >= 0
    assert evaluated.sum() == 50
    recount = np.zeros_like(subset.confusion)
    np.add.at(recount, (shapes.test_y[evaluated], subset.predictions[evaluated]), 1)
    np.testing.assert_array_equal(recount, subset.confusion)
