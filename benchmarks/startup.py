"""Cold and warm start of the engine: a fresh process that builds every built-in network, runs a
training step and a one-image forward pass. Cold = empty numba cache (first run after install:
every kernel compiles); warm = the same cache again (kernels load from disk).

    python benchmarks/startup.py
"""
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import time
start = time.perf_counter()
import numpy as np
from cnnviz.engine import configure  # noqa: E402

configure()  # first, as the app does: before the kernels are defined

from cnnviz.architectures import builtin_names, load_architecture
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD
for name in builtin_names():
    spec = load_architecture(name)
    net = Network(spec, seed=0)
    x = np.random.default_rng(0).random((8, *spec["input"]), dtype=np.float32)
    net.train_step(x, np.zeros(8, np.int64), SGD())
    net.forward_taps(x[:1])
print(time.perf_counter() - start)
"""


def run_once(cache_dir: str) -> tuple[float, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         check=True)
    return time.perf_counter() - start, float(out.stdout.strip())


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold_total, cold_engine = run_once(cache)
        warm = [run_once(cache) for _ in range(3)]
    warm_total, warm_engine = min(warm)
    print(f"cold start (empty numba cache): {cold_total:.1f} s process, {cold_engine:.1f} s engine ready")
    print(f"warm start (cached kernels):    {warm_total:.1f} s process, {warm_engine:.1f} s engine ready")


if __name__ == "__main__":
    main()
