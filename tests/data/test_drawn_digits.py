"""MNIST's recipe makes a digit drawn large, dark on white and off-centre look like a test image."""
import numpy as np
from PIL import Image, ImageDraw

from cnnviz.data.images import mnist_style


def draw_seven(canvas: int, scale: float, offset: tuple[int, int], ink: int, paper: int) -> np.ndarray:
    """A thick '7' (bar and diagonal) on a square canvas, as float in [0, 1]."""
    image = Image.new("L", (canvas, canvas), paper)
    draw = ImageDraw.Draw(image)
    x, y = offset
    width = max(1, int(2 * scale))  # the stroke scales with the digit
    draw.line([(x, y), (x + 12 * scale, y)], fill=ink, width=width)
    draw.line([(x + 12 * scale, y), (x + 4 * scale, y + 18 * scale)], fill=ink, width=width)
    return np.asarray(image, np.float32) / 255


def blurred(image: np.ndarray) -> np.ndarray:
    """A 3x3 box blur: compares shapes without punishing a one-pixel offset, as a CNN's first
    layers do not either."""
    padded = np.pad(image[0], 1)
    return sum(padded[i:i + 28, j:j + 28] for i in range(3) for j in range(3)) / 9


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(blurred(a).ravel(), blurred(b).ravel())[0, 1])


def test_a_large_off_centre_digit_becomes_the_test_image():
    reference = mnist_style(draw_seven(28, 1.0, (8, 5), ink=255, paper=0))  # MNIST-like already
    drawn = mnist_style(draw_seven(280, 8.0, (150, 40), ink=0, paper=255))  # big, dark, off-centre
    assert drawn.shape == reference.shape == (1, 28, 28)
    correlation = similarity(drawn, reference)
    assert correlation > 0.9, correlation
    # and it is not just any blob: a differently shaped stroke correlates much less
    other = mnist_style(draw_seven(280, 8.0, (150, 40), ink=0, paper=255)[::-1].copy())
    assert similarity(other, reference) < correlation - 0.2
