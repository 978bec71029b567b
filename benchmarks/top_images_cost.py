"""What gathering the top images (training/top_images.py) adds to an evaluation: fashion-2conv on
1000 images of Fashion-MNIST's size, evaluated with and without it, alternating, the median of
several rounds of each; and the tracker's own time inside the forward passes (which a busy
machine disturbs less than the difference of two wall-clock times).

    python benchmarks/top_images_cost.py [--rounds 5] [--images 1000]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

from cnnviz.architectures import load_architecture
from cnnviz.engine.network import Network
from cnnviz.training.evaluation import EVAL_CHUNK, evaluate
from cnnviz.training.top_images import TOP_K, TopTracker


def tracker_seconds(network: Network, x: np.ndarray) -> tuple[float, float]:
    """(seconds in the tracker, seconds of the forward passes with it) over x, in chunks."""
    tracker, spent = TopTracker(network, TOP_K), [0.0]

    def see(index, output):
        begin = time.perf_counter()
        tracker.see(index, output)
        spent[0] += time.perf_counter() - begin

    begin = time.perf_counter()
    for start in range(0, len(x), EVAL_CHUNK):
        tracker.start_chunk(start)
        network.forward(x[start:start + EVAL_CHUNK], each_layer=see)
    return spent[0], time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()
    network = Network(load_architecture("fashion-2conv"), seed=0)
    rng = np.random.default_rng(0)
    x = rng.random((args.images, *network.input_shape), dtype=np.float32)
    y = rng.integers(0, len(network.classes), args.images)
    evaluate(network, x[:100], y[:100], top_k=TOP_K)  # compile and warm up
    times = {0: [], TOP_K: []}
    own, own_ms = [], []
    for _ in range(args.rounds):
        for k, spent in times.items():
            begin = time.perf_counter()
            evaluate(network, x, y, top_k=k)
            spent.append(time.perf_counter() - begin)
        inside, total = tracker_seconds(network, x)
        own.append(inside / (total - inside))
        own_ms.append(inside * 1000)
    plain, top = statistics.median(times[0]), statistics.median(times[TOP_K])
    print(f"fashion-2conv, {args.images} images, median of {args.rounds}: "
          f"evaluation {plain * 1000:.0f} ms, with the top {TOP_K} images {top * 1000:.0f} ms "
          f"(+{(top / plain - 1) * 100:.1f}%); the tracker's own time: "
          f"{statistics.median(own_ms):.0f} ms, +{statistics.median(own) * 100:.1f}% of the "
          "forward passes")


if __name__ == "__main__":
    main()
