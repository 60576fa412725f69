# Two commands for a newcomer: `make run` starts the app, `make test` runs every test.
# Both create .venv and install what they need the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# GPU users: point this at PyTorch's CUDA package index (see README, "GPU").
TORCH_INDEX_URL ?=
TORCH_SPEC := $(shell grep -E '^torch==' constraints.txt)
# spandrel without its torchvision requirement (pyproject.toml says why).
SPANDREL_SPEC := $(shell grep -E '^spandrel==' constraints.txt)
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' src/atelier/__init__.py)
ARCHIVE := dist/Atelier-$(VERSION)-linux-$(shell uname -m).tar.zst

.PHONY: run test screenshot system-deps package install-desktop bench clean

run: $(VENV)/.installed
	$(PY) -m atelier

test: $(VENV)/.installed-dev
	$(PY) -m pytest

screenshot: $(VENV)/.installed-dev
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_image_to_image.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_sound.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_audio_player.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_history_audio.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_queue.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_first_run.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_info.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_gallery.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_mask.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_fill_advanced.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_fill_review.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_extend.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_remove_background.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_upscale.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_import.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_adapter_pickers.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_sketch_guidance.py
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) scripts/screenshot_model_library.py

system-deps:
	@bash scripts/system-deps.sh

# Benchmarks of what artists feel (bench/README.md): one table, bench/results/. Not a test.
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

# The one-folder app in dist/Atelier (run dist/Atelier/atelier) and an archive of it.
package: $(VENV)/.installed-package
	rm -rf build/pyinstaller dist/Atelier $(ARCHIVE)
	$(PY) -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller atelier.spec
	tar -C dist -cf - Atelier | zstd -q -T0 -6 -o $(ARCHIVE)
	@$(PY) scripts/check_bundle.py dist/Atelier
	@echo "archive: $(ARCHIVE) ($$(du -m $(ARCHIVE) | cut -f1) MB)"

# Adds Atelier to this user's application menu and opens .atelier files with it (Linux).
install-desktop: $(VENV)/.installed
	$(PY) -m atelier install-desktop

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
	$(PIP) install -c constraints.txt --no-deps "$(SPANDREL_SPEC)"
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[dev]"
	@touch $@

$(VENV)/.installed-package: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e ".[package]"
	@touch $@

clean:
	rm -rf $(VENV) build dist src/*.egg-info
