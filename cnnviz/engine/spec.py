"""Architecture spec: plain data, validated and shape-inferred before anything runs.

A spec is a JSON-compatible dict::

    {"name": "lenet5", "input": [1, 28, 28], "classes": ["0", ..., "9"],
     "loss": "cross_entropy",
     "layers": [{"type": "conv", "filters": 6, "kernel": 5, "padding": 2},
                {"type": "relu"}, {"type": "maxpool", "size": 2}, ...,
                {"type": "dense", "units": 10}]}

`validate(spec)` fills in defaults and infers every layer's output shape, parameter count and
multiply-adds, or raises `SpecError` naming the layer (index and type) and what is wrong.
This module is pure Python so the GUI can validate every edit instantly.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOSSES = ("cross_entropy", "mse")
INITS = ("he", "glorot")
# "recipe", how to train it, is cnnviz/training/recipe.py's to check; the engine ignores it.
TOP_LEVEL_KEYS = {"name", "description", "input", "classes", "loss", "layers", "recipe"}

# Limits that keep a valid spec runnable on a desktop machine.
MAX_PARAMS = 50_000_000
MAX_ACTIVATIONS = 20_000_000  # elements per image, summed over layers
MAX_LAYERS = 200
MAX_INPUT_SIDE = 1024
MAX_CHANNELS = 4096

Shape = tuple[int, ...]


class SpecError(ValueError):
    """An invalid spec. `layer` is the index of the offending layer, or None for the spec itself."""

    def __init__(self, message: str, layer: int | None = None, field: str | None = None):
        super().__init__(message)
        self.layer = layer
        self.field = field


@dataclass(frozen=True)
class Field:
    kind: type | tuple  # int, float, str; or a tuple of allowed str values
    default: Any = None  # None: required
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # True: value must be > low rather than >= low
    also: tuple = ()  # extra allowed literal values, e.g. ("same",) for padding


def _int(low: int, high: int, default: int | None = None) -> Field:
    return Field(int, default, low, high)


FIELDS: dict[str, dict[str, Field]] = {
    "conv": {
        "filters": _int(1, MAX_CHANNELS),
        "kernel": _int(1, 11),
        "stride": _int(1, 11, 1),
        "padding": Field(int, 0, 0, 10, also=("same",)),
        "init": Field(INITS, "he"),
    },
    "dense": {"units": _int(1, 65536), "init": Field(INITS, "he")},
    "maxpool": {"size": _int(1, 16, 2), "stride": Field(int, "size", 1, 16)},
    "avgpool": {"size": _int(1, 16, 2), "stride": Field(int, "size", 1, 16)},
    "relu": {},
    "leaky_relu": {"slope": Field(float, 0.01, 0.0, 1.0)},
    "tanh": {},
    "sigmoid": {},
    "flatten": {},
    "dropout": {"rate": Field(float, 0.5, 0.0, 0.99)},
    "batchnorm": {
        "momentum": Field(float, 0.1, 0.0, 1.0, low_open=True),
        "eps": Field(float, 1e-5, 1e-12, 1.0),  # smaller rounds to 0 in float32: 1/sqrt(0)
    },
}
LAYER_TYPES = tuple(FIELDS)

# The kinds of layer, named once for every module that groups them.
RELUS = ("relu", "leaky_relu")
SATURATING = ("tanh", "sigmoid")                  # flat tails, where little gradient passes
ACTIVATIONS = RELUS + SATURATING
# Value by value, the shape kept: drawn and inspected with the conv, pool or dense layer before.
ELEMENTWISE = ACTIVATIONS + ("batchnorm", "dropout")
POOLS = ("maxpool", "avgpool")
WINDOWED = ("conv",) + POOLS                      # slide a window over the maps


@dataclass(frozen=True)
class LayerInfo:
    index: int
    config: dict  # the layer's fields with defaults filled in (includes "type")
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int  # multiply-adds per image, forward pass

    @property
    def type(self) -> str:
        return self.config["type"]

    @property
    def label(self) -> str:
        return describe(self.config)


@dataclass(frozen=True)
class Summary:
    input: Shape
    classes: tuple[str, ...]
    loss: str
    layers: tuple[LayerInfo, ...]

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].out_shape if self.layers else self.input

    def table(self) -> str:
        """A printable per-layer table: shape, parameters, multiply-adds."""
        rows = [f"{'#':>3}  {'layer':<18} {'output':<14} {'params':>12} {'mult-adds':>14}"]
        rows.append(f"{'':>3}  {'input':<18} {shape_text(self.input):<14}")
        for layer in self.layers:
            rows.append(f"{layer.index:>3}  {layer.label:<18} {shape_text(layer.out_shape):<14}"
                        f" {layer.params:>12,} {layer.macs:>14,}")
        rows.append(f"{'':>3}  {'total':<18} {'':<14} {self.params:>12,} {self.macs:>14,}")
        return "\n".join(rows)


def shape_text(shape, sep: str = "x") -> str:
    """A shape as messages write it, 3x32x32 (the GUI passes sep="×"). Every message and label
    of cnnviz writes shapes with this."""
    return sep.join(str(s) for s in shape)


def describe(config: dict) -> str:
    """Short human name of a layer, as used in error messages: 'conv 5x5', 'dense 120'."""
    kind = config.get("type", "?")
    if kind == "conv" and _is_int(config.get("kernel")):
        return f"conv {config['kernel']}x{config['kernel']}"
    if kind in POOLS and _is_int(config.get("size", 2)):
        size = config.get("size", 2)
        return f"{kind} {size}x{size}"
    if kind == "dense" and _is_int(config.get("units")):
        return f"dense {config['units']}"
    return str(kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---- field checking -------------------------------------------------------------------------

def _check_field(name: str, field: Field, value: Any, where: str, index: int) -> Any:
    def fail(why: str):
        raise SpecError(f"{where}: field '{name}' {why}", index, name)

    if value in field.also:
        return value
    if isinstance(field.kind, tuple):
        if value not in field.kind:
            fail(f"must be one of {', '.join(repr(k) for k in field.kind)}, not {value!r}")
        return value
    if field.kind is int:
        if not _is_int(value):
            extra = f" or {', '.join(repr(a) for a in field.also)}" if field.also else ""
            fail(f"must be a whole number{extra}, not {value!r}")
    elif field.kind is float:
        try:
            number = float(value) if _is_int(value) or isinstance(value, float) else math.nan
        except OverflowError:  # a huge JSON integer
            number = math.nan
        if not math.isfinite(number):
            fail(f"must be a number, not {value!r}")
        value = number
    if field.low is not None and (value <= field.low if field.low_open else value < field.low):
        fail(f"must be {'>' if field.low_open else '>='} {field.low:g}, not {value!r}")
    if field.high is not None and value > field.high:
        fail(f"must be <= {field.high:g}, not {value!r}")
    return value


def normalise_layer(raw: Any, index: int) -> dict:
    """One layer's config, type-checked, with defaults filled in (shapes are not checked here)."""
    if not isinstance(raw, dict):
        raise SpecError(f"layer {index}: must be an object with a 'type', not {raw!r}", index)
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:
        raise SpecError(f"layer {index}: unknown type {kind!r}; known types are "
                        f"{', '.join(LAYER_TYPES)}", index, "type")
    where = f"layer {index} ({describe(raw)})"
    fields = FIELDS[kind]
    unknown = sorted(set(raw) - set(fields) - {"type"}, key=str)
    if unknown:
        known = ", ".join(fields) or "none"
        raise SpecError(f"{where}: unknown field '{unknown[0]}' (fields of {kind}: {known})",
                        index, unknown[0])
    config = {"type": kind}
    for name, field in fields.items():
        if name in raw:
            config[name] = _check_field(name, field, raw[name], where, index)
        elif field.default is None:
            raise SpecError(f"{where}: field '{name}' is required", index, name)
        elif isinstance(field.default, str) and field.default in fields:
            config[name] = config[field.default]  # e.g. pool stride defaults to its size
        else:
            config[name] = field.default
    return config


