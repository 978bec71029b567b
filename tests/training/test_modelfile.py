"""The .cnnviz model file: exact round trips, atomic saving, and a plain-words refusal (never a
traceback) for every kind of bad file."""
import io
import json
import os
import zipfile

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnviz
from cnnviz.architectures import builtin_names, load_architecture
from cnnviz.data.errors import DataError
from cnnviz.engine.network import Network
from cnnviz.training import modelfile
from cnnviz.training.modelfile import ModelFile, ModelFileError, load_model, save_model

SMALL = {"name": "small", "input": [1, 8, 8], "classes": ["a", "b"],
         "layers": [{"type": "conv", "filters": 2, "kernel": 3}, {"type": "batchnorm"},
                    {"type": "relu"}, {"type": "maxpool"}, {"type": "flatten"},
                    {"type": "dense", "units": 2}]}
TRAINING = {"steps": 120, "epochs": 2, "hyperparameters": {"lr": 0.01, "optimizer": "sgd"},
            "seed": 7, "test_accuracy": np.float32(0.875)}


def dataset_for(spec):
    channels, height, width = spec["input"]
    return {"name": "test data", "preprocessing": {"channels": channels, "size": [height, width],
                                                  "digit_like": False, "background": "black"}}


def trained_looking(spec, seed=3):
    """A network whose weights and buffers all differ from a fresh one's."""
    network = Network(spec, seed=seed)
    rng = np.random.default_rng(seed)
    for layer in network.layers:
        for buf in layer.buffers().values():
            buf[...] = rng.uniform(0.5, 2.0, buf.shape)
    return network


def save_small(tmp_path, name="small.cnnviz"):
    path = tmp_path / name
    save_model(path, trained_looking(SMALL), dataset_for(SMALL), TRAINING)
    return path


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def small_members(tmp_path, **replace):
    """The small model file's members, some replaced (a value of None removes the member)."""
    contents = dict(members(save_small(tmp_path, "original.cnnviz")), **replace)
    return {name: data for name, data in contents.items() if data is not None}


def write_zip(path, contents):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return path


def rewritten(tmp_path, change_model=None, state=None, extra=None):
    """The small model file with its model.json changed, other weights, or extra members."""
    contents = members(save_small(tmp_path, "original.cnnviz"))
    if change_model:
        model = json.loads(contents["model.json"])
        change_model(model)
        contents["model.json"] = json.dumps(model).encode()
    if state is not None:
        contents["weights.safetensors"] = safetensors.numpy.save(state)
    contents.update(extra or {})
    return write_zip(tmp_path / "bad.cnnviz", contents)


def refused(path, *words):
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    for word in words:
        assert word in message, message
    assert "Traceback" not in message
    return message


# ---- round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", builtin_names() + ["small-with-batchnorm"])
def test_round_trip_is_exact(tmp_path, name):
    spec = SMALL if name == "small-with-batchnorm" else load_architecture(name)
    network = trained_looking(spec)
    path = tmp_path / "model.cnnviz"
    save_model(path, network, dataset_for(spec), TRAINING)
    loaded = load_model(path)
    assert isinstance(loaded, ModelFile)
    assert loaded.network.spec == network.spec and loaded.classes == network.classes
    before, after = network.state_dict(), loaded.network.state_dict()
    assert before.keys() == after.keys()
    for key in before:
        assert after[key].dtype == np.float32 and after[key].tobytes() == before[key].tobytes(), key
    x = np.random.default_rng(0).standard_normal((3, *network.input_shape)).astype(np.float32)
    assert np.array_equal(loaded.network.predict_proba(x), network.predict_proba(x))
    assert loaded.dataset == dataset_for(spec)


