"""The Input pane on its own: drawing with the mouse (brush, eraser, clear, brush size, pen
colour), the test-set browser, opening and dropping image files (and a corrupt one), and the
top-3 prediction it is given."""
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QFontMetrics
from PySide6.QtWidgets import QApplication

from cnnviz.app.panes.input_dock import InputPane
from cnnviz.data.images import load_image

CLASSES = ["cat", "dog", "bird", "fish"]


class Pane:
    """An InputPane with its dialogs replaced: file paths to answer "Open image…" with, the
    colour to answer the colour dialog with, and the errors it showed."""

    def __init__(self, qtbot):
        self.paths: list[str] = []
        self.colour = QColor("red")
        self.errors: list[tuple[str, str]] = []
        self.widget = InputPane(
            show_error=lambda _parent, title, text: self.errors.append((title, text)),
            ask_path=lambda _parent: self.paths.pop(0) if self.paths else None,
            ask_colour=lambda _parent, _current: self.colour, seed=0)
        qtbot.addWidget(self.widget)
        self.widget.resize(360, 720)
        self.widget.show()
        qtbot.waitExposed(self.widget)


@pytest.fixture
def harness(qtbot):
    return Pane(qtbot)


@pytest.fixture
def grey(harness):
    harness.widget.configure(1, (28, 28), False, CLASSES)
    return harness.widget


@pytest.fixture
def colour(harness):
    harness.widget.configure(3, (32, 32), False, CLASSES)
    return harness.widget


def at(canvas, fx: float, fy: float) -> QPoint:
    """The widget point over a place in the picture, given as fractions of its width and height."""
    target = canvas._target()
    return QPoint(round(target.left() + fx * target.width()),
                  round(target.top() + fy * target.height()))


def stroke(qtbot, pane, points, button=Qt.LeftButton):
    """Press, move through and release at `points` (fractions of the picture); returns the
    probe the pane then sends."""
    canvas = pane.canvas
    with qtbot.waitSignal(pane.probe_changed, timeout=3000) as sent:
        qtbot.mousePress(canvas, button, pos=at(canvas, *points[0]))
        for point in points[1:]:
            qtbot.mouseMove(canvas, at(canvas, *point))
        qtbot.mouseRelease(canvas, button, pos=at(canvas, *points[-1]))
    probe = sent.args[0]
    np.testing.assert_array_equal(probe, pane.probe())
    return probe


LINE = [(0.2, 0.2), (0.35, 0.2), (0.5, 0.2), (0.65, 0.2), (0.8, 0.2)]  # across the top


def test_a_mouse_stroke_draws_white_on_black_where_it_goes(qtbot, grey):
    assert grey.probe().shape == (1, 28, 28) and grey.probe().max() == 0
    probe = stroke(qtbot, grey, LINE)
    assert not probe.flags.writeable and probe.dtype == np.float32
    line = probe[0, 4:8].max(axis=0)  # the rows the line crosses, at y = 0.2 * 28
    assert line[7:21].min() > 0.8, "the whole line is drawn, not only where it began"
    assert probe[0, 12:, :].max() == 0 and probe[0, :, :2].max() == 0  # nothing elsewhere
    # Round a corner: the stroke follows the mouse (not a straight line to where it let go).
    probe = stroke(qtbot, grey, [(0.2, 0.6), (0.5, 0.6), (0.8, 0.6), (0.8, 0.75), (0.8, 0.9)])
    assert probe[0, 16:18, 8:20].max(axis=0).min() > 0.8  # along y = 0.6 * 28
    assert probe[0, 18:24, 21:24].max(axis=1).min() > 0.8  # down x = 0.8 * 28
    assert probe[0, 19:21, 11:13].max() < 0.05  # the straight line from start to end: not drawn
    preview = grey.prediction.preview.pixmap().toImage()  # what the network is given, enlarged
    scale = preview.width() / 28
    row = int(np.argmax(probe[0, :, 14]))
    assert preview.pixelColor(int(14.5 * scale), int((row + 0.5) * scale)).lightness() > 200
    assert preview.pixelColor(int(14.5 * scale), int(20.5 * scale)).lightness() < 20


