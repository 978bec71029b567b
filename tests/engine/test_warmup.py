"""The engine's warm-up (engine/warmup.py): it compiles or loads every kernel the app's training
uses, so nothing compiles after it (the app runs it behind its splash before the worker starts)."""
import json
import subprocess
import sys

from cnnviz.engine.warmup import Progress, engine_kernels, warm_up

KERNELS = {"conv_forward", "conv_backward", "im2col_image", "col2im_image", "maxpool_forward",
           "maxpool_backward", "avgpool_forward", "avgpool_backward", "leaky_relu_forward",
           "leaky_relu_backward", "sgd_update", "adam_update", "matmul"}


def test_engine_kernels_are_every_numba_kernel_of_the_engine():
    names = {kernel.py_func.__name__ for kernel in engine_kernels()}
    assert KERNELS <= names
    assert len(names) == len(engine_kernels())


def test_warm_up_reports_progress_and_ends():
    reports = []
    last = warm_up(reports.append)
    assert reports[-1] is last and last.done
    assert all(not p.done for p in reports[:-1])
    assert all(isinstance(p, Progress) and 0 <= p.ready <= p.total == len(engine_kernels())
               for p in reports)
    assert last.compiling is None


# In a fresh process (this one's kernels are compiled already by other tests): after the warm-up,
# the training loop on two built-in networks and a network without convolutions, with evaluations (on the dataset's read-only test
# images too), a probe with its saliency map and Grad-CAM, an architecture change and Adam, compiles
# or loads no kernel signature the warm-up did not.
TRAINING_AFTER_WARM_UP = """
import json
from cnnviz.architectures import fit_to_dataset, load_architecture
from cnnviz.data import catalog
from cnnviz.engine.network import Network
from cnnviz.engine.warmup import engine_kernels, warm_up
from cnnviz.training.control import Control
from cnnviz.training.loop import TrainConfig, train

warm_up(everything=True)
def signatures():
    return {k.py_func.__name__: sorted(map(str, k.signatures)) for k in engine_kernels()}
before = signatures()
data = catalog.load("shapes", train_size=400)
mlp = {"name": "mlp", "input": [1, 1, 1], "classes": ["a"],
       "layers": [{"type": "flatten"}, {"type": "dense", "units": 256}, {"type": "relu"},
                  {"type": "dense", "units": 8}]}
for arch, optimizer in (("shapes-small", "sgd"), ("lenet5", "adam"), (mlp, "sgd")):
    spec = arch if isinstance(arch, dict) else load_architecture(arch)
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
after = signatures()
print(json.dumps({name: sorted(set(after[name]) - set(before[name])) for name in after
                  if after[name] != before[name]}))
"""


def test_after_the_warm_up_training_compiles_nothing():
    out = subprocess.run([sys.executable, "-c", TRAINING_AFTER_WARM_UP], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {}
