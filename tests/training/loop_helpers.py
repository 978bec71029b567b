"""What the training-loop tests share: a tiny network for Shapes, and a loop that yields one
snapshot per batch (every next() runs exactly one batch)."""
from cnnviz.data.shapes import CLASSES
from cnnviz.engine.network import Network
from cnnviz.training.loop import TrainConfig, train

TINY = {
    "name": "tiny", "input": [3, 32, 32], "classes": list(CLASSES),
    "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},   # 0: 4x32x32
        {"type": "relu"},
        {"type": "maxpool", "size": 4},                              # 2: 4x8x8
        {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},   # 3: 8x8x8
        {"type": "relu"},
        {"type": "maxpool", "size": 2},                              # 5: 8x4x4
        {"type": "flatten"},
        {"type": "dense", "units": 8},                               # 7
    ],
}
# One snapshot per batch and no periodic evaluation: every next() runs exactly one batch.
EVERY_BATCH = dict(snapshot_every=1, snapshot_seconds=None, max_snapshot_hz=None, eval_every=None)
# A hang guard, not a speed limit: the longest loop test takes 9 s on a quiet 2-core machine and
# several times that on a loaded one.
WATCHDOG_S = 180




def start(shapes, control, seed=0, **config):
    """A TINY network (seed `seed`) and its training loop on `shapes`, one snapshot a batch."""
    network = Network(TINY, seed=seed)
    settings = dict(EVERY_BATCH, batch_size=32, seed=seed)
    settings.update(config)
    return network, train(network, shapes, control, TrainConfig(**settings))


def take(generator, n):
    return [next(generator) for _ in range(n)]