def test_the_eraser_and_the_right_button_rub_out(qtbot, grey):
    def line(probe):
        return probe[0, 4:8].max(axis=0)
    stroke(qtbot, grey, LINE)
    qtbot.mouseClick(grey.tools.eraser_button, Qt.LeftButton)
    assert grey.tools.eraser_button.isChecked() and not grey.tools.brush_button.isChecked()
    probe = stroke(qtbot, grey, LINE[:3])  # the left half
    assert line(probe)[4:12].max() < 0.05 and line(probe)[17:21].min() > 0.8
    qtbot.mouseClick(grey.tools.brush_button, Qt.LeftButton)
    probe = stroke(qtbot, grey, LINE[2:], button=Qt.RightButton)  # the right half
    assert line(probe).max() < 0.05
    probe = stroke(qtbot, grey, [(0.5, 0.7), (0.5, 0.8)])  # the brush draws again
    assert probe[0, 20, 14] > 0.8


def test_clear_empties_the_canvas_and_sends_the_empty_probe(qtbot, colour):
    assert colour.probe().shape == (3, 32, 32) and colour.probe().min() == 1  # white paper
    probe = stroke(qtbot, colour, LINE)
    assert probe[:, round(0.2 * 32), 10:22].max() < 0.1  # black ink, in all three channels
    with qtbot.waitSignal(colour.probe_changed) as sent:
        qtbot.mouseClick(colour.tools.clear_button, Qt.LeftButton)
    assert sent.args[0].min() == 1 and colour.canvas.is_blank()


def test_the_pen_colour_of_a_colour_dataset(qtbot, harness, colour):
    assert colour.tools.colour_button.isVisible()
    qtbot.mouseClick(colour.tools.colour_button, Qt.LeftButton)  # the dialog answers red
    probe = stroke(qtbot, colour, LINE)
    np.testing.assert_allclose(probe[:, round(0.2 * 32), 16], [1, 0, 0], atol=0.02)
    colour.configure(1, (28, 28), False, CLASSES)
    assert not colour.tools.colour_button.isVisible()  # grey datasets draw white on black


def ink(probe) -> float:
    return float(probe.sum())


def test_brush_size_sets_the_width_of_the_line(qtbot, grey):
    grey.tools.size_slider.setValue(6)
    assert grey.canvas.brush_size() == 6
    thin = ink(stroke(qtbot, grey, [(0.3, 0.5), (0.7, 0.5)]))
    qtbot.mouseClick(grey.tools.clear_button, Qt.LeftButton)
    grey.tools.size_slider.setValue(60)
    assert grey.canvas.brush_size() == 60
    thick = ink(stroke(qtbot, grey, [(0.3, 0.5), (0.7, 0.5)]))
    assert thick > 3 * thin > 0


def test_a_digit_like_drawing_is_centred_like_mnist(qtbot, harness):
    pane = harness.widget
    pane.configure(1, (28, 28), True, [str(d) for d in range(10)])
    probe = stroke(qtbot, pane, [(0.1, 0.1), (0.1, 0.3)])  # a short stroke in a corner
    weights = probe[0] / probe[0].sum()
    rows, cols = np.indices((28, 28))
    assert abs((weights * rows).sum() - 13.5) < 2.5 and abs((weights * cols).sum() - 13.5) < 2.5


@pytest.fixture
def test_set(grey):
    x = np.stack([np.full((1, 28, 28), (i + 1) / 10, np.float32) for i in range(6)])
    y = np.array([0, 1, 2, 0, 1, 2])
    assert not grey.browser.next_button.isEnabled()  # nothing to browse yet
    grey.set_test_set(x, y)
    return x, y


def index_of(pane, x) -> int:
    """Which test image the probe is (the images are constant, all different)."""
    matches = [i for i in range(len(x)) if np.array_equal(pane.probe(), x[i])]
    assert len(matches) == 1
    return matches[0]


