"""numba's cache inside the PyInstaller bundle (named by the runtime hook rthook_numba_cache.py
through NUMBA_CACHE_LOCATOR_CLASSES).

PyInstaller stores each module's code with a relative co_filename ("cnnviz/engine/kernels.py").
numba looks for that file to place a kernel's cache and, not finding it, falls back to its
frozen-app locator: ~/.cache/numba, ignoring NUMBA_CACHE_DIR, with the whole executable's hash
as the source stamp. This locator resolves the name inside the bundle (the spec collects
cnnviz's .py files beside its bytecode), caches in NUMBA_CACHE_DIR as in a checkout, and stamps
each kernel with its own source file's hash, so a rebuilt bundle recompiles exactly the kernels
whose files changed.
"""
from __future__ import annotations

import hashlib
import os
import sys

from numba.core.caching import UserProvidedCacheLocator


class BundleSourceLocator(UserProvidedCacheLocator):
    @classmethod
    def from_function(cls, py_func, py_file):
        if not os.path.isabs(py_file):
            py_file = os.path.join(getattr(sys, "_MEIPASS", ""), py_file)
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        with open(self._py_file, "rb") as source:
            return hashlib.sha256(source.read()).hexdigest()
