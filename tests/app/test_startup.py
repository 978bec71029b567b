"""How the app starts (app/main.py): the dataset the window opens with is loaded on a thread
while the window's modules import, and the window takes it instead of loading it again."""
import threading
from concurrent.futures import Future

from PySide6.QtCore import QSettings

from cnnviz.app import main as app_main
from cnnviz.app.main_window import MainWindow
from cnnviz.data import catalog
from cnnviz.data.shapes import make_shapes


def preloaded(name, data) -> Future:
    future = Future()
    future.set_result((name, data))
    return future


def test_the_window_opens_with_the_preloaded_dataset_and_loads_no_other(qtbot, tmp_path,
                                                                         monkeypatch):
    data = make_shapes(train_size=64, test_size=32)
    loads = []
    monkeypatch.setattr(catalog, "load", lambda name: loads.append(name) or data)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings, show_error=lambda *a: None,
                     preloaded=preloaded("shapes", data))
    qtbot.addWidget(win)
    assert win.dataset is data and loads == []
    win.load_dataset("shapes")  # later loads are the catalog's again
    assert loads == ["shapes"]


def test_a_preloaded_dataset_the_window_does_not_open_with_is_left_alone(qtbot, tmp_path,
                                                                        monkeypatch):
    data, other = make_shapes(train_size=64, test_size=32), make_shapes(train_size=32, test_size=16)
    monkeypatch.setattr(catalog, "load", lambda name: data)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    win = MainWindow(settings=settings, show_error=lambda *a: None,
                     preloaded=preloaded("fashion-mnist", other))
    qtbot.addWidget(win)
    assert win.dataset is data


def test_preloading_reads_the_dataset_the_window_opens_with(monkeypatch):
    monkeypatch.setattr(catalog, "load", lambda name: f"the {name} dataset")
    name, data = app_main.preload_dataset().result(timeout=30)
    for thread in threading.enumerate():  # it ends with its task
        if thread.name.startswith("cnnviz dataset"):
            thread.join(10)
    assert name == "shapes" or catalog.info(name).locate() is not None
    assert data == f"the {name} dataset"
