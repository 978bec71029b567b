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


def test_thread_pools_sleep_when_idle():
    """Importing cnnviz first makes OpenMP and OpenBLAS workers sleep instead of spinning."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")}
    code = "import os, cnnviz; print(os.environ['OMP_WAIT_POLICY'], os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["PASSIVE", "4"]
