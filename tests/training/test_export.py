"""Export: the ONNX model computes what the network computes (checked in onnxruntime, for every
built-in architecture and a spec with every layer type), the npz holds every weight without
pickle, and the writes are atomic."""
import json
import os

import numpy as np
import pytest

from cnnviz.architectures import builtin_names, load_architecture
from cnnviz.engine.layers import BatchNorm
from cnnviz.engine.losses import softmax
from cnnviz.engine.network import Network
from cnnviz.training.export import (
    DEFAULT_OPSET,
    export_npz,
    export_onnx,
    export_safetensors,
    npz_name,
)

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime (a test dependency) is not installed")

# Every layer type, with the cases that are easy to get wrong: stride 2 with padding, odd and
# non-square sizes, 'same' padding, pooling with a stride other than its size, batch norm on
# maps and on vectors, and a dense layer straight on image maps (an implicit flatten).
EVERY_LAYER = {
    "name": "every-layer", "input": [3, 17, 15], "classes": ["a", "b", "c", "d", "e"],
    "layers": [
        {"type": "conv", "filters": 6, "kernel": 3, "stride": 2, "padding": 1},  # 6x9x8
        {"type": "batchnorm", "eps": 0.05, "momentum": 0.3},
        {"type": "leaky_relu", "slope": 0.1},
        {"type": "conv", "filters": 8, "kernel": 3, "padding": "same"},
        {"type": "tanh"},
        {"type": "maxpool", "size": 2},  # 8x4x4
        {"type": "conv", "filters": 8, "kernel": 3, "padding": 1},
        {"type": "sigmoid"},
        {"type": "avgpool", "size": 3, "stride": 1},  # 8x2x2
        {"type": "dropout", "rate": 0.25},
        {"type": "dense", "units": 16},  # on maps
        {"type": "batchnorm"},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 5},
    ],
}
SPECS = {name: load_architecture(name) for name in builtin_names()} | {"every-layer": EVERY_LAYER}


def trained_looking(spec: dict, seed: int = 0) -> Network:
    """A network whose every weight matters: training forwards give batch norm non-trivial
    running statistics, and biases and batch-norm scales get random values (they start at 0
    and 1, where a mix-up of two of them would go unnoticed)."""
    network = Network(spec, seed)
    rng = np.random.default_rng(seed + 1)
    for _ in range(3):
        network.forward(rng.standard_normal((8, *network.input_shape)).astype(np.float32) * 2 + 0.5,
                        training=True)
    for layer in network.layers:
        for name, p in layer.params().items():
            if name == "bias" or isinstance(layer, BatchNorm):
                p.value[...] = rng.standard_normal(p.value.shape) * 0.3 + (
                    1 if isinstance(layer, BatchNorm) and name == "weight" else 0)
    return network


def assert_close(ours, reference, what=""):
    scale = float(np.abs(reference).max())
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4 * scale, err_msg=what)


@pytest.fixture(scope="module", params=sorted(SPECS))
def exported(request, tmp_path_factory):
    network = trained_looking(SPECS[request.param])
    path = tmp_path_factory.mktemp("onnx") / f"{request.param}.onnx"
    export_onnx(network, path)
    return network, path


def test_batch_norm_statistics_are_not_trivial():
    network = trained_looking(EVERY_LAYER)
    for layer in network.layers:
        if isinstance(layer, BatchNorm):
            assert np.abs(layer.running_mean).max() > 1e-3
            assert np.abs(layer.running_var - 1).max() > 1e-3


@pytest.mark.parametrize("batch", [7, 1])
def test_onnxruntime_matches_the_network(exported, batch):
    network, path = exported
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(batch).standard_normal((batch, *network.input_shape)).astype(np.float32)
    probabilities, logits = session.run(["probabilities", "logits"], {"image": x})
    expected = network.forward(x)
    assert logits.shape == probabilities.shape == (batch, len(network.classes))
    assert_close(logits, expected, "logits")
    assert_close(probabilities, softmax(expected), "probabilities")


def test_model_has_dynamic_batch_and_named_inputs_outputs(exported):
    network, path = exported
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (image,) = session.get_inputs()
    assert image.name == "image" and image.type == "tensor(float)"
    assert image.shape == ["batch", *network.input_shape]
    outputs = {o.name: o.shape for o in session.get_outputs()}
    assert outputs == {name: ["batch", len(network.classes)] for name in ("probabilities", "logits")}


