"""The engine's warm-up (engine/warmup.py): it compiles or loads every kernel the app's training
of the built-in networks uses, so nothing compiles after it (the app runs it on a thread of its
own before the worker starts); kernels compiled later, when first used, are reported too."""
import json
import subprocess
import sys

from cnnviz.engine import warmup
from cnnviz.engine.warmup import LATER, Progress, engine_kernels, warm_up

KERNELS = {"conv_forward", "conv_backward", "im2col_image", "col2im_image", "padded_copy",
           "im2col_channels_last", "col2im_channels_last", "padded_copy_channels_last",
           "padded_plane", "maxpool_forward",
           "maxpool_backward", "avgpool_forward", "avgpool_backward", "leaky_relu_forward",
           "leaky_relu_backward", "sgd_update", "adam_update", "matmul", "channel_statistics",
           "normalise", "parameter_gradients", "input_gradient"}


def test_engine_kernels_are_every_numba_kernel_of_the_engine():
    names = [kernel.py_func.__name__ for kernel in engine_kernels()]
    assert KERNELS <= set(names) and len(set(names)) == len(names)
    assert set(LATER) <= set(names)


def test_warm_up_reports_progress_and_ends():
    reports = []
    last = warm_up(reports.append)
    assert reports[-1] is last and last.done
    assert all(not p.done for p in reports[:-1])
    assert all(isinstance(p, Progress) and 0 <= p.ready <= p.total for p in reports)
    assert last.total == len(engine_kernels()) - len(LATER)
    assert last.compiling is None
    assert warm_up(everything=True).total == len(engine_kernels())


def test_a_warm_up_that_loads_everything_marks_the_cache_and_later_ones_are_skipped(
        tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "mark_path", lambda: tmp_path / "mark.json")
    assert not warmup.marked_warm()
    warm_up()
    assert warm_up().compiled == 0  # compiled in this process now: nothing compiles
    assert warmup.marked_warm() and not warmup.marked_warm(everything=True)
    reports = []
    skipped = warmup.warm_up_unless_marked(reports.append)
    assert skipped.done and skipped.skipped and reports == [skipped]
    warm_up(everything=True)
    assert warmup.marked_warm(everything=True)
    warm_up()  # a later default warm-up keeps "everything"
    assert warmup.marked_warm(everything=True)


def test_the_mark_holds_only_for_the_same_engine_numba_python_and_cpu(tmp_path, monkeypatch):
    monkeypatch.setattr(warmup, "mark_path", lambda: tmp_path / "mark.json")
    warmup._write_mark(everything=False)
    assert warmup.marked_warm()
    real = warmup.fingerprint()
    assert real["sources"]["kernels.py"] and real["cpu"] and real["numba"]
    for key, value in (("sources", {**real["sources"], "kernels.py": [0.0, 1]}),
                       ("numba", "0.1"), ("cpu", "another"), ("python", "2.7")):
        monkeypatch.setattr(warmup, "fingerprint", lambda key=key, value=value: {**real,
                                                                                   key: value})
        assert not warmup.marked_warm()
        assert not warmup.warm_up_unless_marked().skipped
    (tmp_path / "mark.json").write_text("not json")
    assert not warmup.marked_warm()


# In a fresh process (this one's kernels are compiled already by other tests): after the warm-up,
# the training loop on two built-in networks, with SGD and Adam, with evaluations (on the
# dataset's read-only test images too), a probe with its saliency map and Grad-CAM, compiles or
# loads no kernel signature the warm-up did not; nor, after warm_up(everything=True), does it for
# networks with average pooling and leaky relu, or without convolutions.
TRAINING_AFTER_WARM_UP = """
import json
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data import catalog
from cnnviz.engine.network import Network
from cnnviz.engine.warmup import engine_kernels, warm_up
from cnnviz.training.control import Control
from cnnviz.training.loop import TrainConfig, train

def signatures():
    return {k.py_func.__name__: sorted(map(str, k.signatures)) for k in engine_kernels()}

def train_a_little(spec, optimizer):
    spec = fit_to_dataset(spec, data.input_shape, data.classes)
    control = Control()
    control.set_probe(data.test_x[0])
    control.set_saliency("saliency")
    control.set_hyperparameters(optimizer=optimizer, batch_size=32)
    config = TrainConfig(epochs=None, eval_every=3, eval_subset=64, snapshot_every=1,
                         snapshot_seconds=None, max_snapshot_hz=None)
    for snapshot in train(Network(spec, seed=0), data, control, config):
        if snapshot.step == 2:
            control.request_evaluation()  # the whole test set, read-only
        if snapshot.step == 4:
            control.set_saliency("gradcam")
        if snapshot.step >= 8:
            control.stop()

def new_since(before):
    after = signatures()
    return {name: sorted(set(after[name]) - set(before[name])) for name in after
            if after[name] != before[name]}

data = catalog.load("shapes", train_size=400)
warm_up()
before = signatures()
train_a_little(load_architecture("shapes-small"), "sgd")
train_a_little(load_architecture("lenet5"), "adam")
print(json.dumps(new_since(before)))

warm_up(everything=True)
before = signatures()
layers = [{"type": "conv", "filters": 6, "kernel": 5, "padding": 2}, {"type": "leaky_relu"},
          {"type": "avgpool", "size": 2}, {"type": "flatten"}, {"type": "dense", "units": 8}]
train_a_little({"name": "avg", "input": [1, 1, 1], "classes": ["a"], "layers": layers}, "sgd")
layers = [{"type": "flatten"}, {"type": "dense", "units": 256}, {"type": "relu"},
          {"type": "dense", "units": 8}]
train_a_little({"name": "mlp", "input": [1, 1, 1], "classes": ["a"], "layers": layers}, "sgd")
print(json.dumps(new_since(before)))
"""


def test_after_the_warm_up_training_compiles_nothing():
    out = subprocess.run([sys.executable, "-c", TRAINING_AFTER_WARM_UP], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    default, everything = out.stdout.strip().splitlines()[-2:]
    assert json.loads(default) == {}
    assert json.loads(everything) == {}


def test_compilations_while_training_are_reported_with_the_kernel_being_compiled():
    # As numba announces a kernel compiled when first used (events of an engine kernel), and
    # only while inside compiles_reported; other functions' compilations are not ours.
    from numba import njit
    from numba.core import event

    from cnnviz.engine import kernels
    reports = []
    avgpool = kernels.avgpool_forward.compiled
    other = njit(lambda x: x)
    with warmup.compiles_reported(reports.append):
        event.start_event("numba:compile", data={"dispatcher": avgpool, "args": ()})
        event.start_event("numba:compile", data={"dispatcher": other, "args": ()})
        event.end_event("numba:compile", data={"dispatcher": other, "args": ()})
        event.end_event("numba:compile", data={"dispatcher": avgpool, "args": ()})
    event.start_event("numba:compile", data={"dispatcher": avgpool, "args": ()})
    event.end_event("numba:compile", data={"dispatcher": avgpool, "args": ()})
    assert [(p.compiling, p.compiled) for p in reports] == [("avgpool_forward", 0), (None, 1)]
    assert all(p.total == len(engine_kernels()) and p.compiles for p in reports)
