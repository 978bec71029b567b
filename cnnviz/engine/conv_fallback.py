"""Convolution through numpy's own matmul, for a numpy whose BLAS the kernels cannot call
(blas.BLAS is None: conda's MKL, a distribution's numpy). The same im2col and col2im per image
as conv_kernels.py (channels first), with each image's GEMM done by numpy on one thread. Slower; the same sums.
Once interrupt[0] is set, the remaining images are skipped (engine/interrupt.py)."""
from __future__ import annotations

import numpy as np

from cnnviz.engine.conv_im2col import col2im_image, im2col_image, padded_plane


def conv_forward(x, weight, bias, stride, pad, out, cols, interrupt) -> None:
    """out[n] = weight (F x C*k*k) @ im2col(x[n]) + bias; cols: a (C*k*k, out_h*out_w) buffer."""
    filters, k = weight.shape[0], weight.shape[2]
    kernel, plane = weight.reshape(filters, -1), padded_plane(x, pad, False)
    for n in range(len(x)):
        if interrupt[0]:
            return
        im2col_image(x[n], k, stride, pad, plane, cols)
        image = out[n].reshape(filters, -1)
        np.matmul(kernel, cols, out=image)
        image += bias[:, None]


def conv_backward(x, weight, dout, stride, pad, need_dx, dx, cols, dcols, dweight,
                  dbias, interrupt) -> None:
    """dweight = sum over images of dout[n] @ im2col(x[n])^T, dbias the sum of dout per filter;
    with need_dx, dx[n] = col2im(weight^T @ dout[n])."""
    filters, k = weight.shape[0], weight.shape[2]
    kernel, plane = weight.reshape(filters, -1), padded_plane(x, pad, False)
    total = dweight.reshape(filters, -1)
    total[...] = 0
    for n in range(len(x)):
        if interrupt[0]:
            return
        grad = dout[n].reshape(filters, -1)
        im2col_image(x[n], k, stride, pad, plane, cols)
        total += grad @ cols.T
        if need_dx:
            np.matmul(kernel.T, grad, out=dcols)
            col2im_image(dcols, k, stride, pad, plane, dx[n])
    dbias[...] = dout.sum(axis=(0, 2, 3))
