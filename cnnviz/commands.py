"""The `cnnviz` subcommands (the parser is in cli.py). Each takes the parsed arguments and
returns the exit code; errors are raised as SpecError or DataError and printed by cli.main."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from cnnviz.data.errors import DataError
from cnnviz.engine.spec import shape_text


class ProgressLine:
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


def load_dataset(name: str, args, input_shape=None):
    """A catalogue dataset by name, or an image folder sized to `input_shape`."""
    from cnnviz.data import catalog

    if Path(name).is_dir():
        from cnnviz.data.image_folder import load_image_folder
        if input_shape is None:
            raise DataError(f"{name}: an image folder needs an architecture's input size")
        data, skipped = load_image_folder(name, input_shape[0], tuple(input_shape[1:]),
                                          seed=args.seed)
        for item in skipped:
            print(f"skipped {item.path}: {item.reason}", file=sys.stderr)
        return data
    bar = ProgressLine(name)
    try:
        return catalog.load(name, download_missing=getattr(args, "download", False), progress=bar,
                            seed=args.seed, train_size=getattr(args, "train_limit", None))
    finally:
        bar.close()


def datasets(args) -> int:
    from cnnviz.data import catalog

    if args.download:
        bar = ProgressLine(args.download)
        try:
            folder = catalog.download(args.download, progress=bar)
        finally:
            bar.close()
        print(f"{catalog.info(args.download).title} is in {folder}")
        return 0
    for item in catalog.CATALOG.values():
        shape = shape_text(item.input_shape)
        print(f"{item.name:<14} {item.title}: {len(item.classes)} classes, {shape}, "
              f"{item.sizes[0]:,} train / {item.sizes[1]:,} test images")
        print(f"{'':<14} {item.status()}")
    print(f"\nDownloads go to {catalog.cache_dir()}; an image folder (one sub-folder per class) "
          "can be used too.")
    return 0


def train(args) -> int:
    from cnnviz import __version__
    from cnnviz.architectures import fit_to_dataset, load_architecture
    from cnnviz.data import catalog
    from cnnviz.data.augment import Augmentation
    from cnnviz.data.dataset import Dataset
    from cnnviz.engine.network import Network
    from cnnviz.engine.optim import make_optimizer
    from cnnviz.training import health
    from cnnviz.training.evaluation import evaluate
    from cnnviz.training.fit import Diverged, train_epochs

    start = time.perf_counter()
    if args.health and not Path(args.health).resolve().parent.is_dir():  # say so before training
        raise DataError(f"--health {args.health}: there is no folder "
                        f"{Path(args.health).resolve().parent}")
    arch = load_architecture(args.arch)
    recipe, said = training_recipe(args, arch)
    print(said, flush=True)
    data = load_dataset(args.dataset, args, arch["input"])
    if args.train_limit and len(data.train_x) > args.train_limit:
        keep = np.random.default_rng(args.seed).permutation(len(data.train_x))[:args.train_limit]
        data = Dataset(data.name, data.classes, data.input_shape, data.train_x[keep],
                       data.train_y[keep], data.test_x, data.test_y, data.description, data.source)
    spec = fit_to_dataset(arch, data.input_shape, data.classes)
    network = Network(spec, seed=args.seed)
    optimizer = make_optimizer(recipe.optimizer, recipe.lr, recipe.momentum)
    preprocessing = catalog.preprocessing_of(args.dataset, data)
    print(f"{data.name}: {len(data.train_x):,} training and {len(data.test_x):,} test images, "
          f"{len(data.classes)} classes; network {spec.get('name', args.arch)}, "
          f"{network.summary.params:,} parameters")
    say_compiling()
    bar = TrainingBar(recipe.epochs)
    progress = {"steps": 0, "epochs": 0}

    health_rows = []  # --health: written once training ends, however it ends

    def on_progress(p):
        progress["steps"] = p.step
        bar.show(p)
        if args.health:  # right after the step: the layers still hold its batch
            records = health.measure(network, optimizer.lr, histograms=False)  # not in the CSV
            health_rows.extend(health.csv_rows(records, p.step))

    def on_epoch_end(epoch):
        progress["epochs"] = epoch
        result = evaluate(network, data.test_x, data.test_y)
        bar.line(f"epoch {epoch}: test loss {result.loss:.4f}, test accuracy {result.accuracy:.1%}")

    augmentation = None
    if recipe.augment:
        digit_like = preprocessing["digit_like"]
        augmentation = Augmentation.for_digits() if digit_like else Augmentation.for_photos()
    images = len(data.train_x)
    try:
        train_epochs(network, optimizer, data.train_x, data.train_y, recipe.epochs,
                     recipe.batch_size, seed=args.seed, on_progress=on_progress,
                     on_epoch_end=on_epoch_end, augmentation=augmentation, report_every=5,
                     learning_rate=lambda step: recipe.rate(step, images))
    except KeyboardInterrupt:  # stop cleanly: evaluate and save what was learned so far
        bar.line(f"stopped by the user at step {progress['steps']}")
    except Diverged as exc:  # the weights are ruined: nothing worth saving but the health log
        if bar.tty:
            print()  # end the progress bar's line
        saved = "Nothing was saved."
        if args.health:
            write_health(args.health, health_rows)
            saved = f"Only the health figures were saved, to {args.health}."
        print(f"cnnviz: training diverged: {exc}. {saved}", file=sys.stderr)
        return 1
    if args.health:
        write_health(args.health, health_rows)
        print(f"wrote the health figures of {len(health_rows):,} layer-steps to {args.health}")
    final = evaluate(network, data.test_x, data.test_y)
    if args.out:
        from cnnviz.training.modelfile import save_model
        training = {"steps": progress["steps"], "epochs": progress["epochs"], "seed": args.seed,
                    "hyperparameters": recipe.as_json(),
                    "test_accuracy": final.accuracy, "cnnviz_version": __version__}
        save_model(args.out, network, {"name": args.dataset, "preprocessing": preprocessing},
                   training)
        print(f"saved the model to {args.out}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    print(f"test accuracy: {final.accuracy:.4f}")
    return 0


def say_compiling() -> None:
    """On a first run (no mark of a warm cache), say why nothing happens for a while, and
    compile the kernels then, before the progress bar starts its clock."""
    from cnnviz.engine import warmup
    if not warmup.marked_warm():
        print("compiling the engine's kernels for this machine (the first run only: later runs "
              "load them from the cache)…", flush=True)
        warmup.warm_up()


# `cnnviz train`'s flags that change a recipe: the recipe's field, and its name in words.
RECIPE_FLAGS = {"optimizer": "optimizer", "lr": "learning rate", "momentum": "momentum",
                "schedule": "schedule", "batch_size": "batch size", "epochs": "epochs",
                "augment": "augmentation"}


def training_recipe(args, arch: dict):
    """The architecture's recipe (training/recipe.py; the defaults for one without) changed by
    the flags given, and the line that says which recipe it is and what the flags changed."""
    from cnnviz.training import recipe as recipes

    own = recipes.of_spec(arch)
    base = recipe = own or recipes.DEFAULT
    name = arch.get("name") or args.arch
    whose = f"{name}'s" if own else f"the defaults ({name} has none)"
    said = f"recipe: {whose} ({recipe.describe()})"
    notes = []
    for field, words in RECIPE_FLAGS.items():
        value = getattr(args, field)
        if value is None:
            continue
        flag = (f"--{field.replace('_', '-')} {value}" if field != "augment"
                else "--augment" if value else "--no-augment")
        changed = _with_flag(recipe, field, value)
        if changed == recipe:
            notes.append(f"{flag} is its own")
            continue
        also = ""
        if field == "optimizer" and args.lr is None and changed.lr != recipe.lr:
            also = (f" (and so the learning rate, to {recipes.OPTIMIZERS[value]}'s usual "
                    f"{changed.lr:g})")
        notes.append(f"{flag} overrides its {words}{also}")
        recipe = changed
    if notes:
        said += "; " + ", ".join(notes)
    if recipe != base:
        said += f"; so: {recipe.describe()}"
    return recipe, said


def _with_flag(recipe, field: str, value):
    """The recipe with one flag's value: another optimizer brings its usual learning rate (a
    --lr given after replaces it), another schedule its usual settings."""
    from dataclasses import replace

    from cnnviz.engine.spec import SpecError
    from cnnviz.training import recipe as recipes
    from cnnviz.training import schedule

    if field == "optimizer":
        return recipes.with_optimizer(recipe, value)
    if field == "momentum" and recipe.optimizer != "sgd":
        raise SpecError(f"--momentum is SGD's, and this recipe trains with "
                        f"{recipes.OPTIMIZERS[recipe.optimizer]}; add --optimizer sgd")
    if field == "schedule":
        value = recipe.schedule if recipe.schedule.name == value else schedule.of_name(value)
    return replace(recipe, **{field: value})


class TrainingBar:
    """Training progress: one line redrawn in place on a terminal, a line every few steps when
    the output goes to a file or a pipe."""

    def __init__(self, epochs: int):
        self.epochs, self.tty = epochs, sys.stdout.isatty()
        self.last_line_step = 0

    def show(self, p) -> None:
        done = (p.step - (p.epoch - 1) * p.steps_per_epoch) / p.steps_per_epoch
        text = (f"epoch {p.epoch}/{self.epochs} [{'#' * int(20 * done):<20}] step {p.step:>6}  "
                f"loss {p.loss:.4f}  train accuracy {p.train_accuracy:6.1%}  "
                f"{p.images_per_s:,.0f} images/s")
        if self.tty:
            print(f"\r{text}", end="", flush=True)
        elif p.step - self.last_line_step >= 20 or done >= 1:
            self.last_line_step = p.step
            print(text, flush=True)

    def line(self, text: str) -> None:
        print(f"\r{text:<100}" if self.tty else text, flush=True)


def evaluate_model(args) -> int:
    from cnnviz.training.evaluation import evaluate
    from cnnviz.training.modelfile import load_model

    model = load_model(args.model)
    data = load_dataset(args.dataset, args, model.network.input_shape)
    if tuple(data.input_shape) != tuple(model.network.input_shape):
        raise DataError(f"{args.model} takes {shape_text(model.network.input_shape)} images, but "
                        f"{data.name} has {shape_text(data.input_shape)}")
    if len(data.classes) != len(model.classes):
        raise DataError(f"{args.model} knows {len(model.classes)} classes, {data.name} has "
                        f"{len(data.classes)}")
    result = evaluate(model.network, data.test_x, data.test_y)
    confusion = result.confusion
    print(f"{data.name}: {len(data.test_x):,} test images")
    print(f"test loss: {result.loss:.4f}")
    print(f"test accuracy: {result.accuracy:.4f}")
    print("confusion matrix (rows: true class, columns: predicted):")
    width = max(6, *(len(c) for c in model.classes)) + 1
    print(" " * width + "".join(f"{i:>7}" for i in range(len(model.classes))))
    for i, name in enumerate(model.classes):
        print(f"{name:<{width}}" + "".join(f"{n:>7}" for n in confusion[i]) + f"   ({i})")
    return 0


def predict(args) -> int:
    from cnnviz.data.images import load_digit, load_image
    from cnnviz.engine.losses import softmax
    from cnnviz.training.modelfile import load_model

    model = load_model(args.model)
    prep = model.dataset.get("preprocessing") or {}
    channels, height, width = model.network.input_shape
    results = []
    for path in args.images:
        if prep.get("digit_like"):  # MNIST's recipe: any drawing, centred by its mass
            image = load_digit(path, (height, width), (10 * height, 10 * width))
        else:
            image = load_image(path, channels, (height, width),
                               background=prep.get("background", "white"))
        probabilities = softmax(model.network.forward(image[None].astype(np.float32)))[0]
        top = np.argsort(probabilities)[::-1][:args.top]
        results.append({"image": str(path),
                        "top": [{"class": model.classes[i], "probability": float(probabilities[i])}
                                for i in top]})
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for result in results:
        print(result["image"])
        for item in result["top"]:
            print(f"  {item['class']:<20} {item['probability']:7.2%}")
    return 0


def export(args) -> int:
    from cnnviz.training import export as exporters
    from cnnviz.training.modelfile import load_model

    model = load_model(args.model)
    exporters.EXPORTERS[args.format](model.network, args.output)
    print(f"wrote {args.output} ({args.format})")
    return 0


def archs(args) -> int:
    from cnnviz.architectures import builtin_names, load_architecture
    from cnnviz.engine.spec import validate

    width = max(15, *(len(name) for name in builtin_names()))
    print(f"{'name':<{width}} {'input':<9} {'parameters':>11} {'FLOPs/image':>13}  description")
    for name in builtin_names():
        spec = load_architecture(name)
        summary = validate(spec)
        print(f"{name:<{width}} {shape_text(summary.input):<9} {summary.params:>11,} "
              f"{2 * summary.macs:>13,}  {spec.get('description', '')}")
    return 0


def arch(args) -> int:
    from cnnviz.architectures import load_architecture
    from cnnviz.engine.spec import validate

    spec = load_architecture(args.name)
    print(f"{spec.get('name', args.name)}: {spec.get('description', '')}".rstrip(": "))
    print(validate(spec).table())
    return 0


def bench(args) -> int:
    from cnnviz import bench as benchmark
    from cnnviz.bench_flops import sgemm_peak_gflops

    vs_torch = args.vs_torch and benchmark.torch_available()
    if args.vs_torch and not vs_torch:
        print("PyTorch cannot be imported here; benchmarking cnnviz alone "
              "(pip install torch==2.13.0 to compare).", file=sys.stderr)
    names = args.networks or benchmark.NETWORKS
    if args.profile:
        print(benchmark.profile_tables(names))
        return 0
    if not args.json:
        print(f"benchmarking {', '.join(names)}{' against PyTorch' if vs_torch else ''} ...",
              file=sys.stderr, flush=True)
    results = benchmark.run(names, vs_torch, rounds=args.rounds, seconds=args.seconds)
    peak = sgemm_peak_gflops()
    if args.json:
        print(json.dumps(benchmark.as_json(results, peak), indent=2))
    else:
        print(f"batch {benchmark.BATCH}, SGD with momentum; 1-image forward keeps every layer's output")
        print(benchmark.report(results, peak))
    return 0


def write_health(path: str, rows: list[list]) -> None:
    """The --health CSV, atomically (a crash or a full disk leaves no half-written file)."""
    import csv
    import io

    from cnnviz.files import atomic_write
    from cnnviz.training.health import CSV_HEADER
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    with atomic_write(path) as out:
        out.write(text.getvalue().encode())
