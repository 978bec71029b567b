"""Export a trained network's weights to ONNX, safetensors (PyTorch layout) and NumPy's npz.

Every file is written atomically (cnnviz/files.py), so a crash or a full disk never leaves a
half-written export under the real name.
Each format carries the class names and the spec, so an exported file describes itself.
"""
from __future__ import annotations

import json
import os

import numpy as np

from cnnviz.engine.layers import Layer
from cnnviz.engine.network import Network
from cnnviz.engine.spec import POOLS, conv_padding
from cnnviz.files import atomic_write

# Opset 18 (IR version 8) is recent enough for every operator used here and old enough that
# onnxruntime >= 1.14 and most other runtimes load it. Every node keeps its meaning back to 13.
DEFAULT_OPSET = 18
MIN_OPSET = 13


def _spec_json(network: Network) -> str:
    return json.dumps(network.spec, separators=(",", ":"))


def _state(layer: Layer) -> dict[str, np.ndarray]:
    """A layer's parameters and buffers by their PyTorch names."""
    state = {name: p.value for name, p in layer.params().items()}
    state.update(layer.buffers())
    return state


def _is_maps(shape: tuple) -> bool:
    return len(shape) == 3


# ---- ONNX -----------------------------------------------------------------------------------

def _onnx_layer(layer: Layer, i: int, x: str, out: str, add_weight) -> list:
    """The ONNX nodes of one layer, reading tensor `x` and writing tensor `out`."""
    from onnx import helper

    c, kind = layer.config, layer.config["type"]
    name = f"layer{i}.{kind}"
    inputs = [x] + [add_weight(f"{name}.{key}", value) for key, value in _state(layer).items()]
    nodes = []
    if kind == "dense" and _is_maps(layer.in_shape):
        # cnnviz flattens image maps into a dense layer implicitly; ONNX's Gemm needs it spelled out.
        flat = f"{name}.flatten"
        nodes.append(helper.make_node("Flatten", [x], [flat], name=flat, axis=1))
        inputs[0] = flat
    if kind == "conv":
        k, s, p = c["kernel"], c["stride"], conv_padding(c)
        node = helper.make_node("Conv", inputs, [out], kernel_shape=[k, k], strides=[s, s],
                                pads=[p, p, p, p])
    elif kind in POOLS:
        op = "MaxPool" if kind == "maxpool" else "AveragePool"
        node = helper.make_node(op, inputs, [out], kernel_shape=[c["size"]] * 2,
                                strides=[c["stride"]] * 2)
    elif kind == "dense":
        node = helper.make_node("Gemm", inputs, [out], transB=1)  # weight is (units, in)
    elif kind == "batchnorm":
        # Inputs in ONNX order: scale, B, mean, var = weight, bias, running_mean, running_var.
        node = helper.make_node("BatchNormalization", inputs, [out], epsilon=c["eps"])
    elif kind == "leaky_relu":
        node = helper.make_node("LeakyRelu", inputs, [out], alpha=c["slope"])
    elif kind == "flatten":
        node = helper.make_node("Flatten", inputs, [out], axis=1)
    else:  # dropout is the identity at inference
        op = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "dropout": "Identity"}[kind]
        node = helper.make_node(op, inputs, [out])
    node.name = name
    return nodes + [node]