# ---- shape inference ------------------------------------------------------------------------

def conv_padding(config: dict) -> int:
    """The zero padding of a conv layer in pixels ('same' keeps the size at stride 1)."""
    return (config["kernel"] - 1) // 2 if config["padding"] == "same" else config["padding"]


def _window_out(size: int, window: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - window) // stride + 1


def _need_maps(shape: Shape, what: str) -> None:
    if len(shape) != 3:
        raise ValueError(f"needs image maps (channels x height x width) as input, but gets a flat "
                         f"vector of {shape[0]}; put {what} layers before flatten and dense")


def _infer_conv(c: dict, shape: Shape) -> tuple[Shape, int, int]:
    _need_maps(shape, "conv")
    channels, height, width = shape
    k, stride = c["kernel"], c["stride"]
    if c["padding"] == "same":
        if k % 2 == 0:
            raise ValueError(f"padding 'same' needs an odd kernel, not {k}")
        if stride != 1:
            raise ValueError("padding 'same' needs stride 1; give the padding in pixels instead")
    pad = conv_padding(c)
    if pad >= k:
        raise ValueError(f"padding {pad} must be smaller than the kernel ({k})")
    if min(height, width) + 2 * pad < k:
        padded = f" ({height + 2 * pad}x{width + 2 * pad} padded)" if pad else ""
        raise ValueError(f"its input is {height}x{width}{padded}, smaller than the kernel")
    out = (c["filters"], _window_out(height, k, stride, pad), _window_out(width, k, stride, pad))
    params = c["filters"] * (channels * k * k + 1)
    macs = out[0] * out[1] * out[2] * channels * k * k
    return out, params, macs


