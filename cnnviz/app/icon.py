"""The application's icon and id (the desktop entry and AppStream metainfo in packaging/ use both).

The icon is assets/icons/cnnviz.svg with its PNG renders, found as package data of cnnviz.assets
(an installed wheel, or the editable install that maps cnnviz.assets onto the checkout's assets/),
else in the checkout's assets/icons beside the cnnviz package (running from source uninstalled).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

# Reverse-DNS id: the desktop file's name (packaging/io.github.cnnviz.cnnviz.desktop), the metainfo
# id, and what QGuiApplication.setDesktopFileName gets: the Wayland app_id, and on X11 the
# _GTK_APPLICATION_ID and _KDE_NET_WM_DESKTOP_FILE window properties (X11's WM_CLASS stays
# "cnnviz", the application name: StartupWMClass in the desktop entry).
APP_ID = "io.github.cnnviz.cnnviz"
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def icons_folder() -> Path | None:
    """The folder holding cnnviz.svg and cnnviz-N.png, or None when neither place has it."""
    try:
        folder = resources.files("cnnviz.assets") / "icons"
    except ModuleNotFoundError:
        folder = None
    if isinstance(folder, Path) and (folder / "cnnviz.svg").is_file():
        return folder
    folder = Path(__file__).resolve().parent.parent.parent / "assets" / "icons"
    return folder if (folder / "cnnviz.svg").is_file() else None


def app_icon() -> QIcon:
    """cnnviz's icon: the PNGs for their exact sizes (crisp at 16-64 px), the SVG for any other.
    A null icon when the files are missing, which Qt treats as no icon."""
    icon = QIcon()
    folder = icons_folder()
    if folder is None:
        return icon
    # The SVG first: it makes Qt's SVG icon engine, which keeps the PNGs added after it and uses
    # one where the size asked for matches, and renders the vector for the sizes between.
    icon.addFile(str(folder / "cnnviz.svg"))
    for size in ICON_SIZES:
        png = folder / f"cnnviz-{size}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    return icon
