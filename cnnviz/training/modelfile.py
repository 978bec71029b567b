"""The .cnnviz model file: a zip of model.json (spec, classes, dataset preprocessing, training
record) and weights.safetensors (every state_dict entry). Saving is atomic; loading trusts nothing
and turns every fault into a ModelFileError that names the file and says what is wrong."""
from __future__ import annotations

import io
import json
import posixpath
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import safetensors.numpy

import cnnviz
from cnnviz.data.errors import DataError
from cnnviz.engine import spec as specs
from cnnviz.engine.network import Network
from cnnviz.files import atomic_write

FORMAT, VERSION = "cnnviz-model", 1
MODEL_JSON, SAFETENSORS, NPZ = "model.json", "weights.safetensors", "weights.npz"
MAX_JSON = 10 * 2**20
# Above the largest valid network (spec.MAX_PARAMS float64 values, 400 MB), far below a zip bomb.
MAX_MEMBER = 512 * 2**20


class ModelFileError(DataError):
    """A model file that cannot be loaded, or a network that must not be saved. str(error) is the
    whole message for the user and starts with the file's path."""


@dataclass(frozen=True)
class ModelFile:
    """A loaded model file. network: built from the saved spec, with the saved weights and
    buffers. classes: the class names in the order of the network's outputs. dataset: {"name",
    "preprocessing": {"channels": C, "size": [H, W], "digit_like": bool, "background": "white" or
    "black"}}, how images were made into the network's input. training: free-form record (steps,
    epochs, hyperparameters, seed, test accuracy; cnnviz_version and saved_at, UTC ISO 8601)."""
    network: Network
    classes: tuple[str, ...]
    dataset: dict
    training: dict


def _dataset_problem(dataset, input_shape) -> str | None:
    """What is wrong with a dataset description, or None. Its preprocessing must make the
    network's input shape: the app prepares images with it, and they must fit the network."""
    if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str):
        return "it must be an object with a 'name'"
    pre = dataset.get("preprocessing")
    if not isinstance(pre, dict):
        return "it has no 'preprocessing' object"
    size = pre.get("size") if isinstance(pre.get("size"), list) else [None]
    shape = [pre.get("channels"), *size]
    if shape != list(input_shape) or not all(type(n) is int for n in shape):  # True == 1: no bools
        return (f"its preprocessing (channels {pre.get('channels')!r}, size {pre.get('size')!r}) "
                f"does not make the network's input {list(input_shape)}")
    if type(pre.get("digit_like")) is not bool or pre.get("background") not in ("white", "black"):
        return "its preprocessing needs 'digit_like' (true/false) and 'background' (white/black)"
    return None


def _plain(value):  # json.dumps fallback: training records often hold numpy numbers
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} cannot be saved in a model file")


def save_model(path, network: Network, dataset: dict, training: dict) -> None:
    """Write a model file atomically: the file at path is the old one or the whole new one,
    never half written. Refuses (ModelFileError) a network with NaN or infinite weights."""
    path = Path(path)
    dataset = json.loads(json.dumps(dataset, default=_plain))  # plain JSON: tuples become lists
    if problem := _dataset_problem(dataset, network.input_shape):
        raise ValueError(f"the dataset description is invalid: {problem}")
    state = network.state_dict()
    bad = next((key for key, value in state.items() if not np.isfinite(value).all()), None)
    if bad is not None:  # such a file would be refused on loading: say so now, not later
        raise ModelFileError(f"{path}: not saved: the network holds NaN or infinite weights (in "
                             f"'{bad}'); training diverged, so reset it or lower the learning rate")
    saved_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    model = {"format": FORMAT, "version": VERSION, "spec": network.spec,
             "classes": list(network.classes), "dataset": dataset,
             "training": dict(training, cnnviz_version=cnnviz.__version__, saved_at=saved_at)}
    # Serialise before touching the disk, so most mistakes never create a temporary file.
    model_bytes = json.dumps(model, indent=2, default=_plain).encode("utf-8")
    weights = safetensors.numpy.save(state)
    with atomic_write(path) as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MODEL_JSON, model_bytes)
            archive.writestr(SAFETENSORS, weights)


def _check_members(infos, fail) -> None:
    """Refuse the whole file for any member whose name escapes the folder (we never extract, but
    such a file was made to attack) or that claims to unpack to more than MAX_MEMBER."""
    for info in infos:
        name = info.filename.replace("\\", "/")
        if (name.startswith("/") or re.match(r"[A-Za-z]:", name)
                or posixpath.normpath(name).split("/")[0] == ".."):
            raise fail(f"holds a path that escapes its folder ({info.filename!r}); refused")
        if info.file_size > MAX_MEMBER:
            raise fail(f"holds {info.filename!r}, which claims to unpack to {info.file_size:,} "
                       f"bytes, more than the limit of {MAX_MEMBER:,}")