def test_training_record_and_zip_layout(tmp_path):
    path = save_small(tmp_path)
    loaded = load_model(path)
    assert loaded.training["steps"] == 120 and loaded.training["hyperparameters"]["lr"] == 0.01
    assert loaded.training["test_accuracy"] == pytest.approx(0.875)  # a numpy float, saved
    assert loaded.training["cnnviz_version"] == cnnviz.__version__
    assert loaded.training["saved_at"].endswith("+00:00")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["model.json", "weights.safetensors"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
        model = json.loads(archive.read("model.json"))
    assert model["format"] == "cnnviz-model" and model["version"] == 1
    assert model["classes"] == ["a", "b"] and model["spec"]["layers"][1]["momentum"] == 0.1


def test_float64_load(tmp_path):
    network = trained_looking(SMALL)
    loaded = load_model(save_small(tmp_path), dtype=np.float64).network
    assert loaded.dtype == np.float64
    for key, value in network.state_dict().items():
        assert loaded.state_dict()[key].dtype == np.float64
        assert np.array_equal(loaded.state_dict()[key], value.astype(np.float64))


def test_npz_weights_load(tmp_path):
    network = trained_looking(SMALL)
    buffer = io.BytesIO()
    np.savez(buffer, **network.state_dict())
    contents = members(save_small(tmp_path))
    del contents["weights.safetensors"]
    path = write_zip(tmp_path / "npz.cnnviz", dict(contents, **{"weights.npz": buffer.getvalue()}))
    for key, value in load_model(path).network.state_dict().items():
        assert np.array_equal(value, network.state_dict()[key])


# ---- saving ----------------------------------------------------------------------------------

def test_failed_save_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = save_small(tmp_path)
    old = path.read_bytes()
    calls = []
    real_writestr = zipfile.ZipFile.writestr

    def failing_writestr(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_writestr(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(OSError, match="No space"):
        save_model(path, Network(SMALL, seed=9), dataset_for(SMALL), {})
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == [path.name]
    calls.clear()
    with pytest.raises(OSError):
        save_model(tmp_path / "new.cnnviz", Network(SMALL), dataset_for(SMALL), {})
    assert os.listdir(tmp_path) == [path.name]


def test_save_replaces_and_keeps_permissions(tmp_path):
    path = save_small(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    save_model(path, Network(SMALL, seed=5), dataset_for(SMALL), {})
    assert path.stat().st_mode & 0o777 == 0o600
    assert np.array_equal(load_model(path).network.state_dict()["0.weight"],
                          Network(SMALL, seed=5).state_dict()["0.weight"])


def test_save_refuses_nan_weights_and_bad_dataset(tmp_path):
    network = Network(SMALL)
    network.layers[0].params()["weight"].value[0, 0, 0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN or infinite"):
        save_model(tmp_path / "m.cnnviz", network, dataset_for(SMALL), {})
    wrong = dataset_for(SMALL)
    wrong["preprocessing"]["size"] = [28, 28]
    with pytest.raises(ValueError, match="does not make the network's input"):
        save_model(tmp_path / "m.cnnviz", Network(SMALL), wrong, {})
    assert os.listdir(tmp_path) == []


# ---- bad files -------------------------------------------------------------------------------

def test_missing_file_and_folder(tmp_path):
    refused(tmp_path / "nothing.cnnviz", "no such file")
    refused(tmp_path, "cannot read it")


def test_truncated_corrupt_random_empty_and_text(tmp_path):
    data = save_small(tmp_path).read_bytes()
    cut = tmp_path / "cut.cnnviz"
    for length in (len(data) // 2, len(data) - 30, 100):
        cut.write_bytes(data[:length])
        refused(cut, "damaged")
    corrupt = bytearray(data)
    middle = len(data) // 2
    corrupt[middle:middle + 8] = bytes(b ^ 0xFF for b in corrupt[middle:middle + 8])
    (tmp_path / "corrupt.cnnviz").write_bytes(bytes(corrupt))
    refused(tmp_path / "corrupt.cnnviz", "damaged")
    (tmp_path / "random.cnnviz").write_bytes(np.random.default_rng(1).bytes(5000))
    refused(tmp_path / "random.cnnviz", "not a cnnviz model file")
    (tmp_path / "empty.cnnviz").write_bytes(b"")
    refused(tmp_path / "empty.cnnviz", "not a cnnviz model file")
    (tmp_path / "text.cnnviz").write_text("hello, this is not a model\n")
    refused(tmp_path / "text.cnnviz", "not a cnnviz model file")


def test_missing_members(tmp_path):
    no_json = small_members(tmp_path, **{"model.json": None})
    refused(write_zip(tmp_path / "a.cnnviz", no_json), "holds no model.json")
    no_weights = small_members(tmp_path, **{"weights.safetensors": None})
    refused(write_zip(tmp_path / "b.cnnviz", no_weights), "holds no weights")


@pytest.mark.parametrize("model_json, words", [
    (b"{not json", ["model.json is not valid JSON"]),
    (b"\xff\xfe\x00garbage", ["model.json is not valid JSON"]),
    (b"[" * 100_000, ["model.json is not valid JSON"]),
    (b"[1, 2]", ["model.json is not a JSON object"]),
    (b'{"format": "something-else", "version": 1}', ["not a cnnviz model file", "something-else"]),
])
def test_bad_model_json(tmp_path, model_json, words):
    contents = small_members(tmp_path, **{"model.json": model_json})
    refused(write_zip(tmp_path / "bad.cnnviz", contents), *words)


@pytest.mark.parametrize("change, words", [
    (lambda m: m.update(version=2), ["was saved by a newer cnnviz (model format 2); "
                                     "this cnnviz reads format 1"]),
    (lambda m: m.update(version="1"), ["model format version '1' is not valid"]),
    (lambda m: m.update(version=True), ["model format version True is not valid"]),
    (lambda m: m.update(version=0), ["model format version 0 is not valid"]),
    (lambda m: m.pop("spec"), ["its network is invalid"]),
    (lambda m: m["spec"]["layers"][0].update(kernel=40), ["its network is invalid", "layer 0"]),
    (lambda m: m["spec"]["layers"][-1].update(units=3), ["its network is invalid", "2 classes"]),
    (lambda m: m.update(classes=["x", "y"]), ["class names do not match"]),
    (lambda m: m["dataset"]["preprocessing"].update(channels=3),
     ["dataset description is invalid"]),
    (lambda m: m["dataset"]["preprocessing"].update(background="grey"), ["'background'"]),
    (lambda m: m.update(dataset="mnist"), ["dataset description is invalid"]),
    (lambda m: m.update(training=[1]), ["training record is not a JSON object"]),
])
def test_bad_model_description(tmp_path, change, words):
    refused(rewritten(tmp_path, change_model=change), *words)


def state_with(key, value):
    """The small network's state with one entry replaced (None: removed)."""
    state = trained_looking(SMALL).state_dict()
    state[key] = value
    return {k: v for k, v in state.items() if v is not None}


@pytest.mark.parametrize("state, words", [
    (state_with("0.weight", np.zeros((2, 1, 5, 5), np.float32)),
     ["weights do not fit its network", "'0.weight' has shape (2, 1, 5, 5)"]),
    (state_with("1.running_var", None), ["weights do not fit", "missing ['1.running_var']"]),
    (state_with("9.weight", np.ones(3, np.float32)), ["do not fit", "unexpected ['9.weight']"]),
    (state_with("0.bias", np.array([np.nan, 0], np.float32)), ["holds NaN or infinite", "0.bias"]),
    (state_with("5.bias", np.array([np.inf, 0], np.float64)), ["holds NaN or infinite weights"]),
    (state_with("0.bias", np.array([1, 2], np.int32)), ["'0.bias' is not an array of floating"]),
])
def test_weights_that_do_not_fit(tmp_path, state, words):
    refused(rewritten(tmp_path, state=state), *words)


@pytest.mark.parametrize("name", ["../evil", "/abs", "a/../../x", "..\\evil", "C:/windows/x"])
def test_member_escaping_its_folder(tmp_path, name):
    refused(rewritten(tmp_path, extra={name: b"boo"}), "holds a path that escapes its folder",
            repr(name))


def test_size_caps(tmp_path, monkeypatch):
    path = rewritten(tmp_path, extra={"notes.txt": b"x" * 5000})
    monkeypatch.setattr(modelfile, "MAX_MEMBER", 4000)
    refused(path, "'notes.txt'", "claims to unpack to 5,000 bytes")
    monkeypatch.setattr(modelfile, "MAX_MEMBER", 512 * 2**20)
    monkeypatch.setattr(modelfile, "MAX_JSON", 100)
    refused(path, "model.json is larger than the limit")


def test_npz_with_object_array_and_bad_npz(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, **{"0.weight": np.array([{"a": 1}, None], dtype=object)})
    for name, npz, words in [
            ("obj", buffer.getvalue(), "holds object arrays, which cnnviz will not load (they "
                                       "need pickle)"),
            ("pickle", b"\x80\x04junk", "weights.npz is not an npz archive"),
            ("cut", buffer.getvalue()[:60], "weights.npz is damaged or unreadable")]:
        contents = small_members(tmp_path, **{"weights.safetensors": None, "weights.npz": npz})
        refused(write_zip(tmp_path / f"{name}.cnnviz", contents), words)


@pytest.mark.parametrize("corrupt", [
    lambda data: data[:8] + b"{not a header" + data[21:],
    lambda data: (10**12).to_bytes(8, "little") + data[8:],  # a header longer than the file
    lambda data: data[:40],
    lambda data: b"",
])
def test_corrupt_safetensors(tmp_path, corrupt):
    contents = members(save_small(tmp_path))
    contents["weights.safetensors"] = corrupt(contents["weights.safetensors"])
    refused(write_zip(tmp_path / "bad.cnnviz", contents), "weights.safetensors is damaged")


def test_model_file_error_is_a_data_error():
    assert issubclass(ModelFileError, DataError)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_damage_is_refused_in_words_or_harmless(tmp_path, data):
    """Flipping any bytes never crashes the loader: it loads or says what is wrong."""
    original = tmp_path / "fuzz-original.cnnviz"
    if not original.exists():
        save_small(tmp_path, original.name)
    damaged = bytearray(original.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        damaged[at] = data.draw(st.integers(0, 255))
    path = tmp_path / "fuzz.cnnviz"
    path.write_bytes(bytes(damaged))
    try:
        load_model(path)
    except ModelFileError as exc:
        assert str(exc).startswith(f"{path}: ")
