"""Accuracy on the real Fashion-MNIST, cnnviz against PyTorch.

fashion-2conv, and the same network with batch norm after each conv block, trained for 3 epochs
in cnnviz and in PyTorch from the same initial weights, with the same learning rate at every step
and the same batch order; only dropout's random masks differ (--same-masks: PyTorch applies
cnnviz's masks too, which leaves the engines' own difference). Each seed is one such pair of runs;
the table gives each seed and the mean. The recipes (batch 64, Adam):
- fashion-2conv: lr 0.001, a tenth of it in the last epoch;
- with batch norm (conv, ReLU, batch norm): a one-cycle schedule (PyTorch's OneCycleLR without
  momentum cycling): from 0.005/25 up to 0.005 over the first quarter of the steps, then down to
  0.005/25e4, both halves cosine-shaped.

    python benchmarks/accuracy.py [--epochs 3] [--seeds 0 1] [--networks NAME ...] [--same-masks]
                                  [--float64] [--nudge ULPS] [--torch-adam] [--cnnviz-only]
                                  [--peak-lr LR]

--float64 trains both engines in float64 (about 3 times slower): what the two algorithms reach
without float32 rounding. The rest measure the spread between runs and what causes it:
--nudge moves one initial weight (the first conv's first) up by ULPS units in the last place,
in both engines: a different run of the same seed, since rounding differences grow until runs
part. --torch-adam steps cnnviz's parameters with torch.optim.Adam instead of cnnviz's Adam, to
separate the optimizer from the rest of the engine. --cnnviz-only skips PyTorch's runs.
--peak-lr sets the batch-norm network's one-cycle peak (0.005; it was 0.003 until 0.005 did
better over six seeds: README, Accuracy).

Needs Fashion-MNIST (`cnnviz datasets`) and PyTorch (`pip install torch==2.13.0`). Speed is not
compared here (both run in one process, with cnnviz's thread settings): see `cnnviz bench`.
"""
import argparse
import copy
import functools
import math
import time

import numpy as np

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

from cnnviz.architectures import load_architecture
from cnnviz.data import catalog
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Adam
from cnnviz.torch_bridge import share_dropout_masks, to_torch
from cnnviz.training.evaluation import evaluate

TARGETS = {"fashion-2conv": 0.91, "fashion-2conv + batch norm": 0.92}
LR, PEAK_LR, BATCH = 0.001, 0.005, 64


def with_batchnorm(spec: dict) -> dict:
    """A batch norm after each conv block: conv, ReLU, batch norm. (Between the conv and its
    ReLU, as in the batch-norm paper, it stayed under 0.92 with every recipe we tried: README,
    Accuracy.)"""
    layers = []
    for i, layer in enumerate(spec["layers"]):
        layers.append(layer)
        if layer["type"] == "relu" and i > 0 and spec["layers"][i - 1]["type"] == "conv":
            layers.append({"type": "batchnorm"})
    return dict(copy.deepcopy(spec), name=spec["name"] + "-bn", layers=layers)


def step_decay(step: int, total: int, epochs: int) -> float:
    """LR, and a tenth of it in the last epoch."""
    return LR / 10 if step >= total * (epochs - 1) // epochs else LR


def one_cycle(step: int, total: int, epochs: int, peak: float = PEAK_LR) -> float:
    """PyTorch's OneCycleLR (pct_start 0.25, div_factor 25, final_div_factor 1e4, cosine)."""
    start, low = peak / 25, peak / 25 / 1e4
    rise_end = 0.25 * total - 1

    def cosine(a, b, fraction):
        return b + (a - b) / 2 * (math.cos(math.pi * fraction) + 1)
    if step <= rise_end:
        return cosine(start, peak, step / rise_end)
    return cosine(peak, low, (step - rise_end) / (total - 1 - rise_end))


SCHEDULES = {"fashion-2conv": step_decay, "fashion-2conv + batch norm": one_cycle}


class TorchAdam:
    """torch.optim.Adam stepping cnnviz's parameters in place (the tensors share their memory)."""

    def __init__(self, lr: float):
        self.lr, self.tensors, self.optimizer = lr, {}, None

    def step(self, parameters) -> None:
        import torch
        parameters = list(parameters)
        if self.optimizer is None:
            self.tensors = {p: torch.nn.Parameter(torch.from_numpy(p.value)) for p in parameters}
            self.optimizer = torch.optim.Adam(self.tensors.values(), lr=self.lr)
        for p in parameters:
            self.tensors[p].grad = torch.from_numpy(np.ascontiguousarray(p.grad))
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr
        self.optimizer.step()


def nudge(network: Network, ulps: int) -> None:
    """Move the first parameter's first element up by `ulps` units in the last place."""
    first = network.parameters()[0].value.reshape(-1)
    for _ in range(ulps):
        first[0] = np.nextafter(first[0], first.dtype.type(np.inf))


def shown(value: float, form: str = ".4f") -> str:
    return "–" if math.isnan(value) else format(value, form)


def torch_accuracy(model, x, y) -> float:
    import torch
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(torch.from_numpy(x[i:i + 1000].copy())).argmax(1)
                                 for i in range(0, len(x), 1000)])
    return float((predictions.numpy() == y).mean())


