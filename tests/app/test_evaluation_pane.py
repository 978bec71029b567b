"""The Evaluation pane: class names that stay readable in a narrow dock, the counts in the cells,
the test images behind a clicked cell, and a clicked image becoming the probe of the whole app."""
from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QDockWidget, QMainWindow, QStyle, QWidget

from cnnviz.app.panes.evaluation import MAX_SHOWN, EvaluationPane
from cnnviz.data.catalog import FASHION

LONG = "A class name forty characters long, truly"
assert len(LONG) == 41


@dataclass
class FakeEvaluation:
    """What the pane reads from a training snapshot."""
    confusion: np.ndarray
    misclassified: np.ndarray | None = None
    evaluation_step: int = 200
    test_accuracy: float | None = None
    evaluated_images: int = 0


def evaluation_of(labels, predicted, classes, step=200):
    confusion = np.zeros((classes, classes), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    return FakeEvaluation(confusion, np.flatnonzero(labels != predicted), step,
                          float(np.mean(labels == predicted)), len(labels))


def in_dock(qtbot, pane, width, height=560):
    """The pane in a dock of a main window, the dock `width` pixels wide."""
    win = QMainWindow()
    pane.dock_window = win  # keeps the window (which now owns the pane) alive
    win.setCentralWidget(QWidget())
    dock = QDockWidget("Evaluation", win)
    dock.setWidget(pane)
    win.addDockWidget(Qt.RightDockWidgetArea, dock)
    win.resize(width + 500, height)
    win.show()
    win.resizeDocks([dock], [width], Qt.Horizontal)
    qtbot.waitUntil(lambda: abs(dock.width() - width) <= 2, timeout=5000)
    return win


def header_report(pane):
    """(name, text drawn, room in pixels, tooltip) for every row and column header."""
    table = pane.table
    result = []
    for header in (table.verticalHeader(), table.horizontalHeader()):
        for i in range(header.count()):
            tip = table.model().headerData(i, header.orientation(), Qt.ToolTipRole)
            result.append((header.name(i), header.shown_text(i), header.room(i), tip, header))
    return result


def count_fits(table, row, col) -> bool:
    """Whether the item view draws the cell's count whole (as Qt lays out item text: the cell
    less the style's text margins on each side, elided when it does not fit)."""
    item = table.item(row, col)
    margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    room = table.visualItemRect(item).width() - 2 * margin
    return QFontMetrics(item.font()).elidedText(item.text(), Qt.ElideRight, room) == item.text()


@pytest.fixture
def pane(qtbot):
    widget = EvaluationPane()
    yield widget
    top = widget.window()  # the pane itself, or the main window of its dock
    top.close()
    top.deleteLater()


@pytest.mark.parametrize("largest", [250, 1000])
def test_fashion_names_and_counts_fit_a_400_pixel_dock(qtbot, pane, largest):
    pane.set_classes(FASHION)
    confusion = np.full((10, 10), 7, np.int64)
    confusion[np.diag_indices(10)] = largest
    pane.update_snapshot(FakeEvaluation(confusion, evaluated_images=int(confusion.sum())))
    in_dock(qtbot, pane, 400)
    pane.table.cellClicked.emit(3, 3)  # the clicked count is drawn bold, so wider
    table = pane.table
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=3000)
    assert table.horizontalScrollBar().maximum() == 0, "the matrix scrolls sideways"
    cols = table.horizontalHeader()
    assert sum(cols.sectionSize(i) for i in range(10)) <= table.viewport().width()
    for row in range(10):
        for col in range(10):
            assert count_fits(table, row, col), (row, col, table.item(row, col).text())
    for name, shown, room, tip, header in header_report(pane):
        assert name in tip  # the whole name is in the tooltip, elided or not
        metrics = header.fontMetrics()
        if largest < 1000:  # room for every Fashion-MNIST name, whole
            assert shown == name
            assert metrics.horizontalAdvance(name) <= room
        else:  # four-digit counts leave the names less room: elided, never clipped
            assert shown == name or (shown.endswith("…") and name.startswith(shown[:-1]))
            assert metrics.horizontalAdvance(shown) <= room
    # The Fashion-MNIST names are too long to run across a column: they are turned instead.
    assert cols.rotated


