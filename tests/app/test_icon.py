"""The window icon: app_icon() finds the packaged icon (or the checkout's) and serves each PNG at
its own size, the SVG in between."""
import shutil
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from cnnviz.app import icon as icon_module
from cnnviz.app.icon import APP_ID, ICON_SIZES, app_icon, icons_folder

ASSETS_ICONS = Path(__file__).resolve().parent.parent.parent / "assets" / "icons"
MARKER = "#00ff00"  # a colour the icon does not use


def test_app_id():
    assert APP_ID == "io.github.cnnviz.cnnviz"


def test_icons_folder_is_the_package_data():
    folder = icons_folder()
    assert folder is not None and (folder / "cnnviz.svg").is_file()
    # the editable install maps cnnviz.assets onto the checkout's assets/
    assert folder.resolve() == ASSETS_ICONS.resolve()


@pytest.mark.parametrize("size", ICON_SIZES)
def test_app_icon_serves_each_png_at_its_size(qapp, monkeypatch, tmp_path, size):
    # A copy of the icons whose PNG at this size is a flat colour the SVG never renders, so the
    # pixmap shows which file was served. (Comparing with the real PNG cannot tell: it is the
    # SVG's render, and Qt's premultiply round trip differs by one unit between CPUs.)
    shutil.copytree(ASSETS_ICONS, tmp_path / "icons")
    marker = QImage(size, size, QImage.Format_ARGB32)
    marker.fill(QColor(MARKER))
    assert marker.save(str(tmp_path / "icons" / f"cnnviz-{size}.png"))
    monkeypatch.setattr(icon_module.resources, "files", lambda name: tmp_path)
    icon = app_icon()
    pixmap = icon.pixmap(size, size)
    assert (pixmap.width(), pixmap.height()) == (size, size)
    image = pixmap.toImage()
    assert {image.pixelColor(x, y).name() for x in (0, size - 1) for y in (0, size - 1)} == {MARKER}
    # the other sizes still come from the real files
    other = ICON_SIZES[ICON_SIZES.index(size) - 1]
    assert icon.pixmap(other, other).toImage().pixelColor(other // 2, other // 2).name() != MARKER


def test_app_icon_renders_sizes_in_between(qapp):
    image = app_icon().pixmap(24, 24).toImage()
    assert image.width() == 24
    assert image.pixelColor(12, 12).alpha() == 255


def test_app_icon_from_the_checkout_when_the_package_data_is_not_found(qapp, monkeypatch):
    def no_package(name):
        raise ModuleNotFoundError(name)
    monkeypatch.setattr(icon_module.resources, "files", no_package)
    assert icons_folder().resolve() == ASSETS_ICONS.resolve()
    assert not app_icon().isNull()


def test_no_icon_files_give_a_null_icon(qapp, monkeypatch, tmp_path):
    monkeypatch.setattr(icon_module.resources, "files", lambda name: tmp_path)
    monkeypatch.setattr(icon_module, "__file__", str(tmp_path / "cnnviz" / "app" / "icon.py"))
    assert icons_folder() is None
    assert app_icon().isNull()
