"""Convolution kernels: im2col + one GEMM per image, images split over tasks.

Each task takes a contiguous run of images and, for each, unrolls the image into its own
buffer (conv_im2col.py) and multiplies it with BLAS while the buffer is still in L2. Measured
against one im2col of the whole batch and one big GEMM: the big GEMM re-packs a 40 MB operand
from memory, and NCHW needs two transposes around it. Here outputs land in NCHW directly.

`address` is numpy's OpenBLAS cblas_?gemm for the dtype (see blas.py), which runs single-threaded:
numba's threads own the cores.
"""
from __future__ import annotations

from numba import njit, prange

from cnnviz.engine.blas import NO_TRANS, TRANS, gemm
from cnnviz.engine.conv_im2col import (
    col2im_channels_last,
    col2im_image,
    im2col_channels_last,
    im2col_image,
    padded_plane,
)
from cnnviz.engine.kernels import FAST, PARALLEL, U


@njit(**FAST)
def _images_of(task, tasks, n_img):
    per = (n_img + tasks - 1) // tasks
    return min(n_img, task * per), min(n_img, (task + 1) * per)


@njit(**PARALLEL)
def conv_forward(address, x, weight, bias, stride, pad, out, cols, channels_last, interrupt):
    """out[n] = weight (F x C*k*k) @ im2col(x[n]) + bias, for every image n.
    cols: one im2col buffer per task, (C*k*k, out_h*out_w), or with channels_last (out_h*out_w,
    k*k*C) and weight ordered (F, k, k, C) (conv_im2col.py). Once interrupt[0] is set, the
    remaining images are skipped (engine/interrupt.py). The same sum as
    reference.conv_forward's loops."""
    n_img, filters, k = x.shape[0], weight.shape[0], weight.shape[2]
    patch, pixels, tasks = weight[0].size, out[0, 0].size, cols.shape[0]
    w = weight.reshape(filters, patch)
    for task in prange(tasks):
        buf, padded = cols[task], padded_plane(x, pad, channels_last)
        first, last = _images_of(task, tasks, n_img)
        for n in range(first, last):
            if interrupt[0]:
                break
            plane = out[n].reshape(filters, pixels)
            if channels_last:
                im2col_channels_last(x[n], k, stride, pad, padded, buf)
                gemm(address, NO_TRANS, TRANS, filters, pixels, patch, 1.0, w, patch, buf, patch,
                     0.0, plane, pixels)
            else:
                im2col_image(x[n], k, stride, pad, padded, buf)
                gemm(address, NO_TRANS, NO_TRANS, filters, pixels, patch, 1.0, w, patch, buf,
                     pixels, 0.0, plane, pixels)
            for f in range(filters):
                b, row = bias[f], plane[f]
                for p in range(U(pixels)):
                    row[p] += b


@njit(**PARALLEL, fastmath=True)  # fastmath: the bias-gradient sum vectorises
def conv_backward(address, x, weight, dout, stride, pad, need_dx, dx, cols, dcols,
                  dweight_parts, dbias_parts, channels_last, interrupt):
    """Per task: dweight_parts[task] = sum over its images of dout[n] @ im2col(x[n])^T and
    dbias_parts[task] the sum of dout[n] per filter; with need_dx, dx[n] = col2im(weight^T @
    dout[n]). The caller adds the parts. With channels_last, cols, dcols, weight and the parts
    are in conv_forward's channels-last layout. Once interrupt[0] is set, the remaining images
    are skipped. reference.conv_backward writes the same sums as loops."""
    n_img, filters, k = x.shape[0], weight.shape[0], weight.shape[2]
    patch, pixels, tasks = weight[0].size, dout[0, 0].size, cols.shape[0]
    w = weight.reshape(filters, patch)
    for task in prange(tasks):
        buf, dbuf = cols[task], dcols[task]
        padded = padded_plane(x, pad, channels_last)
        dw, db = dweight_parts[task].reshape(filters, patch), dbias_parts[task]
        dw[:] = 0
        db[:] = 0
        first, last = _images_of(task, tasks, n_img)
        for n in range(first, last):
            if interrupt[0]:
                break
            grad = dout[n].reshape(filters, pixels)
            if channels_last:
                im2col_channels_last(x[n], k, stride, pad, padded, buf)
                gemm(address, NO_TRANS, NO_TRANS, filters, patch, pixels, 1.0, grad, pixels, buf,
                     patch, 1.0, dw, patch)
            else:
                im2col_image(x[n], k, stride, pad, padded, buf)
                gemm(address, NO_TRANS, TRANS, filters, patch, pixels, 1.0, grad, pixels, buf,
                     pixels, 1.0, dw, patch)
            for f in range(filters):
                total = 0.0
                row = grad[f]
                for p in range(U(pixels)):
                    total += row[p]
                db[f] += total
            if need_dx and channels_last:
                gemm(address, TRANS, NO_TRANS, pixels, patch, filters, 1.0, grad, pixels, w,
                     patch, 0.0, dbuf, patch)
                col2im_channels_last(dbuf, k, stride, pad, padded, dx[n])
            elif need_dx:
                gemm(address, TRANS, NO_TRANS, patch, pixels, filters, 1.0, w, patch, grad, pixels,
                     0.0, dbuf, pixels)
                col2im_image(dbuf, k, stride, pad, padded, dx[n])
