"""Between the Input dock's pictures and the network's probe, without Qt: which paper a dataset
draws on, how the canvas's picture or an opened file becomes the probe, and how a probe is shown
again as an RGB picture (in the canvas and the "network input" preview).

The preparation itself is the data layer's (cnnviz.data.images: array_to_input, digit_input,
load_image, load_digit, which `cnnviz predict` uses too); this module only picks which of them a
dataset needs, so that the choice is made in one place and can be tested without a window.
Grey datasets are drawn in white ink on black (as MNIST and Fashion-MNIST look); colour datasets
on white. Digit-like datasets (MNIST, KMNIST) are cropped, scaled and centred as MNIST's digits
were."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnviz.data.images import array_to_input, digit_input, load_digit, load_image


def paper(channels: int) -> str:
    """The background a dataset's pictures are drawn on: "white" for colour, "black" for grey."""
    return "white" if channels == 3 else "black"


def drawing_probe(rgb: np.ndarray, channels: int, size: tuple[int, int],
                  digit_like: bool) -> np.ndarray:
    """The canvas's (H, W, 3) uint8 picture as the network's input: float32 (C, *size),
    read-only."""
    if digit_like:
        probe = digit_input(rgb[:, :, 0], size)
    elif channels == 1:
        probe = array_to_input(rgb[:, :, 0], 1, size, paper(1))
    else:
        probe = array_to_input(rgb, 3, size, paper(3))
    return frozen_copy(probe)


def file_probe(path: str | Path, channels: int, size: tuple[int, int], digit_like: bool,
               loaded_at: tuple[int, int]) -> np.ndarray:
    """An image file as the network's input (a digit is read at `loaded_at`, the canvas's picture
    size, so that its crop keeps detail). Raises DataError for a file it cannot read."""
    if digit_like:
        return load_digit(path, size, loaded_at)
    return load_image(path, channels, size, paper(channels))


def frozen_copy(probe: np.ndarray) -> np.ndarray:
    """A read-only float32 copy: every pane that receives the probe shares it, and the array it
    came from (a test image of the dataset) stays writable."""
    p = np.array(probe, dtype=np.float32, copy=True)
    p.setflags(write=False)
    return p


def to_rgb8(probe: np.ndarray) -> np.ndarray:
    """(C, H, W) float in [0, 1] -> (H, W, 3) uint8 for display."""
    a = np.round(np.clip(probe, 0.0, 1.0) * 255).astype(np.uint8)
    a = np.repeat(a, 3, axis=0) if a.shape[0] == 1 else a
    return np.ascontiguousarray(a.transpose(1, 2, 0))
