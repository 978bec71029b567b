"""Convolution kernels: im2col + one GEMM per image, images split over tasks.

Each task takes a contiguous run of images and, for each, unrolls the image into its own
(C*k*k, out_h*out_w) buffer and multiplies it with BLAS while the buffer is still in L2. Measured
against one im2col of the whole batch and one big GEMM: the big GEMM re-packs a 40 MB operand
from memory, and NCHW needs two transposes around it. Here outputs land in NCHW directly.

`address` is numpy's OpenBLAS cblas_?gemm for the dtype (see blas.py), which runs single-threaded:
numba's threads own the cores.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from cnnviz.engine.blas import NO_TRANS, TRANS, gemm
from cnnviz.engine.kernels import FAST, PARALLEL, U


@njit(**FAST)
def padded_copy(x, pad, plane):
    """plane (C, H + 2*pad, W + 2*pad) = x (C, H, W) with a border of zeros."""
    channels, height, width = x.shape
    plane[:] = 0
    for c in range(channels):
        for y in range(height):
            src, dst = x[c, y], plane[c, y + pad]
            for j in range(U(width)):
                dst[U(pad) + j] = src[j]


@njit(**FAST)
def im2col_image(x, k, stride, pad, plane, cols):
    """cols[c*k*k + ki*k + kj, i*out_w + j] = x_padded[c, i*stride + ki, j*stride + kj] for one
    image x (C, H, W): each row is one weight position, each column one receptive field.
    plane: a (C, H + 2*pad, W + 2*pad) buffer. Padding the image once first leaves every row of
    cols a plain window copy, without bounds to test (1.5x faster than clipping each row)."""
    padded_copy(x, pad, plane)
    out_w = _out_size(x.shape[2], k, stride, pad)
    out_h = cols.shape[1] // out_w
    for row in range(x.shape[0] * k * k):
        c, ki, kj = row // (k * k), (row // k) % k, row % k
        crow = cols[row]
        for i in range(out_h):
            src, dst = plane[c, i * stride + ki], U(i * out_w)
            if stride == 1:  # a contiguous copy, which LLVM vectorises
                for j in range(U(out_w)):
                    crow[dst + j] = src[U(kj) + j]
            else:
                for j in range(U(out_w)):
                    crow[dst + j] = src[U(kj) + j * U(stride)]


@njit(**FAST)
def col2im_image(dcols, k, stride, pad, plane, dx):
    """The adjoint of im2col_image: dx (C, H, W) = the sum of every column entry that read each
    pixel, summed in a padded plane (C, H + 2*pad, W + 2*pad) whose border is then dropped."""
    channels, height, width = dx.shape
    out_w = _out_size(width, k, stride, pad)
    out_h = dcols.shape[1] // out_w
    plane[:] = 0
    for row in range(channels * k * k):
        c, ki, kj = row // (k * k), (row // k) % k, row % k
        drow = dcols[row]
        for i in range(out_h):
            dst, src = plane[c, i * stride + ki], U(i * out_w)
            if stride == 1:
                for j in range(U(out_w)):
                    dst[U(kj) + j] += drow[src + j]
            else:
                for j in range(U(out_w)):
                    dst[U(kj) + j * U(stride)] += drow[src + j]
    for c in range(channels):
        for y in range(height):
            src_row, dst_row = plane[c, y + pad], dx[c, y]
            for j in range(U(width)):
                dst_row[j] = src_row[U(pad) + j]


@njit(**FAST)
def padded_plane(x, pad):
    """A buffer for one image of x (N, C, H, W) with `pad` zeros around (im2col, col2im)."""
    return np.empty((x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), x.dtype)


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
        buf, padded = cols[task], padded_plane(x, pad)
        first, last = _images_of(task, tasks, n_img)
        for n in range(first, last):
            if interrupt[0]:
                break
            im2col_image(x[n], k, stride, pad, padded, buf)
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
        buf, dbuf, padded = cols[task], dcols[task], padded_plane(x, pad)
        dw, db = dweight_parts[task].reshape(filters, patch), dbias_parts[task]
        dw[:] = 0
        db[:] = 0
        first, last = _images_of(task, tasks, n_img)
        for n in range(first, last):
            if interrupt[0]:
                break
            im2col_image(x[n], k, stride, pad, padded, buf)
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
                col2im_image(dbuf, k, stride, pad, padded, dx[n])
