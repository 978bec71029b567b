"""One small class per layer type, all with one protocol (as ConvNetJS and micrograd do):

    output_shape(in_shape) -> out_shape
    forward(x, training) -> y          keeps what backward needs
    backward(dout) -> dx               fills each Parameter's .grad (overwrites, never adds)

Training-mode outputs and all input gradients live in per-layer buffers reused by the next step
(fresh memory is slow to fault in, and big arrays are fresh every time otherwise): they are valid
until the layer runs again. Inference outputs are fresh arrays the caller may keep.
    params() -> {name: Parameter}      learnable arrays with their gradients
    buffers() -> {name: array}         non-learned state (batch norm's running statistics)
    to_dict() / from_dict()            the layer's spec entry

Layers are built from `LAYERS`, keyed by the spec's "type". Parameter names and shapes follow
PyTorch (Conv2d, Linear, BatchNorm) so weights move between the two without reshaping.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cnnviz.engine import blas, conv_fallback, conv_kernels, kernels, norm_kernels
from cnnviz.engine.blas import BLAS
from cnnviz.engine.interrupt import NEVER
from cnnviz.engine.spec import LayerInfo, Shape, conv_padding, infer_layer


@dataclass(eq=False)  # hashed by identity: optimizer state is keyed by the Parameter
class Parameter:
    value: np.ndarray
    grad: np.ndarray

    @classmethod
    def of(cls, value: np.ndarray) -> Parameter:
        return cls(value, np.zeros_like(value))


def initial_weights(init: str, shape: tuple, fan_in: int, fan_out: int,
                    rng: np.random.Generator, dtype) -> np.ndarray:
    """He normal (for ReLU nets) or Glorot uniform; drawn in float64 so every dtype starts equal."""
    if init == "he":
        weights = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
    else:
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        weights = rng.uniform(-limit, limit, shape)
    return weights.astype(dtype)


class Layer:
    kind = ""

    def __init__(self, info: LayerInfo, dtype=np.float32, rng: np.random.Generator | None = None):
        self.config = dict(info.config)
        self.in_shape: Shape = info.in_shape
        self.out_shape: Shape = info.out_shape
        self.dtype = np.dtype(dtype)
        self.rng = rng if rng is not None else np.random.default_rng(0)
        # The network clears this on layers whose input gradient nobody needs (the first conv).
        self.needs_input_grad = True
        self.interrupt = NEVER  # the network hands its flag to the layers for interruptible calls
        self._workspace: dict[tuple, np.ndarray] = {}

    def output_shape(self, in_shape: Shape) -> Shape:
        return infer_layer(self.config, in_shape)[0]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def params(self) -> dict[str, Parameter]:
        return {}

    def buffers(self) -> dict[str, np.ndarray]:
        return {}

    def to_dict(self) -> dict:
        return dict(self.config)

    @classmethod
    def from_dict(cls, config: dict, in_shape: Shape, dtype=np.float32, rng=None) -> Layer:
        out, params, macs = infer_layer(config, tuple(in_shape))
        return cls(LayerInfo(0, dict(config), tuple(in_shape), out, params, macs), dtype, rng)

    SCRATCH_SHAPES = 3  # per buffer name: the batch, the one-image probe, an epoch's last batch

    def scratch(self, name: str, shape: tuple, dtype=None) -> np.ndarray:
        """A buffer reused across calls, one per name and shape: training batches and the
        one-image probe's passes alternate, and each keeps its own instead of reallocating the
        other's. At most SCRATCH_SHAPES shapes per name are kept (the oldest goes first)."""
        dtype = np.dtype(self.dtype if dtype is None else dtype)
        key = (name, tuple(shape), dtype)
        buf = self._workspace.pop(key, None)
        if buf is None:
            buf = np.empty(shape, dtype)
            same_name = [k for k in self._workspace if k[0] == name]
            for old in same_name[:max(0, len(same_name) - self.SCRATCH_SHAPES + 1)]:
                del self._workspace[old]
        self._workspace[key] = buf  # last in the dict: the most recently used
        return buf

    def output(self, n: int, training: bool, dtype=None) -> np.ndarray:
        """The array for a forward output of batch n: reused while training, fresh otherwise."""
        shape = (n, *self.out_shape)
        return self.scratch("out", shape, dtype) if training else np.empty(
            shape, self.dtype if dtype is None else dtype)

    def input_grad(self, n: int) -> np.ndarray:
        """The array for the gradient with respect to a batch of n inputs."""
        return self.scratch("dx", (n, *self.in_shape))


