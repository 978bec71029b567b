"""Convolution kernels: im2col + one GEMM per image, images split over tasks.

Each task takes a contiguous run of images and, for each, unrolls the image into its own
(C*k*k, out_h*out_w) buffer and multiplies it with BLAS while the buffer is still in L2. Measured
against one im2col of the whole batch and one big GEMM: the big GEMM re-packs a 40 MB operand
from memory, and NCHW needs two transposes around it. Here outputs land in NCHW directly.

`address` is numpy's OpenBLAS cblas_?gemm for the dtype (see blas.py), which runs single-threaded:
numba's threads own the cores.
"""
from __future__ import annotations

from numba import njit, prange

from cnnviz.engine.blas import NO_TRANS, TRANS, gemm
from cnnviz.engine.kernels import FAST, PARALLEL, U, valid_columns


@njit(**FAST)
def im2col_image(x, k, stride, pad, cols):
    """cols[c*k*k + ki*k + kj, i*out_w + j] = x_padded[c, i*stride + ki, j*stride + kj] for one
    image x (C, H, W): each row is one weight position, each column one receptive field."""
    channels, height, width = x.shape
    out_w = _out_size(width, k, stride, pad)
    out_h = cols.shape[1] // out_w
    step = U(stride)
    for row in range(channels * k * k):
        c, ki, kj = row // (k * k), (row // k) % k, row % k
        lo, hi = valid_columns(kj, stride, pad, width, out_w)
        crow = cols[row]
        for i in range(out_h):
            y = i * stride - pad + ki
            dst = U(i * out_w)
            if y < 0 or y >= height:
                for j in range(U(out_w)):
                    crow[dst + j] = 0
                continue
            src, x0 = x[c, y], U(lo * stride - pad + kj)
            for j in range(U(lo)):
                crow[dst + j] = 0
            for j in range(U(hi - lo)):
                crow[dst + U(lo) + j] = src[x0 + j * step]
            for j in range(U(hi), U(out_w)):
                crow[dst + j] = 0


@njit(**FAST)
def col2im_image(dcols, k, stride, pad, dx):
    """The adjoint of im2col_image: dx (C, H, W) = the sum of every column entry that read each
    pixel."""
    channels, height, width = dx.shape
    out_w = _out_size(width, k, stride, pad)
    out_h = dcols.shape[1] // out_w
    step = U(stride)
    dx[:] = 0
    for row in range(channels * k * k):
        c, ki, kj = row // (k * k), (row // k) % k, row % k
        lo, hi = valid_columns(kj, stride, pad, width, out_w)
        drow = dcols[row]
        for i in range(out_h):
            y = i * stride - pad + ki
            if y < 0 or y >= height:
                continue
            dst, src = dx[c, y], U(i * out_w + lo)
            x0 = U(lo * stride - pad + kj)
            for j in range(U(hi - lo)):
                dst[x0 + j * step] += drow[src + j]


@njit(**FAST)
def _out_size(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


@njit(**FAST)
def _images_of(task, tasks, n_img):
    per = (n_img + tasks - 1) // tasks
    return min(n_img, task * per), min(n_img, (task + 1) * per)


@njit(**PARALLEL)
def conv_forward(address, x, weight, bias, stride, pad, out, cols, interrupt):
    """out[n] = weight (F x C*k*k) @ im2col(x[n]) + bias, for every image n.
    cols: one (C*k*k, out_h*out_w) buffer per task. Once interrupt[0] is set, the remaining
    images are skipped (engine/interrupt.py). The same sum as reference.conv_forward's loops."""
    n_img, filters = x.shape[0], weight.shape[0]
    k, patch, pixels = weight.shape[2], cols.shape[1], cols.shape[2]
    tasks = cols.shape[0]
    w = weight.reshape(filters, patch)
    for task in prange(tasks):
        buf = cols[task]
        first, last = _images_of(task, tasks, n_img)
        for n in range(first, last):
            if interrupt[0]:
                break
            im2col_image(x[n], k, stride, pad, buf)
            plane = out[n].reshape(filters, pixels)
            gemm(address, NO_TRANS, NO_TRANS, filters, pixels, patch, 1.0, w, patch, buf, pixels,
                 0.0, plane, pixels)
            for f in range(filters):
                b, row = bias[f], plane[f]
                for p in range(U(pixels)):
                    row[p] += b


@njit(**PARALLEL, fastmath=True)  # fastmath: the bias-gradient sum vectorises
def conv_backward(address, x, weight, dout, stride, pad, need_dx, dx, cols, dcols,
                  dweight_parts, dbias_parts, interrupt):
    """Per task: dweight_parts[task] = sum over its images of dout[n] @ im2col(x[n])^T and
    dbias_parts[task] the sum of dout[n] per filter; with need_dx, dx[n] = col2im(weight^T @
    dout[n]). The caller adds the parts. Once interrupt[0] is set, the remaining images are
    skipped. reference.conv_backward writes the same sums as loops."""
    n_img, filters = x.shape[0], weight.shape[0]
    k, patch, pixels = weight.shape[2], cols.shape[1], cols.shape[2]
    tasks = cols.shape[0]
    w = weight.reshape(filters, patch)
    for task in prange(tasks):
        buf, dbuf = cols[task], dcols[task]
        dw, db = dweight_parts[task].reshape(filters, patch), dbias_parts[task]
        dw[:] = 0
        db[:] = 0
        first, last = _images_of(task, tasks, n_img)
        for n in range(first, last):
            if interrupt[0]:
                break
            im2col_image(x[n], k, stride, pad, buf)
            grad = dout[n].reshape(filters, pixels)
            gemm(address, NO_TRANS, TRANS, filters, patch, pixels, 1.0, grad, pixels, buf, pixels,
                 1.0, dw, patch)
            for f in range(filters):
                total = 0.0
                row = grad[f]
                for p in range(U(pixels)):
                    total += row[p]
                db[f] += total
            if need_dx:
                gemm(address, TRANS, NO_TRANS, patch, pixels, filters, 1.0, w, patch, grad, pixels,
                     0.0, dbuf, pixels)
                col2im_image(dbuf, k, stride, pad, dx[n])