def _infer_pool(c: dict, shape: Shape) -> tuple[Shape, int, int]:
    _need_maps(shape, "pool")
    channels, height, width = shape
    if min(height, width) < c["size"]:
        raise ValueError(f"its input is {height}x{width}, smaller than the pool")
    size, stride = c["size"], c["stride"]
    return (channels, _window_out(height, size, stride, 0), _window_out(width, size, stride, 0)), 0, 0


def _infer_dense(c: dict, shape: Shape) -> tuple[Shape, int, int]:
    fan_in = math.prod(shape)
    return (c["units"],), c["units"] * (fan_in + 1), c["units"] * fan_in


def _infer_batchnorm(c: dict, shape: Shape) -> tuple[Shape, int, int]:
    return shape, 2 * shape[0], math.prod(shape)


def _same(c: dict, shape: Shape) -> tuple[Shape, int, int]:
    return shape, 0, 0


INFER: dict[str, Callable[[dict, Shape], tuple[Shape, int, int]]] = {
    "conv": _infer_conv,
    "maxpool": _infer_pool,
    "avgpool": _infer_pool,
    "dense": _infer_dense,
    "batchnorm": _infer_batchnorm,
    "flatten": lambda c, s: ((math.prod(s),), 0, 0),
    **{kind: _same for kind in ACTIVATIONS + ("dropout",)},
}


def infer_layer(config: dict, in_shape: Shape) -> tuple[Shape, int, int]:
    """Output shape, parameter count and multiply-adds of one normalised layer."""
    return INFER[config["type"]](config, in_shape)


# ---- the whole spec -------------------------------------------------------------------------

