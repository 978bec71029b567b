"""What the status bar says, and for how long (status_text.py, no Qt): the counters, the loop's
news, and the Test action's result."""
import subprocess
import sys
from types import SimpleNamespace

from cnnviz.app.status_text import NEWS_MS, EvaluationReport, LoopNews, counters


def snap(state="running", message="", **fields):
    values = dict(epoch=2, step=340, images_per_s=12345.6, test_accuracy=None,
                  evaluation_step=None, evaluated_images=0, test_loss=None)
    values.update(fields)
    return SimpleNamespace(state=state, message=message, **values)


def test_the_module_loads_no_qt():
    code = ("import sys, cnnviz.app.status_text; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'pyqtgraph'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_counters_say_epoch_step_speed_and_accuracy():
    assert counters(snap()) == "  epoch 2   step 340   12,346 images/s   test accuracy –  "
    assert counters(snap(test_accuracy=0.8766)).endswith("test accuracy 87.7%  ")


def test_news_is_shown_once_for_a_while_and_a_divergence_until_training_goes_on():
    news = LoopNews()
    edit = "Architecture changed: kept the weights of 0 conv 3x3."
    assert news.update(snap(message=edit), "") == (edit, NEWS_MS)
    assert news.update(snap(message=edit), edit) is None  # carried by later snapshots: once
    exploded = "loss exploded to 1e+09 at step 3; learning rate 10 is probably too high"
    assert news.update(snap("diverged", exploded), edit) == (exploded, 0)  # stays
    assert news.update(snap("paused"), exploded) is None
    assert news.update(snap("running"), exploded) == ("", 0)  # trains again: it goes


def test_a_divergence_gone_from_the_bar_is_not_cleared_again():
    news = LoopNews()
    exploded = "loss exploded"
    news.update(snap("diverged", exploded), "")
    assert news.update(snap("running"), "Saved m.cnnviz") is None  # another message: it stays
    calm = LoopNews()
    calm.update(snap(message="the probe image is 1x28x28"), "")
    assert calm.update(snap("running"), "the probe image is 1x28x28") is None  # not a divergence


def test_a_new_session_forgets_the_old_news_and_clears_it_if_still_shown():
    news = LoopNews()
    news.update(snap("diverged", "loss exploded"), "")
    assert news.forget("loss exploded")
    assert news.update(snap("running"), "loss exploded") is None
    news.update(snap(message="an edit"), "")
    assert not news.forget("Saved m.cnnviz")
    assert news.update(snap(message="an edit"), "") == ("an edit", NEWS_MS)  # news again


def test_the_test_result_is_said_once_for_the_first_full_evaluation_after_test():
    report, full = EvaluationReport(), 2000
    before = dict(evaluation_step=200, evaluated_images=full, test_loss=0.5, test_accuracy=0.7)
    assert report.update(snap(**before), full) is None  # Test not pressed
    report.ask()
    assert report.update(snap(**before), full) is None  # the evaluation from before Test
    assert report.update(snap(evaluation_step=210, evaluated_images=1000, test_loss=0.4,
                              test_accuracy=0.75), full) is None  # the periodic one, 1000 images
    after = dict(evaluation_step=210, evaluated_images=full, test_loss=0.4, test_accuracy=0.8)
    assert report.update(snap(**after), full) == \
        "Test accuracy at step 210: 80.0% of all 2,000 test images."
    assert report.update(snap(**after), full) is None  # once
