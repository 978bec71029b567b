"""GUI tests run offscreen; a test that leaves a thread running fails (as napari's conftest)."""
import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_thread_left_running():
    before = {t.ident for t in threading.enumerate()}
    yield
    from cnnviz.app.worker import running_threads
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
            and not t.daemon]
    assert not left, f"threads left running: {[t.name for t in left]}"
    assert not running_threads(), "a training thread was left running"