def _check_input(value: Any) -> Shape:
    if (not isinstance(value, (list, tuple)) or len(value) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise SpecError(f"'input' must be [channels, height, width] as whole numbers, not {value!r}",
                        field="input")
    channels, height, width = value
    if not 1 <= channels <= MAX_CHANNELS or not (1 <= height <= MAX_INPUT_SIDE
                                                 and 1 <= width <= MAX_INPUT_SIDE):
        raise SpecError(f"'input' {list(value)} is out of range: channels 1 to {MAX_CHANNELS}, "
                        f"height and width 1 to {MAX_INPUT_SIDE}", field="input")
    return tuple(value)


def _check_classes(value: Any) -> tuple[str, ...]:
    if (not isinstance(value, (list, tuple)) or len(value) < 2
            or not all(isinstance(v, str) and v for v in value)):
        raise SpecError("'classes' must be a list of at least two non-empty class names",
                        field="classes")
    if len(set(value)) != len(value):
        raise SpecError("'classes' has a repeated name", field="classes")
    return tuple(value)


def validate(spec: Any) -> Summary:
    """Check a spec and infer every layer's shapes; raise SpecError with a clear message."""
    if not isinstance(spec, dict):
        raise SpecError(f"a spec must be a JSON object, not {type(spec).__name__}")
    unknown = sorted(set(spec) - TOP_LEVEL_KEYS, key=str)
    if unknown:
        raise SpecError(f"unknown key '{unknown[0]}' (a spec has: {', '.join(sorted(TOP_LEVEL_KEYS))})",
                        field=unknown[0])
    for key in ("input", "classes", "layers"):
        if key not in spec:
            raise SpecError(f"the spec has no '{key}'", field=key)
    shape = _check_input(spec["input"])
    classes = _check_classes(spec["classes"])
    loss = spec.get("loss", "cross_entropy")
    if loss not in LOSSES:
        raise SpecError(f"'loss' must be one of {', '.join(LOSSES)}, not {loss!r}", field="loss")
    for key in ("name", "description"):
        if key in spec and not isinstance(spec[key], str):
            raise SpecError(f"'{key}' must be text, not {spec[key]!r}", field=key)
    raw_layers = spec["layers"]
    if not isinstance(raw_layers, (list, tuple)) or not raw_layers:
        raise SpecError("'layers' must be a non-empty list", field="layers")
    if len(raw_layers) > MAX_LAYERS:
        raise SpecError(f"the spec has {len(raw_layers)} layers, more than the limit of {MAX_LAYERS}",
                        field="layers")

    infos, input_shape, activations = [], shape, math.prod(shape)
    for index, raw in enumerate(raw_layers):
        config = normalise_layer(raw, index)
        try:
            out, params, macs = infer_layer(config, shape)
        except ValueError as exc:
            raise SpecError(f"layer {index} ({describe(config)}): {exc}", index) from None
        if min(out) < 1:
            raise SpecError(f"layer {index} ({describe(config)}): its output would be empty "
                            f"({shape_text(out)})", index)
        infos.append(LayerInfo(index, config, shape, out, params, macs))
        activations += math.prod(out)
        shape = out

    summary = Summary(input_shape, classes, loss, tuple(infos))
    if summary.params > MAX_PARAMS:
        raise SpecError(f"the network has {summary.params:,} parameters, more than the limit of "
                        f"{MAX_PARAMS:,}; use fewer units or filters, or pool earlier", field="layers")
    if activations > MAX_ACTIVATIONS:
        raise SpecError(f"the network's maps hold {activations:,} values per image, more than the "
                        f"limit of {MAX_ACTIVATIONS:,}; use fewer filters or a smaller input",
                        field="layers")
    last = infos[-1]
    if shape != (len(classes),):
        what = (f"a {shape_text(shape)} map" if len(shape) == 3 else f"{shape[0]} outputs")
        raise SpecError(f"layer {last.index} ({last.label}): the network ends with {what}, but there "
                        f"are {len(classes)} classes; end with a dense layer of {len(classes)} units",
                        last.index)
    return summary


def normalised(spec: dict) -> dict:
    """The spec with every default filled in (validates it on the way)."""
    summary = validate(spec)
    out = {key: spec[key] for key in ("name", "description") if key in spec}
    out.update(input=list(summary.input), classes=list(summary.classes), loss=summary.loss,
               layers=[dict(layer.config) for layer in summary.layers])
    return out


def load(path: str | Path) -> dict:
    """Read and validate a spec from a JSON file; errors name the file."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: bad JSON
        raise SpecError(f"{path}: not valid JSON ({exc})") from None
    try:
        validate(spec)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}", exc.layer, exc.field) from None
    return spec
