# Two commands for a fresh machine: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Qt's runtime libraries on a bare Debian/Ubuntu (DESIGN.md), and libgomp1 for numba's OpenMP layer.
SYSTEM_DEBS := libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 \
	libxkbcommon0 libgomp1

.PHONY: run test bench screenshots system-deps venv clean

run: venv
	$(VENV)/bin/cnnviz

test: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

bench: venv
	$(VENV)/bin/cnnviz bench --vs-torch

# The main window before and after training, into assets/screenshots/ (shown in the README).
screenshots: venv
	QT_QPA_PLATFORM=offscreen $(PY) scripts/screenshots.py

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
	for pkg in $(SYSTEM_DEBS); do \
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
