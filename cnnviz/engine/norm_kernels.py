"""Batch norm's kernels, on x viewed as (N, C, pixels) (a vector input is (N, C, 1)).

One pass each way over the batch instead of numpy's six or so (mean, variance, centring,
scaling, ...), each over the whole batch: on fashion-2conv-bn's first block (6 MB of
activations) numpy's forward and backward took ~7 ms a step. Channel statistics accumulate in
float64, so float32 batches lose no more precision than numpy's pairwise sums."""
from __future__ import annotations

from numba import prange

from cnnviz.engine.kernels import U, parallel


@parallel(size_of="x", fastmath=True)  # fastmath: the sums vectorise
def channel_statistics(x, mean, var):
    """mean[c], var[c]: the mean and the (biased) variance of channel c over images and pixels."""
    n_img, channels, pixels = x.shape
    count = n_img * pixels
    for c in prange(channels):
        total = 0.0
        for n in range(n_img):
            row = x[n, c]
            for p in range(U(pixels)):
                total += row[p]
        mu = total / count
        spread = 0.0
        for n in range(n_img):
            row = x[n, c]
            for p in range(U(pixels)):
                d = row[p] - mu
                spread += d * d
        mean[c] = mu
        var[c] = spread / count


@parallel(size_of="x")
def normalise(x, mean, inv_std, weight, bias, xhat, out):
    """xhat = (x - mean) * inv_std and out = xhat * weight + bias, per channel."""
    n_img, channels, pixels = x.shape
    for nc in prange(n_img * channels):
        n, c = nc // channels, nc % channels
        mu, scale, w, b = mean[c], inv_std[c], weight[c], bias[c]
        src, hat, dst = x[n, c], xhat[n, c], out[n, c]
        for p in range(U(pixels)):
            h = (src[p] - mu) * scale
            hat[p] = h
            dst[p] = h * w + b


@parallel(size_of="dout", fastmath=True)
def parameter_gradients(dout, xhat, dweight, dbias):
    """dweight[c] = sum of dout * xhat and dbias[c] = sum of dout over channel c."""
    n_img, channels, pixels = dout.shape
    for c in prange(channels):
        dw = 0.0
        db = 0.0
        for n in range(n_img):
            grad, hat = dout[n, c], xhat[n, c]
            for p in range(U(pixels)):
                dw += grad[p] * hat[p]
                db += grad[p]
        dweight[c] = dw
        dbias[c] = db


@parallel(size_of="dout")
def input_gradient(dout, xhat, scale, dweight, dbias, count, batch_statistics, dx):
    """dx = scale * (dout - (dbias + xhat * dweight) / count) where the statistics were the
    batch's (training), dx = scale * dout where they were constants (scale = weight * inv_std)."""
    n_img, channels, pixels = dout.shape
    for nc in prange(n_img * channels):
        n, c = nc // channels, nc % channels
        s = scale[c]
        grad, hat, dst = dout[n, c], xhat[n, c], dx[n, c]
        if batch_statistics:
            shift, slope = dbias[c] / count, dweight[c] / count
            for p in range(U(pixels)):
                dst[p] = s * (grad[p] - shift - hat[p] * slope)
        else:
            for p in range(U(pixels)):
                dst[p] = s * grad[p]
