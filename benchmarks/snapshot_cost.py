"""What saliency maps and the inspector add to a training loop's snapshot, on the worker thread.

    python benchmarks/snapshot_cost.py [--arch fashion-2conv] [--rounds 200] [--batch 64]

Times Progress.snapshot (the probe's forward pass, copies, and what was asked for) with nothing
asked, with a saliency map, with Grad-CAM, with the inspection of a conv cell and of a dense unit,
and all at once; then one training step right after a plain snapshot and right after one with a
saliency map (the map's backward pass uses batch-1 buffers: does the next step pay for that?).
The variants take turns within each round, so a busy machine slows them alike; medians and 90th
percentiles in milliseconds.
"""
import argparse
import statistics
import time

import numpy as np

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

from cnnviz.architectures import load_architecture
from cnnviz.engine.inspect import InspectRequest
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD
from cnnviz.engine.weight_update import WeightRef
from cnnviz.training.snapshot import Progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="fashion-2conv")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()

    network = Network(load_architecture(args.arch))
    rng = np.random.default_rng(0)
    probe = rng.random(network.input_shape, dtype=np.float32)
    conv = max(i for i, layer in enumerate(network.layers) if layer.kind == "conv")
    dense = min(i for i, layer in enumerate(network.layers) if layer.kind == "dense")
    _, h, w = network.layers[conv].out_shape
    cell = InspectRequest(conv, (0, h // 2, w // 2))
    unit = InspectRequest(dense, (0,))
    progress, hyper = Progress(), {"lr": 0.01}
    variants = {
        "plain": {},
        "saliency": dict(saliency=("saliency", None)),
        "gradcam": dict(saliency=("gradcam", None)),
        f"conv cell (layer {conv})": dict(inspection=cell),
        f"dense unit (layer {dense})": dict(inspection=unit),
        "saliency + conv cell": dict(saliency=("saliency", None), inspection=cell),
        "gradient maps": dict(gradients=(True, None)),
        f"watched conv weight (layer {conv})": dict(weight=WeightRef(conv, "weight", (0, 0, 1, 1))),
    }
    times = {name: [] for name in variants}
    for _ in range(5):  # warm up: numba compilation, buffers
        for kwargs in variants.values():
            progress.snapshot(network, probe, hyper, "running", "", views=kwargs)
    for _ in range(args.rounds):
        for name, kwargs in variants.items():
            start = time.perf_counter()
            progress.snapshot(network, probe, hyper, "running", "", views=kwargs)
            times[name].append(time.perf_counter() - start)

    x = rng.random((args.batch, *network.input_shape), dtype=np.float32)
    y = rng.integers(0, len(network.classes), args.batch)
    optimizer = SGD(0.0, momentum=0.0)  # lr 0: the weights stay as they are
    steps = {"step after a plain snapshot": {},
             "step after a saliency snapshot": variants["saliency"]}
    for kwargs in steps.values():
        progress.snapshot(network, probe, hyper, "running", "", views=kwargs)
        network.train_step(x, y, optimizer)
    step_times = {name: [] for name in steps}
    for _ in range(max(10, args.rounds // 10)):
        for name, kwargs in steps.items():
            progress.snapshot(network, probe, hyper, "running", "", views=kwargs)
            start = time.perf_counter()
            network.train_step(x, y, optimizer)
            step_times[name].append(time.perf_counter() - start)

    print(f"{args.arch}, {args.rounds} rounds; ms: median, 90th percentile")
    for name, values in {**times, **step_times}.items():
        values = sorted(values)
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"  {name:<32} {statistics.median(values) * 1e3:7.2f} {p90 * 1e3:7.2f}")


if __name__ == "__main__":
    main()
