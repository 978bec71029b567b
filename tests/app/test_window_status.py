"""The main window's status bar and its Test action: what the mouse is over in the network view
shows in the status bar, and Test measures the whole test set now, even while paused."""


def test_hover_text_reaches_the_status_bar_and_leaves_other_messages(qtbot, window):
    bar = window.statusBar()
    window.network_view.hovered.emit("conv 3x3 · ch 2 · (4, 5) = 0.25")
    assert bar.currentMessage() == "conv 3x3 · ch 2 · (4, 5) = 0.25"
    window.network_view.hovered.emit("")
    assert bar.currentMessage() == ""
    bar.showMessage("Download of MNIST cancelled.")
    window.network_view.hovered.emit("")  # the mouse leaving must not wipe another message
    assert bar.currentMessage() == "Download of MNIST cancelled."


def test_test_action_evaluates_the_whole_test_set_while_paused(qtbot, window):
    session = window.session
    qtbot.waitUntil(lambda: session.latest is not None, timeout=20000)
    assert session.control.paused and session.latest.evaluated_images == 0
    window.evaluate_action.trigger()
    assert window.statusBar().currentMessage() == "Testing on the whole test set…"
    qtbot.waitUntil(lambda: session.latest.evaluated_images == len(window.dataset.test_x),
                    timeout=30000)
    # and says the result once it is in
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Test accuracy at step 0:"))
    assert f"of all {len(window.dataset.test_x):,} test images" in window.statusBar().currentMessage()
    latest = session.latest
    assert latest.step == 0 and latest.evaluation_step == 0
    assert latest.confusion.sum() == len(window.dataset.test_x)
    table = window.evaluation.table  # the pane shows this evaluation
    shown = sum(int(table.item(r, c).text() or 0) for r in range(table.rowCount())
                for c in range(table.columnCount()))
    assert shown == len(window.dataset.test_x)


def test_the_network_view_opens_at_its_input_column(qtbot, window):
    """Auto-fit scales about the scene's top left: the input column is in view, not cut off."""
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    canvas = window.network_view.canvas
    left = canvas.mapFromScene(window.network_view.scene.sceneRect().topLeft())
    assert abs(left.x()) <= 2 and abs(left.y()) <= 2  # (rounding)


def test_the_title_names_the_network_and_the_dataset(qtbot, window):
    from cnnviz.architectures import load_architecture
    assert window.windowTitle() == "shapes-small on Shapes[*] — cnnviz"
    assert window.set_architecture(load_architecture("tinyvgg"))
    assert window.windowTitle() == "tinyvgg on Shapes[*] — cnnviz"


def test_a_divergence_message_stays_while_paused_and_clears_when_training_goes_on(
        qtbot, window):
    session = window.session
    window.lr.setValue(10.0)
    window.train_action.trigger()
    qtbot.waitUntil(lambda: session.latest is not None and session.latest.state == "diverged",
                    timeout=30000)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: "is probably too high" in bar.currentMessage())
    window.lr.setValue(0.01)
    window.train_action.trigger()  # Train again, at a sane rate
    qtbot.waitUntil(lambda: session.latest.state == "running", timeout=20000)
    qtbot.waitUntil(lambda: "is probably too high" not in bar.currentMessage())
    window.train_action.trigger()
    qtbot.waitUntil(lambda: session.latest.state == "paused", timeout=20000)


def test_another_dataset_or_reset_clears_old_news_and_the_old_confusion_matrix(qtbot, window):
    session = window.session
    qtbot.waitUntil(lambda: session.latest is not None, timeout=20000)
    window.evaluate_action.trigger()
    qtbot.waitUntil(lambda: window.evaluation.snapshot is not None, timeout=30000)
    assert window.evaluation.title.text().startswith("Test evaluation at step 0")
    news = "loss exploded to 1e+09 at step 3; learning rate 10 is probably too high"
    window.status.news.message = news  # as if the loop had said it
    window.statusBar().showMessage(news)
    window.reset()
    assert window.statusBar().currentMessage() == ""
    assert window.evaluation.snapshot is None
    assert not window.evaluation.title.text().startswith("Test evaluation")
    assert window.evaluation.table.item(0, 0).text() == ""


def test_an_architecture_edit_says_which_layers_kept_their_weights(qtbot, window):
    qtbot.waitUntil(lambda: window.session.latest is not None, timeout=20000)
    window.editor.select_layer(0)
    window.editor.add_layer("conv")  # after conv1, as Add does
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith(
        "Architecture changed: kept the weights of 0 conv 3x3"), timeout=20000)
    assert "new weights for 1 conv 3x3" in window.statusBar().currentMessage()


def test_the_toolbar_boxes_use_the_limits_control_and_the_command_line_check(window):
    from cnnviz.training.hyperparameters import LIMITS

    assert (window.lr.minimum(), window.lr.maximum()) == (LIMITS["lr"].low, LIMITS["lr"].high)
    assert window.momentum.minimum() == 0.0 and window.momentum.maximum() == 0.99  # < 1
    assert (window.batch.minimum(), window.batch.maximum()) == (1, 4096)
