# Two commands for a newcomer: `make run` starts the app, `make test` runs every test.
# Both create .venv and install what they need the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# GPU users: point this at PyTorch's CUDA package index (see README, "GPU").
TORCH_INDEX_URL ?=
TORCH_SPEC := $(shell grep -E '^torch==' constraints.txt)

.PHONY: run test screenshot system-deps clean

run: $(VENV)/.installed
	$(PY) -m atelier

test: $(VENV)/.installed-dev
	$(PY) -m pytest

screenshot: $(VENV)/.installed-dev
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot.py

system-deps:
	@bash scripts/system-deps.sh

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@touch $@

# torch first, from the pinned version (or the CUDA index), so nothing else can pull a
# multi-GB CUDA build in through a dependency.
$(VENV)/.installed: $(VENV)/.created pyproject.toml constraints.txt
	@bash scripts/system-deps.sh
	$(PIP) install $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) "$(TORCH_SPEC)"
	$(PIP) install -c constraints.txt -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[dev]"
	@touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info
