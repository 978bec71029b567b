"""The top images per filter and unit (training/top_images.py), gathered during an evaluation,
against a brute-force ranking of every image's activations; the dead filters against a direct
count; and how the loop's snapshots carry them."""
import numpy as np
import pytest

from cnnviz.data.shapes import CLASSES, make_shapes
from cnnviz.engine.network import Network
from cnnviz.training.evaluation import evaluate
from cnnviz.training.loop import TrainConfig, train
from cnnviz.training.snapshot import eval_subset
from cnnviz.training.top_images import TopTracker

# Every kind of stage: conv -> relu (dies), conv -> batchnorm -> tanh (cannot die), dense -> relu
# -> dropout (dies), and the last dense layer alone.
NET = {
    "name": "stages", "input": [3, 16, 16], "classes": list(CLASSES),
    "layers": [
        {"type": "conv", "filters": 6, "kernel": 3, "padding": 1},           # 0: 6x16x16
        {"type": "relu"},                                                    # 1
        {"type": "maxpool", "size": 2},                                      # 2: 6x8x8
        {"type": "conv", "filters": 5, "kernel": 3, "stride": 2},            # 3: 5x3x3
        {"type": "batchnorm"},                                               # 4
        {"type": "tanh"},                                                    # 5
        {"type": "flatten"},                                                 # 6
        {"type": "dense", "units": 12},                                      # 7
        {"type": "relu"},                                                    # 8
        {"type": "dropout", "rate": 0.3},                                    # 9
        {"type": "dense", "units": 8},                                       # 10
    ],
}
STAGES = {0: 1, 3: 5, 7: 9, 10: 10}  # each conv or dense layer: the layer whose output is ranked
EVERY_BATCH = {"snapshot_every": 1, "snapshot_seconds": None, "max_snapshot_hz": None,
               "eval_every": None}


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(train_size=200, test_size=90, size=16)


def network(seed=0, dead=()):
    """The test network; the conv-0 filters in `dead` made dead (their ReLU never opens)."""
    net = Network(NET, seed=seed)
    for f in dead:
        net.layers[0].weight.value[f] = -1.0
        net.layers[0].bias.value[f] = -100.0
    return net


def brute_force(net, x, k, chunk):
    """Per ranked stage: every image's score (the map's max) ranked by sorting all of them,
    higher score first, then the lower image index; and where each image's max is (the first
    in row-major order). The activations come from forward_taps over the same chunks, so that
    the values compared are the very same numbers."""
    taps = [net.forward_taps(x[i:i + chunk]) for i in range(0, len(x), chunk)]
    answer = {}
    for layer, tap in STAGES.items():
        out = np.concatenate([t[tap] for t in taps]).astype(np.float32) + np.float32(0)
        n, units = out.shape[:2]
        flat = out.reshape(n, units, -1)
        scores = flat.max(axis=2)
        first = flat.argmax(axis=2)
        images = np.empty((units, min(k, n)), np.int64)
        for u in range(units):
            order = np.lexsort((np.arange(n), -scores[:, u]))  # last key first: score, then index
            images[u] = order[:k]
        ranked = np.take_along_axis(scores.T, images, axis=1)
        where = np.take_along_axis(first.T, images, axis=1)
        positions = (np.stack(np.divmod(where, out.shape[-1]), axis=-1) if out.ndim == 4
                     else None)
        alive = out.reshape(n, units, -1).max(axis=(0, 2)) > 0
        answer[layer] = images, ranked, positions, alive
    return answer


def check_against_brute_force(top, net, x, k, chunk):
    expected = brute_force(net, x, k, chunk)
    assert [t.layer for t in top.layers] == list(STAGES)
    for t in top.layers:
        images, scores, positions, alive = expected[t.layer]
        assert t.tap == STAGES[t.layer]
        np.testing.assert_array_equal(t.images, images, err_msg=f"layer {t.layer}")
        np.testing.assert_array_equal(t.scores, scores)
        if positions is None:
            assert t.positions is None and t.kind == "dense"
        else:
            assert t.kind == "conv"
            np.testing.assert_array_equal(t.positions, positions)
        if t.layer in (0, 7):  # the stages that end in a ReLU (the dropout after it aside)
            np.testing.assert_array_equal(t.dead, ~alive)
        else:
            assert t.dead is None


