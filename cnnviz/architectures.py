"""The built-in architectures shipped as JSON in assets/architectures, each with its training
recipe (training/recipe.py)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from cnnviz.engine import spec as specs
from cnnviz.training import recipe as recipes


def _folder():
    return resources.files("cnnviz.assets") / "architectures"


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".json"))


def load_architecture(name_or_path: str) -> dict:
    """A built-in architecture by name, or a spec from a JSON file path, its recipe (if it has
    one) checked too; errors name the file."""
    if name_or_path in builtin_names():
        with resources.as_file(_folder() / f"{name_or_path}.json") as path:
            return load_file(path)
    path = Path(name_or_path)
    if path.suffix != ".json" and not path.exists():
        raise specs.SpecError(f"no architecture named {name_or_path!r}; built in: "
                              f"{', '.join(builtin_names())}, or give a .json file")
    return load_file(path)


def load_file(path) -> dict:
    """The spec in an architecture JSON file, its recipe (if any) checked too; SpecError names
    the file and what is wrong."""
    spec = specs.load(path)
    try:
        recipes.of_spec(spec)
    except specs.SpecError as exc:
        raise specs.SpecError(f"{path}: {exc}", field=exc.field) from None
    return spec


def recipe_of(spec: dict) -> recipes.Recipe:
    """How to train an architecture: its own recipe, else the defaults (recipe.DEFAULT)."""
    return recipes.of_spec(spec) or recipes.DEFAULT


def fit_to_dataset(spec: dict, input_shape, classes) -> dict:
    """The spec for another dataset: its input shape and classes, and a last dense layer with one
    unit per class. Whether the rest still fits is for validation to say."""
    layers = [dict(layer) for layer in spec["layers"]]
    if layers and layers[-1].get("type") == "dense":
        layers[-1]["units"] = len(classes)
    return dict(spec, input=list(input_shape), classes=list(classes), layers=layers)
