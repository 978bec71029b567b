"""A Dataset from a folder of images sorted into one sub-folder per class.

    root/
      cat/   a.jpg  b.png  ...
      dog/   c.jpg  more/d.webp  ...

Class names are the sub-folder names, sorted. Files are read by content (the
extension does not matter) and may sit in nested folders; hidden files and
folders (".DS_Store", ".git") are ignored. A file that cannot be read is skipped
and reported, never fatal: one bad photo must not cost the user the whole folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz.data.dataset import Dataset
from cnnviz.data.errors import DataError
from cnnviz.data.images import FORMAT_LIST, check_image_args, load_image


@dataclass(frozen=True)
class Skipped:
    """A file left out of the dataset, and why (the DataError's message)."""

    path: Path
    reason: str


def load_image_folder(root: str | Path, channels: int, size: tuple[int, int],
                      test_fraction: float = 0.2, seed: int = 0,
                      background: str = "white") -> tuple[Dataset, list[Skipped]]:
    """Load every readable image under ``root`` and split each class train/test.

    Each class keeps n * test_fraction of its n images for test, rounded half up,
    but always at least one for train (so a class with one image is train-only).
    The split and the order of images depend only on the files and ``seed``.
    """
    check_image_args(channels, size, background)
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction!r}")
    # abspath, not resolve: a symlinked folder keeps the name the user gave it.
    root = Path(os.path.abspath(root))
    class_dirs = _class_dirs(root)
    skipped: list[Skipped] = []
    per_class: list[list[np.ndarray]] = []
    for d in class_dirs:
        images = []
        for f in _image_files(d):
            try:
                images.append(load_image(f, channels, size, background))
            except DataError as e:
                skipped.append(Skipped(f, str(e)))
        per_class.append(images)
    _check_counts(root, class_dirs, per_class, skipped)

    rng = np.random.default_rng(seed)
    train, test = [], []  # (image, label) pairs
    for label, images in enumerate(per_class):
        n = len(images)
        n_test = min(int(n * test_fraction + 0.5), n - 1)
        order = rng.permutation(n)
        test += [(images[i], label) for i in order[:n_test]]
        train += [(images[i], label) for i in order[n_test:]]
    # Shuffled across classes so the test browser and the first batches show a mix.
    train_x, train_y = _stack([train[i] for i in rng.permutation(len(train))], channels, size)
    test_x, test_y = _stack([test[i] for i in rng.permutation(len(test))], channels, size)
    dataset = Dataset(
        name=root.name or str(root),
        classes=tuple(d.name for d in class_dirs),
        input_shape=(channels, size[0], size[1]),
        train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y,
        description=f"Images from {root}",
        source=str(root),
    )
    return dataset, skipped


def _stack(pairs: list[tuple[np.ndarray, int]], channels: int,
           size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    x = np.empty((len(pairs), channels, size[0], size[1]), dtype=np.float32)
    for i, (image, _) in enumerate(pairs):
        x[i] = image
    return x, np.array([label for _, label in pairs], dtype=np.int64)


def _class_dirs(root: Path) -> list[Path]:
    if not root.exists():
        raise DataError(f"{root}: no such folder")
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder of class folders")
    dirs = sorted((p for p in root.iterdir() if p.is_dir() and not _hidden(p.name)),
                  key=lambda p: p.name)
    if len(dirs) < 2:
        found = f"only {dirs[0].name!r}" if dirs else "none"
        raise DataError(f"{root} needs at least two class folders (one sub-folder per class, "
                        f"holding that class's images); found {found}")
    return dirs


def _image_files(folder: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not _hidden(d)]  # os.walk then skips them
        files.extend(Path(dirpath) / f for f in filenames if not _hidden(f))
    return sorted(files)


def _hidden(name: str) -> bool:
    return name.startswith(".")


def _check_counts(root: Path, class_dirs: list[Path], per_class: list[list[np.ndarray]],
                  skipped: list[Skipped]) -> None:
    if not any(per_class):
        why = f"; {len(skipped)} file(s) could not be read" if skipped else ""
        raise DataError(f"{root} holds no readable images ({FORMAT_LIST}) in its class "
                        f"folders{why}")
    empty = [d.name for d, images in zip(class_dirs, per_class) if not images]
    if empty:
        names = ", ".join(repr(n) for n in empty)
        raise DataError(f"{root}: class folder(s) {names} hold no readable images; every "
                        f"class needs at least one")
