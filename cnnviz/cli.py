"""The `cnnviz` command: its arguments, and the one place errors become a clear line (never a
traceback). The subcommands themselves are in commands.py."""
from __future__ import annotations

import argparse
import os
import sys

from cnnviz import __version__


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _setting(name: str):
    """An argparse type for a training setting, checked against the limits the app uses."""
    def parse(text: str):
        from cnnviz.training import hyperparameters

        whole = hyperparameters.LIMITS[name].whole
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a {'whole ' if whole else ''}number, not {text}") from None
        try:
            return hyperparameters.check(name, value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {hyperparameters.LIMITS[name].describe()}, not {text}") from None
    return parse


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def schedule_names() -> tuple[str, ...]:
    from cnnviz.training.schedule import NAMES
    return NAMES


def build_parser() -> argparse.ArgumentParser:
    from cnnviz import commands

    parser = argparse.ArgumentParser(prog="cnnviz", description="Watch a convolutional neural "
                                     "network learn.")
    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    # For packaging/smoke_test_bundle.sh: start the app, close it after its first paint (hidden).
    parser.add_argument("--smoke-test-gui", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command")

    train = sub.add_parser("train", help="train a network headless")
    train.add_argument("--arch", default="shapes-small", help="built-in name or JSON file")
    train.add_argument("--dataset", default="shapes",
                       help="a name from `cnnviz datasets`, or an image folder (one sub-folder per class)")
    train.add_argument("--download", action="store_true", help="fetch the dataset if it is missing")
    # The training settings come from the architecture's recipe (training/recipe.py); a flag
    # given overrides its part of it.
    own = " (default: the architecture's recipe)"
    train.add_argument("--epochs", type=_setting("epochs"), help="passes over the training set" + own)
    train.add_argument("--batch-size", type=_setting("batch_size"), help="images per step" + own)
    train.add_argument("--lr", type=_setting("lr"), help="the learning rate (one-cycle's peak)" + own)
    train.add_argument("--optimizer", choices=["sgd", "adam"],
                       help="another optimizer brings its usual learning rate unless --lr" + own)
    train.add_argument("--momentum", type=_setting("momentum"), help="SGD's momentum" + own)
    train.add_argument("--schedule", choices=schedule_names(),
                       help="the learning-rate schedule over the epochs" + own)
    train.add_argument("--augment", action=argparse.BooleanOptionalAction,
                       help="random shifts, rotations, scaling, flips (not for digits) and noise"
                            " on each batch, or not" + own)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--train-limit", type=_positive_int, help="use only this many training images")
    train.add_argument("--out", metavar="MODEL.cnnviz", help="save the trained model here")
    train.add_argument("--health", metavar="PATH.csv",
                       help="write per layer and logged step: weight and gradient norms, the "
                            "update ratio, dead and saturated fractions")
    train.set_defaults(run=commands.train)

    evaluate = sub.add_parser("eval", help="a model's test accuracy and confusion matrix")
    evaluate.add_argument("model", metavar="MODEL.cnnviz")
    evaluate.add_argument("--dataset", required=True, help="a name from `cnnviz datasets`")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.set_defaults(run=commands.evaluate_model)

    predict = sub.add_parser("predict", help="classify image files with a model")
    predict.add_argument("model", metavar="MODEL.cnnviz")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    predict.add_argument("--top", type=_positive_int, default=3, help="how many classes to show")
    predict.add_argument("--json", action="store_true", help="machine-readable output")
    predict.set_defaults(run=commands.predict)

    export = sub.add_parser("export", help="export a model's trained weights")
    export.add_argument("model", metavar="MODEL.cnnviz")
    export.add_argument("--format", required=True, choices=["onnx", "safetensors", "npz"])
    export.add_argument("-o", "--output", required=True, metavar="OUT")
    export.set_defaults(run=commands.export)

    datasets = sub.add_parser("datasets", help="list the datasets and where they are on this machine")
    datasets.add_argument("--download", metavar="NAME", help="fetch a dataset into the cache")
    datasets.set_defaults(run=commands.datasets)

    archs = sub.add_parser("archs", help="list the built-in architectures with parameters and FLOPs")
    archs.set_defaults(run=commands.archs)

    arch = sub.add_parser("arch", help="one architecture's layer table")
    arch.add_argument("name", help="a built-in name or a JSON file")
    arch.set_defaults(run=commands.arch)

    bench = sub.add_parser("bench", help="training throughput and latency of the reference networks")
    bench.add_argument("--vs-torch", action="store_true", help="also run PyTorch on the same batches")
    bench.add_argument("--json", action="store_true", help="machine-readable output")
    bench.add_argument("--networks", nargs="*",
                       help="architectures to run (default: lenet5 fashion-2conv fashion-2conv-bn alexnet-mini)")
    bench.add_argument("--profile", action="store_true",
                       help="per-layer forward and backward times instead (no PyTorch)")
    bench.add_argument("--rounds", type=_positive_int, default=3, help="timed rounds per network (median taken)")
    bench.add_argument("--seconds", type=_positive_float, default=1.0, help="length of one timed round")
    bench.set_defaults(run=commands.bench)
    return parser


def smoke_test_gui(seconds: float = 300) -> int:
    """`cnnviz --smoke-test-gui`: start the app as `cnnviz` does, and close the main window once it
    has painted and shown its first snapshot (the engine answered). 0 when that happened and no
    training thread is left; 1 when not, or not within `seconds`."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

    from cnnviz.app.main import run
    from cnnviz.app.worker import running_threads

    app = QApplication.instance() or QApplication(sys.argv[:1])
    state = {"window": None, "closed": False}

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if (event.type() == QEvent.Type.Paint and isinstance(obj, QWidget)
                    and isinstance(obj.window(), QMainWindow)):
                state["window"] = state["window"] or obj.window()
            return False

    def close(code: int) -> None:
        poll.stop()
        state["closed"] = code == 0
        if state["window"] is not None:
            state["window"].close()
        if code:
            print(f"cnnviz: smoke test: no painted window with a snapshot in {seconds:g} s",
                  file=sys.stderr)
        app.exit(code)

    def check() -> None:
        session = getattr(state["window"], "session", None)
        if state["window"] is not None and getattr(session, "latest", True) is not None:
            close(0)

    watcher, poll = FirstPaint(), QTimer()
    app.installEventFilter(watcher)
    poll.timeout.connect(check)
    poll.start(50)
    QTimer.singleShot(int(seconds * 1000), lambda: close(1) if poll.isActive() else None)
    code = run()
    app.removeEventFilter(watcher)
    if running_threads():
        print("cnnviz: smoke test: a training thread was left running", file=sys.stderr)
        return 1
    if code == 0 and state["closed"]:
        print("cnnviz: smoke test: the window painted, showed a snapshot and closed")
        return 0
    return code or 1


def main(argv: list[str] | None = None) -> int:
    from cnnviz.engine import configure

    configure()  # before any kernel is defined: their cache folder, the thread settings
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # no subcommand: the desktop app
        if args.smoke_test_gui:
            return smoke_test_gui()
        from cnnviz.app.main import run
        return run()
    from cnnviz.data.errors import DataError
    from cnnviz.engine.spec import SpecError

    try:
        return args.run(args)
    except (SpecError, DataError) as exc:
        print(f"cnnviz: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `cnnviz datasets | head`: the reader has all it wanted
        # (Python's signal docs): point stdout at devnull so the exit's flush cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a process ended by SIGPIPE
    except OSError as exc:  # a file that cannot be written, a full disk
        print(f"cnnviz: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
