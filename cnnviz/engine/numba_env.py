"""Configure numba before any kernel is defined: where compiled kernels are cached, which
threading layer runs parallel loops.

numba writes its cache next to the source file by default, which fails when cnnviz is installed
somewhere read-only; we point it at the user's cache directory instead (an explicit
NUMBA_CACHE_DIR still wins). Import this module before `numba` is used by cnnviz.
"""
from __future__ import annotations

import os

import platformdirs


def cache_dir() -> str:
    """The folder numba caches cnnviz's compiled kernels in."""
    return os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        platformdirs.user_cache_dir("cnnviz", appauthor=False), "numba")


os.environ["NUMBA_CACHE_DIR"] = cache_dir()

import numba  # noqa: E402  (must come after the environment is set)

numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
# Only one thread calls the engine (docs/ARCHITECTURE.md, rule 6), but a thread-safe layer turns a
# mistake into slowness rather than an abort: prefer OpenMP, then TBB, then workqueue.
numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
