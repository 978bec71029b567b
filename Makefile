# Two commands for a fresh machine: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Qt's runtime libraries on a bare Debian/Ubuntu (README, Troubleshooting), and libgomp1 for numba's OpenMP layer.
SYSTEM_DEBS := libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 \
	libxkbcommon0 libgomp1
# What Qt's xcb plugin needs for a real window on an X11 desktop (only `make run` asks for them).
X11_DEBS := libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-render-util0 libxcb-shape0
DEBS = $(SYSTEM_DEBS)

.PHONY: run test bench screenshots dist check-wheel install-desktop uninstall-desktop \
	system-deps venv clean bundle

run: DEBS = $(SYSTEM_DEBS) $(X11_DEBS)
run: venv system-deps
	$(VENV)/bin/cnnviz

# Lint and the layering contracts (pyproject.toml) first: they fail fast, before the suite.
test: venv
	$(VENV)/bin/ruff check cnnviz tests scripts benchmarks
	$(VENV)/bin/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: venv
	$(VENV)/bin/cnnviz bench --vs-torch

# The main window before and after training, into assets/screenshots/ (shown in the README).
screenshots: venv
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py

# The wheel and the sdist, into dist/ (the version is cnnviz/__init__.py's __version__).
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' cnnviz/__init__.py)
dist: venv
	$(PY) -I -c 'import build' 2>/dev/null || $(PY) -m pip install --quiet build
	rm -f dist/cnnviz-$(VERSION)-py3-none-any.whl dist/cnnviz-$(VERSION).tar.gz
	$(PY) -m build --outdir dist .

# The wheel installed into a clean venv in /tmp: `cnnviz --version`, `cnnviz archs`, the icons.
check-wheel: dist
	PYTHON=$(PYTHON) scripts/check_wheel.sh dist/cnnviz-$(VERSION)-py3-none-any.whl

# The desktop entry, icons and AppStream metainfo for the current user, under XDG_DATA_HOME. The
# entry runs this checkout's venv (or CNNVIZ_BIN=/path/to/cnnviz); uninstall-desktop removes them.
APP_ID := io.github.cnnviz.cnnviz
ICON_SIZES := 16 32 48 64 128 256
DATA_HOME = $(or $(XDG_DATA_HOME),$(HOME)/.local/share)
HICOLOR = $(DATA_HOME)/icons/hicolor
CNNVIZ_BIN ?= $(abspath $(VENV)/bin/cnnviz)
define refresh-desktop-caches
	@if command -v update-desktop-database >/dev/null; then \
		update-desktop-database -q "$(DATA_HOME)/applications" || true; fi
	@if command -v gtk-update-icon-cache >/dev/null; then \
		gtk-update-icon-cache -q -f -t "$(HICOLOR)" || true; fi
endef
install-desktop: venv
	@test -x "$(CNNVIZ_BIN)" || { echo "no cnnviz at $(CNNVIZ_BIN)"; exit 1; }
	mkdir -p "$(DATA_HOME)/applications" "$(DATA_HOME)/metainfo" "$(HICOLOR)/scalable/apps"
	sed -e 's|^Exec=cnnviz$$|Exec="$(CNNVIZ_BIN)"\nTryExec=$(CNNVIZ_BIN)|' \
		packaging/$(APP_ID).desktop > "$(DATA_HOME)/applications/$(APP_ID).desktop"
	install -m 644 packaging/$(APP_ID).metainfo.xml "$(DATA_HOME)/metainfo/"
	install -m 644 assets/icons/cnnviz.svg "$(HICOLOR)/scalable/apps/$(APP_ID).svg"
	for n in $(ICON_SIZES); do \
		install -D -m 644 assets/icons/cnnviz-$$n.png "$(HICOLOR)/$${n}x$$n/apps/$(APP_ID).png" \
			|| exit 1; \
	done
	$(refresh-desktop-caches)

uninstall-desktop:
	rm -f "$(DATA_HOME)/applications/$(APP_ID).desktop" \
		"$(DATA_HOME)/metainfo/$(APP_ID).metainfo.xml" "$(HICOLOR)/scalable/apps/$(APP_ID).svg" \
		$(foreach n,$(ICON_SIZES),"$(HICOLOR)/$(n)x$(n)/apps/$(APP_ID).png")
	$(refresh-desktop-caches)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Installs missing system libraries with apt-get when root; otherwise prints the command and stops.
system-deps:
	@command -v dpkg-query >/dev/null || exit 0; \
	missing=""; \
	for pkg in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$pkg"; \
	done; \
	$(PYTHON) -c 'import ensurepip' 2>/dev/null || missing="$$missing python3-venv"; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing system libraries:$$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "cnnviz needs these system libraries. Install them, then run make again:"; \
		echo "    sudo apt-get install -y --no-install-recommends$$missing"; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

# A standalone one-folder app built with PyInstaller into dist/bundle/cnnviz/ (packaging/cnnviz.spec,
# packaging/README.md), then tried with only its own executable: --version, headless training on a
# fresh numba cache, the window offscreen (packaging/smoke_test_bundle.sh).
bundle: venv
	$(PY) -I -c 'import PyInstaller' 2>/dev/null || $(PY) -m pip install --quiet 'pyinstaller>=6.10,<7'
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist/bundle --workpath build/bundle \
		packaging/cnnviz.spec
	@du -sh dist/bundle/cnnviz
	packaging/smoke_test_bundle.sh dist/bundle/cnnviz