@pytest.mark.parametrize("chunk", [7, 90])
def test_top_images_and_positions_match_a_brute_force_ranking(shapes, chunk):
    net = network(seed=1, dead=(2,))
    result = evaluate(net, shapes.test_x, shapes.test_y, chunk=chunk, top_k=5)
    top = result.top
    assert top.k == 5 and top.evaluated == 90
    check_against_brute_force(top, net, shapes.test_x, 5, chunk)
    first = top.layer(0)
    assert first.dead.tolist() == [f == 2 for f in range(6)]
    assert top.layer(6) is None
    for t in top.layers:
        assert not (t.scores.flags.writeable or t.images.flags.writeable)


def test_ties_go_to_the_lower_image_index_whatever_the_chunks(shapes):
    """Duplicated images tie exactly; a dead filter ties every image at 0 (then its map's max is
    at its first cell). Chunks of 4 put tied images on both sides of many chunk boundaries."""
    pick = np.random.default_rng(5).integers(0, 3, 40)
    x = shapes.test_x[pick]  # 40 images, only 3 of them different
    net = network(seed=2, dead=(0, 4))
    top = evaluate(net, x, shapes.test_y[pick], chunk=4, top_k=6).top
    check_against_brute_force(top, net, x, 6, 4)
    dead = top.layer(0)
    for f in (0, 4):
        assert dead.images[f].tolist() == [0, 1, 2, 3, 4, 5]
        assert dead.scores[f].tolist() == [0.0] * 6 and dead.positions[f].tolist() == [[0, 0]] * 6
    for t in top.layers:  # a unit's best non-zero score: copies of one image, in index order
        for row, scores in zip(t.images, t.scores):
            same = (scores == scores[0]) & (scores != 0)
            assert len(set(pick[row[same]].tolist())) <= 1
            assert np.all(np.diff(row[same]) > 0)


def test_fewer_images_than_k_keeps_them_all(shapes):
    net = network()
    top = evaluate(net, shapes.test_x[:3], shapes.test_y[:3], top_k=8).top
    assert top.evaluated == 3
    check_against_brute_force(top, net, shapes.test_x[:3], 8, 500)
    assert all(t.images.shape == (t.units, 3) for t in top.layers)


def test_ranking_nan_negative_zero_and_ties_across_chunks():
    """Scores handed to the tracker directly (the dense stage's output, 12 units), in uneven
    chunks: the ranking is Python's sort on (score, -index), -0.0 equal to 0.0, NaN last."""
    rng = np.random.default_rng(3)
    scores = rng.choice(np.array([2.5, 1.0, 0.0, -0.0, -1.0, np.nan, np.inf], np.float32),
                        size=(50, 12))
    tracker = TopTracker(network(), 4)
    for start, end in ((0, 3), (3, 4), (4, 30), (30, 50)):
        tracker.start_chunk(start)
        tracker.see(9, scores[start:end])
    top = tracker.result(50).layer(7)
    for unit in range(12):
        plain = [(-np.inf if np.isnan(v) else float(v), -i) for i, v in enumerate(scores[:, unit])]
        best = sorted(plain, reverse=True)[:4]
        assert top.images[unit].tolist() == [-i for _, i in best]
        assert top.scores[unit].tolist() == [v for v, _ in best]
    with pytest.raises(ValueError, match="comes after"):
        tracker.start_chunk(10)  # chunks out of order would break ties wrongly


def test_no_top_images_unless_asked_and_a_bad_k_is_refused(shapes):
    net = network()
    assert evaluate(net, shapes.test_x, shapes.test_y).top is None
    for bad in (0, -1, 2.5, True, "8"):
        with pytest.raises(ValueError, match="k must be"):
            TopTracker(net, bad)


