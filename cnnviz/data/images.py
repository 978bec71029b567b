"""Turn one image (a file, or the drawing canvas) into a network input.

Everything the user can point at is untrusted, so files are opened with Pillow's
decompression-bomb guard on (its warning turned into an error as well), decoded in
full inside the try so that truncated files fail here rather than later, and
every failure becomes a DataError whose message starts with the file's path.

Sizes are (height, width), like ``Dataset.input_shape[1:]``; inputs are float32
(channels, height, width) in [0, 1].
"""
from __future__ import annotations

import re
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.data.errors import DataError

# Pillow's format name -> the name the user knows it by. MPO is what Pillow calls
# a JPEG from a camera that stores extra pictures (previews) after the first.
FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "BMP": "BMP", "GIF": "GIF",
           "WEBP": "WebP", "TIFF": "TIFF"}
FORMAT_LIST = "PNG, JPEG, BMP, GIF, WebP and TIFF"
# No dataset image needs more, and a side this long with few pixels (say 100000x1)
# slips past Pillow's pixel-count guard yet still makes resizing slow.
MAX_SIDE = 20000
BACKGROUNDS = {"white": 255, "black": 0}
MNIST_SIZE, MNIST_BOX = 28, 20
# Canvas values at or below this count as background when finding the digit, so
# that faint smudges and JPEG noise do not stretch its bounding box.
INK_THRESHOLD = 0.1

# What Pillow raises on bad bytes: the exceptions its own fuzz tests accept
# (Tests/oss-fuzz/test_fuzzers.py), plus the low-level ones a plugin can leak.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, MemoryError, NotImplementedError,
                  OverflowError, IndexError, KeyError, struct.error, zlib.error)


def load_image(path: str | Path, channels: int, size: tuple[int, int],
               background: str = "white") -> np.ndarray:
    """Read an image file as a (channels, height, width) float32 input in [0, 1].

    The image is turned upright by its EXIF orientation, flattened onto
    ``background`` ("white" or "black") if it has transparency, converted to grey
    (1 channel) or RGB (3), shrunk or enlarged to fit inside ``size`` keeping its
    aspect ratio, and padded, centred, with the background colour.
    """
    check_image_args(channels, size, background)
    return _to_input(open_image(path), channels, size, background, str(path))


