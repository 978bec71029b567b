"""Tests for the architecture spec (cnnviz.engine.spec): every kind of invalid spec gets its own
clear message naming the layer and field; shapes, parameter counts and multiply-adds are right;
defaults are filled in; files are loaded with errors naming the file; and any spec that validates
really builds a network that runs forward and backward (a hypothesis property test)."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cnnviz.engine import spec
from cnnviz.engine.network import Network
from cnnviz.engine.spec import SpecError, normalised, validate

CLASSES = ["circle", "square", "triangle"]


# ---- helpers that build specs ---------------------------------------------------------------

def make_spec(*layers, input=(1, 12, 12), classes=CLASSES, **extra) -> dict:
    result = {"input": list(input), "classes": list(classes), "layers": copy.deepcopy(list(layers))}
    result.update(extra)
    return result


def conv(filters, kernel, **fields) -> dict:
    return {"type": "conv", "filters": filters, "kernel": kernel, **fields}


def dense(units, **fields) -> dict:
    return {"type": "dense", "units": units, **fields}


def maxpool(size=2, **fields) -> dict:
    return {"type": "maxpool", "size": size, **fields}


def avgpool(size=2, **fields) -> dict:
    return {"type": "avgpool", "size": size, **fields}


def layer(kind, **fields) -> dict:
    return {"type": kind, **fields}


HEAD = dense(len(CLASSES))
# 1x12x12 -> conv 4x10x10 -> relu -> maxpool 4x5x5 -> dense 3
VALID = make_spec(conv(4, 3), layer("relu"), maxpool(), HEAD)


def without(key: str) -> dict:
    result = copy.deepcopy(VALID)
    del result[key]
    return result


def error_of(value) -> SpecError:
    with pytest.raises(SpecError) as info:
        validate(value)
    return info.value


def lenet5() -> dict:
    return {"name": "lenet5", "input": [1, 28, 28], "classes": [str(d) for d in range(10)],
            "layers": [conv(6, 5, padding=2), layer("relu"), maxpool(2),
                       conv(16, 5), layer("relu"), maxpool(2),
                       dense(120), layer("relu"), dense(84), layer("relu"), dense(10)]}


def test_the_reference_spec_of_these_tests_is_valid():
    assert validate(VALID).output_shape == (len(CLASSES),)


# ---- 1. each kind of invalid spec has its own message ---------------------------------------

# (spec, expected .layer, expected .field, substrings of the message)
INVALID = {
    # the spec as a whole
    "not a dict (list)": ([], None, None, ["a spec must be a JSON object, not list"]),
    "not a dict (str)": ("lenet", None, None, ["a spec must be a JSON object, not str"]),
    "unknown top-level key": (make_spec(HEAD, colour="red"), None, "colour",
                              ["unknown key 'colour'", "a spec has: classes, description, input"]),
    "missing input": (without("input"), None, "input", ["the spec has no 'input'"]),
    "missing classes": (without("classes"), None, "classes", ["the spec has no 'classes'"]),
    "missing layers": (without("layers"), None, "layers", ["the spec has no 'layers'"]),
    # input shape
    "input of length 2": (make_spec(HEAD, input=(28, 28)), None, "input",
                          ["'input' must be [channels, height, width] as whole numbers",
                           "not [28, 28]"]),
    "input not a list": ({**VALID, "input": "1x28x28"}, None, "input",
                         ["'input' must be [channels, height, width]", "not '1x28x28'"]),
    "input with a float": (make_spec(HEAD, input=(1, 28.0, 28)), None, "input",
                           ["as whole numbers, not [1, 28.0, 28]"]),
    "input with a bool": (make_spec(HEAD, input=(True, 28, 28)), None, "input",
                          ["as whole numbers, not [True, 28, 28]"]),
    "input with a zero": (make_spec(HEAD, input=(1, 0, 28)), None, "input",
                          ["'input' [1, 0, 28] is out of range",
                           f"height and width 1 to {spec.MAX_INPUT_SIDE}"]),
    "input too large": (make_spec(HEAD, input=(1, 28, spec.MAX_INPUT_SIDE + 1)), None, "input",
                        ["is out of range"]),
    "input too many channels": (make_spec(HEAD, input=(spec.MAX_CHANNELS + 1, 2, 2)), None,
                                "input", [f"channels 1 to {spec.MAX_CHANNELS}"]),
    # classes and loss
    "one class": (make_spec(dense(1), classes=["only"]), None, "classes",
                  ["'classes' must be a list of at least two non-empty class names"]),
    "duplicate class": (make_spec(dense(2), classes=["cat", "cat"]), None, "classes",
                        ["'classes' has a repeated name"]),
    "empty class name": (make_spec(dense(2), classes=["cat", ""]), None, "classes",
                         ["at least two non-empty class names"]),
    "bad loss": (make_spec(HEAD, loss="hinge"), None, "loss",
                 ["'loss' must be one of cross_entropy, mse, not 'hinge'"]),
    # the list of layers
    "no layers": (make_spec(), None, "layers", ["'layers' must be a non-empty list"]),
    "layers not a list": ({**VALID, "layers": HEAD}, None, "layers",
                          ["'layers' must be a non-empty list"]),
    "too many layers": (make_spec(*[layer("relu")] * (spec.MAX_LAYERS + 1), HEAD), None,
                        "layers", [f"more than the limit of {spec.MAX_LAYERS}"]),
    # one layer's entry
    "layer not a dict": (make_spec(conv(4, 3), "relu", HEAD), 1, None,
                         ["layer 1: must be an object with a 'type', not 'relu'"]),
    "unknown layer type": (make_spec(conv(4, 3), layer("softmax"), HEAD), 1, "type",
                           ["layer 1: unknown type 'softmax'",
                            "known types are conv, dense, maxpool"]),
    "layer without a type": (make_spec({"units": 3}), 0, "type", ["layer 0: unknown type None"]),
    "unknown field": (make_spec(conv(4, 3, size=2), HEAD), 0, "size",
                      ["layer 0 (conv 3x3): unknown field 'size' "
                       "(fields of conv: filters, kernel, stride, padding, init)"]),
    "unknown field of a fieldless layer": (make_spec(layer("relu", slope=0.1), HEAD), 0, "slope",
                                           ["layer 0 (relu): unknown field 'slope' "
                                            "(fields of relu: none)"]),
    "conv without filters": (make_spec(layer("conv", kernel=3), HEAD), 0, "filters",
                             ["layer 0 (conv 3x3): field 'filters' is required"]),
    "conv without kernel": (make_spec(layer("conv", filters=4), HEAD), 0, "kernel",
                            ["layer 0 (conv): field 'kernel' is required"]),
    "dense without units": (make_spec(conv(4, 3), layer("dense")), 1, "units",
                            ["layer 1 (dense): field 'units' is required"]),
    # wrong field types
    "float kernel": (make_spec(conv(4, 3.0), HEAD), 0, "kernel",
                     ["layer 0 (conv): field 'kernel' must be a whole number, not 3.0"]),
    "bool filters": (make_spec(conv(True, 3), HEAD), 0, "filters",
                     ["field 'filters' must be a whole number, not True"]),
    "string units": (make_spec(dense("10"), HEAD), 0, "units",
                     ["field 'units' must be a whole number, not '10'"]),
    "string padding": (make_spec(conv(4, 3, padding="valid"), HEAD), 0, "padding",
                       ["field 'padding' must be a whole number or 'same', not 'valid'"]),
    "string rate": (make_spec(layer("dropout", rate="0.5"), HEAD), 0, "rate",
                    ["layer 0 (dropout): field 'rate' must be a number, not '0.5'"]),
    "nan slope": (make_spec(layer("leaky_relu", slope=math.nan), HEAD), 0, "slope",
                  ["field 'slope' must be a number, not nan"]),
    "unknown init": (make_spec(dense(3, init="xavier")), 0, "init",
                     ["field 'init' must be one of 'he', 'glorot', not 'xavier'"]),
    # out of range
    "kernel 0": (make_spec(conv(4, 0), HEAD), 0, "kernel",
                 ["layer 0 (conv 0x0): field 'kernel' must be >= 1, not 0"]),
    "kernel 12": (make_spec(conv(4, 12), HEAD, input=(1, 20, 20)), 0, "kernel",
                  ["field 'kernel' must be <= 11, not 12"]),
    "dropout rate 1.0": (make_spec(layer("dropout", rate=1.0), HEAD), 0, "rate",
                         ["field 'rate' must be <= 0.99, not 1.0"]),
    "negative stride": (make_spec(conv(4, 3, stride=-1), HEAD), 0, "stride",
                        ["field 'stride' must be >= 1, not -1"]),
    "zero pool stride": (make_spec(maxpool(2, stride=0), HEAD), 0, "stride",
                         ["layer 0 (maxpool 2x2): field 'stride' must be >= 1, not 0"]),
    "batchnorm eps 0": (make_spec(layer("batchnorm", eps=0), HEAD), 0, "eps",
                        ["field 'eps' must be >= 1e-12, not 0.0"]),
    # shapes that cannot work
    "kernel bigger than input": (
        make_spec(conv(4, 3), layer("relu"), maxpool(2), conv(8, 3), conv(8, 5), HEAD),
        4, None, ["layer 4 (conv 5x5): its input is 3x3, smaller than the kernel"]),
    "kernel bigger than padded input": (
        make_spec(conv(4, 7, padding=1), HEAD, input=(1, 3, 3)),
        0, None, ["layer 0 (conv 7x7): its input is 3x3 (5x5 padded), smaller than the kernel"]),
    "'same' with an even kernel": (
        make_spec(conv(4, 4, padding="same"), HEAD),
        0, None, ["layer 0 (conv 4x4): padding 'same' needs an odd kernel, not 4"]),
    "'same' with stride 2": (make_spec(conv(4, 3, padding="same", stride=2), HEAD), 0, None,
                             ["layer 0 (conv 3x3): padding 'same' needs stride 1"]),
    "padding as big as the kernel": (make_spec(conv(4, 3, padding=3), HEAD), 0, None,
                                     ["layer 0 (conv 3x3): padding 3 must be smaller than the "
                                      "kernel (3)"]),
    "conv after flatten": (make_spec(layer("flatten"), conv(4, 3), HEAD), 1, None,
                           ["layer 1 (conv 3x3): needs image maps", "flat vector of 144",
                            "put conv layers before flatten and dense"]),
    "conv after dense": (make_spec(dense(10), conv(4, 3), HEAD), 1, None,
                         ["layer 1 (conv 3x3): needs image maps", "flat vector of 10"]),
    "pool after dense": (make_spec(dense(10), layer("relu"), maxpool(2), HEAD), 2, None,
                         ["layer 2 (maxpool 2x2): needs image maps", "flat vector of 10",
                          "put pool layers before flatten and dense"]),
    "maxpool bigger than input": (make_spec(maxpool(4), HEAD, input=(1, 3, 5)), 0, None,
                                  ["layer 0 (maxpool 4x4): its input is 3x5, smaller than the "
                                   "pool"]),
    "avgpool bigger than input": (make_spec(conv(2, 3), avgpool(11), HEAD), 1, None,
                                  ["layer 1 (avgpool 11x11): its input is 10x10, smaller than "
                                   "the pool"]),
    # the end of the network
    "wrong number of outputs": (make_spec(conv(4, 3), layer("relu"), dense(5)), 2, None,
                                ["layer 2 (dense 5): the network ends with 5 outputs, but there "
                                 "are 3 classes; end with a dense layer of 3 units"]),
    "ends with maps": (make_spec(conv(4, 3), layer("relu")), 1, None,
                       ["layer 1 (relu): the network ends with a 4x10x10 map, but there are 3 "
                        "classes"]),
}


@pytest.mark.parametrize("value, layer_index, field, parts", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_spec_gets_a_clear_message(value, layer_index, field, parts):
    error = error_of(value)
    for part in parts:
        assert part in str(error)
    assert error.layer == layer_index
    assert error.field == field


def test_too_many_parameters():
    # a dense layer on a 1000x1000 image: just over the limit
    units = spec.MAX_PARAMS // 1_000_000 + 1
    error = error_of(make_spec(dense(units), HEAD, input=(1, 1000, 1000)))
    params = units * 1_000_001 + len(CLASSES) * (units + 1)
    assert f"the network has {params:,} parameters, more than the limit of {spec.MAX_PARAMS:,}" \
        in str(error)
    assert "use fewer units or filters, or pool earlier" in str(error)
    assert (error.layer, error.field) == (None, "layers")


def test_too_many_activations():
    # 1x1 conv on a big image: its maps alone hold more than the limit; few parameters
    side = spec.MAX_INPUT_SIDE
    filters = spec.MAX_ACTIVATIONS // (side * side) + 1
    value = make_spec(conv(filters, 1), maxpool(16), HEAD, input=(1, side, side))
    error = error_of(value)
    pooled = filters * (side // 16) ** 2
    total = side * side + filters * side * side + pooled + len(CLASSES)
    assert (f"the network's maps hold {total:,} values per image, more than the limit of "
            f"{spec.MAX_ACTIVATIONS:,}") in str(error)
    assert (error.layer, error.field) == (None, "layers")


def test_errors_are_value_errors():
    """Callers that catch ValueError (e.g. the GUI's edit checker) also catch SpecError."""
    assert issubclass(SpecError, ValueError)


# ---- 2. shape inference, parameters, multiply-adds ------------------------------------------

def test_lenet5_shapes_params_and_mult_adds():
    summary = validate(lenet5())
    assert summary.input == (1, 28, 28)
    assert summary.classes == tuple(str(d) for d in range(10))
    assert summary.loss == "cross_entropy"
    expected = [  # (label, output shape, params, multiply-adds)
        ("conv 5x5", (6, 28, 28), 6 * (25 + 1), 6 * 28 * 28 * 25),
        ("relu", (6, 28, 28), 0, 0),
        ("maxpool 2x2", (6, 14, 14), 0, 0),
        ("conv 5x5", (16, 10, 10), 16 * (6 * 25 + 1), 16 * 10 * 10 * 6 * 25),
        ("relu", (16, 10, 10), 0, 0),
        ("maxpool 2x2", (16, 5, 5), 0, 0),
        ("dense 120", (120,), 120 * 401, 120 * 400),
        ("relu", (120,), 0, 0),
        ("dense 84", (84,), 84 * 121, 84 * 120),
        ("relu", (84,), 0, 0),
        ("dense 10", (10,), 10 * 85, 10 * 84),
    ]
    got = [(info.label, info.out_shape, info.params, info.macs) for info in summary.layers]
    assert got == expected
    assert [info.index for info in summary.layers] == list(range(11))
    assert summary.params == 61_706
    assert summary.macs == 416_520
    assert summary.output_shape == (10,)
    # each layer's input is the previous layer's output
    shapes = [summary.input] + [info.out_shape for info in summary.layers]
    assert [info.in_shape for info in summary.layers] == shapes[:-1]
    table = summary.table()
    assert "61,706" in table and "416,520" in table and "16x5x5" in table


def test_fashion_2conv_params():
    value = make_spec(conv(32, 5, padding="same"), layer("relu"), maxpool(2),
                      conv(64, 5, padding="same"), layer("relu"), maxpool(2),
                      dense(1024), layer("relu"), layer("dropout", rate=0.4), dense(10),
                      input=(1, 28, 28), classes=[str(d) for d in range(10)])
    summary = validate(value)
    assert [info.out_shape for info in summary.layers][:6] == [
        (32, 28, 28), (32, 28, 28), (32, 14, 14), (64, 14, 14), (64, 14, 14), (64, 7, 7)]
    assert summary.params == 3_274_634  # the figure TensorFlow's tutorial prints
    assert summary.macs == 32 * 784 * 25 + 64 * 196 * 800 + 1024 * 3136 + 10 * 1024


def test_hand_checked_strides_padding_same_batchnorm_and_implicit_flatten():
    value = make_spec(
        conv(4, 3, stride=2, padding=1),   # 3x15x17 -> (15+2-3)//2+1=8, (17+2-3)//2+1=9
        layer("batchnorm"),                # per channel: 2*4 params
        maxpool(3, stride=2),              # (8-3)//2+1=3, (9-3)//2+1=4
        conv(5, 3, padding="same"),        # keeps 3x4
        avgpool(2, stride=1),              # 2x3
        dense(7),                          # straight on 5x2x3 maps: flattens implicitly
        layer("batchnorm"),                # per feature: 2*7 params
        layer("relu"),
        dense(3),
        input=(3, 15, 17))
    summary = validate(value)
    expected = [  # (output shape, params, multiply-adds)
        ((4, 8, 9), 4 * (3 * 9 + 1), 4 * 8 * 9 * 3 * 9),
        ((4, 8, 9), 2 * 4, 4 * 8 * 9),
        ((4, 3, 4), 0, 0),
        ((5, 3, 4), 5 * (4 * 9 + 1), 5 * 3 * 4 * 4 * 9),
        ((5, 2, 3), 0, 0),
        ((7,), 7 * (30 + 1), 7 * 30),
        ((7,), 2 * 7, 7),
        ((7,), 0, 0),
        ((3,), 3 * 8, 3 * 7),
    ]
    assert [(i.out_shape, i.params, i.macs) for i in summary.layers] == expected
    assert summary.params == 112 + 8 + 185 + 217 + 14 + 24
    assert spec.conv_padding(summary.layers[3].config) == 1


@pytest.mark.parametrize("kernel", [1, 3, 5, 7, 11])
def test_same_padding_keeps_the_size(kernel):
    summary = validate(make_spec(conv(2, kernel, padding="same"), HEAD, input=(1, 11, 13)))
    assert summary.layers[0].out_shape == (2, 11, 13)


def test_dense_straight_after_conv_matches_explicit_flatten():
    implicit = validate(make_spec(conv(4, 3), HEAD))
    explicit = validate(make_spec(conv(4, 3), layer("flatten"), HEAD))
    assert explicit.layers[1].out_shape == (400,)
    assert implicit.layers[1].params == explicit.layers[2].params == 3 * 401
    assert implicit.params == explicit.params


def test_a_network_without_learnable_layers_is_valid():
    summary = validate(make_spec(layer("flatten"), classes=["a", "b"], input=(2, 1, 1)))
    assert summary.output_shape == (2,) and summary.params == 0


# ---- 3. defaults ----------------------------------------------------------------------------

ALL_TYPES = make_spec(
    conv(4, 3), layer("batchnorm"), layer("leaky_relu"), maxpool(3), conv(4, 1, stride=2),
    avgpool(2, stride=1), layer("tanh"), layer("flatten"), layer("dropout"), dense(8),
    layer("sigmoid"), layer("relu"), dense(3, init="glorot"),
    input=(2, 20, 20), name="every type", description="one of each")


def test_normalised_fills_every_default():
    result = normalised(ALL_TYPES)
    assert result["loss"] == "cross_entropy"
    assert result["name"] == "every type" and result["description"] == "one of each"
    assert result["input"] == [2, 20, 20] and result["classes"] == CLASSES
    layers = result["layers"]
    assert layers[0] == {"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": 0,
                         "init": "he"}
    assert layers[1] == {"type": "batchnorm", "momentum": 0.1, "eps": 1e-5}
    assert layers[2] == {"type": "leaky_relu", "slope": 0.01}
    assert layers[3] == {"type": "maxpool", "size": 3, "stride": 3}  # stride defaults to size
    assert layers[4]["stride"] == 2  # given values are kept
    assert layers[5] == {"type": "avgpool", "size": 2, "stride": 1}
    assert layers[8] == {"type": "dropout", "rate": 0.5}
    assert layers[9] == {"type": "dense", "units": 8, "init": "he"}
    assert layers[12]["init"] == "glorot"
    assert [lay["type"] for lay in layers] == [lay["type"] for lay in ALL_TYPES["layers"]]


def test_pool_stride_defaults_to_its_default_size():
    assert normalised(make_spec({"type": "avgpool"}, HEAD))["layers"][0] == {
        "type": "avgpool", "size": 2, "stride": 2}


def test_normalised_is_idempotent_and_leaves_its_argument_alone():
    for value in (ALL_TYPES, lenet5(), make_spec(layer("leaky_relu", slope=0), HEAD, loss="mse")):
        before = copy.deepcopy(value)
        once = normalised(value)
        assert value == before
        assert normalised(once) == once
        assert validate(once) == validate(value)
        json.dumps(once)  # still plain JSON data


def test_normalised_makes_numbers_of_float_fields_floats():
    layers = normalised(make_spec(layer("leaky_relu", slope=0), layer("dropout", rate=0),
                                  HEAD))["layers"]
    assert layers[0]["slope"] == 0.0 and isinstance(layers[0]["slope"], float)
    assert isinstance(layers[1]["rate"], float)


def test_normalised_rejects_an_invalid_spec():
    with pytest.raises(SpecError):
        normalised(make_spec(conv(4, 3)))


# ---- 4. loading files -----------------------------------------------------------------------

def test_load_returns_a_valid_spec(tmp_path):
    path = tmp_path / "lenet5.json"
    path.write_text(json.dumps(lenet5()), encoding="utf-8")
    assert spec.load(path) == lenet5()
    assert spec.load(str(path)) == lenet5()


def test_load_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.json"
    with pytest.raises(SpecError) as info:
        spec.load(path)
    assert str(info.value).startswith(f"{path}: cannot read it")


def test_load_a_folder(tmp_path):
    with pytest.raises(SpecError) as info:
        spec.load(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: cannot read it")


@pytest.mark.parametrize("content", [b'{"input": [1, 28, 28],', b"", b"\xff\xfe{}"],
                         ids=["truncated", "empty", "not utf-8"])
def test_load_invalid_json(tmp_path, content):
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    with pytest.raises(SpecError) as info:
        spec.load(path)
    assert str(info.value).startswith(f"{path}: not valid JSON")


def test_load_valid_json_but_an_invalid_spec(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(make_spec(conv(4, 3), layer("relu"), conv(4, 12), HEAD)))
    with pytest.raises(SpecError) as info:
        spec.load(path)
    error = info.value
    assert str(error).startswith(f"{path}: layer 2 (conv 12x12): field 'kernel' must be <= 11")
    assert (error.layer, error.field) == (2, "kernel")


# ---- regressions: odd input that once escaped as the wrong exception -------------------------

@pytest.mark.parametrize("kind", [["conv"], {"name": "conv"}], ids=["list", "object"])
def test_an_unhashable_layer_type_is_a_spec_error(kind):
    error = error_of(make_spec(layer(kind), HEAD))
    assert "layer 0: unknown type" in str(error)
    assert (error.layer, error.field) == (0, "type")


def test_a_huge_integer_in_a_float_field_is_a_spec_error():
    error = error_of(make_spec(layer("dropout", rate=10 ** 400), HEAD))
    assert "layer 0 (dropout): field 'rate'" in str(error)
    assert (error.layer, error.field) == (0, "rate")


@pytest.mark.parametrize("content", ['{"input": [' + "1" * 5000 + ']}', "[" * 100_000],
                         ids=["5000-digit integer", "deeply nested"])
def test_load_json_that_python_cannot_parse(tmp_path, content):
    path = tmp_path / "odd.json"
    path.write_text(content)
    with pytest.raises(SpecError) as info:
        spec.load(path)
    assert str(info.value).startswith(f"{path}: not valid JSON")


def test_a_bool_kernel_is_not_named_in_the_layer_label():
    error = error_of(make_spec(conv(4, True), HEAD))
    assert "layer 0 (conv): field 'kernel' must be a whole number, not True" in str(error)


@pytest.mark.parametrize("where", ["top level", "layer"])
def test_unknown_keys_of_mixed_types(where):
    value = make_spec(HEAD)
    target = value if where == "top level" else value["layers"][0]
    target.update({1: "x", "zz": "y"})
    error_of(value)


def test_a_tiny_batchnorm_eps_keeps_outputs_finite():
    # An eps that rounds to 0 in float32 is refused; the smallest allowed keeps 1/sqrt(var+eps)
    # finite on a channel that is constant over the batch (a dead ReLU).
    with pytest.raises(SpecError, match="field 'eps' must be >= 1e-12"):
        spec.validate(make_spec(layer("batchnorm", eps=1e-50), HEAD))
    net = Network(make_spec(conv(2, 3), layer("relu"), layer("batchnorm", eps=1e-12), HEAD,
                            input=(1, 3, 3)), seed=0)
    x = np.ones((2, 1, 3, 3), np.float32)
    net.layers[0].weight.value[...] = -1.0  # every output negative: ReLU gives constant zeros
    _, _, outputs = net.loss(x, np.array([0, 1]), training=True)
    assert np.isfinite(outputs).all()


def test_input_gradient_of_a_network_without_parameters():
    net = Network(make_spec(layer("flatten"), classes=["a", "b"], input=(1, 1, 2)), seed=0)
    x = np.array([[[[1.0, 2.0]]], [[[3.0, 4.0]]]], np.float32)
    _, grad, _ = net.loss(x, np.array([0, 1]))
    dx = net.backward(grad, input_grad=True)
    np.testing.assert_array_equal(dx, grad.reshape(x.shape))


# ---- 5. random specs: a clear SpecError, or a network that runs -----------------------------

SCALAR_JUNK = st.one_of(st.none(), st.booleans(), st.text(max_size=4), st.floats(),
                        st.integers(-10 ** 6, 10 ** 6), st.just(10 ** 400))
JUNK = st.one_of(SCALAR_JUNK, st.lists(st.integers(0, 9), max_size=2),
                 st.dictionaries(st.text(max_size=2), st.integers(0, 9), max_size=1))


def bad_int(low: int, high: int):
    return st.one_of(st.integers(-5, low - 1), st.integers(high + 1, high + 50),
                     st.integers(low, high).map(float), st.booleans(),
                     st.integers(low, high).map(str), JUNK)


def bad_float(low: float, high: float):
    return st.one_of(st.floats(max_value=low, exclude_max=True),
                     st.floats(min_value=high, exclude_min=True), st.just(math.nan),
                     st.booleans(), st.just("0.5"), JUNK)


BAD_CHOICE = st.one_of(st.sampled_from(["He", "xavier", "", "same"]), JUNK)

# For each layer type: field -> (valid values, invalid values). Valid sizes stay small so a
# network is quick to run; kernels sometimes reach 11 to exercise "bigger than the input".
FIELD_VALUES = {
    "conv": {"filters": (st.integers(1, 6), bad_int(1, 4096)),
             "kernel": (st.one_of(st.integers(1, 5), st.integers(1, 11)), bad_int(1, 11)),
             "stride": (st.integers(1, 3), bad_int(1, 11)),
             "padding": (st.one_of(st.integers(0, 3), st.just("same")), bad_int(0, 10)),
             "init": (st.sampled_from(["he", "glorot"]), BAD_CHOICE)},
    "dense": {"units": (st.integers(1, 16), bad_int(1, 65536)),
              "init": (st.sampled_from(["he", "glorot"]), BAD_CHOICE)},
    "maxpool": {"size": (st.integers(1, 4), bad_int(1, 16)),
                "stride": (st.integers(1, 4), bad_int(1, 16))},
    "avgpool": {"size": (st.integers(1, 4), bad_int(1, 16)),
                "stride": (st.integers(1, 4), bad_int(1, 16))},
    "relu": {}, "tanh": {}, "sigmoid": {}, "flatten": {},
    "leaky_relu": {"slope": (st.floats(0, 1), bad_float(0, 1))},
    "dropout": {"rate": (st.floats(0, 0.99), bad_float(0, 0.99))},
    "batchnorm": {"momentum": (st.floats(0, 1, exclude_min=True), bad_float(0, 1)),
                  "eps": (st.floats(1e-12, 1), bad_float(1e-12, 1))},
}
MAP_TYPES = ["conv", "maxpool", "avgpool", "relu", "leaky_relu", "tanh", "sigmoid", "dropout",
             "batchnorm"]
VECTOR_TYPES = ["dense", "relu", "leaky_relu", "tanh", "sigmoid", "dropout", "batchnorm"]


def chance(draw, percent: int) -> bool:
    """True with about `percent` % probability (hypothesis draws small floats far too often for
    `floats(0, 1) < p` to work; its integers are close to uniform)."""
    return draw(st.integers(0, 99)) < percent


@st.composite
def random_layer(draw, kind: str, mistakes: int):
    """A layer of `kind`; with `mistakes` % probability each, the layer is junk, or a field is
    left out or invalid, or a junk field joins; otherwise each field is valid or defaulted."""
    def mistake() -> bool:
        return chance(draw, mistakes)

    if chance(draw, mistakes // 3):
        return draw(st.one_of(JUNK, st.builds(dict), st.just({"type": "pooling"}),
                              st.fixed_dictionaries({"type": JUNK})))
    config = {"type": kind}
    for name, (valid, invalid) in FIELD_VALUES[kind].items():
        required = spec.FIELDS[kind][name].default is None
        if mistake():
            choice = draw(st.sampled_from(["invalid", "missing"]))
            if choice == "invalid":
                config[name] = draw(invalid)
        elif required or draw(st.booleans()):
            config[name] = draw(valid)
    if mistake():
        config[draw(st.sampled_from(["size", "units", "colour", "filter"]))] = draw(JUNK)
    return config


@st.composite
def random_spec(draw):
    mistakes = draw(st.sampled_from([0, 0, 1, 5, 20]))
    n_classes = draw(st.integers(2, 5))
    classes = [f"class {i}" for i in range(n_classes)]
    if chance(draw, mistakes):
        classes[-1] = draw(st.sampled_from([classes[0], "", 7]))
    value = {"input": [draw(st.integers(1, 3)), draw(st.integers(1, 20)), draw(st.integers(1, 20))],
             "classes": classes}
    if chance(draw, mistakes):
        value["input"][draw(st.integers(0, 2))] = draw(bad_int(1, 1024))
    if draw(st.booleans()):
        value["loss"] = draw(st.sampled_from(["cross_entropy", "mse"]))
    if chance(draw, mistakes):
        value[draw(st.sampled_from(["loss", "colour"]))] = draw(JUNK)

    head = chance(draw, 75)
    n_body = draw(st.integers(0 if head else 1, 7))
    if draw(st.booleans()):  # any order of any types
        kinds = draw(st.lists(st.sampled_from(list(FIELD_VALUES)), min_size=n_body,
                              max_size=n_body))
    else:  # maps, then perhaps a flatten, then vectors: the usual shape of a CNN
        n_maps = draw(st.integers(0, n_body))
        kinds = draw(st.lists(st.sampled_from(MAP_TYPES), min_size=n_maps, max_size=n_maps))
        if n_maps < n_body and draw(st.booleans()):
            kinds.append("flatten")
        rest = n_body - len(kinds)
        kinds += draw(st.lists(st.sampled_from(VECTOR_TYPES), min_size=rest, max_size=rest))
    layers = [draw(random_layer(kind, mistakes)) for kind in kinds]
    if head:
        layers.append(dense(n_classes))
    value["layers"] = layers
    return value


def check_network_runs(value: dict, summary: spec.Summary) -> None:
    n_classes = len(value["classes"])
    assert summary.output_shape == (n_classes,)
    net = Network(value, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *summary.input)).astype(np.float32)
    labels = rng.integers(0, n_classes, 2)

    # every layer's real output has the inferred shape, and its real parameter count
    taps = net.forward_taps(x)
    for tap, info, built in zip(taps, summary.layers, net.layers, strict=True):
        assert tap.shape == (2, *info.out_shape), info.label
        assert np.isfinite(tap).all(), info.label
        assert sum(p.value.size for p in built.params().values()) == info.params, info.label

    outputs = net.forward(x)
    assert outputs.shape == (2, n_classes)
    assert np.isfinite(outputs).all()

    loss, grad, _ = net.loss(x, labels, training=True)
    assert math.isfinite(loss)
    assert grad.shape == (2, n_classes)
    net.backward(grad)
    for name, param in net.named_parameters():
        assert param.grad.shape == param.value.shape, name
        assert np.isfinite(param.grad).all(), name

    _, grad, _ = net.loss(x, labels, training=True)
    dx = net.backward(grad, input_grad=True)
    assert dx.shape == x.shape
    assert np.isfinite(dx).all()


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_spec())
def test_a_random_spec_fails_clearly_or_builds_a_network_that_runs(value):
    before = repr(value)
    try:
        summary = validate(value)
    except SpecError as error:
        message = str(error)
        assert message
        if error.layer is not None:
            assert 0 <= error.layer < len(value["layers"])
            assert f"layer {error.layer}" in message
        event("SpecError naming a layer" if error.layer is not None else "SpecError on the spec")
        assert repr(value) == before  # validate never changes its argument
        return
    assert repr(value) == before
    event("valid")
    check_network_runs(value, summary)


def test_a_field_without_a_lower_bound_is_checked_against_its_upper_bound_only():
    from cnnviz.engine.spec import Field, SpecError, _check_field

    assert _check_field("units", Field(int, high=10), -5, "layer 0 (dense)", 0) == -5
    with pytest.raises(SpecError, match="field 'units' must be <= 10, not 11"):
        _check_field("units", Field(int, high=10), 11, "layer 0 (dense)", 0)
