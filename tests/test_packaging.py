"""Packaging: the desktop entry and AppStream metainfo agree with each other and with the package,
the icons are there at every size, `make install-desktop` installs a working entry, and the wheel's
package data carries the icons (but not the screenshots). Fast: nothing is built here; building the
wheel and installing it into a clean venv is `make check-wheel` (scripts/check_wheel.sh)."""
import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from fnmatch import fnmatch
from pathlib import Path

import pytest

import cnnviz

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "io.github.cnnviz.cnnviz"
DESKTOP = ROOT / "packaging" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"
ICONS = ROOT / "assets" / "icons"
SIZES = (16, 32, 48, 64, 128, 256)
# The Desktop Menu Specification's main categories.
MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics",
                   "Network", "Office", "Science", "Settings", "System", "Utility"}


def desktop_entry(path=DESKTOP) -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def metainfo():
    return ET.parse(METAINFO).getroot()


def test_app_id_is_one_string_everywhere():
    from cnnviz.app.icon import APP_ID as app_id
    assert app_id == APP_ID
    assert metainfo().findtext("id") == APP_ID
    assert metainfo().findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert desktop_entry()["Icon"] == APP_ID


def test_desktop_entry():
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "cnnviz" == metainfo().findtext("name")
    assert entry["Exec"] == "cnnviz"  # the console script; make install-desktop makes it absolute
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == "cnnviz"  # X11 WM_CLASS: Qt's application name
    categories = [c for c in entry["Categories"].split(";") if c]
    assert set(categories) & MAIN_CATEGORIES
    assert categories == [c.text for c in metainfo().findall("categories/category")]
    assert entry["Keywords"].endswith(";") and entry["Comment"] and entry["GenericName"]


def test_metainfo_agrees_with_the_package():
    root = metainfo()
    assert root.get("type") == "desktop-application"
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == "MIT"
    newest = root.find("releases/release")
    assert newest.get("version") == cnnviz.__version__
    assert root.findtext("provides/binary") == "cnnviz"
    assert root.find("content_rating").get("type") == "oars-1.1"
    assert len(root.findall("description/p")) >= 2


def test_the_console_script_is_the_binary_the_metadata_names():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert list(project["scripts"]) == [metainfo().findtext("provides/binary")]
    assert project["dynamic"] == ["version"]


@pytest.mark.parametrize("size", SIZES)
def test_png_icons_are_square_at_their_size(size):
    from PIL import Image
    with Image.open(ICONS / f"cnnviz-{size}.png") as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        assert image.getextrema()[3][1] == 255  # not blank


def test_svg_icon_is_xml_and_renders(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    root = ET.parse(ICONS / "cnnviz.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 256 256"
    renderer = QSvgRenderer(str(ICONS / "cnnviz.svg"))
    assert renderer.isValid()
    image = QImage(64, 64, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    colours = {image.pixel(x, y) for x in range(0, 64, 2) for y in range(0, 64, 2)}
    assert image.pixelColor(32, 32).alpha() == 255  # the middle is painted
    assert image.pixelColor(0, 0).alpha() == 0  # the rounded corner is not
    assert len(colours) > 20


def test_package_data_carries_the_icons_but_not_the_screenshots():
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["cnnviz.assets"] == "assets"
    data = setuptools["package-data"]
    # Every folder with data is a package of its own: setuptools warns about data folders that
    # are importable but not listed ("Package would be ignored"), as `make run` printed.
    assert set(data) <= set(setuptools["packages"])

    def shipped(relative):
        folder, _, name = relative.rpartition("/")
        return any(fnmatch(name, p) for p in data.get(f"cnnviz.assets.{folder}", []))

    wanted = ["icons/cnnviz.svg"] + [f"icons/cnnviz-{s}.png" for s in SIZES]
    assert all(shipped(name) for name in wanted)
    assert shipped("architectures/lenet5.json")
    assert not shipped("screenshots/before-training.png")
    manifest = (ROOT / "MANIFEST.in").read_text().splitlines()
    assert "prune assets/screenshots" in manifest


def run_make(target, data_home):
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    # -o: the venv counts as up to date (no reinstall while the tests run in it)
    return subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", target],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "cnnviz").exists(),
                    reason="needs the checkout's venv (make venv)")
def test_make_install_desktop_installs_a_working_entry(tmp_path):
    done = run_make("install-desktop", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    installed = tmp_path / "applications" / DESKTOP.name
    entry = desktop_entry(installed)
    executable = Path(entry["Exec"].strip('"'))
    assert executable.is_absolute() and os.access(executable, os.X_OK)
    assert executable == ROOT / ".venv" / "bin" / "cnnviz"
    assert entry["TryExec"] == str(executable)
    assert {k: v for k, v in entry.items() if k not in ("Exec", "TryExec")} == \
        {k: v for k, v in desktop_entry().items() if k != "Exec"}
    hicolor = tmp_path / "icons" / "hicolor"
    assert (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == \
        (ICONS / "cnnviz.svg").read_bytes()
    for size in SIZES:
        assert (hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png").read_bytes() == \
            (ICONS / f"cnnviz-{size}.png").read_bytes()
    assert (tmp_path / "metainfo" / METAINFO.name).read_bytes() == METAINFO.read_bytes()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True,
                               text=True)
        assert check.returncode == 0 and "error" not in check.stdout, check.stdout

    done = run_make("uninstall-desktop", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    left = [p for p in tmp_path.rglob(f"{APP_ID}*") if p.is_file()]
    assert not left


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="needs desktop-file-validate (desktop-file-utils)")
def test_desktop_file_validates():
    check = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    assert "error" not in check.stdout and "warning" not in check.stdout, check.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None,
                    reason="needs appstreamcli (appstream)")
def test_metainfo_validates():
    check = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    lines = check.stdout.splitlines()
    assert not [line for line in lines if line.startswith(("E:", "W:"))], check.stdout


def test_render_icons_script_writes_every_size(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_icons.py"),
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        sorted(f"cnnviz-{s}.png" for s in SIZES)
    # the committed PNGs are the SVG's current renders (up to antialiasing differences)
    import numpy as np
    from PIL import Image
    for size in SIZES:
        fresh = np.asarray(Image.open(tmp_path / f"cnnviz-{size}.png"), dtype=int)
        committed = np.asarray(Image.open(ICONS / f"cnnviz-{size}.png"), dtype=int)
        assert np.abs(fresh - committed).max() <= 16, f"re-run scripts/render_icons.py ({size})"