class Conv(Layer):
    """2-D convolution: im2col + GEMM per image, the batch split over threads. The same
    arithmetic as plain loops: reference.conv_forward and reference.conv_backward."""
    kind = "conv"
    PARALLEL_MIN_MACS = 2_000_000  # below this, waking a second thread costs more than it saves

    def __init__(self, info, dtype=np.float32, rng=None):
        super().__init__(info, dtype, rng)
        channels = self.in_shape[0]
        filters, k = self.config["filters"], self.config["kernel"]
        self.k, self.stride, self.pad = k, self.config["stride"], conv_padding(self.config)
        self.weight = Parameter.of(initial_weights(self.config["init"], (filters, channels, k, k),
                                                   channels * k * k, filters * k * k,
                                                   self.rng, self.dtype))
        self.bias = Parameter.of(np.zeros(filters, self.dtype))
        self._gemm = None if BLAS is None else BLAS.gemm_for(self.dtype)  # None: numpy's matmul

    LAYOUT = "auto"  # or "channels first", "channels last": the tests run both

    @property
    def channels_last(self) -> bool:
        """Whether the kernels unroll images channels last. im2col copies runs of k*C floats
        channels last and of out_w floats channels first, and the longer runs copy faster
        (conv_im2col.py): on fashion-2conv, channels last speeds its second conv (k*C = 160,
        out_w = 14) and slows its first (5 against 28) 3x. The fallback is channels first."""
        if self._gemm is None or self.LAYOUT == "channels first":
            return False
        return self.LAYOUT == "channels last" or self.k * self.in_shape[0] > self.out_shape[2]

    def params(self):
        return {"weight": self.weight, "bias": self.bias}

    def _tasks(self, n: int) -> int:
        """How many threads share the batch (setting numba's thread count to match)."""
        macs = n * self.weight.value.size * self.out_shape[1] * self.out_shape[2]
        tasks = min(n, kernels.MAX_THREADS) if macs >= self.PARALLEL_MIN_MACS else 1
        kernels.use_threads(tasks)
        return tasks

    def _cols(self, name: str, tasks: int) -> np.ndarray:
        patch, pixels = self.weight.value[0].size, self.out_shape[1] * self.out_shape[2]
        return self.scratch(name, (tasks, pixels, patch) if self.channels_last
                            else (tasks, patch, pixels))

    def _kernel_weight(self) -> np.ndarray:
        """The weights in the kernels' layout: (F, k, k, C) channels last, packed once per
        forward pass (backward uses the same, as it uses the same input)."""
        if not self.channels_last:
            return self.weight.value
        packed = self.scratch("weight_hwc", _channels_last_shape(self.weight.value.shape))
        np.copyto(packed, self.weight.value.transpose(0, 2, 3, 1))
        return packed

    def forward(self, x, training=False):
        self._x = x = np.ascontiguousarray(x)
        tasks = self._tasks(x.shape[0])
        out = self.output(x.shape[0], training)
        if self._gemm is None:
            conv_fallback.conv_forward(x, self.weight.value, self.bias.value, self.stride,
                                       self.pad, out, self._cols("cols", 1)[0],
                                       self.interrupt.array)
            return out
        self._weight = self._kernel_weight()
        conv_kernels.conv_forward(self._gemm, x, self._weight, self.bias.value, self.stride,
                                  self.pad, out, self._cols("cols", tasks), self.channels_last,
                                  self.interrupt.array)
        return out

    def backward(self, dout):
        x, dout = self._x, np.ascontiguousarray(dout)
        tasks = self._tasks(x.shape[0])
        dx = self.input_grad(x.shape[0]) if self.needs_input_grad else self.scratch("no_dx", (1, 1, 1, 1))
        if self._gemm is None:
            conv_fallback.conv_backward(x, self.weight.value, dout, self.stride, self.pad,
                                        self.needs_input_grad, dx, self._cols("cols", 1)[0],
                                        self._cols("dcols", 1)[0], self.weight.grad,
                                        self.bias.grad, self.interrupt.array)
            return dx if self.needs_input_grad else None
        weight_parts = self.scratch("dweight", (tasks, *self._weight.shape))
        bias_parts = self.scratch("dbias", (tasks, self.bias.value.size))
        conv_kernels.conv_backward(self._gemm, x, self._weight, dout, self.stride, self.pad,
                                   self.needs_input_grad, dx, self._cols("cols", tasks),
                                   self._cols("dcols", tasks), weight_parts, bias_parts,
                                   self.channels_last, self.interrupt.array)
        if self.channels_last:
            total = self.scratch("dweight_sum", self._weight.shape)
            np.sum(weight_parts, axis=0, out=total)
            np.copyto(self.weight.grad, total.transpose(0, 3, 1, 2))
        else:
            np.sum(weight_parts, axis=0, out=self.weight.grad)
        np.sum(bias_parts, axis=0, out=self.bias.grad)
        return dx if self.needs_input_grad else None


