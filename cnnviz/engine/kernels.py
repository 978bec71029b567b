"""numba kernels: plain functions, no classes.

Layout is NCHW throughout. Every `prange` runs over an axis whose output slice each iteration
owns, so iterations never write to the same element. Kernels write into arrays the caller
allocates, so layers decide what is reused between steps. Each compiles once per dtype
(float32 for training, float64 for gradient checks) and is cached on disk. The convolution's
kernels, which also call BLAS, are in conv_kernels.py.
"""
from __future__ import annotations

import functools
import inspect
import math

import numba
import numpy as np
from numba import njit, prange

FAST = dict(cache=True, nogil=True)
PARALLEL = dict(cache=True, nogil=True, parallel=True)

# Waking the sleeping worker for a parallel region costs ~50 us on this kind of VM; a serial
# pass over 100k floats costs about as much. Below that, kernels run on the calling thread.
PARALLEL_MIN_SIZE = 100_000


MAX_THREADS = numba.config.NUMBA_NUM_THREADS


def use_threads(count: int) -> None:
    """Run the next parallel kernels on `count` threads (numba's setting is per calling thread)."""
    if numba.get_num_threads() != count:
        numba.set_num_threads(count)


def parallel(size_of: str, fastmath: bool = False):
    """Compile with parallel=True; at call time run on one thread when the array argument named
    `size_of` is small (numba's thread count is per calling thread, so this is thread-safe).
    fastmath lets LLVM reorder a sum, which it needs to vectorise the reduction."""
    def wrap(fn):
        compiled = njit(**PARALLEL, fastmath=fastmath)(fn)
        index = list(inspect.signature(fn).parameters).index(size_of)

        @functools.wraps(fn)
        def run(*args):
            use_threads(MAX_THREADS if args[index].size >= PARALLEL_MIN_SIZE else 1)
            return compiled(*args)

        run.compiled = compiled
        return run
    return wrap


# Offsets inside hot loops are unsigned: numba wraps negative indices, and that check stops
# LLVM from vectorising any loop whose index it cannot prove non-negative (measured 5x slower).
U = np.uint64


# ---- pooling (over flat (n, c) planes; windows never leave the input) ----------------------

@parallel(size_of="x")
def maxpool_forward(x, size, stride, out, argmax):
    """Max over each size x size window; argmax keeps the winner's flat index in its plane.
    The textbook loops: reference.maxpool_forward."""
    n_img, channels, height, width = x.shape
    out_h, out_w = out.shape[2], out.shape[3]
    flat_x, flat_out, flat_arg = x.reshape(-1), out.reshape(-1), argmax.reshape(-1)
    for nc in prange(n_img * channels):
        plane_in = U(nc * height * width)
        o = U(nc * out_h * out_w)
        for i in range(out_h):
            for j in range(out_w):
                corner = U(i * stride * width + j * stride)
                best = flat_x[plane_in + corner]
                where = corner
                for di in range(U(size)):
                    for dj in range(U(size)):
                        at = corner + di * U(width) + dj
                        v = flat_x[plane_in + at]
                        if v > best:
                            best = v
                            where = at
                flat_out[o] = best
                flat_arg[o] = where
                o += U(1)


@parallel(size_of="dx")
def maxpool_backward(dout, argmax, dx):
    """Route each gradient to the window's winner (summing where windows overlap); see
    reference.maxpool_backward."""
    n_img, channels, out_h, out_w = dout.shape
    plane_in = dx.shape[2] * dx.shape[3]
    flat_dout, flat_arg, flat_dx = dout.reshape(-1), argmax.reshape(-1), dx.reshape(-1)
    for nc in prange(n_img * channels):
        base = U(nc * plane_in)
        for p in range(U(plane_in)):
            flat_dx[base + p] = 0
        o = U(nc * out_h * out_w)
        for p in range(U(out_h * out_w)):
            flat_dx[base + U(flat_arg[o + p])] += flat_dout[o + p]


@parallel(size_of="x")
def avgpool_forward(x, size, stride, out):
    """The mean of each size x size window (reference.avgpool_forward)."""
    n_img, channels, height, width = x.shape
    out_h, out_w = out.shape[2], out.shape[3]
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    scale = 1.0 / (size * size)
    for nc in prange(n_img * channels):
        plane_in = U(nc * height * width)
        o = U(nc * out_h * out_w)
        for i in range(out_h):
            for j in range(out_w):
                corner = plane_in + U(i * stride * width + j * stride)
                total = 0.0
                for di in range(U(size)):
                    for dj in range(U(size)):
                        total += flat_x[corner + di * U(width) + dj]
                flat_out[o] = total * scale
                o += U(1)


@parallel(size_of="dx")
def avgpool_backward(dout, size, stride, dx):
    """Each window's gradient shared among its inputs (reference.avgpool_backward)."""
    n_img, channels, height, width = dx.shape
    out_h, out_w = dout.shape[2], dout.shape[3]
    flat_dout, flat_dx = dout.reshape(-1), dx.reshape(-1)
    scale = 1.0 / (size * size)
    for nc in prange(n_img * channels):
        plane_in = U(nc * height * width)
        for p in range(U(height * width)):
            flat_dx[plane_in + p] = 0
        o = U(nc * out_h * out_w)
        for i in range(out_h):
            for j in range(out_w):
                g = flat_dout[o] * scale
                corner = plane_in + U(i * stride * width + j * stride)
                for di in range(U(size)):
                    for dj in range(U(size)):
                        flat_dx[corner + di * U(width) + dj] += g
                o += U(1)


# ---- elementwise (on flat views) ------------------------------------------------------------

@parallel(size_of="x")
def leaky_relu_forward(x, slope, out):
    for i in prange(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@parallel(size_of="x")
def leaky_relu_backward(x, dout, slope, dx):
    for i in prange(x.size):
        dx[i] = dout[i] if x[i] > 0 else dout[i] * slope


# ---- optimizer updates (on flat views, in place) --------------------------------------------

@parallel(size_of="param")
def sgd_update(param, grad, velocity, lr, momentum, weight_decay, nesterov):
    """PyTorch's SGD: g += wd*p; v = momentum*v + g; p -= lr * (g + momentum*v if nesterov else v)."""
    for i in prange(param.size):
        g = grad[i] + weight_decay * param[i]
        v = momentum * velocity[i] + g
        velocity[i] = v
        param[i] -= lr * (g + momentum * v if nesterov else v)


@parallel(size_of="param")
def adam_update(param, grad, m, v, lr, beta1, beta2, eps, weight_decay, step):
    """PyTorch's Adam (L2 weight decay added to the gradient), bias-corrected at `step` (>= 1)."""
    correction1 = 1.0 - beta1 ** step
    root_correction2 = math.sqrt(1.0 - beta2 ** step)
    step_size = lr / correction1
    for i in prange(param.size):
        g = grad[i] + weight_decay * param[i]
        mi = beta1 * m[i] + (1.0 - beta1) * g
        vi = beta2 * v[i] + (1.0 - beta2) * g * g
        m[i] = mi
        v[i] = vi
        param[i] -= step_size * mi / (math.sqrt(vi) / root_correction2 + eps)
