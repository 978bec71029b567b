"""`cnnviz bench`: training throughput and single-image latency of the reference networks,
optionally against PyTorch on the same batches in the same run (these machines are noisy, so
only same-run comparisons mean anything)."""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

from cnnviz.architectures import load_architecture
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD

NETWORKS = ("lenet5", "fashion-2conv")
BATCH = 64


@dataclass
class Result:
    network: str
    images_per_s: float
    step_ms: float
    latency_ms: float  # one image, forward pass with every layer's output kept
    torch_images_per_s: float | None = None
    torch_latency_ms: float | None = None

    @property
    def throughput_ratio(self) -> float | None:
        return self.images_per_s / self.torch_images_per_s if self.torch_images_per_s else None

    @property
    def latency_ratio(self) -> float | None:
        return self.latency_ms / self.torch_latency_ms if self.torch_latency_ms else None


def _batches(shape, classes, count, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.random((BATCH, *shape), dtype=np.float32), rng.integers(0, classes, BATCH))
            for _ in range(count)]


def _timed_rounds(step, batches, rounds, seconds):
    """Median seconds per step over `rounds` rounds of about `seconds` each."""
    per_step = []
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        while True:
            step(*batches[count % len(batches)])
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds and count >= 3:
                break
        per_step.append(elapsed / count)
    return statistics.median(per_step)


def _latency(forward, x, repeats=200):
    for _ in range(10):
        forward(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _TorchRunner:
    def __init__(self, network: Network):
        import torch

        self.torch = torch
        self.model = _to_torch(network)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss = torch.nn.CrossEntropyLoss()

    def step(self, x, y):
        self.optimizer.zero_grad()
        self.loss(self.model(self.torch.from_numpy(x)), self.torch.from_numpy(y)).backward()
        self.optimizer.step()

    def forward(self, x):
        with self.torch.no_grad():
            return self.model.eval()(self.torch.from_numpy(x))


def _to_torch(network):
    from cnnviz.torch_bridge import to_torch
    return to_torch(network)


def bench_network(name: str, vs_torch: bool, rounds: int = 3, seconds: float = 1.0) -> Result:
    spec = load_architecture(name)
    network = Network(spec, seed=0)
    optimizer = SGD(lr=0.01, momentum=0.9)
    batches = _batches(tuple(spec["input"]), len(spec["classes"]), 8)
    runner = _TorchRunner(network) if vs_torch else None
    ours_step = lambda x, y: network.train_step(x, y, optimizer)  # noqa: E731
    for x, y in batches[:3]:  # warm up: compile, allocate, let BLAS spin up
        ours_step(x, y)
        if runner:
            runner.step(x, y)
    # Alternate the two so that a noisy spell hits both alike.
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(_timed_rounds(ours_step, batches, 1, seconds))
        if runner:
            theirs.append(_timed_rounds(runner.step, batches, 1, seconds))
    step_s = statistics.median(ours)
    single = batches[0][0][:1]
    result = Result(name, BATCH / step_s, step_s * 1e3,
                    _latency(network.forward_taps, single) * 1e3)
    if runner:
        result.torch_images_per_s = BATCH / statistics.median(theirs)
        result.torch_latency_ms = _latency(runner.forward, single) * 1e3
    return result


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def report(results: list[Result]) -> str:
    lines = [f"{'network':<15} {'train img/s':>12} {'ms/step':>9} {'1-image fwd ms':>15}"]
    for r in results:
        lines.append(f"{r.network:<15} {r.images_per_s:>12,.0f} {r.step_ms:>9.2f} {r.latency_ms:>15.3f}")
        if r.torch_images_per_s:
            lines.append(f"{'  PyTorch':<15} {r.torch_images_per_s:>12,.0f} "
                         f"{BATCH / r.torch_images_per_s * 1e3:>9.2f} {r.torch_latency_ms:>15.3f}")
            lines.append(f"{'  ratio':<15} {r.throughput_ratio:>11.2f}x {'':>9} "
                         f"{r.latency_ratio:>14.2f}x")
    return "\n".join(lines)


def as_json(results: list[Result]) -> list[dict]:
    return [dict(asdict(r), throughput_ratio=r.throughput_ratio, latency_ratio=r.latency_ratio)
            for r in results]
