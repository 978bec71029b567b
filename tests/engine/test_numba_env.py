"""numba caches compiled kernels in the user's cache folder (never beside the installed source,
which may be read-only), and parallel loops run on a thread-safe layer."""
import os
import subprocess
import sys

import numba
import numpy as np

from cnnviz.engine import kernels, numba_env


def test_cache_goes_to_the_user_cache_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    code = ("import numpy as np; from cnnviz.engine import kernels, numba_env; "
            "kernels.leaky_relu_forward(np.ones(4, np.float32), 0.0, np.empty(4, np.float32)); "
            "print(numba_env.cache_dir())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    cache = tmp_path / "cnnviz" / "numba"
    assert out.stdout.strip() == str(cache)
    assert any(p.suffix == ".nbi" for p in cache.rglob("*")), "no index file written to the cache"


def test_explicit_numba_cache_dir_wins(monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/somewhere/else")
    assert numba_env.cache_dir() == "/somewhere/else"


def test_parallel_kernels_run_on_a_thread_safe_layer():
    kernels.leaky_relu_forward(np.ones(8, np.float32), 0.0, np.empty(8, np.float32))
    assert numba.threading_layer() in ("omp", "tbb")


def test_workers_spin_briefly_then_sleep():
    """Importing cnnviz first bounds how long OpenMP workers busy-wait; the user's setting wins."""
    code = "import os, cnnviz; print(os.environ['OMP_WAIT_POLICY'], os.environ['GOMP_SPINCOUNT'])"
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["PASSIVE", "100000"]
    env["GOMP_SPINCOUNT"] = "5"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["PASSIVE", "5"]


def test_openblas_runs_single_threaded():
    """numba's threads own the cores; numpy's OpenBLAS must not start a second pool."""
    from cnnviz.engine.blas import BLAS
    assert BLAS.threads() == 1
