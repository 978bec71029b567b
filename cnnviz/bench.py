"""`cnnviz bench`: training throughput and single-image latency of the reference networks,
optionally against PyTorch on the same batches in the same run (these machines are noisy, so
only same-run comparisons mean anything: timed rounds of the two alternate)."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

from cnnviz import bench_profile
from cnnviz.architectures import load_architecture
from cnnviz.bench_flops import training_flops
from cnnviz.engine import process
from cnnviz.engine.blas import BLAS
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD

NETWORKS = ("lenet5", "fashion-2conv", "fashion-2conv-bn", "alexnet-mini")
BATCH = 64


@dataclass
class Result:
    network: str
    images_per_s: float
    step_ms: float
    latency_ms: float  # one image, forward pass with every layer's output kept
    step_gflop: float  # the conv and dense layers' arithmetic in one step (bench_flops.py)
    torch_images_per_s: float | None = None
    torch_latency_ms: float | None = None

    @property
    def throughput_ratio(self) -> float | None:
        return self.images_per_s / self.torch_images_per_s if self.torch_images_per_s else None

    @property
    def gflops(self) -> float:
        return self.step_gflop / self.step_ms * 1e3

    @property
    def torch_gflops(self) -> float | None:
        return self.step_gflop * self.torch_images_per_s / BATCH if self.torch_images_per_s else None

    @property
    def latency_ratio(self) -> float | None:
        return self.latency_ms / self.torch_latency_ms if self.torch_latency_ms else None


def make_batches(spec: dict, count: int = 8, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The benchmark's batches: random images and labels, the same in every process."""
    rng = np.random.default_rng(seed)
    return [(rng.random((BATCH, *spec["input"]), dtype=np.float32),
             rng.integers(0, len(spec["classes"]), BATCH)) for _ in range(count)]


def timed_round(step, batches, seconds: float) -> float:
    """Seconds per step over a round of about `seconds` (at least 3 steps)."""
    count, start = 0, time.perf_counter()
    while True:
        step(*batches[count % len(batches)])
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return elapsed / count


def median_latency(forward, x, repeats: int = 200) -> float:
    for _ in range(10):
        forward(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class TorchProcess:
    """PyTorch in a child process with the user's environment (see cnnviz.bench_torch)."""

    def __init__(self):
        env = {k: v for k, v in os.environ.items() if k not in process.defaulted_environment}
        code = "import torch; from cnnviz.bench_torch import serve; serve()"
        self.process = subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the PyTorch benchmark process stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def bench_network(name: str, torch: TorchProcess | None, rounds: int = 3,
                  seconds: float = 1.0) -> Result:
    spec = load_architecture(name)
    network = Network(spec, seed=0)
    optimizer = SGD(lr=0.01, momentum=0.9)
    batches = make_batches(spec)
    step = lambda x, y: network.train_step(x, y, optimizer)
    for x, y in batches[:3]:  # warm up: compile, allocate buffers
        step(x, y)
    ours, theirs = [], []
    for _ in range(rounds):  # alternate, so that a noisy spell hits both alike
        ours.append(timed_round(step, batches, seconds))
        if torch:
            theirs.append(torch.ask(network=name, seconds=seconds)["step_s"])
    step_s = statistics.median(ours)
    result = Result(name, BATCH / step_s, step_s * 1e3,
                    median_latency(network.forward_taps, batches[0][0][:1]) * 1e3,
                    training_flops(network, BATCH) / 1e9)
    if torch:
        result.torch_images_per_s = BATCH / statistics.median(theirs)
        result.torch_latency_ms = torch.ask(network=name, latency=True)["latency_s"] * 1e3
    return result


def run(names, vs_torch: bool, rounds: int = 3, seconds: float = 1.0) -> list[Result]:
    torch = TorchProcess() if vs_torch else None
    try:
        return [bench_network(name, torch, rounds, seconds) for name in names]
    finally:
        if torch:
            torch.close()


def torch_available() -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def profile_tables(names, steps: int = 20) -> str:
    """bench_profile's table for each network, on the benchmark's batches and optimizer."""
    tables = []
    for name in names:
        spec = load_architecture(name)
        rows = bench_profile.profile(Network(spec, seed=0), make_batches(spec),
                                     SGD(lr=0.01, momentum=0.9), steps)
        tables.append(bench_profile.table(name, rows))
    return "\n\n".join(tables)


def report(results: list[Result], peak_gflops: float | None = None) -> str:
    """The results as a table; GFLOP/s counts the conv and dense layers' arithmetic, and with
    `peak_gflops` (sgemm_peak_gflops) says how much of the machine's GEMM speed that is."""
    share = lambda gflops: f" {gflops / peak_gflops:>5.0%}" if peak_gflops else ""
    lines = [f"{'network':<17} {'train img/s':>12} {'ms/step':>9} {'1-image fwd ms':>15} "
             f"{'GFLOP/s':>8}" + (" of peak" if peak_gflops else "")]
    for r in results:
        lines.append(f"{r.network:<17} {r.images_per_s:>12,.0f} {r.step_ms:>9.2f} "
                     f"{r.latency_ms:>15.3f} {r.gflops:>8.0f}{share(r.gflops)}")
        if r.torch_images_per_s:
            lines.append(f"{'  PyTorch':<17} {r.torch_images_per_s:>12,.0f} "
                         f"{BATCH / r.torch_images_per_s * 1e3:>9.2f} {r.torch_latency_ms:>15.3f} "
                         f"{r.torch_gflops:>8.0f}{share(r.torch_gflops)}")
            lines.append(f"{'  ratio':<17} {r.throughput_ratio:>11.2f}x {'':>9} "
                         f"{r.latency_ratio:>14.2f}x")
    if peak_gflops:
        lines.append(f"peak: numpy's float32 matmul of two 1536x1536 matrices on every core, "
                     f"{peak_gflops:.0f} GFLOP/s")
    if BLAS is not None:  # its kernels set the engine's speed: AVX-512 ones run GEMMs 2x faster
        forced = os.environ.get("OPENBLAS_CORETYPE")
        lines.append(f"OpenBLAS kernels: {BLAS.core_name()}"
                     + (f" (OPENBLAS_CORETYPE={forced} in the environment)" if forced else ""))
    return "\n".join(lines)


def as_json(results: list[Result], peak_gflops: float | None = None) -> list[dict]:
    return [dict(asdict(r), throughput_ratio=r.throughput_ratio, latency_ratio=r.latency_ratio,
                 gflops=r.gflops, torch_gflops=r.torch_gflops, peak_gflops=peak_gflops)
            for r in results]
