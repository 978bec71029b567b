"""Tests for cnnviz.data.image_folder, on real folders of files written with Pillow."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.data.errors import DataError
from cnnviz.data.image_folder import Skipped, load_image_folder

SIZE = (8, 8)
COLOURS = {"blue": (0, 0, 255), "red": (255, 0, 0)}


def _write(folder: Path, name: str, colour: tuple[int, int, int], fmt: str = "PNG") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.new("RGB", (12, 10), colour).save(path, fmt)
    return path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """pets/red: 10 images (one nested, one JPEG); pets/blue: 10 images; plus junk."""
    root = tmp_path / "pets"
    for i in range(9):
        _write(root / "red", f"r{i}.png", COLOURS["red"])
    _write(root / "red" / "more", "nested.jpg", COLOURS["red"], "JPEG")
    for i in range(10):
        _write(root / "blue", f"b{i}.bmp", COLOURS["blue"], "BMP")
    (root / "blue" / "notes.txt").write_text("not a picture")
    broken = _write(root / "blue", "broken.png", COLOURS["blue"])
    broken.write_bytes(broken.read_bytes()[:40])
    # Hidden things are not classes, not images, not even skipped.
    _write(root / ".thumbnails", "t.png", COLOURS["red"])
    (root / "red" / ".DS_Store").write_bytes(b"\0\1\2")
    _write(root / "red" / ".cache", "c.png", COLOURS["blue"])
    _write(root, "stray.png", COLOURS["red"])  # files beside the class folders are ignored
    return root


def test_classes_split_and_labels(root: Path) -> None:
    ds, skipped = load_image_folder(root, 3, SIZE, test_fraction=0.2, seed=0)
    assert ds.classes == ("blue", "red")
    assert ds.input_shape == (3, 8, 8)
    assert (len(ds.train_x), len(ds.test_x)) == (16, 4)
    assert np.bincount(ds.train_y).tolist() == [8, 8]  # stratified: 2 of each 10 in test
    assert np.bincount(ds.test_y).tolist() == [2, 2]
    for x, y in ((ds.train_x, ds.train_y), (ds.test_x, ds.test_y)):
        mean = x.mean(axis=(2, 3))  # (N, 3)
        is_red = mean[:, 0] > mean[:, 2]
        np.testing.assert_array_equal(is_red, y == ds.classes.index("red"))
    assert ds.name == "pets"
    assert ds.description == f"Images from {root}" and ds.source == str(root)
    assert len(skipped) == 2


def test_grey_and_size(root: Path) -> None:
    ds, _ = load_image_folder(root, 1, (6, 10))
    assert ds.input_shape == (1, 6, 10) and ds.train_x.shape[1:] == (1, 6, 10)


def test_skipped_files_are_reported_with_reasons(root: Path) -> None:
    _, skipped = load_image_folder(root, 3, SIZE)
    assert all(isinstance(s, Skipped) for s in skipped)
    reasons = {s.path.name: s.reason for s in skipped}
    assert set(reasons) == {"notes.txt", "broken.png"}
    assert "is not an image file" in reasons["notes.txt"]
    assert "starts like a PNG file but is truncated or corrupt" in reasons["broken.png"]
    for s in skipped:
        assert s.reason.startswith(str(s.path))


def test_same_seed_same_dataset_other_seed_other_split(root: Path) -> None:
    a, _ = load_image_folder(root, 3, SIZE, seed=3)
    b, _ = load_image_folder(root, 3, SIZE, seed=3)
    c, _ = load_image_folder(root, 3, SIZE, seed=4)
    for field in ("train_x", "train_y", "test_x", "test_y"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    # Which file goes to test is invisible in flat colours; the order of labels shows it.
    assert not (np.array_equal(a.train_y, c.train_y) and np.array_equal(a.test_y, c.test_y))


def test_split_differs_by_seed_on_distinct_images(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        for i in range(10):
            _write(tmp_path / "d" / cls, f"{i}.png", (i * 25, 0, 0))
    tests = {load_image_folder(tmp_path / "d", 3, SIZE, seed=s)[0].test_x.tobytes()
             for s in range(4)}
    assert len(tests) > 1


def test_class_with_one_image_goes_to_train(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "lonely", "only.png", COLOURS["red"])
    for i in range(5):
        _write(tmp_path / "d" / "many", f"{i}.png", COLOURS["blue"])
    # 0.6 of one image rounds to one, but a class keeps at least one image for training.
    ds, _ = load_image_folder(tmp_path / "d", 3, SIZE, test_fraction=0.6)
    assert np.bincount(ds.train_y, minlength=2).tolist() == [1, 2]  # lonely, many
    assert np.bincount(ds.test_y, minlength=2).tolist() == [0, 3]


def test_test_counts_round_half_up(tmp_path: Path) -> None:
    for cls, n in (("five", 5), ("seven", 7)):
        for i in range(n):
            _write(tmp_path / "d" / cls, f"{i}.png", COLOURS["red"])
    ds, _ = load_image_folder(tmp_path / "d", 3, SIZE, test_fraction=0.5)
    assert np.bincount(ds.test_y).tolist() == [3, 4]  # 2.5 -> 3, 3.5 -> 4


def test_no_test_set_when_fraction_is_zero(root: Path) -> None:
    ds, _ = load_image_folder(root, 3, SIZE, test_fraction=0.0)
    assert len(ds.test_x) == 0 and ds.test_x.shape == (0, 3, 8, 8) and len(ds.train_x) == 20


# ---- errors ---------------------------------------------------------------------------

def test_missing_root(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_image_folder(tmp_path / "nowhere", 3, SIZE)


def test_root_is_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "x.png", COLOURS["red"])
    with pytest.raises(DataError, match="is a file, not a folder of class folders"):
        load_image_folder(path, 3, SIZE)


@pytest.mark.parametrize("classes, found", [((), "found none"), (("cats",), "found only 'cats'")])
def test_fewer_than_two_class_folders(tmp_path: Path, classes: tuple[str, ...],
                                      found: str) -> None:
    (tmp_path / "d").mkdir()
    for cls in classes:
        _write(tmp_path / "d" / cls, "a.png", COLOURS["red"])
    (tmp_path / "d" / ".hidden").mkdir()  # does not count
    with pytest.raises(DataError, match=f"needs at least two class folders.*{found}"):
        load_image_folder(tmp_path / "d", 3, SIZE)


def test_class_without_readable_images_is_named(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "good", "a.png", COLOURS["red"])
    (tmp_path / "d" / "bad").mkdir()
    (tmp_path / "d" / "bad" / "a.png").write_text("text, not pixels")
    with pytest.raises(DataError, match="class folder.*'bad' hold no readable images"):
        load_image_folder(tmp_path / "d", 3, SIZE)


def test_no_images_at_all(tmp_path: Path) -> None:
    (tmp_path / "d" / "a").mkdir(parents=True)
    (tmp_path / "d" / "b").mkdir()
    (tmp_path / "d" / "b" / "readme.txt").write_text("hello")
    with pytest.raises(DataError, match=r"holds no readable images .*1 file\(s\) could not"):
        load_image_folder(tmp_path / "d", 3, SIZE)


def test_bad_fraction_is_a_plain_value_error(root: Path) -> None:
    for bad in (-0.1, 1.0, float("nan")):
        with pytest.raises(ValueError, match="test_fraction"):
            load_image_folder(root, 3, SIZE, test_fraction=bad)
