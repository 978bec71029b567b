"""engine.configure(), the one call that sets the process up: importing cnnviz changes nothing
(a notebook keeps its environment, numba's settings, its BLAS threads); configure() sends numba's
cache to the user's cache folder, picks a thread-safe layer, bounds OpenMP's spinning (the
user's settings win) and runs OpenBLAS on one thread. Without numpy's OpenBLAS the layers fall
back to numpy's matmul and give the same numbers (the reference loops are the oracle)."""
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from cnnviz.engine import blas, kernels, process, reference
from cnnviz.engine.network import Network
from cnnviz.engine.optim import SGD

CLEAN = {k: v for k, v in os.environ.items()
         if k not in ("NUMBA_CACHE_DIR", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}


def run(code: str, **env) -> str:
    out = subprocess.run([sys.executable, "-c", code], env={**CLEAN, **env}, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_importing_the_engine_changes_nothing_in_the_process():
    code = ("import os, numba, cnnviz, cnnviz.engine.network, cnnviz.training.loop; "
            "from cnnviz.engine.blas import BLAS; "
            "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('NUMBA_CACHE_DIR'), "
            "numba.config.THREADING_LAYER_PRIORITY == ['tbb', 'omp', 'workqueue'], "
            "BLAS.threads() > 1 if os.cpu_count() > 1 else True)")
    assert run(code).split() == ["None", "None", "True", "True"]


def test_configure_sets_the_process_up_and_the_users_settings_win(tmp_path):
    code = ("import os, numba; from cnnviz.engine import configure; configure(); "
            "from cnnviz.engine.blas import BLAS; "
            "print(os.environ['OMP_WAIT_POLICY'], os.environ['GOMP_SPINCOUNT'], "
            "numba.config.THREADING_LAYER_PRIORITY[0], BLAS.threads())")
    assert run(code).split() == ["PASSIVE", "100000", "omp", "1"]
    assert run(code, GOMP_SPINCOUNT="5").split()[1] == "5"


def test_the_cache_goes_to_the_user_cache_dir(tmp_path):
    code = ("import numpy as np; from cnnviz.engine import configure; configure(); "
            "from cnnviz.engine import kernels, process; "
            "kernels.leaky_relu_forward(np.ones(4, np.float32), 0.0, np.empty(4, np.float32)); "
            "print(process.cache_dir())")
    cache = tmp_path / "cnnviz" / "numba"
    assert run(code, XDG_CACHE_HOME=str(tmp_path)) == str(cache)
    assert any(p.suffix == ".nbi" for p in cache.rglob("*")), "no index file written to the cache"


def test_explicit_numba_cache_dir_wins(monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    assert process.cache_dir() == "/somewhere/else"


def test_parallel_kernels_run_on_a_thread_safe_layer():
    kernels.leaky_relu_forward(np.ones(8, np.float32), 0.0, np.empty(8, np.float32))
    assert numba.threading_layer() in ("omp", "tbb")


def test_openblas_runs_single_threaded_once_configured():
    assert blas.BLAS.threads() == 1  # tests/conftest.py configured this process


SPEC = {"input": [2, 9, 8], "classes": ["a", "b", "c"],
        "layers": [{"type": "conv", "filters": 3, "kernel": 3, "stride": 2, "padding": 1},
                   {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 3}]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_without_openblas_the_layers_use_numpys_matmul_with_the_same_numbers(
        monkeypatch, dtype):
    monkeypatch.setattr("cnnviz.engine.layers.BLAS", None)
    network = Network(SPEC, seed=3, dtype=dtype)
    conv, dense = network.layers[0], network.layers[3]
    assert conv._gemm is None and dense._gemm is None
    conv.needs_input_grad = True
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 2, 9, 8)).astype(dtype)  # 10: dense's GEMM path for big batches
    out = conv.forward(x, training=True)
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    w, b = conv.weight.value, conv.bias.value
    np.testing.assert_allclose(out, reference.conv_forward(x, w, b, 2, 1), **tol)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = conv.backward(dout)
    ref_dx, ref_dw, ref_db = reference.conv_backward(x, w, dout, 2, 1)
    np.testing.assert_allclose(dx, ref_dx, **tol)
    np.testing.assert_allclose(conv.weight.grad, ref_dw, **tol)
    np.testing.assert_allclose(conv.bias.grad, ref_db, **tol)
    flat = rng.standard_normal((10, dense.in_shape[0])).astype(dtype)
    np.testing.assert_allclose(dense.forward(flat, training=True),
                               reference.dense_forward(flat, dense.weight.value,
                                                       dense.bias.value), **tol)
    loss = network.train_step(x, rng.integers(0, 3, 10), SGD(0.01)).loss
    assert np.isfinite(loss)


def test_configure_says_once_when_numpys_blas_is_not_openblas():
    code = ("import warnings, cnnviz.engine.blas as b; b.BLAS, b.MISSING = None, 'no OpenBLAS here'; "
            "from cnnviz.engine import configure\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always'); configure(); configure()\n"
            "print(len(w), str(w[0].message))")
    count, message = run(code).split(" ", 1)
    assert count == "1" and "no OpenBLAS here" in message and "numpy's matmul" in message