def run(name: str, spec: dict, data, epochs: int, seed: int, same_masks: bool = False,
        dtype=np.float32, ulps: int = 0, torch_adam: bool = False, with_torch: bool = True,
        peak_lr: float = PEAK_LR) -> dict:
    import torch
    torch.manual_seed(seed)
    network = Network(spec, seed=seed, dtype=dtype)
    nudge(network, ulps)
    # the same initial weights
    model = to_torch(network).to(torch.float64 if dtype == np.float64 else torch.float32)
    if same_masks:
        share_dropout_masks(network, model)
    ours = TorchAdam(lr=LR) if torch_adam else Adam(lr=LR)
    theirs = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = data.train_x.astype(dtype, copy=False), data.train_y
    test_x = data.test_x.astype(dtype, copy=False)
    order_rng = np.random.default_rng(seed)
    seconds = {"cnnviz": 0.0, "PyTorch": 0.0}
    schedule, total, step = SCHEDULES[name], epochs * -(-len(x) // BATCH), 0
    if schedule is one_cycle:
        schedule = functools.partial(one_cycle, peak=peak_lr)
    for epoch in range(epochs):
        order = order_rng.permutation(len(x))  # one order, fed to both
        model.train()
        for start in range(0, len(x), BATCH):
            ours.lr = schedule(step, total, epochs)  # the same rate for both, every step
            for group in theirs.param_groups:
                group["lr"] = ours.lr
            step += 1
            index = order[start:start + BATCH]
            xb, yb = x[index], y[index]
            t = time.perf_counter()
            network.train_step(xb, yb, ours)
            seconds["cnnviz"] += time.perf_counter() - t
            if not with_torch:
                continue
            t = time.perf_counter()
            theirs.zero_grad()
            loss_fn(model(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
            theirs.step()
            seconds["PyTorch"] += time.perf_counter() - t
        ours_acc = evaluate(network, test_x, data.test_y).accuracy
        theirs_acc = torch_accuracy(model, test_x, data.test_y) if with_torch else math.nan
        print(f"  {name}, epoch {epoch + 1}: cnnviz {ours_acc:.4f}, PyTorch {shown(theirs_acc)}",
              flush=True)
    return {"name": name, "cnnviz": ours_acc, "PyTorch": theirs_acc, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--networks", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    parser.add_argument("--same-masks", action="store_true",
                        help="PyTorch's dropout uses cnnviz's masks: what is left of the "
                             "difference is the engines' own")
    parser.add_argument("--float64", action="store_true",
                        help="both engines in float64: the algorithms without float32 rounding")
    parser.add_argument("--nudge", type=int, default=0, metavar="ULPS",
                        help="move one initial weight up by ULPS units in the last place (both "
                             "engines): another run of each seed")
    parser.add_argument("--torch-adam", action="store_true",
                        help="cnnviz's parameters are stepped by torch.optim.Adam")
    parser.add_argument("--cnnviz-only", action="store_true", help="skip PyTorch's runs")
    parser.add_argument("--peak-lr", type=float, default=PEAK_LR,
                        help="the one-cycle schedule's peak rate (batch-norm network)")
    args = parser.parse_args()
    dtype = np.float64 if args.float64 else np.float32
    data = catalog.load("fashion-mnist")
    base = load_architecture("fashion-2conv")
    networks = {"fashion-2conv": base, "fashion-2conv + batch norm": with_batchnorm(base)}
    networks = {name: networks[name] for name in args.networks}
    print(f"Fashion-MNIST, {args.epochs} epochs, batch {BATCH}, Adam: fashion-2conv lr {LR} (a "
          f"tenth in the last epoch), with batch norm one-cycle to {args.peak_lr}; "
          f"seeds {args.seeds}"
          + ("; PyTorch uses cnnviz's dropout masks" if args.same_masks else "")
          + ("; float64" if args.float64 else "")
          + (f"; first weight nudged {args.nudge} ulps" if args.nudge else "")
          + ("; cnnviz stepped by torch.optim.Adam" if args.torch_adam else ""))
    results = {name: [run(name, spec, data, args.epochs, seed, same_masks=args.same_masks,
                          dtype=dtype, ulps=args.nudge, torch_adam=args.torch_adam,
                          with_torch=not args.cnnviz_only, peak_lr=args.peak_lr)
                      for seed in args.seeds] for name, spec in networks.items()}
    print("\n| network | seed | cnnviz | PyTorch | difference |")
    print("| --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        for seed, row in zip(args.seeds, rows):
            print(f"| {name} | {seed} | {row['cnnviz']:.4f} | {shown(row['PyTorch'])} | "
                  f"{shown(row['cnnviz'] - row['PyTorch'], '+.4f')} |")
        ours = np.mean([r["cnnviz"] for r in rows])
        theirs = np.mean([r["PyTorch"] for r in rows])
        if args.cnnviz_only:
            print(f"| {name} | mean | {ours:.4f} | – | (PyTorch not run) |")
            continue
        met = ours >= TARGETS[name] and abs(ours - theirs) <= 0.005
        print(f"| {name} | mean | {ours:.4f} | {theirs:.4f} | {ours - theirs:+.4f} "
              f"(target: >= {TARGETS[name]:.2f} and within 0.005: {'met' if met else 'NOT met'}) |")


if __name__ == "__main__":
    main()
