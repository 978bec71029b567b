"""numpy's own OpenBLAS, called from numba kernels; numba's threads own the cores.

Two thread pools on two cores fight (numba's and OpenBLAS's: each busy-waits or must be woken,
and OpenBLAS misbehaves when asked to change its thread count from inside a numba parallel
loop). So OpenBLAS runs single-threaded in this process (once engine.configure() ran), and the
engine parallelises every GEMM itself: a convolution runs one GEMM per image, spread over
numba's threads, on that image's im2col buffer while it is in cache; a dense layer splits its
GEMM into one block per thread.

Kernels get the routine's address as a plain integer and call it through `gemm`, an intrinsic,
so they stay cacheable (numba will not cache a kernel holding a ctypes function).

Where numpy's BLAS is another library (conda's MKL, a distribution's numpy), BLAS is None and
the conv and dense layers fall back to numpy's matmul (engine/conv_fallback.py).
"""
from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _library_candidates() -> list[str]:
    """OpenBLAS as numpy's wheels bundle it (Linux, macOS, Windows)."""
    root = os.path.dirname(np.__file__)
    folders = [os.path.join(root, os.pardir, "numpy.libs"), os.path.join(root, ".dylibs"),
               os.path.join(root, "_core")]
    return sorted(path for folder in folders
                  for path in glob.glob(os.path.join(folder, "*openblas*"))
                  if path.endswith((".so", ".dylib", ".dll")) or ".so." in path)


class Blas:
    """The addresses of cblas_sgemm and cblas_dgemm (ILP64, as numpy bundles them)."""

    def __init__(self, path: str):
        library = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_", "64_"), ("", "64_")):
            if hasattr(library, f"{prefix}cblas_sgemm{suffix}"):
                break
        else:
            raise OSError(f"{path} has no 64-bit cblas_sgemm")
        self.path = path
        self.sgemm = ctypes.cast(getattr(library, f"{prefix}cblas_sgemm{suffix}"), ctypes.c_void_p).value
        self.dgemm = ctypes.cast(getattr(library, f"{prefix}cblas_dgemm{suffix}"), ctypes.c_void_p).value
        self._set_threads = getattr(library, f"{prefix}openblas_set_num_threads{suffix}")
        self._set_threads.argtypes = [ctypes.c_int]
        self._get_threads = getattr(library, f"{prefix}openblas_get_num_threads{suffix}")
        self._get_threads.restype = ctypes.c_int
        self._core_name = getattr(library, f"{prefix}openblas_get_corename{suffix}", None)
        if self._core_name is not None:
            self._core_name.restype = ctypes.c_char_p

    def threads(self) -> int:
        """OpenBLAS's own thread count (1 once configure() ran)."""
        return self._get_threads()

    def core_name(self) -> str:
        """The kernels OpenBLAS chose for this CPU ("Haswell": AVX2, "SkylakeX": AVX-512), or
        as OPENBLAS_CORETYPE forced them."""
        return self._core_name().decode() if self._core_name is not None else "unknown"

    def single_threaded(self) -> None:
        """numpy's matmul in this process runs on one thread from now on (configure())."""
        self._set_threads(1)

    def set_threads(self, count: int) -> None:
        """OpenBLAS's own thread count (the benchmark's peak measurement lends it the cores)."""
        self._set_threads(count)

    def gemm_for(self, dtype) -> int:
        return self.sgemm if np.dtype(dtype) == np.float32 else self.dgemm


def find_blas() -> tuple[Blas | None, str]:
    """numpy's OpenBLAS, or None and why not (a conda or distribution numpy links another
    BLAS: then the layers multiply with numpy's matmul)."""
    errors = []
    for path in _library_candidates():
        try:
            return Blas(path), ""
        except (OSError, AttributeError) as exc:
            errors.append(f"{path}: {exc}")
    return None, ("numpy's BLAS is not the OpenBLAS its PyPI wheels bundle ("
                  + ("; ".join(errors) or "none was found beside numpy") + ")")


BLAS, MISSING = find_blas()


@intrinsic
def gemm(typingctx, address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """Row-major C = alpha * op(A) @ op(B) + beta * C by cblas_?gemm at `address`; a, b, c are
    arrays (views allowed: their first element is where BLAS starts), the dtype of c picks float
    or double."""
    if not all(isinstance(t, types.Array) for t in (a, b, c)):
        return None
    sig = types.void(address, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)

    def codegen(context, builder, signature, args):
        argtypes = signature.args
        real = argtypes[12].dtype
        i32, i64, voidptr = ir.IntType(32), ir.IntType(64), cgutils.voidptr_t
        llreal = context.get_value_type(real)
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, llreal, voidptr, i64,
                                               voidptr, i64, llreal, voidptr, i64])

        def cast(i, to):
            return context.cast(builder, args[i], argtypes[i], to)

        def data(i):
            array = context.make_array(argtypes[i])(context, builder, args[i])
            return builder.bitcast(array.data, voidptr)

        fn = builder.inttoptr(cast(0, types.int64), fnty.as_pointer())
        builder.call(fn, [ir.Constant(i32, ROW_MAJOR), cast(1, types.int32), cast(2, types.int32),
                          cast(3, types.int64), cast(4, types.int64), cast(5, types.int64),
                          cast(6, real), data(7), cast(8, types.int64), data(9),
                          cast(10, types.int64), cast(11, real), data(12), cast(13, types.int64)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True, parallel=True)
def matmul(address, a, b, c, trans_a, trans_b, tasks):
    """c = op(a) @ op(b) for C-contiguous 2-D arrays (op transposes where asked), split into
    `tasks` blocks of c's rows or columns (whichever is longer), one per thread."""
    rows, cols = c.shape
    depth = a.shape[0] if trans_a else a.shape[1]
    ta = TRANS if trans_a else NO_TRANS
    tb = TRANS if trans_b else NO_TRANS
    lda, ldb, ldc = a.shape[1], b.shape[1], cols
    by_rows = rows >= cols
    length = rows if by_rows else cols
    per = (length + tasks - 1) // tasks
    for task in prange(tasks):
        lo = min(length, task * per)
        hi = min(length, lo + per)
        if hi <= lo:
            continue
        if by_rows:
            block_a = a[:, lo:hi] if trans_a else a[lo:hi]
            gemm(address, ta, tb, hi - lo, cols, depth, 1.0, block_a, lda, b, ldb, 0.0,
                 c[lo:hi], ldc)
        else:
            block_b = b[lo:hi] if trans_b else b[:, lo:hi]
            gemm(address, ta, tb, rows, hi - lo, depth, 1.0, a, lda, block_b, ldb, 0.0,
                 c[:, lo:hi], ldc)
