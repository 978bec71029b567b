"""The window as the user left it, at the next start: its size and the docks' arrangement, and
the last dataset, network and training settings (last_session.py stores them), each used only
if it still works, the defaults otherwise. Apart from the window so that what is kept between
runs, and how it comes back, is read in one place."""
from __future__ import annotations

from cnnviz.app import last_session
from cnnviz.app.session_controller import DEFAULT_ARCH, DEFAULT_DATASET
from cnnviz.app.window_layout import fit_to_screen
from cnnviz.data import catalog


def restore_layout(window) -> bool:
    """The window's size and place as they were (else its screen's available area); True if the
    docks' arrangement came back too (else the default is worked out for the window's size once
    it is shown: dock sizes before that do not hold)."""
    if not window.restoreGeometry(window.settings.value("window/geometry", b"")):
        fit_to_screen(window)
    return window.restoreState(window.settings.value("window/state", b""))


def opening_dataset(last: last_session.LastSession) -> str:
    """The dataset the window opens with: the last one if it is still on this machine."""
    if last.dataset in catalog.CATALOG and catalog.info(last.dataset).locate() is not None:
        return last.dataset
    return DEFAULT_DATASET


def start_as_last_time(window) -> None:
    """The dataset, network and settings of the last session, or the defaults."""
    last = last_session.load(window.settings)
    window.toolbar.restore(last)
    name = opening_dataset(last)
    window.controller.spec = last.spec
    if not (last.spec and _load_quietly(window, name)):
        window.controller.spec = None
        window.load_dataset(DEFAULT_DATASET, DEFAULT_ARCH)


def _load_quietly(window, name: str) -> bool:
    """Load the last dataset; if it or the last network no longer work, say nothing here (the
    defaults follow)."""
    said = []
    shown, window.show_error = window.show_error, lambda title, text: said.append(text)
    try:
        return window.load_dataset(name) and not said
    finally:
        window.show_error = shown


def remember(window) -> None:
    """Keep the window's size and arrangement, its dataset, network (if valid) and settings."""
    settings = window.settings
    settings.setValue("window/state", window.saveState())
    settings.setValue("window/geometry", window.saveGeometry())
    last_session.save(settings, last_session.LastSession(
        window.dataset_name, window.editor.spec() if window.editor.is_valid() else None,
        **window.toolbar.hyperparameters(), augment=window.toolbar.augmenting()))
