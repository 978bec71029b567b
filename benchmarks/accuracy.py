"""Accuracy on the real Fashion-MNIST, cnnviz against PyTorch.

fashion-2conv (and the same network with batch norm after each conv) trained for 3 epochs in
cnnviz and in PyTorch from the same initial weights, with the same hyperparameters (Adam, lr 0.001,
divided by 10 for the last epoch, batch 64) and the same batch order; only dropout's random masks
differ. Each seed is one such pair of runs; the table gives each seed and the mean.

    python benchmarks/accuracy.py [--epochs 3] [--seeds 0 1]

Needs Fashion-MNIST (`cnnviz datasets`) and PyTorch (`pip install torch==2.13.0`). Speed is not
compared here (both run in one process, with cnnviz's thread settings): see `cnnviz bench`.
"""
import argparse
import copy
import time

import numpy as np

from cnnviz.architectures import load_architecture
from cnnviz.data import catalog
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Adam
from cnnviz.torch_bridge import to_torch
from cnnviz.training.evaluation import evaluate

TARGETS = {"fashion-2conv": 0.91, "fashion-2conv + batch norm": 0.92}
LR, BATCH = 0.001, 64


def with_batchnorm(spec: dict) -> dict:
    """A batch norm after each conv (before its ReLU)."""
    layers = []
    for layer in spec["layers"]:
        layers.append(layer)
        if layer["type"] == "conv":
            layers.append({"type": "batchnorm"})
    return dict(copy.deepcopy(spec), name=spec["name"] + "-bn", layers=layers)


def torch_accuracy(model, x, y) -> float:
    import torch
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(torch.from_numpy(x[i:i + 1000].copy())).argmax(1)
                                 for i in range(0, len(x), 1000)])
    return float((predictions.numpy() == y).mean())


def run(name: str, spec: dict, data, epochs: int, seed: int) -> dict:
    import torch
    torch.manual_seed(seed)
    network = Network(spec, seed=seed)
    model = to_torch(network)  # the same initial weights
    ours, theirs = Adam(lr=LR), torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = data.train_x, data.train_y
    order_rng = np.random.default_rng(seed)
    seconds = {"cnnviz": 0.0, "PyTorch": 0.0}
    for epoch in range(epochs):
        if epoch == epochs - 1:  # the last epoch at a tenth of the rate, in both
            ours.lr = LR / 10
            for group in theirs.param_groups:
                group["lr"] = LR / 10
        order = order_rng.permutation(len(x))  # one order, fed to both
        model.train()
        for start in range(0, len(x), BATCH):
            index = order[start:start + BATCH]
            xb, yb = x[index], y[index]
            t = time.perf_counter()
            network.train_step(xb, yb, ours)
            seconds["cnnviz"] += time.perf_counter() - t
            t = time.perf_counter()
            theirs.zero_grad()
            loss_fn(model(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
            theirs.step()
            seconds["PyTorch"] += time.perf_counter() - t
        ours_acc = evaluate(network, data.test_x, data.test_y).accuracy
        theirs_acc = torch_accuracy(model, data.test_x, data.test_y)
        print(f"  {name}, epoch {epoch + 1}: cnnviz {ours_acc:.4f}, PyTorch {theirs_acc:.4f}",
              flush=True)
    return {"name": name, "cnnviz": ours_acc, "PyTorch": theirs_acc, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    data = catalog.load("fashion-mnist")
    base = load_architecture("fashion-2conv")
    networks = {"fashion-2conv": base, "fashion-2conv + batch norm": with_batchnorm(base)}
    print(f"Fashion-MNIST, {args.epochs} epochs, Adam lr {LR} (a tenth in the last epoch), "
          f"batch {BATCH}, seeds {args.seeds}")
    results = {name: [run(name, spec, data, args.epochs, seed) for seed in args.seeds]
               for name, spec in networks.items()}
    print("\n| network | seed | cnnviz | PyTorch | difference |")
    print("| --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        for seed, row in zip(args.seeds, rows):
            print(f"| {name} | {seed} | {row['cnnviz']:.4f} | {row['PyTorch']:.4f} | "
                  f"{row['cnnviz'] - row['PyTorch']:+.4f} |")
        ours = np.mean([r["cnnviz"] for r in rows])
        theirs = np.mean([r["PyTorch"] for r in rows])
        met = ours >= TARGETS[name] and abs(ours - theirs) <= 0.005
        print(f"| {name} | mean | {ours:.4f} | {theirs:.4f} | {ours - theirs:+.4f} "
              f"(target: >= {TARGETS[name]:.2f} and within 0.005: {'met' if met else 'NOT met'}) |")


if __name__ == "__main__":
    main()
