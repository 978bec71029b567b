"""Accuracy on the real Fashion-MNIST, cnnviz against PyTorch.

The built-in presets fashion-2conv and fashion-2conv-bn (the same network with a batch norm after
each conv block: conv, ReLU, batch norm), trained for 3 epochs in cnnviz and in PyTorch from the
same initial weights, with the same learning rate at every step and the same batch order; only
dropout's random masks differ (--same-masks: PyTorch applies cnnviz's masks too, which leaves the
engines' own difference). Each seed is one such pair of runs; the table gives each seed and the
mean. Each network trains with its preset's recipe (its JSON's "recipe", training/recipe.py; the
rates from training/schedule.py, as `cnnviz train` has them), both Adam at batch 64:
- fashion-2conv: lr 0.001, a tenth of it in the last third of the steps (the last epoch);
- fashion-2conv-bn: a one-cycle schedule (PyTorch's OneCycleLR without momentum cycling): from
  0.005/25 up to 0.005 over the first quarter of the steps, then down to 0.005/25e4, both halves
  cosine-shaped.

    python benchmarks/accuracy.py [--epochs N] [--seeds 0 1] [--networks NAME ...] [--same-masks]
                                  [--float64] [--nudge ULPS] [--torch-adam] [--cnnviz-only]
                                  [--peak-lr LR]

--float64 trains both engines in float64 (about 3 times slower): what the two algorithms reach
without float32 rounding. The rest measure the spread between runs and what causes it:
--nudge moves one initial weight (the first conv's first) up by ULPS units in the last place,
in both engines: a different run of the same seed, since rounding differences grow until runs
part. --torch-adam steps cnnviz's parameters with torch.optim.Adam instead of cnnviz's Adam, to
separate the optimizer from the rest of the engine. --cnnviz-only skips PyTorch's runs.
--peak-lr sets fashion-2conv-bn's one-cycle peak (its recipe's lr, 0.005; it was 0.003 until
0.005 did better over six seeds: README, Accuracy).

Needs Fashion-MNIST (`cnnviz datasets`) and PyTorch (`pip install torch==2.13.0`). Speed is not
compared here (both run in one process, with cnnviz's thread settings): see `cnnviz bench`.
"""
import argparse
import math
import time
from dataclasses import replace

import numpy as np

from cnnviz.engine import configure

configure()  # first, as the app does: before the kernels are defined

from cnnviz.architectures import load_architecture, recipe_of
from cnnviz.data import catalog
from cnnviz.engine.network import Network
from cnnviz.engine.optim import Adam
from cnnviz.torch_bridge import share_dropout_masks, to_torch
from cnnviz.training.evaluation import evaluate

TARGETS = {"fashion-2conv": 0.91, "fashion-2conv-bn": 0.92}


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


def run(name: str, spec: dict, recipe, data, seed: int, same_masks: bool = False,
        dtype=np.float32, ulps: int = 0, torch_adam: bool = False, with_torch: bool = True) -> dict:
    import torch
    if recipe.optimizer != "adam":
        raise SystemExit(f"{name}'s recipe trains with {recipe.optimizer}; this benchmark "
                         "compares Adam only")
    torch.manual_seed(seed)
    network = Network(spec, seed=seed, dtype=dtype)
    nudge(network, ulps)
    # the same initial weights
    model = to_torch(network).to(torch.float64 if dtype == np.float64 else torch.float32)
    if same_masks:
        share_dropout_masks(network, model)
    ours = TorchAdam(lr=recipe.lr) if torch_adam else Adam(lr=recipe.lr)
    theirs = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = data.train_x.astype(dtype, copy=False), data.train_y
    test_x = data.test_x.astype(dtype, copy=False)
    order_rng = np.random.default_rng(seed)
    seconds = {"cnnviz": 0.0, "PyTorch": 0.0}
    step, batch = 0, recipe.batch_size
    for epoch in range(recipe.epochs):
        order = order_rng.permutation(len(x))  # one order, fed to both
        model.train()
        for start in range(0, len(x), batch):
            ours.lr = recipe.rate(step, len(x))  # the same rate for both, every step
            for group in theirs.param_groups:
                group["lr"] = ours.lr
            step += 1
            index = order[start:start + batch]
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
    parser.add_argument("--epochs", type=int, help="(default: each recipe's, 3)")
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
    parser.add_argument("--peak-lr", type=float,
                        help="fashion-2conv-bn's one-cycle peak rate (default: its recipe's)")
    args = parser.parse_args()
    dtype = np.float64 if args.float64 else np.float32
    data = catalog.load("fashion-mnist")
    networks, recipes = {}, {}
    for name in args.networks:
        networks[name] = load_architecture(name)
        recipes[name] = recipe_of(networks[name])
        if args.epochs is not None:
            recipes[name] = replace(recipes[name], epochs=args.epochs)
        if name == "fashion-2conv-bn" and args.peak_lr is not None:
            recipes[name] = replace(recipes[name], lr=args.peak_lr)
    print(f"Fashion-MNIST; seeds {args.seeds}; "
          + "; ".join(f"{name}: {recipe.describe()}" for name, recipe in recipes.items())
          + ("; PyTorch uses cnnviz's dropout masks" if args.same_masks else "")
          + ("; float64" if args.float64 else "")
          + (f"; first weight nudged {args.nudge} ulps" if args.nudge else "")
          + ("; cnnviz stepped by torch.optim.Adam" if args.torch_adam else ""))
    results = {name: [run(name, spec, recipes[name], data, seed, same_masks=args.same_masks,
                          dtype=dtype, ulps=args.nudge, torch_adam=args.torch_adam,
                          with_torch=not args.cnnviz_only)
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
