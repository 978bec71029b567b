"""How far the benchmark is from the machine's limit: the floating-point work of one training
step, and what numpy's sgemm achieves on one big square product in the same run."""
from __future__ import annotations

import time

import numpy as np

from cnnviz.engine import kernels
from cnnviz.engine.blas import BLAS
from cnnviz.engine.network import Network

WEIGHTED = ("conv", "dense")  # the layers whose GEMMs are nearly all of a step's arithmetic


def training_flops(network: Network, batch: int) -> int:
    """Floating-point operations (2 per multiply-add) of the conv and dense layers in one
    training step: forward, the weight gradient, and the input gradient where backward needs it
    (not for the first learnable layer)."""
    total = 0
    for layer, info in zip(network.layers, network.summary.layers):
        if info.type in WEIGHTED:
            products = 3 if layer.needs_input_grad else 2
            total += 2 * info.macs * batch * products
    return total


def sgemm_peak_gflops(size: int = 1536, repeats: int = 5) -> float:
    """GFLOP/s of numpy's float32 matmul of two size x size matrices, on all the cores numba
    uses (OpenBLAS is single-threaded for the engine otherwise: it gets its threads back for
    the measurement only); the best of `repeats`."""
    rng = np.random.default_rng(0)
    a, b = (rng.random((size, size), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    before = BLAS.threads() if BLAS else None
    if BLAS:
        BLAS.set_threads(kernels.MAX_THREADS)
    try:
        np.matmul(a, b, out=out)  # warm up: OpenBLAS starts its threads
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - start)
    finally:
        if BLAS:
            BLAS.set_threads(before)
    return 2 * size ** 3 / best / 1e9
