"""Labels rewritten with every snapshot do not make Qt lay out the window again."""
import numpy as np
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from cnnviz.app.panes.input_dock import InputPane
from cnnviz.app.panes.steady_label import SteadyLabel
from tests.app.settling import LayoutRequests, settle


def test_text_that_fits_changes_only_the_label_and_wider_text_grows_it(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    label = SteadyLabel("  step 99999  ")
    QVBoxLayout(parent).addWidget(label)
    parent.show()
    qtbot.waitExposed(parent)
    settle(qtbot)  # the layout of the first show
    width = label.width()
    requests = LayoutRequests()
    for step in range(1, 200, 7):
        label.setText(f"step {step}")
        QApplication.processEvents()
    assert requests.count == 0 and label.width() == width
    label.setText("step 1234567890123456789")  # wider than foreseen: it grows, once
    QApplication.processEvents()
    requests.close()
    assert requests.count >= 1 and label.width() > width
    assert label.width() >= label.sizeHint().width()


def test_new_probabilities_do_not_lay_out_the_input_pane(qtbot):
    pane = InputPane(show_error=lambda *a: None, ask_path=lambda *a: None,
                     ask_colour=lambda *a: None, seed=0)
    qtbot.addWidget(pane)
    pane.resize(360, 720)
    pane.show()
    qtbot.waitExposed(pane)
    pane.configure(1, (28, 28), False, ["cat", "dog", "bird", "fish"])
    pane.show_prediction(np.array([0.1, 0.6, 0.0001, 0.2999]))
    settle(qtbot)
    requests = LayoutRequests()
    for p in np.linspace(0.5, 0.85, 20):  # the same ranking, new percentages
        pane.show_prediction(np.array([0.02, p, 0.0, 0.98 - p]))
        pane.show_saliency(None)
        QApplication.processEvents()
    requests.close()
    assert requests.count == 0
    assert pane.prediction.percent_labels[0].text() == "85.0 %"
