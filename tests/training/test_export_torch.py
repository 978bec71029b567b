"""The safetensors export loads, strictly, into the PyTorch model that torch_sequential_code
builds, and that model computes what the network computes."""
import json

import numpy as np
import pytest

# tests/training has no __init__.py: pytest puts this folder on sys.path (rootdir "prepend" mode).
from test_export import EVERY_LAYER, SPECS, assert_close, trained_looking

from cnnviz.engine.network import Network
from cnnviz.training.export import export_safetensors, torch_sequential_code, torch_state_dict_keys

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: these tests need torch==2.13.0 (.ci/run installs it)")
safetensors_torch = pytest.importorskip("safetensors.torch")
pytestmark = pytest.mark.torch


def build(network: Network):
    namespace = {}
    exec(f"from torch import nn\nmodel = {torch_sequential_code(network)}", namespace)
    return namespace["model"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_safetensors_load_into_the_generated_model_and_match(name, tmp_path):
    network = trained_looking(SPECS[name])
    path = tmp_path / "weights.safetensors"
    export_safetensors(network, path)
    model = build(network)
    model.load_state_dict(safetensors_torch.load_file(str(path)), strict=True)
    model.eval()
    for batch in (7, 1):
        x = np.random.default_rng(batch).standard_normal((batch, *network.input_shape)).astype(np.float32)
        with torch.no_grad():
            theirs = model(torch.from_numpy(x)).numpy()
        assert_close(network.forward(x), theirs, f"{name}, batch {batch}")


def test_metadata_and_keys(tmp_path):
    from safetensors import safe_open

    network = trained_looking(EVERY_LAYER)
    path = tmp_path / "weights.safetensors"
    export_safetensors(network, path)
    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
        keys = set(f.keys())
        assert f.get_tensor("12.num_batches_tracked").dtype == np.int64
    assert json.loads(metadata["classes"]) == list(network.classes)
    assert json.loads(metadata["cnnviz_spec"]) == network.spec
    mapping = torch_state_dict_keys(network)
    # Layers after the dense on maps (cnnviz layer 10) sit one further on in torch.
    assert mapping["0.weight"] == "0.weight"
    assert mapping["10.weight"] == "11.weight"
    assert mapping["11.running_mean"] == "12.running_mean"
    assert mapping["15.bias"] == "16.bias"
    assert keys == set(mapping.values()) | {"1.num_batches_tracked", "12.num_batches_tracked"}


def test_code_is_readable():
    code = torch_sequential_code(Network(EVERY_LAYER))
    lines = code.splitlines()
    assert lines[0] == "nn.Sequential("
    assert lines[1] == "    nn.Conv2d(3, 6, 3, stride=2, padding=1),"
    assert lines[2] == "    nn.BatchNorm2d(6, eps=0.05, momentum=0.3),"
    assert "    nn.Flatten()," in lines and "    nn.Linear(32, 16)," in lines
    assert "    nn.AvgPool2d(3, stride=1)," in lines and "    nn.MaxPool2d(2)," in lines
    assert lines[-1] == ")"
