"""Unrolling images into GEMM operands (im2col) and back (col2im), in two layouts.

Channels first, cols (C*k*k, out_h*out_w): a row per weight position, copied in runs of one
output row (out_w floats). Channels last, cols (out_h*out_w, k*k*C) with the weights ordered
(F, k, k, C): a row per receptive field, copied in runs of k*C floats from an (H, W, C) plane.
Long runs copy fast, so the conv layer picks channels last when k*C is larger than out_w
(fashion-2conv's second conv: 160 against 14) and channels first otherwise (a first conv on one
channel: 5 against 28).

Each pads the image once into a plane first, so that no copy tests bounds (1.5x faster than
clipping each run).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from cnnviz.engine.kernels import FAST, U


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
def padded_plane(x, pad, channels_last):
    """A buffer for one image of x (N, C, H, W) with `pad` zeros around: (C, H + 2*pad,
    W + 2*pad), or (H + 2*pad, W + 2*pad, C) for channels last."""
    channels, height, width = x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad
    if channels_last:
        return np.empty((height, width, channels), x.dtype)
    return np.empty((channels, height, width), x.dtype)


# ---- channels last ------------------------------------------------------------------------

@njit(**FAST)
def padded_copy_channels_last(x, pad, plane):
    """plane (H + 2*pad, W + 2*pad, C) = x (C, H, W) transposed, with a border of zeros."""
    channels, height, width = x.shape
    plane[:] = 0
    for c in range(channels):
        for y in range(height):
            src, dst = x[c, y], plane[y + pad]
            for j in range(width):
                dst[pad + j, c] = src[j]


@njit(**FAST)
def im2col_channels_last(x, k, stride, pad, plane, cols):
    """cols[i*out_w + j, ki*k*C + kj*C + c] = x_padded[c, i*stride + ki, j*stride + kj] for one
    image x (C, H, W): a row per receptive field, in runs of k*C floats. plane: an (H + 2*pad,
    W + 2*pad, C) buffer."""
    padded_copy_channels_last(x, pad, plane)
    channels = x.shape[0]
    out_w = _out_size(x.shape[2], k, stride, pad)
    out_h = cols.shape[0] // out_w
    rows = plane.reshape(plane.shape[0], plane.shape[1] * channels)
    run = U(k * channels)
    for i in range(out_h):
        for j in range(out_w):
            crow = cols[i * out_w + j]
            start = U(j * stride * channels)
            for ki in range(k):
                src, dst = rows[i * stride + ki], U(ki) * run
                for t in range(run):
                    crow[dst + t] = src[start + t]


@njit(**FAST)
def col2im_channels_last(dcols, k, stride, pad, plane, dx):
    """The adjoint of im2col_channels_last: dx (C, H, W) = the sum of every entry of dcols
    (out_h*out_w, k*k*C) that read each pixel, summed in an (H + 2*pad, W + 2*pad, C) plane."""
    channels, height, width = dx.shape
    out_w = _out_size(width, k, stride, pad)
    out_h = dcols.shape[0] // out_w
    plane[:] = 0
    rows = plane.reshape(plane.shape[0], plane.shape[1] * channels)
    run = U(k * channels)
    for i in range(out_h):
        for j in range(out_w):
            drow = dcols[i * out_w + j]
            start = U(j * stride * channels)
            for ki in range(k):
                dst, src = rows[i * stride + ki], U(ki) * run
                for t in range(run):
                    dst[start + t] += drow[src + t]
    for c in range(channels):
        for y in range(height):
            src_row, dst_row = plane[y + pad], dx[c, y]
            for j in range(width):
                dst_row[j] = src_row[pad + j, c]


@njit(**FAST)
def _out_size(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


