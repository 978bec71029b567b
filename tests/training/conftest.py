"""What the training-loop tests share: a Control that cannot hang a test."""
import threading

import pytest

from cnnviz.training.control import Control

WATCHDOG_S = 60


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