def test_model_passes_the_checker_and_carries_metadata(exported):
    network, path = exported
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert model.producer_name == "cnnviz"
    assert model.opset_import[0].version == DEFAULT_OPSET
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["classes"]) == list(network.classes)
    assert json.loads(props["cnnviz_spec"]) == network.spec
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert json.loads(session.get_modelmeta().custom_metadata_map["classes"]) == list(network.classes)
    assert {init.name for init in model.graph.initializer} >= {"layer0.conv.weight",
                                                               "layer0.conv.bias"}


def test_every_layer_graph(tmp_path):
    network = trained_looking(EVERY_LAYER)
    export_onnx(network, tmp_path / "model.onnx")
    model = onnx.load(str(tmp_path / "model.onnx"))
    ops = [node.op_type for node in model.graph.node]
    assert ops == ["Conv", "BatchNormalization", "LeakyRelu", "Conv", "Tanh", "MaxPool", "Conv",
                   "Sigmoid", "AveragePool", "Identity", "Flatten", "Gemm", "BatchNormalization",
                   "Relu", "Flatten", "Identity", "Gemm", "Softmax"]
    inits = {i.name: tuple(i.dims) for i in model.graph.initializer}
    assert inits["layer0.conv.weight"] == (6, 3, 3, 3)
    assert inits["layer10.dense.weight"] == (16, 32)  # (units, in): Gemm with transB
    assert inits["layer11.batchnorm.running_var"] == (16,)  # batch norm on (N, C)
    assert len(inits) == len(network.state_dict())


def test_another_opset_and_a_float64_network(tmp_path):
    network = trained_looking(EVERY_LAYER)
    network64 = Network(EVERY_LAYER, 0, dtype=np.float64)
    network64.load_state_dict(network.state_dict())
    path = tmp_path / "model.onnx"
    export_onnx(network64, path, opset=21)
    assert onnx.load(str(path)).opset_import[0].version == 21
    x = np.random.default_rng(3).standard_normal((4, *network.input_shape)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert_close(session.run(["logits"], {"image": x})[0], network64.forward(x))


def test_unsupported_opset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="opset 9"):
        export_onnx(Network(EVERY_LAYER), tmp_path / "m.onnx", opset=9)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_npz_round_trip(name, tmp_path):
    network = trained_looking(SPECS[name])
    path = tmp_path / "weights.npz"
    export_npz(network, path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    assert list(arrays.pop("classes")) == list(network.classes)
    assert json.loads(str(arrays.pop("cnnviz_spec"))) == network.spec
    expected = {}
    for key, value in network.state_dict().items():  # "3.weight" -> "layer3_conv_weight"
        index, name = key.split(".", 1)
        expected[npz_name(int(index), network.layers[int(index)].config["type"], name)] = value
    assert sorted(arrays) == sorted(expected)
    for key, value in expected.items():
        assert arrays[key].dtype == value.dtype
        np.testing.assert_array_equal(arrays[key], value, err_msg=key)


def test_npz_names(tmp_path):
    export_npz(trained_looking(EVERY_LAYER), tmp_path / "weights.npz")
    with np.load(tmp_path / "weights.npz", allow_pickle=False) as data:
        names = set(data.files)
    assert {"layer0_conv_weight", "layer0_conv_bias", "layer1_batchnorm_weight",
            "layer1_batchnorm_running_mean", "layer1_batchnorm_running_var",
            "layer10_dense_weight", "layer15_dense_bias", "classes", "cnnviz_spec"} <= names
    assert len(names) == 18 + 2  # 3 convs and 2 denses (2 each), 2 batch norms (4 each)


@pytest.mark.parametrize("export, suffix", [(export_onnx, ".onnx"), (export_npz, ".npz"),
                                            (export_safetensors, ".safetensors")])
def test_writes_are_atomic(export, suffix, tmp_path, monkeypatch):
    network = trained_looking(EVERY_LAYER)
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"the previous export")
    export(network, path)  # replaces an existing file
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert path.stat().st_size > 1000
    before = path.read_bytes()

    # A failure half-way leaves the old file as it was and no temporary file behind.
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        export(network, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert path.read_bytes() == before