def open_image(path: str | Path) -> Image.Image:
    """Open, check and fully decode an image file; the result is upright and detached."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not an image file")
    if not path.is_file():  # a pipe or device would block or never end
        raise DataError(f"{path} is not a regular file")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty (0 bytes)")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise DataError(f"{path} cannot be read: {e.strerror or e}") from e
    with f, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(f) as img:
                _check_header(img, path)
                img.load()
                # exif_transpose always returns a new image, detached from the file.
                return ImageOps.exif_transpose(img)
        except DataError:  # our own header checks; DataError is a ValueError too
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            # Pillow says "Image size (N pixels) exceeds limit of ...".
            m = re.search(r"\((\d+) pixels\)", str(e))
            raise DataError(_bomb_message(path, m.group(1) if m else "too many")) from e
        except UnidentifiedImageError as e:
            f.seek(0)
            kind = _sniff(f.read(16))
            if kind:  # the right start, but Pillow could not even read the header
                raise DataError(f"{path} starts like a {kind} file but is truncated or "
                                f"corrupt") from e
            raise DataError(f"{path} is not an image file (Pillow does not recognise "
                            f"its contents)") from e
        except _DECODE_ERRORS as e:
            raise DataError(f"{path} is truncated or corrupt ({e})") from e


def _check_header(img: Image.Image, path: Path) -> None:
    # These checks read only the header: nothing has been decoded yet.
    if img.format not in FORMATS:
        raise DataError(f"{path} is a {img.format} image; cnnviz reads {FORMAT_LIST} images")
    w, h = img.size
    if max(w, h) > MAX_SIDE:
        raise DataError(f"{path} is {w}x{h} pixels; cnnviz refuses images with a side "
                        f"longer than {MAX_SIDE} pixels")
    # Pillow's warning has already become an error above, unless another thread left
    # catch_warnings meanwhile (it is process-wide state): check again ourselves.
    if Image.MAX_IMAGE_PIXELS is not None and w * h > Image.MAX_IMAGE_PIXELS:
        raise DataError(_bomb_message(path, w * h))


# File signatures of the accepted formats ("magic numbers").
_MAGIC = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
          (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))


def _sniff(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def _bomb_message(path: Path, pixels: object) -> str:
    # Pillow's limit for its error is twice the one for its warning; we refuse both,
    # so name the lower.
    return (f"{path} has {pixels} pixels, more than the {Image.MAX_IMAGE_PIXELS} Pillow allows "
            f"(it may be a decompression bomb)")


def array_to_input(image: np.ndarray, channels: int, size: tuple[int, int],
                   background: str = "white") -> np.ndarray:
    """Like load_image, for an in-memory picture such as the drawing canvas.

    ``image`` is (H, W) grey, or (H, W, 1|3|4) grey, RGB or RGBA; uint8 in
    0..255 or float in [0, 1] (values outside are clipped).
    """
    check_image_args(channels, size, background)
    return _to_input(_array_to_pil(image), channels, size, background, "The image")


def _array_to_pil(a: np.ndarray) -> Image.Image:
    ok = isinstance(a, np.ndarray) and (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (1, 3, 4)))
    if not ok:
        raise DataError(f"The image must be an (H, W) or (H, W, 1|3|4) array, got {_describe(a)}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise DataError(f"The image is empty: shape {a.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise DataError("The image contains NaN or infinite values")
        a = np.round(np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise DataError(f"The image must be uint8 or float, got {a.dtype}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(a))


def _to_input(img: Image.Image, channels: int, size: tuple[int, int], background: str,
              name: str) -> np.ndarray:
    img = _to_mode(img, "L" if channels == 1 else "RGB", BACKGROUNDS[background], name)
    fill = BACKGROUNDS[background] if channels == 1 else (BACKGROUNDS[background],) * 3
    h, w = size
    img = ImageOps.pad(img, (w, h), method=Image.Resampling.LANCZOS, color=fill)
    a = np.asarray(img, dtype=np.float32) / np.float32(255)
    a = a[None] if channels == 1 else a.transpose(2, 0, 1)
    return np.ascontiguousarray(a)


def _to_mode(img: Image.Image, mode: str, bg: int, name: str) -> Image.Image:
    """Convert to 8-bit "L" or "RGB", compositing any transparency onto grey level bg."""
    if img.mode.startswith("I") or img.mode == "F":
        # 16/32-bit integer and float images: Pillow's convert would clip them to
        # 0..255, turning most 16-bit greys white. Integers are taken as 16-bit.
        a = np.asarray(img, dtype=np.float64)
        a = a / 65535 if img.mode != "F" else a
        img = Image.fromarray(np.round(np.clip(a, 0, 1) * 255).astype(np.uint8))
    try:
        if "A" in img.getbands() or "a" in img.getbands() or "transparency" in img.info:
            flat = Image.new("RGBA", img.size, (bg, bg, bg, 255))
            flat.alpha_composite(img.convert("RGBA"))
            img = flat
        return img if img.mode == mode else img.convert(mode)
    except ValueError as e:
        raise DataError(f"{name} uses the colour mode {img.mode}, which cnnviz cannot "
                        f"convert ({e})") from e


def mnist_style(gray: np.ndarray) -> np.ndarray:
    """Prepare a drawn digit the way MNIST's digits were: (1, 28, 28) float32, ink bright.

    A light background is inverted (judged by the border's median), the ink is
    cropped to its bounding box, scaled so its longer side is 20 px, and placed
    in 28x28 so that its centre of mass sits at (14, 14). An empty canvas gives zeros.
    """
    g = np.asarray(gray)
    if g.ndim != 2 or g.shape[0] == 0 or g.shape[1] == 0:
        raise DataError(f"The drawing must be a 2-D grey array, got {_describe(g)}")
    g = g.astype(np.float32) / (255 if g.dtype == np.uint8 else 1)
    if not np.isfinite(g).all():
        raise DataError("The drawing contains NaN or infinite values")
    g = np.clip(g, 0.0, 1.0)
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if np.median(border) > 0.5:
        g = 1.0 - g
    out = np.zeros((1, MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    rows, cols = np.nonzero(g > INK_THRESHOLD)
    if rows.size == 0:
        return out
    digit = g[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    digit = np.where(digit > INK_THRESHOLD, digit, 0).astype(np.float32)
    # MNIST digits all reach full intensity; a pencil-grey stroke should too.
    digit /= digit.max()
    h, w = digit.shape
    scale = MNIST_BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    # Mode "F" keeps the grey levels; Pillow antialiases whenever it shrinks.
    small = Image.fromarray(digit).resize((new_w, new_h), Image.Resampling.BILINEAR)
    small = np.clip(np.asarray(small, dtype=np.float32), 0.0, 1.0)
    total = small.sum()
    if total <= 0:  # a speck that vanished in the resize
        return out
    cy = (small.sum(axis=1) * np.arange(new_h)).sum() / total
    cx = (small.sum(axis=0) * np.arange(new_w)).sum() / total
    # Shift so the centre of mass lands on pixel (14, 14), but never cut the digit off.
    top = int(np.clip(round(MNIST_SIZE / 2 - cy), 0, MNIST_SIZE - new_h))
    left = int(np.clip(round(MNIST_SIZE / 2 - cx), 0, MNIST_SIZE - new_w))
    out[0, top:top + new_h, left:left + new_w] = small
    return out


def digit_input(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A drawn or photographed digit as a digit-like dataset's network takes it: MNIST's recipe
    (mnist_style), then scaled to `size` where the dataset's images are not 28x28. The canvas,
    an opened file and `cnnviz predict` all prepare digits this one way."""
    p = mnist_style(gray)
    return p if p.shape[1:] == tuple(size) else array_to_input(p[0], 1, tuple(size), "black")


def load_digit(path: str | Path, size: tuple[int, int], loaded_at: tuple[int, int]) -> np.ndarray:
    """A digit from an image file: read at `loaded_at` (large, so the crop keeps detail),
    flattened on white (ink on paper, or ink on transparency), then digit_input."""
    return digit_input(load_image(path, 1, loaded_at, "white")[0], size)


def check_image_args(channels: int, size: tuple[int, int], background: str) -> None:
    """Refuse bad arguments: a programming error, not bad input, so a plain ValueError."""
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels!r}")
    ints = isinstance(size, tuple) and len(size) == 2 and all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in size)
    if not ints:
        raise ValueError(f"size must be a (height, width) tuple of positive ints, got {size!r}")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be 'white' or 'black', got {background!r}")


def _describe(a: object) -> str:
    is_array = isinstance(a, np.ndarray)
    return f"a {a.dtype} array of shape {a.shape}" if is_array else f"a {type(a).__name__}"
