#!/usr/bin/env bash
# The wheel as a user gets it: installed into a new, clean venv (not the checkout's), then
# `cnnviz --version` (must be the wheel's version), `cnnviz archs` (the built-in architectures,
# package data) and the icons inside the installed package.
# `make check-wheel` builds the wheel first.
#
#     scripts/check_wheel.sh dist/cnnviz-VERSION-py3-none-any.whl [VENV]   (VENV: /tmp/wheelcheck)
set -euo pipefail
wheel=$(realpath "${1:?usage: scripts/check_wheel.sh WHEEL [VENV]}")
venv=${2:-/tmp/wheelcheck}
python=${PYTHON:-python3}
start=$(date +%s)
step() { echo "[$(( $(date +%s) - start )) s] $*"; }

step "new venv $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
step "pip install $wheel"
"$venv/bin/python" -m pip install --quiet "$wheel"

version=$(basename "$wheel" | cut -d- -f2)
cd /tmp  # so that the checkout's cnnviz/ cannot be imported instead of the installed one
step "cnnviz --version"
out=$("$venv/bin/cnnviz" --version)
echo "$out"
[ "$out" = "cnnviz $version" ] || { echo "FAIL: expected 'cnnviz $version'"; exit 1; }

step "cnnviz archs"
"$venv/bin/cnnviz" archs | tee /tmp/wheelcheck-archs.txt
grep -q shapes-small /tmp/wheelcheck-archs.txt || { echo "FAIL: shapes-small not listed"; exit 1; }

step "icons in the installed package"
QT_QPA_PLATFORM=offscreen "$venv/bin/python" - <<'EOF'
import sys
from pathlib import Path

import cnnviz
from PySide6.QtWidgets import QApplication

from cnnviz.app.icon import ICON_SIZES, app_icon, icons_folder

folder = icons_folder()
site = Path(cnnviz.__file__).resolve().parent
print("icons:", folder)
if folder is None or site not in folder.resolve().parents:
    sys.exit(f"FAIL: the icons are not inside the installed package {site}")
missing = [n for n in ["cnnviz.svg"] + [f"cnnviz-{s}.png" for s in ICON_SIZES]
           if not (folder / n).is_file()]
if missing:
    sys.exit(f"FAIL: missing {missing}")
if (folder.parent / "screenshots").exists():
    sys.exit("FAIL: the wheel carries assets/screenshots")
app = QApplication([])
icon = app_icon()
sizes = [icon.pixmap(s, s).width() for s in ICON_SIZES]
if icon.isNull() or sizes != list(ICON_SIZES):
    sys.exit(f"FAIL: app_icon() null or wrong sizes {sizes}")
print("app_icon():", sizes)
EOF
step "OK: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"