def test_reindexed_maps_to_test_set_indices(shapes):
    net = network()
    top = evaluate(net, shapes.test_x[10:30], shapes.test_y[10:30], top_k=4).top
    moved = top.reindexed(np.arange(10, 30))
    for before, after in zip(top.layers, moved.layers):
        np.testing.assert_array_equal(after.images, before.images + 10)
        assert after.scores is before.scores and not after.images.flags.writeable


# ---- in the training loop ------------------------------------------------------------------------

def start(data, control, **config):
    net = network(seed=3)
    settings = {**EVERY_BATCH, "batch_size": 16, "seed": 0}
    settings.update(config)
    return net, train(net, data, control, TrainConfig(**settings))


def take(generator, n):
    return [next(generator) for _ in range(n)]


def test_snapshots_carry_the_subset_evaluations_top_images_as_test_set_indices(shapes, control):
    net, run = start(shapes, control, eval_every=2, eval_subset=40, top_images=3)
    assert [s.top_images for s in take(run, 2)] == [None, None]  # no evaluation yet
    control.pause()  # the evaluation due after step 2 runs, then nothing trains on
    evaluated = next(run)
    assert evaluated.state == "paused" and evaluated.evaluation_step == 2
    index, x, _ = eval_subset(shapes, 40, 0)
    top = evaluated.top_images
    assert top.evaluated == 40 and top.k == 3
    expected = brute_force(net, x, 3, 500)
    for t in top.layers:
        np.testing.assert_array_equal(t.images, index[expected[t.layer][0]])
        assert not t.images.flags.writeable
    control.resume()
    later = next(run)
    assert later.step == 3 and later.top_images is top  # frozen once, shared by every snapshot that follows
    control.stop()
    list(run)


def test_no_top_images_when_switched_off(shapes, control):
    _, run = start(shapes, control, top_images=0)
    control.request_evaluation()
    snap = next(run)
    assert snap.evaluated_images == 90 and snap.top_images is None
    control.stop()
    list(run)


def test_top_images_survive_a_pause_during_the_evaluation(shapes, control):
    """A pause cuts the evaluation short after its first chunk; on resume it runs again from
    the start, and its top images are those of every test image, none counted twice."""
    net, run = start(shapes, control, eval_chunk=20)
    next(run)
    control.pause()
    assert next(run).state == "paused"
    original, calls, seen = net.forward, [], []

    def forward(x, training=False, interrupt=None, each_layer=None):
        calls.append(len(x))
        if len(calls) == 2:
            control.pause()  # arrives while the second chunk runs
        if len(calls) == 3:
            seen.append(net.state_dict())  # the weights the evaluation run again sees
        return original(x, training, interrupt, each_layer)

    net.forward = forward
    control.request_evaluation()
    cut = next(run)
    assert cut.state == "paused" and cut.top_images is None and len(calls) == 2
    control.resume()
    snap = next(run)
    assert snap.evaluated_images == 90 and snap.evaluation_step == 1
    assert calls[2:7] == [20, 20, 20, 20, 10]  # all of it again (then a training batch)
    evaluated = network()
    evaluated.load_state_dict(seen[0])
    check_against_brute_force(snap.top_images, evaluated, shapes.test_x, 8, 20)
    control.stop()
    list(run)


def test_a_network_of_one_dense_layer_ranks_its_logits():
    spec = {"name": "linear", "input": [1, 4, 4], "classes": ["a", "b"],
            "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}
    net = Network(spec)
    x = np.random.default_rng(0).random((5, 1, 4, 4), dtype=np.float32)
    top = evaluate(net, x, np.zeros(5, np.int64), top_k=2).top
    assert [(t.layer, t.tap, t.kind) for t in top.layers] == [(1, 1, "dense")]
    logits = net.forward(x)
    expected = [np.lexsort((np.arange(5), -logits[:, u]))[:2].tolist() for u in range(2)]
    assert top.layer(1).images.tolist() == expected and top.layer(1).dead is None
