"""The Filter timeline's choices without Qt: the layer chooser's names, the colour scale shared
by a layer's moments (diverged weights left out), which moment the slider stands on when
following, after a choice and once the chosen moment is thinned away, and the words for it."""
import numpy as np

from cnnviz.app.panes import timeline_choice as choice
from cnnviz.training.timeline import LayerMoments, Moment


def moments_at(*steps):
    return [Moment(step, np.full((2, 1, 3, 3), 0.1 * (i + 1), np.float32))
            for i, step in enumerate(steps)]


def test_a_conv_layer_is_named_by_its_place_and_shape():
    assert choice.layer_name(0, (8, 3, 5, 5)) == "conv1 · 8 filters × 3 inputs, 5×5"
    assert choice.layer_name(2, (4, 1, 3, 3)) == "conv3 · 4 filters × 1 input, 3×3"


def test_only_the_first_layer_of_an_rgb_network_names_its_inputs():
    assert choice.input_names(0, (8, 3, 3, 3)) == ["red", "green", "blue"]
    assert choice.input_names(0, (8, 1, 3, 3)) is None
    assert choice.input_names(1, (8, 3, 3, 3)) is None


def test_the_scale_is_the_largest_weight_of_any_moment():
    weights = [np.array([[-0.3, 0.2]]), np.array([[0.1, -0.7]]), np.array([[np.inf, 0.5]])]
    moments = [Moment(i, w.reshape(1, 2, 1, 1)) for i, w in enumerate(weights)]
    assert choice.shared_bound(moments[:1]) == 0.3
    # The diverged moment's inf does not count, its 0.5 does.
    assert choice.shared_bound(moments) == 0.7
    assert choice.shared_bound([Moment(0, np.zeros((1, 1, 3, 3)))]) == 1.0  # all 0: a scale of 1
    assert choice.shared_bound([]) == 1.0


def test_the_slider_follows_the_latest_or_stays_nearest_the_chosen_step():
    moments = moments_at(0, 10, 20, 40, 80)
    assert choice.shown_index(moments, following=True, chosen_step=20) == 4
    assert choice.shown_index(moments, following=False, chosen_step=None) == 4
    assert choice.shown_index(moments, following=False, chosen_step=20) == 2
    assert choice.shown_index(moments, following=False, chosen_step=33) == 3  # 40 is 7 away
    assert choice.shown_index(moments, following=False, chosen_step=30) == 2  # as near: earlier
    assert choice.shown_index([], following=False, chosen_step=30) == -1


def test_a_chosen_moment_thinned_away_gives_way_to_the_nearest_kept_one():
    layer = LayerMoments(capacity=4)
    for step in range(0, 100, 3):  # the spacing doubles as the run goes on
        layer.add(step, np.zeros((1, 1, 1, 1)))
    kept = layer.moments()
    assert 9 not in [m.step for m in kept]  # the user had chosen step 9
    index = choice.shown_index(kept, following=False, chosen_step=9)
    assert abs(kept[index].step - 9) == min(abs(m.step - 9) for m in kept)


def test_what_the_pane_says_of_a_moment():
    moments = moments_at(0, 1500, 1234567)
    assert choice.start_note(moments[0]) == "start · step 0"
    assert choice.moment_note(moments[1], latest=False) == "step 1,500"
    assert choice.moment_note(moments[2], latest=True) == "step 1,234,567 · latest"
    assert choice.step_text(moments, 1, following=False) == "step 1,500 · moment 2 of 3"
    assert choice.step_text(moments, 2, following=True) == "step 1,234,567 · latest, following"
    # The latest as the moment nearest a chosen step: shown, but not followed.
    assert choice.step_text(moments, 2, following=False) == "step 1,234,567 · moment 3 of 3"
    assert choice.scale_text("0.42", 3, 1) == (
        "colour scale ±0.42, shared by the 3 moments: conv2's largest |weight| in any of them "
        "(red +, blue −, white 0)")
