"""numba kernels: plain functions, no classes.

Layout is NCHW throughout. Every `prange` runs over an axis whose output slice each iteration
owns, so iterations never write to the same element. Kernels write into arrays the caller
allocates, so layers decide what is reused between steps. Each compiles once per dtype
(float32 for training, float64 for gradient checks) and is cached on disk.
"""
from __future__ import annotations

from cnnviz.engine import numba_env  # noqa: F401  (configures numba's cache before @njit)

import math

from numba import njit, prange

FAST = dict(cache=True, nogil=True)
PARALLEL = dict(cache=True, nogil=True, parallel=True)


# ---- convolution as im2col + GEMM -----------------------------------------------------------

@njit(**PARALLEL)
def im2col(x, k, stride, pad, out_h, out_w, cols):
    """cols[c*k*k + ki*k + kj, n*out_h*out_w + i*out_w + j] = x_padded[n, c, i*stride+ki, j*stride+kj].

    Each row of `cols` is one weight position; each column one receptive field.
    """
    n_img, channels, height, width = x.shape
    plane = out_h * out_w
    for row in prange(channels * k * k):
        c = row // (k * k)
        ki = (row // k) % k
        kj = row % k
        for n in range(n_img):
            base = n * plane
            for i in range(out_h):
                y = i * stride - pad + ki
                start = base + i * out_w
                if y < 0 or y >= height:
                    for j in range(out_w):
                        cols[row, start + j] = 0
                    continue
                for j in range(out_w):
                    xx = j * stride - pad + kj
                    cols[row, start + j] = x[n, c, y, xx] if 0 <= xx < width else 0


@njit(**PARALLEL)
def col2im(dcols, k, stride, pad, out_h, out_w, dx):
    """The adjoint of im2col: dx[n, c] = sum of every column entry that read that pixel."""
    n_img, channels, height, width = dx.shape
    plane = out_h * out_w
    for nc in prange(n_img * channels):
        n = nc // channels
        c = nc % channels
        dx[n, c] = 0
        for ki in range(k):
            for kj in range(k):
                row = c * k * k + ki * k + kj
                for i in range(out_h):
                    y = i * stride - pad + ki
                    if y < 0 or y >= height:
                        continue
                    start = n * plane + i * out_w
                    for j in range(out_w):
                        xx = j * stride - pad + kj
                        if 0 <= xx < width:
                            dx[n, c, y, xx] += dcols[row, start + j]


@njit(**PARALLEL)
def rows_to_nchw(rows, bias, out):
    """out[n, f, p] = rows[f, n*P + p] + bias[f]: the GEMM result (filters x pixels) as NCHW."""
    n_img, filters, plane = out.shape
    for n in prange(n_img):
        for f in range(filters):
            b = bias[f]
            src = n * plane
            for p in range(plane):
                out[n, f, p] = rows[f, src + p] + b


@njit(**PARALLEL)
def nchw_to_rows(dout, rows, dbias):
    """rows[f, n*P + p] = dout[n, f, p], and dbias[f] = sum of dout[:, f]."""
    n_img, filters, plane = dout.shape
    for f in prange(filters):
        total = 0.0
        for n in range(n_img):
            dst = n * plane
            for p in range(plane):
                v = dout[n, f, p]
                rows[f, dst + p] = v
                total += v
        dbias[f] = total


# ---- pooling --------------------------------------------------------------------------------

@njit(**PARALLEL)
def maxpool_forward(x, size, stride, out, argmax):
    """Max over each size x size window; argmax keeps the winner's flat index in its plane."""
    n_img, channels, out_h, out_w = out.shape
    width = x.shape[3]
    for nc in prange(n_img * channels):
        n = nc // channels
        c = nc % channels
        for i in range(out_h):
            for j in range(out_w):
                y0 = i * stride
                x0 = j * stride
                best = x[n, c, y0, x0]
                where = y0 * width + x0
                for di in range(size):
                    for dj in range(size):
                        v = x[n, c, y0 + di, x0 + dj]
                        if v > best:
                            best = v
                            where = (y0 + di) * width + x0 + dj
                out[n, c, i, j] = best
                argmax[n, c, i, j] = where


@njit(**PARALLEL)
def maxpool_backward(dout, argmax, dx):
    """Route each gradient to the window's winner (summing where windows overlap)."""
    n_img, channels, out_h, out_w = dout.shape
    width = dx.shape[3]
    for nc in prange(n_img * channels):
        n = nc // channels
        c = nc % channels
        dx[n, c] = 0
        for i in range(out_h):
            for j in range(out_w):
                where = argmax[n, c, i, j]
                dx[n, c, where // width, where % width] += dout[n, c, i, j]


@njit(**PARALLEL)
def avgpool_forward(x, size, stride, out):
    n_img, channels, out_h, out_w = out.shape
    scale = 1.0 / (size * size)
    for nc in prange(n_img * channels):
        n = nc // channels
        c = nc % channels
        for i in range(out_h):
            for j in range(out_w):
                total = 0.0
                for di in range(size):
                    for dj in range(size):
                        total += x[n, c, i * stride + di, j * stride + dj]
                out[n, c, i, j] = total * scale


@njit(**PARALLEL)
def avgpool_backward(dout, size, stride, dx):
    n_img, channels, out_h, out_w = dout.shape
    scale = 1.0 / (size * size)
    for nc in prange(n_img * channels):
        n = nc // channels
        c = nc % channels
        dx[n, c] = 0
        for i in range(out_h):
            for j in range(out_w):
                g = dout[n, c, i, j] * scale
                for di in range(size):
                    for dj in range(size):
                        dx[n, c, i * stride + di, j * stride + dj] += g


# ---- elementwise (on flat views) ------------------------------------------------------------

@njit(**PARALLEL)
def leaky_relu_forward(x, slope, out):
    for i in prange(x.size):
        v = x[i]
        out[i] = v if v > 0 else v * slope


@njit(**PARALLEL)
def leaky_relu_backward(x, dout, slope, dx):
    for i in prange(x.size):
        dx[i] = dout[i] if x[i] > 0 else dout[i] * slope


# ---- optimizer updates (on flat views, in place) --------------------------------------------

@njit(**PARALLEL)
def sgd_update(param, grad, velocity, lr, momentum, weight_decay, nesterov):
    """PyTorch's SGD: g += wd*p; v = momentum*v + g; p -= lr * (g + momentum*v if nesterov else v)."""
    for i in prange(param.size):
        g = grad[i] + weight_decay * param[i]
        v = momentum * velocity[i] + g
        velocity[i] = v
        param[i] -= lr * (g + momentum * v if nesterov else v)


@njit(**PARALLEL)
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
