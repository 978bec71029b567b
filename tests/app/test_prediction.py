"""The Prediction box's wording without Qt: which probabilities it shows, the top three and their
percentages, the verdict on a test image, and when a saliency map is drawn over the preview."""
import numpy as np
import pytest

from cnnviz.app.panes.prediction import (
    DRAW,
    PENDING,
    UNAVAILABLE,
    class_name,
    heat_outcome,
    percent,
    predicted_class,
    ranked,
    usable,
    verdict,
)

CLASSES = ["cat", "dog", "bird", "fish"]


@pytest.mark.parametrize("p, text", [
    (0.6, "60.0 %"), (1.0, "100.0 %"), (0.0, "0.0 %"), (0.12345, "12.3 %"),
    (0.0004, "< 0.1 %"), (0.0005, "0.1 %"),  # unlikely but possible: not "0.0 %"
])
def test_percentages(p, text):
    assert percent(p) == text


def test_the_top_three_most_likely_first_with_their_percentages():
    assert ranked(np.array([0.1, 0.6, 0.0001, 0.2999]), CLASSES) == [
        ("dog", "60.0 %"), ("fish", "30.0 %"), ("cat", "10.0 %")]


def test_ties_keep_the_classes_order_and_few_classes_give_few_rows():
    assert [name for name, _ in ranked(np.array([0.25] * 4), CLASSES)] == ["cat", "dog", "bird"]
    assert ranked(np.array([0.3, 0.7]), ["no", "yes"]) == [("yes", "70.0 %"), ("no", "30.0 %")]


def test_a_class_without_a_name_is_called_by_its_number():
    assert class_name(CLASSES, 2) == "bird" and class_name(CLASSES, 4) == "class 4"
    assert ranked(np.array([0.2, 0.8]), ["only"])[0] == ("class 1", "80.0 %")


def test_only_one_probability_per_class_and_finite_ones_are_shown():
    p = usable([0.5, 0.5, 0.0, 0.0], 4)
    assert p.dtype == np.float64 and p.tolist() == [0.5, 0.5, 0, 0]
    assert usable(None, 4) is None
    assert usable(np.array([0.5, 0.5]), 4) is None  # another network's
    assert usable(np.array([np.nan, 0.5, 0.2, 0.3]), 4) is None  # a diverged one
    assert usable(np.array([np.inf, 0, 0, 0]), 4) is None


def test_the_verdict_on_a_test_image():
    p = np.array([0.1, 0.2, 0.6, 0.1])
    assert verdict(p, 2, CLASSES) == ("Correct.", "correct")
    assert verdict(p, 0, CLASSES) == ("Wrong: the true class is cat.", "wrong")
    assert verdict(p, None, CLASSES) == ("", None)  # a drawing or a file: nothing to judge
    assert verdict(None, 2, CLASSES) == ("No prediction yet: train the network.", "muted")
    assert verdict(None, None, ()) == ("", "muted")  # no dataset yet


def test_the_predicted_class():
    assert predicted_class(np.array([0.1, 0.2, 0.6, 0.1])) == 2 and predicted_class(None) is None


PROBE = np.zeros((3, 8, 6), np.float32)
HEAT = np.ones((8, 6), np.float32)


def test_a_map_of_the_probes_size_is_drawn():
    assert heat_outcome(HEAT, "saliency", 1, PROBE) == DRAW
    assert heat_outcome(HEAT, "gradcam", 0, PROBE) == DRAW


def test_a_map_asked_for_that_the_snapshot_lacks_cannot_be_made():
    assert heat_outcome(None, "gradcam", 1, PROBE) == UNAVAILABLE


@pytest.mark.parametrize("heat, mode, class_index, probe", [
    (None, None, None, PROBE),                  # Explain is off
    (HEAT, "saliency", 1, None),                # no probe shown yet
    (None, "saliency", 1, None),
    (np.ones((6, 8)), "saliency", 1, PROBE),    # a map of another probe
    (HEAT, None, 1, PROBE),                     # a map that says not what it explains
    (HEAT, "saliency", None, PROBE),
])
def test_otherwise_the_map_is_pending(heat, mode, class_index, probe):
    assert heat_outcome(heat, mode, class_index, probe) == PENDING