def _read_members(path: Path, fail) -> tuple[bytes, str, bytes]:
    """(model.json, weights name, weights bytes), read inside the try: a damaged zip fails in many
    ways (BadZipFile, CRC, zlib, EOFError). zipfile yields no more than a member's declared size."""
    try:
        file = open(path, "rb")
    except OSError as exc:
        raise fail("no such file" if isinstance(exc, FileNotFoundError)
                   else f"cannot read it ({exc.strerror or exc})") from None
    with file:
        try:
            with zipfile.ZipFile(file) as archive:
                _check_members(archive.infolist(), fail)
                names = set(archive.namelist())
                if MODEL_JSON not in names:
                    raise fail("not a cnnviz model file (it holds no model.json)")
                if archive.getinfo(MODEL_JSON).file_size > MAX_JSON:
                    raise fail(f"its model.json is larger than the limit of {MAX_JSON:,} bytes")
                weights = next((name for name in (SAFETENSORS, NPZ) if name in names), None)
                if weights is None:
                    raise fail(f"holds no weights ({SAFETENSORS} or {NPZ})")
                return archive.read(MODEL_JSON), weights, archive.read(weights)
        except ModelFileError:
            raise
        except Exception as exc:
            raise fail(f"not a cnnviz model file, or it is damaged ({exc})") from None


def _weights(name: str, data: bytes, fail) -> dict:
    """The arrays of the weights member. safetensors never unpickles; npz is read without pickle."""
    if name == SAFETENSORS:
        try:
            return safetensors.numpy.load(data)
        except Exception as exc:
            raise fail(f"its {SAFETENSORS} is damaged or unreadable ({exc})") from None
    if not data.startswith(b"PK"):  # np.load would read it as one .npy array or a pickle
        raise fail(f"its {NPZ} is not an npz archive")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            _check_members(npz.zip.infolist(), fail)  # a zip inside the zip: the same limits
            return {key: npz[key] for key in npz.files}
    except ModelFileError:
        raise
    except Exception as exc:
        pickled = isinstance(exc, ValueError) and "allow_pickle" in str(exc)
        raise fail("holds object arrays, which cnnviz will not load (they need pickle)" if pickled
                   else f"its {NPZ} is damaged or unreadable ({exc})") from None


def load_model(path, dtype=np.float32) -> ModelFile:
    """Read a model file into a network of the given dtype; ModelFileError if it is unusable."""
    path = Path(path)
    fail = lambda why: ModelFileError(f"{path}: {why}")
    model_bytes, weights_name, weights_bytes = _read_members(path, fail)
    try:
        model = json.loads(model_bytes)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError too
        raise fail(f"its model.json is not valid JSON ({exc})") from None
    if not isinstance(model, dict):
        raise fail("its model.json is not a JSON object")
    if model.get("format") != FORMAT:
        raise fail(f"not a cnnviz model file (its format is {model.get('format')!r})")
    version = model.get("version")
    if type(version) is not int or version < 1:
        raise fail(f"its model format version {version!r} is not valid (a whole number from 1)")
    if version > VERSION:
        raise fail(f"was saved by a newer cnnviz (model format {version}); this cnnviz reads "
                   f"format {VERSION}")
    try:
        network = Network(model.get("spec"), dtype=dtype)
    except specs.SpecError as exc:
        raise fail(f"its network is invalid: {exc}") from None
    if model.get("classes", list(network.classes)) != list(network.classes):
        raise fail("its class names do not match its network's")
    if problem := _dataset_problem(model.get("dataset"), network.input_shape):
        raise fail(f"its dataset description is invalid: {problem}")
    if not isinstance(model.get("training", {}), dict):
        raise fail("its training record is not a JSON object")
    state = _weights(weights_name, weights_bytes, fail)
    for key, value in state.items():
        if not (isinstance(value, np.ndarray) and value.dtype.kind == "f"):
            raise fail(f"its weight '{key}' is not an array of floating-point numbers")
        if not np.isfinite(value).all():
            raise fail(f"holds NaN or infinite weights (in '{key}')")
    try:
        network.load_state_dict(state)
    except ValueError as exc:
        raise fail(f"its weights do not fit its network: {exc}") from None
    return ModelFile(network, network.classes, model["dataset"], model.get("training", {}))