def _channels_last_shape(shape: tuple) -> tuple:
    filters, channels, k, _ = shape
    return filters, k, k, channels


class Dense(Layer):
    """Fully connected: y = x W^T + b. Image maps are flattened in (C, H, W) order first.
    As plain loops: reference.dense_forward and reference.dense_backward."""
    kind = "dense"
    PARALLEL_MIN_MACS = 1_000_000  # below this, waking a second thread costs more than it saves
    GEMM_MIN_BATCH = 8

    def __init__(self, info, dtype=np.float32, rng=None):
        super().__init__(info, dtype, rng)
        fan_in, units = math.prod(self.in_shape), self.config["units"]
        self.weight = Parameter.of(initial_weights(self.config["init"], (units, fan_in), fan_in,
                                                   units, self.rng, self.dtype))
        self.bias = Parameter.of(np.zeros(units, self.dtype))
        self._gemm = None if BLAS is None else BLAS.gemm_for(self.dtype)  # None: numpy's matmul

    def params(self):
        return {"weight": self.weight, "bias": self.bias}

    def _matmul(self, a, b, out, trans_a=False, trans_b=False):
        """out = op(a) @ op(b): a GEMM split over threads for a big enough batch; for a few images
        numpy's own call, which picks matrix-vector routines (OpenBLAS's GEMM is 9x slower on a
        single row)."""
        n = len(self._x)
        if n == 1 and trans_a:
            # The weight gradient of one image is an outer product: OpenBLAS's GEMM with an inner
            # dimension of 1 is ~10x slower than this broadcast (the same single rounding).
            return np.multiply(a.T, b, out=out)
        if (self._gemm is None or n < self.GEMM_MIN_BATCH
                or self.weight.value.size * n < self.PARALLEL_MIN_MACS):
            return np.matmul(a.T if trans_a else a, b.T if trans_b else b, out=out)
        kernels.use_threads(kernels.MAX_THREADS)
        blas.matmul(self._gemm, a, b, out, trans_a, trans_b, kernels.MAX_THREADS)
        return out

    def forward(self, x, training=False):
        self._x = np.ascontiguousarray(x).reshape(x.shape[0], -1)
        out = self._matmul(self._x, self.weight.value, self.output(x.shape[0], training),
                           trans_b=True)
        out += self.bias.value
        return out

    def backward(self, dout):
        dout = np.ascontiguousarray(dout)
        self._matmul(dout, self._x, self.weight.grad, trans_a=True)
        np.sum(dout, axis=0, out=self.bias.grad)
        if not self.needs_input_grad:
            return None
        dx = self.input_grad(dout.shape[0])
        self._matmul(dout, self.weight.value, dx.reshape(dout.shape[0], -1))
        return dx


class _Pool(Layer):
    def __init__(self, info, dtype=np.float32, rng=None):
        super().__init__(info, dtype, rng)
        self.size, self.stride = self.config["size"], self.config["stride"]


class MaxPool(_Pool):
    """As plain loops: reference.maxpool_forward and reference.maxpool_backward."""
    kind = "maxpool"

    def forward(self, x, training=False):
        out = self.output(x.shape[0], training)
        self._argmax = (self.scratch("argmax", out.shape, np.int32) if training
                        else np.empty(out.shape, np.int32))
        kernels.maxpool_forward(np.ascontiguousarray(x), self.size, self.stride, out, self._argmax)
        return out

    def backward(self, dout):
        dx = self.input_grad(dout.shape[0])
        kernels.maxpool_backward(np.ascontiguousarray(dout), self._argmax, dx)
        return dx


class AvgPool(_Pool):
    """As plain loops: reference.avgpool_forward and reference.avgpool_backward."""
    kind = "avgpool"

    def forward(self, x, training=False):
        out = self.output(x.shape[0], training)
        kernels.avgpool_forward(np.ascontiguousarray(x), self.size, self.stride, out)
        return out

    def backward(self, dout):
        dx = self.input_grad(dout.shape[0])
        kernels.avgpool_backward(np.ascontiguousarray(dout), self.size, self.stride, dx)
        return dx


class LeakyReLU(Layer):
    """max(x, slope*x) elementwise; ReLU is the case slope = 0."""
    kind = "leaky_relu"

    @property
    def slope(self) -> float:
        return self.config.get("slope", 0.0)

    def forward(self, x, training=False):
        self._x = np.ascontiguousarray(x)
        out = self.output(x.shape[0], training)
        kernels.leaky_relu_forward(self._x.reshape(-1), self.slope, out.reshape(-1))
        return out

    def backward(self, dout):
        dx = self.input_grad(self._x.shape[0])
        kernels.leaky_relu_backward(self._x.reshape(-1), np.ascontiguousarray(dout).reshape(-1),
                                    self.slope, dx.reshape(-1))
        return dx


