"""What the engine wants of the process it runs in, set by one explicit call: configure().

The app, the command line and the tests call it first thing, before any kernel runs. Importing
cnnviz changes nothing (a notebook that imports the engine keeps its environment, numba's
settings and its BLAS threads); the engine then still works, only slower on two cores.

configure():
- OpenMP's wait policy: numba's OpenMP workers spin briefly after a parallel loop, then sleep,
  leaving the core to other threads (the GUI). Measured on 2 cores, 100,000 spins trained LeNet
  in 4.0 ms a step against 5.9 ms for sleeping at once (fashion-2conv 45 against 58 ms). Read
  when the OpenMP library loads, at the first parallel kernel. The user's own settings win.
- numba's cache of compiled kernels goes to the user's cache folder, not beside the installed
  source, which may be read-only (an explicit NUMBA_CACHE_DIR wins). numba picks a kernel's
  cache folder when the kernel is defined: call configure() before importing the kernels.
- numba's threading layer: a thread-safe one first (OpenMP, then TBB). Only one thread calls the
  engine (docs/ARCHITECTURE.md, rule 6), but a thread-safe layer turns a mistake into slowness
  rather than an abort.
- OpenBLAS single-threaded (engine/blas.py): numba's threads own the cores. Where numpy's BLAS
  is not the OpenBLAS its wheels bundle, the engine multiplies with numpy's own matmul instead,
  and configure() says so once.
"""
from __future__ import annotations

import os
import warnings

import platformdirs

THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "100000"}
# What configure() set rather than the user: `cnnviz bench` runs PyTorch without these.
defaulted_environment: list[str] = []
_configured = False


def cache_dir() -> str:
    """The folder numba caches cnnviz's compiled kernels in."""
    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        platformdirs.user_cache_dir("cnnviz", appauthor=False), "numba")


def configure() -> None:
    """Set the process up for the engine (the module doc says what and why); once is enough."""
    global _configured
    if _configured:
        return
    _configured = True
    for name, value in THREAD_DEFAULTS.items():
        if name not in os.environ:
            os.environ[name] = value
            defaulted_environment.append(name)
    os.environ["NUMBA_CACHE_DIR"] = cache_dir()
    import numba

    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
    from cnnviz.engine import blas

    if blas.BLAS is not None:
        blas.BLAS.single_threaded()
    else:
        warnings.warn(f"cnnviz: {blas.MISSING}; the engine multiplies with numpy's matmul "
                      f"instead, which is slower", RuntimeWarning, stacklevel=2)
