"""The Dataset record every data source produces and the rest of cnnviz consumes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """An image classification dataset held in memory.

    Images are float32 in [0, 1], laid out NCHW; labels are int64 class indices.
    The arrays are made read-only in place on construction, so a Dataset can be
    shared between threads (the GUI and the training worker) without copies.
    """

    name: str
    classes: tuple[str, ...]
    input_shape: tuple[int, int, int]  # (channels, height, width)
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("Dataset.name must be a non-empty string")
        _check_classes(self.classes)
        _check_input_shape(self.input_shape)
        for split in ("train", "test"):
            _check_split(self, split)
        for field in ("description", "source"):
            if not isinstance(getattr(self, field), str):
                raise ValueError(f"Dataset.{field} must be a string")
        for arr in (self.train_x, self.train_y, self.test_x, self.test_y):
            arr.setflags(write=False)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _check_classes(classes: object) -> None:
    if not isinstance(classes, tuple) or not classes:
        raise ValueError("Dataset.classes must be a non-empty tuple of strings")
    if not all(isinstance(c, str) and c for c in classes):
        raise ValueError("Dataset.classes must contain only non-empty strings")
    if len(set(classes)) != len(classes):
        raise ValueError(f"Dataset.classes has duplicate names: {classes!r}")


def _check_input_shape(shape: object) -> None:
    ok = (
        isinstance(shape, tuple)
        and len(shape) == 3
        and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in shape)
    )
    if not ok:
        raise ValueError(
            f"Dataset.input_shape must be a tuple of 3 positive ints (C, H, W), got {shape!r}"
        )


def _check_split(ds: Dataset, split: str) -> None:
    x_name, y_name = f"{split}_x", f"{split}_y"
    x, y = getattr(ds, x_name), getattr(ds, y_name)
    if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim != 4:
        raise ValueError(f"Dataset.{x_name} must be a 4-D float32 numpy array (N, C, H, W), "
                         f"got {_describe(x)}")
    if x.shape[1:] != tuple(ds.input_shape):
        raise ValueError(f"Dataset.{x_name} images have shape {x.shape[1:]}, "
                         f"expected input_shape {tuple(ds.input_shape)}")
    if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.ndim != 1:
        raise ValueError(f"Dataset.{y_name} must be a 1-D int64 numpy array, got {_describe(y)}")
    if len(y) != len(x):
        raise ValueError(f"Dataset.{y_name} has {len(y)} labels but {x_name} has {len(x)} images")
    if x.size:
        lo, hi = float(x.min()), float(x.max())
        # Written so that NaN fails too (every comparison with NaN is False).
        if not (lo >= 0.0 and hi <= 1.0):
            raise ValueError(f"Dataset.{x_name} values must lie in [0, 1], got [{lo}, {hi}]")
    if y.size and not (y.min() >= 0 and y.max() < len(ds.classes)):
        raise ValueError(f"Dataset.{y_name} labels must lie in [0, {len(ds.classes) - 1}], "
                         f"got [{y.min()}, {y.max()}]")


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"{a.ndim}-D {a.dtype} array of shape {a.shape}"
    return type(a).__name__