def export_onnx(network: Network, path: str | os.PathLike, opset: int | None = None) -> None:
    """Write the network as an ONNX model for inference: input "image" (batch, C, H, W) float32;
    outputs "probabilities" (softmax) and "logits", both (batch, classes). The batch is dynamic."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    opset = DEFAULT_OPSET if opset is None else opset
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"ONNX opset {opset} is not supported: use {MIN_OPSET} to "
                         f"{onnx.defs.onnx_opset_version()}")
    initializers = []

    def add_weight(name: str, value: np.ndarray) -> str:
        # float32 whatever the network's dtype: the model's input is float32.
        initializers.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    nodes, x = [], "image"
    for i, layer in enumerate(network.layers):
        out = "logits" if i == len(network.layers) - 1 else f"layer{i}.{layer.config['type']}.out"
        nodes += _onnx_layer(layer, i, x, out, add_weight)
        x = out
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax",
                                  axis=1))

    classes = len(network.classes)
    graph = helper.make_graph(
        nodes, network.spec.get("name") or "cnnviz",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                       ["batch", *network.input_shape])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", classes]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
        initializer=initializers)
    opsets = [helper.make_opsetid("", opset)]
    # The oldest IR version that allows the opset: onnx's newest would shut out older runtimes.
    model = helper.make_model(graph, opset_imports=opsets,
                              ir_version=helper.find_min_ir_version_for(opsets),
                              producer_name="cnnviz", producer_version=_version(),
                              doc_string=network.spec.get("description", ""))
    helper.set_model_props(model, {"classes": json.dumps(list(network.classes)),
                                   "cnnviz_spec": _spec_json(network)})
    onnx.checker.check_model(model, full_check=True)  # also runs strict shape inference
    with atomic_write(path) as out:
        out.write(model.SerializeToString())


def _version() -> str:
    from cnnviz import __version__

    return __version__


# ---- PyTorch layout: safetensors and code -----------------------------------------------------

def _torch_layout(network: Network) -> list[tuple[str, int | None]]:
    """The modules of the equivalent torch.nn.Sequential, in order, as (code, cnnviz layer index
    or None). A dense layer on image maps becomes nn.Flatten() then nn.Linear, so from there on
    torch's indices run ahead of cnnviz's."""
    modules = []
    for i, layer in enumerate(network.layers):
        c, kind, shape = layer.config, layer.config["type"], layer.in_shape
        if kind == "conv":
            s, p = c["stride"], conv_padding(c)
            code = (f"nn.Conv2d({shape[0]}, {c['filters']}, {c['kernel']}"
                    f"{f', stride={s}' if s != 1 else ''}{f', padding={p}' if p else ''})")
        elif kind == "dense":
            if _is_maps(shape):
                modules.append(("nn.Flatten()", None))
            code = f"nn.Linear({int(np.prod(shape))}, {c['units']})"
        elif kind == "batchnorm":
            extra = (f", eps={c['eps']!r}" if c["eps"] != 1e-5 else "") + (
                f", momentum={c['momentum']!r}" if c["momentum"] != 0.1 else "")
            code = f"nn.BatchNorm{2 if _is_maps(shape) else 1}d({shape[0]}{extra})"
        elif kind in POOLS:
            cls = "MaxPool2d" if kind == "maxpool" else "AvgPool2d"  # torch's stride defaults to size
            stride = f", stride={c['stride']}" if c["stride"] != c["size"] else ""
            code = f"nn.{cls}({c['size']}{stride})"
        elif kind == "leaky_relu":
            code = f"nn.LeakyReLU({c['slope']!r})"
        elif kind == "dropout":
            code = f"nn.Dropout({c['rate']!r})"
        else:
            code = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()",
                    "flatten": "nn.Flatten()"}[kind]
        modules.append((code, i))
    return modules


def torch_sequential_code(network: Network) -> str:
    """Python that builds the equivalent torch.nn.Sequential, given `from torch import nn`:
    an expression such as "nn.Sequential(\\n    nn.Conv2d(1, 6, 5, padding=2),\\n ...)"."""
    lines = "".join(f"    {code},\n" for code, _ in _torch_layout(network))
    return f"nn.Sequential(\n{lines})"


def torch_state_dict_keys(network: Network) -> dict[str, str]:
    """cnnviz state keys ("7.weight") -> the keys of torch_sequential_code's model ("8.weight")."""
    keys = {}
    for j, (_, i) in enumerate(_torch_layout(network)):
        if i is not None:
            keys.update({f"{i}.{name}": f"{j}.{name}" for name in _state(network.layers[i])})
    return keys


def export_safetensors(network: Network, path: str | os.PathLike) -> None:
    """Write every parameter and buffer under torch_sequential_code's keys, so
    `model.load_state_dict(safetensors.torch.load_file(path))` works with strict=True."""
    from safetensors.numpy import save

    keys = torch_state_dict_keys(network)
    tensors = {keys[name]: np.ascontiguousarray(value)
               for name, value in network.state_dict().items()}
    for j, (_, i) in enumerate(_torch_layout(network)):
        if i is not None and network.layers[i].config["type"] == "batchnorm":
            # PyTorch's BatchNorm has this buffer too (it only matters for momentum=None).
            tensors[f"{j}.num_batches_tracked"] = np.zeros((), np.int64)
    metadata = {"classes": json.dumps(list(network.classes)), "cnnviz_spec": _spec_json(network)}
    with atomic_write(path) as out:
        out.write(save(tensors, metadata=metadata))


# ---- NumPy ----------------------------------------------------------------------------------

def npz_name(index: int, kind: str, name: str) -> str:
    """The npz array name of one parameter or buffer: "layer0_conv_weight"."""
    return f"layer{index}_{kind}_{name}"


def export_npz(network: Network, path: str | os.PathLike) -> None:
    """Write one array per parameter and buffer, plus "classes" and "cnnviz_spec" as unicode
    arrays: no object arrays, so np.load(path, allow_pickle=False) reads it."""
    arrays = {npz_name(i, layer.config["type"], name): value
              for i, layer in enumerate(network.layers) for name, value in _state(layer).items()}
    arrays["classes"] = np.array(network.classes, dtype=str)
    arrays["cnnviz_spec"] = np.array(_spec_json(network), dtype=str)
    with atomic_write(path) as out:
        np.savez(out, **arrays)  # a file object: savez adds no ".npz" to the name


# Every format by the name the command line and the File menu use.
EXPORTERS = {"onnx": export_onnx, "safetensors": export_safetensors, "npz": export_npz}