def test_a_long_name_is_elided_with_the_whole_name_in_its_tooltip(qtbot, pane):
    names = list(FASHION)
    names[3] = LONG
    pane.set_classes(names)
    in_dock(qtbot, pane, 400)
    report = header_report(pane)
    assert len(report) == 20
    for name, shown, room, tip, header in report:
        assert header.fontMetrics().horizontalAdvance(shown) <= room
        assert name in tip
        if name == LONG:
            assert shown.endswith("…") and LONG.startswith(shown[:-1]) and len(shown) > 4
        else:
            assert shown == name, "a long name must not take the room of the others"
    assert pane.table.horizontalScrollBar().maximum() == 0
    # Made wide, the pane shows the long name whole across the rows and up the columns.
    pane.window().resize(1500, 900)
    pane.window().resizeDocks([pane.parentWidget()], [900], Qt.Horizontal)
    qtbot.waitUntil(lambda: all(shown == name for name, shown, *_ in header_report(pane)),
                    timeout=3000)


def test_digit_names_run_across_the_columns(qtbot, pane):
    pane.set_classes([str(i) for i in range(10)])
    in_dock(qtbot, pane, 400)
    cols = pane.table.horizontalHeader()
    assert not cols.rotated
    assert cols.height() < 2.5 * cols.fontMetrics().height()
    assert all(shown == name for name, shown, *_ in header_report(pane))


def test_cells_show_the_counts(qtbot, pane):
    pane.set_classes(["a", "b", "c"])
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 0, 1, 1, 2, 2, 2, 0, 2])
    evaluation = evaluation_of(labels, predicted, 3)
    pane.update_snapshot(evaluation)
    table = pane.table
    shown = np.array([[int(table.item(r, c).text()) for c in range(3)] for r in range(3)])
    np.testing.assert_array_equal(shown, [[2, 1, 0], [0, 1, 1], [1, 0, 3]])
    assert "3 test images of 'c' were classified correctly" in table.item(2, 2).toolTip()
    assert "1 test images of 'a' were taken for 'b'" in table.item(0, 1).toolTip()
    assert "step 200" in pane.title.text() and "66.7% correct" in pane.title.text()
    # A later evaluation replaces the counts.
    pane.update_snapshot(evaluation_of(labels, labels, 3, step=400))
    assert [table.item(r, r).text() for r in range(3)] == ["3", "2", "4"]
    assert table.item(0, 1).text() == "0" and "step 400" in pane.title.text()


def click_cell(qtbot, table, row, col):
    rect = table.visualItemRect(table.item(row, col))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())


def click_image(qtbot, strip, k):
    rect = strip.visualItemRect(strip.item(k))
    qtbot.mouseClick(strip.viewport(), Qt.LeftButton, pos=rect.center())