class ReLU(LeakyReLU):
    kind = "relu"


class Tanh(Layer):
    kind = "tanh"

    def forward(self, x, training=False):
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout):
        return dout * (1 - self._out * self._out)


class Sigmoid(Layer):
    kind = "sigmoid"

    def forward(self, x, training=False):
        # 1 / (1 + e^-x) written with tanh, which cannot overflow.
        self._out = 0.5 * (1 + np.tanh(0.5 * x))
        return self._out

    def backward(self, dout):
        return dout * self._out * (1 - self._out)


class Flatten(Layer):
    kind = "flatten"

    def forward(self, x, training=False):
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(dout.shape[0], *self.in_shape)


class Dropout(Layer):
    """Inverted dropout: zero a fraction `rate` while training and scale the rest up, so
    inference is the identity."""
    kind = "dropout"

    def forward(self, x, training=False):
        rate = self.config["rate"]
        if not training or rate == 0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= rate
        self._mask = keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - rate))
        return x * self._mask

    def backward(self, dout):
        return dout if self._mask is None else dout * self._mask

    @property
    def mask(self) -> np.ndarray | None:
        """The last training pass's mask, already scaled (0 or 1 / (1 - rate)); None after an
        inference pass."""
        return self._mask


class BatchNorm(Layer):
    """Normalise each channel (maps) or feature (vectors) over the batch while training;
    use running statistics (PyTorch's: unbiased variance, `momentum` weight on the new batch)
    for inference. The kernels are in norm_kernels.py."""
    kind = "batchnorm"

    def __init__(self, info, dtype=np.float32, rng=None):
        super().__init__(info, dtype, rng)
        channels = self.in_shape[0]
        self.weight = Parameter.of(np.ones(channels, self.dtype))
        self.bias = Parameter.of(np.zeros(channels, self.dtype))
        self.running_mean = np.zeros(channels, self.dtype)
        self.running_var = np.ones(channels, self.dtype)

    def params(self):
        return {"weight": self.weight, "bias": self.bias}

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def forward(self, x, training=False):
        eps, momentum = self.config["eps"], self.config["momentum"]
        n = x.shape[0]
        planes = np.ascontiguousarray(x).reshape(n, self.in_shape[0], -1)
        count = planes.shape[0] * planes.shape[2]
        if training:
            mean, var = (self.scratch(name, self.running_mean.shape, np.float64)
                         for name in ("mean", "var"))
            norm_kernels.channel_statistics(planes, mean, var)
            unbiased = var * (count / max(count - 1, 1))
            self.running_mean *= 1 - momentum
            self.running_mean += momentum * mean
            self.running_var *= 1 - momentum
            self.running_var += momentum * unbiased
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (1.0 / np.sqrt(var + eps)).astype(self.dtype)
        out = self.output(n, training)
        self._xhat = (self.scratch("xhat", out.shape) if training else np.empty_like(out))
        norm_kernels.normalise(planes, mean.astype(self.dtype), inv_std, self.weight.value,
                               self.bias.value, self._xhat.reshape(planes.shape),
                               out.reshape(planes.shape))
        self._inv_std, self._training, self._count = inv_std, training, count
        return out

    def backward(self, dout):
        n = dout.shape[0]
        planes = np.ascontiguousarray(dout).reshape(n, self.in_shape[0], -1)
        xhat = self._xhat.reshape(planes.shape)
        dweight, dbias = (self.scratch(name, self.weight.value.shape, np.float64)
                          for name in ("dweight", "dbias"))
        norm_kernels.parameter_gradients(planes, xhat, dweight, dbias)
        self.weight.grad[...] = dweight
        self.bias.grad[...] = dbias
        dx = self.input_grad(n)
        # the gradient's terms from the statistics use the float32 sums, as the grads hold them
        norm_kernels.input_gradient(planes, xhat, self.weight.value * self._inv_std,
                                    self.weight.grad, self.bias.grad, float(self._count),
                                    self._training, dx.reshape(planes.shape))
        return dx


LAYERS: dict[str, type[Layer]] = {cls.kind: cls for cls in (
    Conv, Dense, MaxPool, AvgPool, ReLU, LeakyReLU, Tanh, Sigmoid, Flatten, Dropout, BatchNorm)}


def build_layer(info: LayerInfo, dtype=np.float32, rng: np.random.Generator | None = None) -> Layer:
    return LAYERS[info.type](info, dtype, rng)
