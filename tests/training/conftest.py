"""What the training tests share: a Control that cannot hang a test, and a small Shapes dataset
(tests/training/loop_helpers.py has the tiny network and loop)."""
import threading

import pytest

from cnnviz.data.shapes import make_shapes
from cnnviz.training.control import Control
from tests.training.loop_helpers import WATCHDOG_S


@pytest.fixture
def control():
    """A Control with a watchdog: a test that would hang on a paused loop is stopped (and fails)
    instead. The timer thread is cancelled and joined before the test ends."""
    control = Control()
    fired = threading.Event()
    timer = threading.Timer(WATCHDOG_S, lambda: (fired.set(), control.stop()))
    timer.daemon = True
    timer.start()
    yield control
    timer.cancel()
    timer.join()
    assert not fired.is_set(), "the watchdog had to stop a hanging loop"


@pytest.fixture(scope="module")
def shapes():
    return make_shapes(train_size=600, test_size=200)
