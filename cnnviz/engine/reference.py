"""The layers' arithmetic written the way a textbook writes it: plain Python loops over numpy
arrays, no numba, no im2col, no tricks. Slow, and meant to be read: each function is what the
fast kernel next to it (layers.py, kernels.py, conv_kernels.py) computes, and the tests hold the
fast kernels to these on random shapes.

Shapes: images are (N, C, H, W); a conv weight is (F, C, k, k), its bias (F,); a dense weight
(units, inputs). Everything is computed in float64.
"""
from __future__ import annotations

import numpy as np


def conv_forward(x, w, b, stride: int, pad: int) -> np.ndarray:
    """out[n, f, i, j] = b[f] + sum over c, di, dj of w[f, c, di, dj] * xp[n, c, i*s + di, j*s + dj],
    where xp is x with `pad` zeros around each plane: each filter slides over the image and
    each output cell is the sum of its element-wise products with the patch under it."""
    n_img, channels, height, width = x.shape
    filters, _, k, _ = w.shape
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (height + 2 * pad - k) // stride + 1, (width + 2 * pad - k) // stride + 1
    out = np.zeros((n_img, filters, out_h, out_w))
    for n in range(n_img):
        for f in range(filters):
            for i in range(out_h):
                for j in range(out_w):
                    top, left = i * stride, j * stride
                    patch = xp[n, :, top:top + k, left:left + k]
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    return out


def conv_backward(x, w, dout, stride: int, pad: int):
    """(dx, dw, db) from dout = dL/d(out): every output cell sends its gradient back along the
    same products it summed: to each weight, times the input under it (dw), and to each input
    pixel, times the weight over it (dx); the bias gets the sum of the cell gradients."""
    n_img, channels, height, width = x.shape
    filters, _, k, _ = w.shape
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    db = np.zeros(filters)
    _, _, out_h, out_w = dout.shape
    for n in range(n_img):
        for f in range(filters):
            for i in range(out_h):
                for j in range(out_w):
                    g = dout[n, f, i, j]
                    top, left = i * stride, j * stride
                    dw[f] += g * xp[n, :, top:top + k, left:left + k]
                    dxp[n, :, top:top + k, left:left + k] += g * w[f]
                    db[f] += g
    return dxp[:, :, pad:pad + height, pad:pad + width], dw, db


def maxpool_forward(x, size: int, stride: int):
    """(out, winners): the largest value of each size x size window, and where it was (the
    first of equal values, reading row by row)."""
    n_img, channels, height, width = x.shape
    out_h, out_w = (height - size) // stride + 1, (width - size) // stride + 1
    out = np.zeros((n_img, channels, out_h, out_w))
    winners = np.zeros((n_img, channels, out_h, out_w, 2), np.int64)
    for n in range(n_img):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    di, dj = np.unravel_index(np.argmax(window), window.shape)
                    out[n, c, i, j] = window[di, dj]
                    winners[n, c, i, j] = (i * stride + di, j * stride + dj)
    return out, winners


def maxpool_backward(x, dout, size: int, stride: int) -> np.ndarray:
    """dx: each window's gradient goes to its winner alone; the others did not count."""
    _, winners = maxpool_forward(x, size, stride)
    dx = np.zeros(x.shape)
    n_img, channels, out_h, out_w = dout.shape
    for n in range(n_img):
        for c in range(channels):
            for i in range(out_h):
                for j in range(out_w):
                    y, x_ = winners[n, c, i, j]
                    dx[n, c, y, x_] += dout[n, c, i, j]
    return dx


def avgpool_forward(x, size: int, stride: int) -> np.ndarray:
    """The mean of each size x size window."""
    n_img, channels, height, width = x.shape
    out_h, out_w = (height - size) // stride + 1, (width - size) // stride + 1
    out = np.zeros((n_img, channels, out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            out[:, :, i, j] = window.mean(axis=(2, 3))
    return out


def avgpool_backward(x_shape, dout, size: int, stride: int) -> np.ndarray:
    """dx: each window's gradient shared equally among its size x size inputs."""
    dx = np.zeros(x_shape)
    _, _, out_h, out_w = dout.shape
    for i in range(out_h):
        for j in range(out_w):
            share = dout[:, :, i, j] / (size * size)
            dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += \
                share[:, :, None, None]
    return dx


def dense_forward(x, w, b) -> np.ndarray:
    """out[n, u] = b[u] + sum over i of w[u, i] * x[n, i] (x flattened per image): each unit
    weighs every input and adds its bias."""
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    units, inputs = w.shape
    out = np.zeros((len(flat), units))
    for n in range(len(flat)):
        for u in range(units):
            out[n, u] = b[u] + sum(w[u, i] * flat[n, i] for i in range(inputs))
    return out


def dense_backward(x, w, dout):
    """(dx, dw, db): dw[u, i] = sum over images of dout[n, u] * x[n, i]; dx[n, i] = sum over
    units of dout[n, u] * w[u, i]; db[u] = sum over images of dout[n, u]."""
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    dw = np.zeros(w.shape)
    dx = np.zeros(flat.shape)
    for n in range(len(flat)):
        for u in range(w.shape[0]):
            dw[u] += dout[n, u] * flat[n]
            dx[n] += dout[n, u] * w[u]
    return dx.reshape(x.shape), dw, dout.sum(axis=0)


def softmax_cross_entropy(logits, labels):
    """(loss, dlogits): softmax turns each row of logits into probabilities; the loss is the
    mean over the batch of -log(probability of the true class); its gradient with respect to
    the logits is (probabilities - one-hot of the label) / N."""
    n_img, classes = logits.shape
    loss, grad = 0.0, np.zeros((n_img, classes))
    for n in range(n_img):
        exps = [np.exp(v - max(logits[n])) for v in logits[n]]  # minus the max: no overflow
        total = sum(exps)
        probabilities = [e / total for e in exps]
        loss -= np.log(probabilities[labels[n]]) / n_img
        for k in range(classes):
            grad[n, k] = (probabilities[k] - (1.0 if k == labels[n] else 0.0)) / n_img
    return float(loss), grad
