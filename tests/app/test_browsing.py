"""The test-image browser's state without Qt: which images Previous, Next and Random reach (all,
or only the misclassified), wrapping round at both ends, the true class of the image shown, and
the line that says where the user is."""
import numpy as np
import pytest

from cnnviz.app.panes.browsing import Browsing

CLASSES = ["cat", "dog", "bird"]
SHAPE = (1, 2, 2)


@pytest.fixture
def browsing():
    b = Browsing(np.random.default_rng(0))
    b.reset(CLASSES)
    x = np.arange(6, dtype=np.float32)[:, None, None, None] * np.ones((6, *SHAPE), np.float32)
    b.set_test_set(x, np.array([0, 1, 2, 0, 1, 2]), SHAPE)
    return b


def walk(browsing, moves):
    """Show the image each move reaches, as the dock does; the indices seen."""
    seen = []
    for move in moves:
        index = getattr(browsing, f"{move}_index")()
        browsing.show(index)
        seen.append(index)
    return seen


def test_nothing_to_browse_without_a_test_set():
    b = Browsing(np.random.default_rng(0))
    b.reset(CLASSES)
    assert b.count == 0 and len(b.candidates()) == 0
    assert b.next_index() is None and b.previous_index() is None and b.random_index() is None
    assert b.status() == "No test set loaded."
    with pytest.raises(IndexError):
        b.show(0)


def test_next_and_previous_wrap_round_at_both_ends(browsing):
    assert browsing.next_index() == 0 and browsing.previous_index() == 5  # from nothing shown
    assert walk(browsing, ["next", "next", "previous", "previous", "previous"]) == [0, 1, 0, 5, 4]
    browsing.show(5)
    assert browsing.next_index() == 0


def test_showing_an_image_gives_it_and_its_label(browsing):
    image = browsing.show(4)
    np.testing.assert_array_equal(image, np.full(SHAPE, 4))
    assert browsing.index == 4 and browsing.true_class == 1
    assert browsing.status() == "Test image 5 of 6; true class: dog."
    for bad in (-1, 6):
        with pytest.raises(IndexError):
            browsing.show(bad)


def test_drawing_on_the_image_keeps_its_place_but_not_its_label(browsing):
    browsing.show(2)
    browsing.drawn_on()
    assert browsing.true_class is None and browsing.index == 2
    assert browsing.status() == "Test image 3 of 6, drawn on."
    assert browsing.next_index() == 3  # Next goes on from where the user was


def test_a_file_leaves_the_test_set(browsing):
    browsing.show(2)
    browsing.leave()
    assert browsing.index is None and browsing.true_class is None
    assert browsing.status() == "6 test images."
    assert browsing.next_index() == 0


def test_random_never_shows_the_same_image_twice_in_a_row(browsing):
    browsing.show(browsing.random_index())
    for _ in range(30):
        index = browsing.random_index()
        assert index != browsing.index
        browsing.show(index)
    seen = {browsing.random_index() for _ in range(60)}
    assert seen == {0, 1, 2, 3, 4, 5} - {browsing.index}  # and every other image can come


def test_a_class_the_dataset_does_not_name_is_called_by_its_number():
    b = Browsing(np.random.default_rng(0))
    b.reset(["cat"])
    b.set_test_set(np.zeros((2, *SHAPE), np.float32), np.array([0, 7]), SHAPE)
    b.show(1)
    assert b.status() == "Test image 2 of 2; true class: class 7."


def test_only_the_misclassified(browsing):
    assert not browsing.errors_known
    assert browsing.set_misclassified(np.array([4, 1, 9, 1, -2]), step=200)  # 9, -2: no images
    assert browsing.errors_known
    np.testing.assert_array_equal(browsing.misclassified, [1, 4])
    browsing.only_wrong = True
    np.testing.assert_array_equal(browsing.candidates(), [1, 4])
    assert browsing.status() == "2 of 6 test images misclassified at step 200."
    assert walk(browsing, ["next", "next", "next", "previous"]) == [1, 4, 1, 4]
    assert browsing.status() == ("Test image 5 of 6; true class: dog.\n"
                                 "2 of 6 test images misclassified at step 200.")
    browsing.show(2)  # shown by other means (the Evaluation dock): Next goes to the next error
    assert browsing.next_index() == 4 and browsing.previous_index() == 1
    for _ in range(10):
        assert browsing.random_index() in (1, 4)
    browsing.only_wrong = False
    assert len(browsing.candidates()) == 6


def test_the_same_evaluation_twice_changes_nothing(browsing):
    errors = np.array([3])
    assert browsing.set_misclassified(errors, step=100)
    assert not browsing.set_misclassified(errors, step=999)  # the same array, with every snapshot
    assert browsing.errors_step == 100
    assert browsing.set_misclassified(np.array([3]), step=300)  # a new evaluation
    assert browsing.errors_step == 300


def test_a_network_that_gets_every_image_right(browsing):
    browsing.set_misclassified([], step=None)
    browsing.only_wrong = True
    assert browsing.next_index() is None and browsing.random_index() is None
    assert browsing.status() == "The network gets all 6 test images right."
    browsing.set_misclassified(None)
    assert not browsing.errors_known and len(browsing.candidates()) == 6  # not known: all


def test_a_test_set_must_fit_the_inputs(browsing):
    with pytest.raises(ValueError, match="does not fit"):
        browsing.set_test_set(np.zeros((3, 3, 2, 2), np.float32), np.zeros(3), SHAPE)
    with pytest.raises(ValueError, match="does not fit"):
        browsing.set_test_set(np.zeros((3, *SHAPE), np.float32), np.zeros(2), SHAPE)


def test_a_new_test_set_forgets_the_image_shown_and_a_new_dataset_everything(browsing):
    browsing.set_misclassified([1], step=5)
    browsing.show(3)
    browsing.set_test_set(np.zeros((2, *SHAPE), np.float32), np.array([1, 1]), SHAPE)
    assert browsing.index is None and browsing.count == 2
    browsing.reset(["a", "b"])
    assert browsing.count == 0 and not browsing.errors_known and browsing.true_class is None
