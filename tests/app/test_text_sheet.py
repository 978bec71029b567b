"""TextSheet: many labels drawn by one scene item; a changed label is drawn anew on screen."""
import numpy as np
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

from cnnviz.app.panes.text_sheet import TextSheet


def pixels(image) -> np.ndarray:
    image = image.convertToFormat(image.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint32, image.width() * image.height()).reshape(
        image.height(), image.width()).copy()


def test_labels_change_on_screen_as_a_fresh_drawing_shows_them(qtbot, qapp):
    scene = QGraphicsScene()
    sheet = TextSheet(scene, 10, QColor("white"))
    labels = [sheet.add(f"ch {i}", 60 * (i % 5), 30 * (i // 5)) for i in range(20)]
    view = QGraphicsView(scene)
    view.setBackgroundBrush(QColor("black"))
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    qtbot.waitExposed(view)
    before = pixels(view.viewport().grab().toImage())
    labels[7].setText("-0.12 … 3.4")  # wider than before: the bounds grow
    labels[3].setText("")
    qapp.processEvents()
    assert [label.text() for label in labels[2:5]] == ["ch 2", "", "ch 4"]
    assert sheet.boundingRect().contains(labels[7].rect())
    on_screen = QGuiApplication.primaryScreen().grabWindow(view.winId()).toImage()
    fresh = view.viewport().grab().toImage()
    top_left = view.viewport().mapTo(view, view.viewport().rect().topLeft())
    on_screen = on_screen.copy(top_left.x(), top_left.y(), fresh.width(), fresh.height())
    np.testing.assert_array_equal(pixels(on_screen), pixels(fresh))
    assert (pixels(fresh) != before).any()