def test_browse_the_test_set(qtbot, grey, test_set):
    x, y = test_set
    sent, seen = [], []
    grey.probe_changed.connect(sent.append)
    for button in ("next", "next", "prev", "prev", "prev"):
        qtbot.mouseClick(getattr(grey.browser, f"{button}_button"), Qt.LeftButton)
        seen.append(index_of(grey, x))
    assert seen == [0, 1, 0, 5, 4]  # wrapping round at both ends
    assert grey.browser.status.text() == "Test image 5 of 6; true class: dog."
    qtbot.waitUntil(lambda: bool(sent) and np.array_equal(sent[-1], x[4]), timeout=3000)
    for _ in range(10):
        before = index_of(grey, x)
        qtbot.mouseClick(grey.browser.random_button, Qt.LeftButton)
        assert index_of(grey, x) != before  # always another picture


def test_browse_only_the_misclassified(qtbot, grey, test_set):
    x, y = test_set
    assert not grey.browser.only_wrong.isEnabled()  # not known before an evaluation
    errors = np.array([4, 1, 9])
    grey.set_misclassified(errors, step=200)  # 9 is not a test image: ignored
    assert grey.browser.only_wrong.isEnabled()
    box = grey.browser.only_wrong
    with qtbot.waitSignal(grey.fresh_errors_wanted, timeout=1000):  # asks for a fresh list
        qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))  # the tick box
    assert box.isChecked()
    assert grey.browser.status.text() == "2 of 6 test images misclassified at step 200."
    seen = []
    for button in ("next", "next", "next", "prev"):
        qtbot.mouseClick(getattr(grey.browser, f"{button}_button"), Qt.LeftButton)
        seen.append(index_of(grey, x))
    assert seen == [1, 4, 1, 4]
    # While browsing, the count stays in view; a new evaluation replaces the list.
    assert grey.browser.status.text().endswith("\n2 of 6 test images misclassified at step 200.")
    grey.set_misclassified(errors, step=200)  # the same evaluation again: nothing to redo
    assert "2 of 6" in grey.browser.status.text()
    grey.set_misclassified(np.array([4]), step=400)
    assert grey.browser.status.text().endswith("1 of 6 test images misclassified at step 400.")
    for _ in range(4):
        qtbot.mouseClick(grey.browser.random_button, Qt.LeftButton)
        assert index_of(grey, x) in (1, 4)
    grey.set_misclassified([])
    assert not grey.browser.next_button.isEnabled()
    qtbot.mouseClick(grey.browser.next_button, Qt.LeftButton)
    assert index_of(grey, x) == 4  # nothing to go to
    qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))
    assert not box.isChecked() and grey.browser.next_button.isEnabled()


def write_png(path, mode, size, colour, box=None, box_colour=None):
    image = Image.new(mode, size, colour)
    if box:
        image.paste(box_colour, box)
    image.save(path)
    return str(path)


def test_open_image_loads_the_file_as_the_probe(qtbot, harness, colour, tmp_path):
    path = write_png(tmp_path / "red.png", "RGB", (50, 40), (200, 20, 20), (10, 10, 30, 30),
                     (20, 20, 200))
    harness.paths.append(path)
    with qtbot.waitSignal(colour.probe_changed) as sent:
        qtbot.mouseClick(colour.open_button, Qt.LeftButton)  # the dialog answers the path
    expected = load_image(path, 3, (32, 32), "white")
    np.testing.assert_array_equal(sent.args[0], expected)
    np.testing.assert_array_equal(colour.probe(), expected)
    assert harness.errors == []
    qtbot.mouseClick(colour.open_button, Qt.LeftButton)  # cancelled: nothing changes
    np.testing.assert_array_equal(colour.probe(), expected)
    assert harness.errors == []


def test_open_image_on_a_grey_dataset(qtbot, harness, grey, tmp_path):
    path = write_png(tmp_path / "square.png", "L", (56, 56), 0, (14, 14, 42, 42), 255)
    harness.paths.append(path)
    qtbot.mouseClick(grey.open_button, Qt.LeftButton)
    np.testing.assert_array_equal(grey.probe(), load_image(path, 1, (28, 28), "black"))
    assert grey.probe()[0, 14, 14] == 1 and grey.probe()[0, 2, 2] == 0