@pytest.fixture
def evaluated(pane, qtbot):
    """Four classes, 60 test images with known predictions, the pane shown."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 4, 60)
    predicted = np.where(rng.random(60) < 0.6, labels, rng.integers(0, 4, 60))
    images = rng.random((60, 1, 12, 12)).astype(np.float32)
    pane.set_classes(["zero", "one", "two", "three"])
    pane.set_test_images(images)
    pane.set_test_labels(labels)
    pane.update_snapshot(evaluation_of(labels, predicted, 4))
    pane.resize(520, 520)
    pane.show()
    qtbot.waitExposed(pane)
    return labels, predicted


@pytest.mark.parametrize("cell", [(1, 1), (2, 0), (3, 2)])
def test_clicking_a_cell_lists_exactly_its_images(qtbot, pane, evaluated, cell):
    labels, predicted = evaluated
    pane.set_predictions(predicted)
    with qtbot.waitSignal(pane.cell_clicked) as clicked:
        click_cell(qtbot, pane.table, *cell)
    assert tuple(clicked.args) == cell
    expected = np.flatnonzero((labels == cell[0]) & (predicted == cell[1]))
    assert len(expected) > 0
    assert pane.shown_indices() == expected.tolist()
    assert int(pane.table.item(*cell).text()) == len(expected)
    assert f"showing {len(expected)}." in pane.caption.text()
    assert pane.table.item(*cell).font().bold()


def test_without_predictions_a_cell_lists_what_the_evaluation_tells(qtbot, pane, evaluated):
    labels, predicted = evaluated
    click_cell(qtbot, pane.table, 2, 2)  # right answers: the row's images not misclassified
    assert pane.shown_indices() == np.flatnonzero((labels == 2) & (predicted == 2)).tolist()
    click_cell(qtbot, pane.table, 2, 0)  # a mistake: every misclassified image of the row
    assert pane.shown_indices() == np.flatnonzero((labels == 2) & (predicted != 2)).tolist()
    assert "predicted class of each image is not known" in pane.caption.text()
    assert not pane.table.item(2, 2).font().bold() and pane.table.item(2, 0).font().bold()


def test_clicking_an_image_offers_its_test_index(qtbot, pane, evaluated):
    labels, predicted = evaluated
    pane.set_predictions(predicted)
    click_cell(qtbot, pane.table, 3, 3)
    indices = pane.shown_indices()
    assert len(indices) >= 3
    for k in (0, len(indices) - 1, 1):
        with qtbot.waitSignal(pane.image_chosen) as chosen:
            click_image(qtbot, pane.strip, k)
        assert chosen.args == [indices[k]]


def test_a_big_cell_shows_at_most_max_shown_images(qtbot, pane):
    labels = np.zeros(MAX_SHOWN + 30, np.int64)
    labels[:5] = 1
    pane.set_classes(["big", "small"])
    pane.set_test_images(np.zeros((len(labels), 3, 8, 8), np.float32))
    pane.set_test_labels(labels)
    pane.update_snapshot(evaluation_of(labels, labels, 2))
    pane.table.cellClicked.emit(0, 0)
    assert pane.shown_indices() == list(range(5, 5 + MAX_SHOWN))
    assert f"showing {MAX_SHOWN} of {MAX_SHOWN + 25}" in pane.caption.text()


def test_another_test_set_drops_the_old_evaluation(qtbot, pane, evaluated):
    labels, predicted = evaluated
    pane.table.cellClicked.emit(1, 1)
    assert pane.shown_indices()
    pane.set_test_labels(labels[::-1].copy())  # another dataset's labels
    assert pane.snapshot is None and pane.shown_indices() == []
    assert pane.table.item(0, 0).text() == "" and "No evaluation yet" in pane.title.text()


def test_a_clicked_test_image_becomes_the_probe_everywhere(qtbot, window, train_until):
    """End to end: train Shapes briefly, evaluate, click a cell and an image of it: the input
    pane, the window and the network view all take that test image as the probe."""
    train_until(qtbot, window, 5)
    window.session.control.request_evaluation()
    evaluation = window.evaluation
    qtbot.waitUntil(lambda: evaluation.snapshot is not None, timeout=30000)
    confusion = evaluation.snapshot.confusion
    assert confusion.sum() == len(window.dataset.test_y)
    np.testing.assert_array_equal(
        [[int(evaluation.table.item(r, c).text()) for c in range(len(confusion))]
         for r in range(len(confusion))], confusion)
    row, col = np.unravel_index(np.argmax(confusion), confusion.shape)
    evaluation.table.scrollToItem(evaluation.table.item(row, col))
    click_cell(qtbot, evaluation.table, row, col)
    indices = evaluation.shown_indices()
    assert indices and all(window.dataset.test_y[i] == row for i in indices)
    predicted = evaluation.snapshot.predictions  # the cell lists exactly its own images
    assert len(indices) == min(confusion[row, col], MAX_SHOWN)
    assert all(predicted[i] == col for i in indices)
    k = min(2, len(indices) - 1)
    evaluation.strip.scrollToItem(evaluation.strip.item(k))
    click_image(qtbot, evaluation.strip, k)
    chosen = window.dataset.test_x[indices[k]]
    np.testing.assert_array_equal(window.input.probe(), chosen)
    assert f"Test image {indices[k] + 1} of" in window.input.browser.status.text()
    qtbot.waitUntil(lambda: window.probe is not None and np.array_equal(window.probe, chosen),
                    timeout=5000)
    np.testing.assert_array_equal(window.network_view.probe, chosen)
    input_column = window.network_view.columns[0]
    qtbot.waitUntil(lambda: input_column.data is not None
                    and np.array_equal(input_column.data, chosen), timeout=30000)
    window.train_action.trigger()  # pause before the window closes
