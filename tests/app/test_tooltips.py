"""Every pane, dock and control of the main window explains itself in a tooltip of plain
sentences: the toolbar's actions and widgets, each dock and the pane in it, the network view in
the centre, and the buttons, boxes and sliders inside the panes."""
import re

from PySide6.QtGui import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDockWidget,
    QLabel,
    QSlider,
    QToolBar,
    QWidget,
    QWidgetAction,
)

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QSlider)
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z][A-Za-z]*\b")  # snake_case, camelCase


def problem(tip: str) -> str:
    """Why `tip` is not a tooltip of plain sentences, or "" when it is."""
    if not tip.strip():
        return "no tooltip"
    if tip != tip.strip():
        return "spaces around it"
    if Qt.mightBeRichText(tip):
        return "rich text (HTML) instead of plain sentences"
    if not (tip[0].isupper() or tip[0].isdigit()):
        return "does not begin like a sentence"
    if len(re.findall(r"[A-Za-z]{2,}", tip)) < 2:
        return "a word, not a sentence"
    if IDENTIFIER.search(tip):
        return f"a programmer's name in it: {IDENTIFIER.search(tip).group()}"
    if tip.count("(") != tip.count(")"):
        return "unbalanced parentheses"
    return ""


def test_the_sentence_check_itself():
    assert problem("Train on one batch, then pause (S)") == ""
    assert problem("The learning rate; changes take effect at the next batch.") == ""
    for bad in ("", "  ", "lr", "<b>Train</b> or pause", "train or pause", "Sets batch_size.",
                "Calls setValue now", "Train (or pause", " Train or pause"):
        assert problem(bad), bad


def controls_in(widget: QWidget) -> list[QWidget]:
    """The controls a user works inside a widget (not Qt's parts of them, such as a spin box's
    line edit or a table's corner button)."""
    return [child for child in widget.findChildren(QWidget)
            if isinstance(child, CONTROLS) and not child.objectName().startswith("qt_")]


def name_of(widget: QWidget) -> str:
    text = widget.text() if hasattr(widget, "text") else ""
    return f"{type(widget).__name__} {text!r}"


def test_every_toolbar_action_and_control_has_a_tooltip(window):
    bars = window.findChildren(QToolBar)
    assert bars
    checked = []
    for bar in bars:
        for action in bar.actions():
            if action.isSeparator():
                continue
            if isinstance(action, QWidgetAction):
                widget = bar.widgetForAction(action)
                if isinstance(widget, QLabel):
                    continue  # a caption in front of the control it names
                checked.append((name_of(widget), widget.toolTip()))
            else:
                checked.append((f"action {action.text()!r}", action.toolTip()))
                checked.append((f"button {action.text()!r}",
                                bar.widgetForAction(action).toolTip()))
    names = [name for name, _ in checked]
    for expected in ("action 'Train'", "action 'Step'", "action 'Reset'"):
        assert expected in names
    for widget in (window.dataset_box, window.arch_box, window.lr, window.momentum,
                   window.batch, window.optimizer, window.toolbar.schedule, window.augment):
        assert name_of(widget) in names, f"{name_of(widget)} is not in the toolbar"
    bad = [(name, tip, problem(tip)) for name, tip in checked if problem(tip)]
    assert not bad, bad


def test_every_dock_and_the_pane_in_it_have_a_tooltip(window):
    docks = window.findChildren(QDockWidget)
    assert {dock.windowTitle() for dock in docks} >= {"Architecture", "Input", "Curves",
                                                      "Evaluation"}
    bad = []
    for dock in docks:
        for what, widget in (("dock", dock), ("pane", dock.widget())):
            if problem(widget.toolTip()):
                bad.append((dock.windowTitle(), what, widget.toolTip(),
                            problem(widget.toolTip())))
    centre = window.centralWidget()
    assert centre is window.network_view
    if problem(centre.toolTip()):
        bad.append(("centre", "network view", centre.toolTip(), problem(centre.toolTip())))
    assert not bad, bad


def test_every_control_inside_the_panes_has_a_tooltip(window):
    panes = [dock.widget() for dock in window.findChildren(QDockWidget)]
    panes.append(window.centralWidget())
    bad, count = [], 0
    for pane in panes:
        for control in controls_in(pane):
            count += 1
            if problem(control.toolTip()):
                bad.append((type(pane).__name__, name_of(control), control.toolTip(),
                            problem(control.toolTip())))
    assert count >= 15  # the zoom buttons, the canvas tools, the browser, the editor's buttons
    assert not bad, bad


def test_the_confusion_matrix_explains_its_headers_and_cells(window):
    evaluation = window.evaluation
    table = evaluation.table
    for orientation in (Qt.Orientation.Horizontal, Qt.Orientation.Vertical):
        for i, name in enumerate(evaluation.classes):
            tip = table.model().headerData(i, orientation, Qt.ItemDataRole.ToolTipRole)
            assert not problem(tip) and name in tip
    assert not problem(evaluation.strip.toolTip())