def test_a_corrupt_image_shows_an_error_and_leaves_the_pane_usable(qtbot, harness, grey,
                                                                     tmp_path):
    stroke(qtbot, grey, LINE)
    before = grey.probe()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00 not really an image" * 10)
    harness.paths.append(str(bad))
    qtbot.mouseClick(grey.open_button, Qt.LeftButton)
    assert len(harness.errors) == 1
    title, text = harness.errors[0]
    assert title == "Cannot open image" and "broken.png" in text
    np.testing.assert_array_equal(grey.probe(), before)  # the drawing is still there
    probe = stroke(qtbot, grey, [(0.5, 0.6), (0.5, 0.9)])  # still draws
    assert probe[0, 20, 14] > 0.8
    good = write_png(tmp_path / "good.png", "L", (28, 28), 0, (0, 0, 14, 28), 255)
    harness.paths.append(good)
    qtbot.mouseClick(grey.open_button, Qt.LeftButton)  # still opens files
    np.testing.assert_array_equal(grey.probe(), load_image(good, 1, (28, 28), "black"))
    assert len(harness.errors) == 1


def test_a_dropped_image_file_becomes_the_probe(qtbot, colour, tmp_path):
    path = write_png(tmp_path / "blue.png", "RGB", (32, 32), (0, 0, 255))
    point = at(colour.canvas, 0.5, 0.5)
    text = QMimeData()
    text.setText("not a file")
    enter = QDragEnterEvent(point, Qt.CopyAction, text, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(colour.canvas, enter)
    assert not enter.isAccepted()  # only files may be dropped
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    enter = QDragEnterEvent(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(colour.canvas, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(point), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(colour.probe_changed) as sent:
        QApplication.sendEvent(colour.canvas, drop)
    assert drop.isAccepted()
    np.testing.assert_array_equal(sent.args[0], load_image(path, 3, (32, 32), "white"))


def texts(labels):
    return [label.text() for label in labels]


def test_the_prediction_shows_the_top_three(qtbot, grey, test_set):
    x, y = test_set
    grey.show_prediction(np.array([0.1, 0.6, 0.0001, 0.2999]))
    assert texts(grey.prediction.class_labels) == ["dog", "fish", "cat"]
    assert texts(grey.prediction.percent_labels) == ["60.0 %", "30.0 %", "10.0 %"]
    grey.show_prediction(np.array([0.0002, 0.0001, 0.9996, 0.0001]))
    assert texts(grey.prediction.class_labels)[:2] == ["bird", "cat"]
    assert texts(grey.prediction.percent_labels) == ["100.0 %", "< 0.1 %", "< 0.1 %"]
    grey.show_test_image(2)  # a bird
    assert grey.prediction.verdict.text() == "Correct."
    grey.show_test_image(3)  # a cat
    assert grey.prediction.verdict.text() == "Wrong: the true class is cat."
    for bad in (None, np.array([0.5, 0.5]), np.array([np.nan, 0.5, 0.2, 0.3])):
        grey.show_prediction(bad)  # none, another network's, a diverged one: no prediction
        assert texts(grey.prediction.class_labels) == ["—", "", ""]
        assert texts(grey.prediction.percent_labels) == [""] * 3
        assert "No prediction yet" in grey.prediction.verdict.text()


def test_a_long_class_name_stays_on_one_line(qtbot, grey):
    """The top class shrinks its font, then elides, rather than wrapping into the widgets below."""
    grey.resize(300, grey.height())
    grey.show()
    qtbot.waitExposed(grey)
    label = grey.prediction.class_labels[0]
    big = label.fitted()[0].pointSizeF()
    label.setText("an exceedingly long class name that cannot fit in the pane")
    font, shown = label.fitted()
    assert label.text().startswith("an exceedingly long")  # the whole name, for tests and tooltips
    assert font.pointSizeF() < big and shown.endswith("…")
    assert QFontMetrics(font).horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.height() < 2 * QFontMetrics(font).height() + 4  # one line
