"""The `cnnviz` command. Subcommands do headless work; the desktop app comes with no arguments."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cnnviz import __version__


def _cmd_bench(args) -> int:
    from cnnviz import bench

    vs_torch = args.vs_torch and bench.torch_available()
    if args.vs_torch and not vs_torch:
        print("PyTorch cannot be imported here; benchmarking cnnviz alone "
              "(pip install torch==2.13.0 to compare).", file=sys.stderr)
    names = args.networks or bench.NETWORKS
    if not args.json:
        print(f"benchmarking {', '.join(names)}{' against PyTorch' if vs_torch else ''} ...",
              file=sys.stderr, flush=True)
    results = bench.run(names, vs_torch, rounds=args.rounds, seconds=args.seconds)
    if args.json:
        print(json.dumps(bench.as_json(results), indent=2))
    else:
        print(f"batch {bench.BATCH}, SGD with momentum; 1-image forward keeps every layer's output")
        print(bench.report(results))
    return 0


class _ProgressLine:
    """A one-line download progress report on stderr."""

    def __init__(self, what: str):
        self.what, self.shown = what, -1

    def __call__(self, done: int, total: int | None) -> None:
        percent = int(100 * done / total) if total else -1
        if percent != self.shown:
            self.shown = percent
            amount = f"{percent:3d}% of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.1f} MB"
            print(f"\rdownloading {self.what}: {amount}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.shown != -1:
            print(file=sys.stderr)


def _cmd_datasets(args) -> int:
    from cnnviz.data import catalog

    if args.download:
        bar = _ProgressLine(args.download)
        try:
            folder = catalog.download(args.download, progress=bar)
        finally:
            bar.close()
        print(f"{catalog.info(args.download).title} is in {folder}")
        return 0
    for item in catalog.CATALOG.values():
        shape = "x".join(map(str, item.input_shape))
        print(f"{item.name:<14} {item.title}: {len(item.classes)} classes, {shape}, "
              f"{item.sizes[0]:,} train / {item.sizes[1]:,} test images")
        print(f"{'':<14} {item.status()}")
    print(f"\nDownloads go to {catalog.cache_dir()}; an image folder (one sub-folder per class) "
          "can be used too.")
    return 0


def _cmd_train(args) -> int:
    import time

    import numpy as np

    from cnnviz.architectures import fit_to_dataset, load_architecture
    from cnnviz.data import catalog
    from cnnviz.data.dataset import Dataset
    from cnnviz.engine.network import Network
    from cnnviz.engine.optim import OPTIMIZERS
    from cnnviz.training.fit import evaluate, train_epochs

    start = time.perf_counter()
    arch = load_architecture(args.arch)
    if Path(args.dataset).is_dir():  # an image folder, sized to the architecture's input
        from cnnviz.data.image_folder import load_image_folder
        data, skipped = load_image_folder(args.dataset, arch["input"][0], tuple(arch["input"][1:]),
                                          seed=args.seed)
        for item in skipped:
            print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
    else:
        bar = _ProgressLine(args.dataset)
        try:
            data = catalog.load(args.dataset, download_missing=args.download, progress=bar,
                                seed=args.seed, train_size=args.train_limit)
        finally:
            bar.close()
    if args.train_limit and len(data.train_x) > args.train_limit:
        keep = np.random.default_rng(args.seed).permutation(len(data.train_x))[:args.train_limit]
        data = Dataset(data.name, data.classes, data.input_shape, data.train_x[keep],
                       data.train_y[keep], data.test_x, data.test_y, data.description, data.source)
    spec = fit_to_dataset(arch, data.input_shape, data.classes)
    network = Network(spec, seed=args.seed)
    options = {"momentum": args.momentum} if args.optimizer == "sgd" else {}
    optimizer = OPTIMIZERS[args.optimizer](lr=args.lr, **options)
    print(f"{data.name}: {len(data.train_x):,} training and {len(data.test_x):,} test images, "
          f"{len(data.classes)} classes; network {spec.get('name', args.arch)}, "
          f"{network.summary.params:,} parameters")

    def show(p):
        print(f"epoch {p.epoch}/{args.epochs}  step {p.step:>5}  loss {p.loss:.4f}  "
              f"train accuracy {p.train_accuracy:6.1%}  {p.images_per_s:,.0f} images/s", flush=True)

    def test(epoch):
        result = evaluate(network, data.test_x, data.test_y)
        print(f"epoch {epoch}: test loss {result.loss:.4f}, test accuracy {result.accuracy:.1%}")

    augmentation = None
    if args.augment:
        from cnnviz.data.augment import Augmentation
        digit_like = not Path(args.dataset).is_dir() and catalog.info(args.dataset).digit_like
        augmentation = Augmentation.for_digits() if digit_like else Augmentation.for_photos()
    train_epochs(network, optimizer, data.train_x, data.train_y, args.epochs, args.batch_size,
                 seed=args.seed, on_progress=show, on_epoch_end=test, augmentation=augmentation)
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


def _cmd_arch(args) -> int:
    from cnnviz.architectures import builtin_names, load_architecture
    from cnnviz.engine.spec import validate

    if not args.name:
        print("\n".join(builtin_names()))
        return 0
    spec = load_architecture(args.name)
    print(f"{spec.get('name', args.name)}: {spec.get('description', '')}".rstrip(": "))
    print(validate(spec).table())
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnviz", description="Watch a convolutional neural "
                                     "network learn.")
    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    sub = parser.add_subparsers(dest="command")

    bench = sub.add_parser("bench", help="training throughput and latency of the reference networks")
    bench.add_argument("--vs-torch", action="store_true", help="also run PyTorch on the same batches")
    bench.add_argument("--json", action="store_true", help="machine-readable output")
    bench.add_argument("--networks", nargs="*", help="architectures to run (default: lenet5 fashion-2conv)")
    bench.add_argument("--rounds", type=_positive_int, default=3, help="timed rounds per network (median taken)")
    bench.add_argument("--seconds", type=_positive_float, default=1.0, help="length of one timed round")
    bench.set_defaults(run=_cmd_bench)

    datasets = sub.add_parser("datasets", help="list the datasets and where they are on this machine")
    datasets.add_argument("--download", metavar="NAME", help="fetch a dataset into the cache")
    datasets.set_defaults(run=_cmd_datasets)

    train = sub.add_parser("train", help="train a network headless")
    train.add_argument("--arch", default="shapes-small", help="built-in name or JSON file")
    train.add_argument("--dataset", default="shapes",
                       help="a name from `cnnviz datasets`, or an image folder (one sub-folder per class)")
    train.add_argument("--download", action="store_true", help="fetch the dataset if it is missing")
    train.add_argument("--epochs", type=_positive_int, default=6)
    train.add_argument("--batch-size", type=_positive_int, default=64)
    train.add_argument("--lr", type=_positive_float, default=0.02)
    train.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    train.add_argument("--momentum", type=float, default=0.9)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--train-limit", type=_positive_int, help="use only this many training images")
    train.add_argument("--augment", action="store_true",
                       help="random shifts, rotations, scaling, flips (not for digits) and noise")
    train.set_defaults(run=_cmd_train)

    arch = sub.add_parser("arch", help="list built-in architectures, or show one's layer table")
    arch.add_argument("name", nargs="?", help="a built-in name or a JSON file")
    arch.set_defaults(run=_cmd_arch)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from cnnviz.data.errors import DataError
    from cnnviz.engine.spec import SpecError

    try:
        return args.run(args)
    except (SpecError, DataError) as exc:
        print(f"cnnviz: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
