"""The Model Library window: it lists every model the scan found (parts, a pickle and the scan's
problems included), filters by type and family, searches names, paths and hashes, shows the
selected model's details, gets its hashes from a background thread (the window shows
"computing..." meanwhile, never waiting), checks readiness, and converts a pickle once asked."""

import hashlib

import library_files
import pytest
import torch
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QPushButton, QTableView, QWidget
from window_driver import close_window, open_window

from atelier import paths


@pytest.fixture
def library(qtbot, user_home):
    listed = library_files.write_a1111_library(paths.models_dir())
    (paths.models_dir() / "cut.safetensors").write_bytes(b"\x40\x00\x00\x00\x00\x00\x00\x00{")  # a problem line
    win = open_window(qtbot)
    win.findChild(QAction, "modelLibraryAction").trigger()
    window = win.findChild(QWidget, "model_library")
    assert window is not None and window.isVisible()
    qtbot.waitUntil(lambda: _names(window) and not window.background.busy_with("known-hashes"), timeout=10_000)
    window.listed = listed
    yield window
    close_window(qtbot, win)


def _table(window) -> QTableView:
    return window.findChild(QTableView, "library_table")


def _names(window) -> list[str]:
    model = _table(window).model()
    return sorted(model.index(row, 0).data() for row in range(model.rowCount()))


def _choose(window, name: str, value: str) -> None:
    combo = window.findChild(QComboBox, name)
    combo.setCurrentIndex(combo.findData(value))


def _detail(window, field: str) -> str:
    return window.findChild(QLabel, f"details_{field}").text()


def _select(window, name: str) -> None:
    table = _table(window)
    row = next(r for r in range(table.model().rowCount()) if table.model().index(r, 0).data() == name)
    table.selectRow(row)


def test_lists_every_model_and_filters_by_type_and_family(library):
    names = [name.removesuffix(".ckpt") for name in _names(library)]
    assert sorted(names) == sorted(library.listed)
    problems = library.findChild(QListWidget, "library_problems")
    assert problems.isVisible() and problems.count() == 1 and "cut.safetensors" in problems.item(0).text()

    _choose(library, "library_type", "lora")
    assert _names(library) == ["ink_wash_style", "watercolor_xl"]
    _choose(library, "library_family", "sdxl")
    assert _names(library) == ["watercolor_xl"]
    _choose(library, "library_type", "")
    assert _names(library) == ["juggernautXL_v9", "sdxl_vae", "watercolor_xl"]
    assert library.findChild(QLabel, "library_count").text() == f"3 of {len(library.listed)} models shown"
    _choose(library, "library_family", "")
    library.findChild(QLineEdit, "library_search").setText("scribble")
    assert _names(library) == ["control_v11p_sd15_scribble"]
    library.findChild(QLineEdit, "library_search").setText("comfyui vae")  # words from the path and the type
    assert _names(library) == ["sdxl_vae"]


def test_details_show_and_hashes_arrive_from_the_background(qtbot, library):
    path = paths.models_dir() / "webui" / "models" / "Lora" / "ink_wash_style.safetensors"
    raw = path.read_bytes()
    _select(library, "ink_wash_style")

    # Hashing was only asked for: the UI thread has not waited for it.
    assert _detail(library, "sha256") == "computing..."
    assert (_detail(library, "name"), _detail(library, "type"), _detail(library, "family")) == \
        ("ink_wash_style", "LoRA", "SD 1.5")
    assert _detail(library, "path") == str(path) and _detail(library, "readiness") == "ready"
    assert _detail(library, "use").startswith("LoRA for SD 1.5 checkpoints")
    sha256 = hashlib.sha256(raw).hexdigest()
    qtbot.waitUntil(lambda: _detail(library, "sha256").replace("\n", "") == sha256, timeout=10_000)
    assert _detail(library, "model_hash") == sha256[:10]
    assert _detail(library, "lora_hash") == hashlib.sha256(raw[8 + int.from_bytes(raw[:8], "little"):]).hexdigest()[:12]

    library.findChild(QLineEdit, "library_search").setText(sha256[:12])  # a known hash is searchable
    assert _names(library) == ["ink_wash_style"]


def test_a_pickle_is_listed_with_its_note_and_check_all_names_a_missing_file(qtbot, library):
    _select(library, "v1-5-pruned-emaonly.ckpt")
    note = "pickle: convert to safetensors to use it"
    assert (_detail(library, "type"), _detail(library, "readiness")) == ("Checkpoint (pickle)", note)
    assert library.findChild(QPushButton, "library_convert").isVisible()

    (paths.models_dir() / "webui" / "models" / "VAE" / "vae-ft-mse-840000.safetensors").unlink()
    library.findChild(QPushButton, "library_check_all").click()
    problems = library.findChild(QListWidget, "library_problems")
    qtbot.waitUntil(lambda: library.findChild(QPushButton, "library_check_all").isEnabled(), timeout=10_000)
    lines = [problems.item(i).text() for i in range(problems.count())]
    assert any(line.startswith("vae-ft-mse-840000: no longer at ") for line in lines)
    assert f"v1-5-pruned-emaonly: {note}" in lines
    assert library.findChild(QLabel, "library_count").text() == f"{len(library.listed) - 2} ready, 2 with a problem"


def test_convert_asks_first_and_the_safetensors_is_listed_after(qtbot, library):
    source = paths.models_dir() / "webui" / "models" / "Lora" / "old_style.pt"
    torch.save({"lora_unet_x.lora_down.weight": torch.ones(4, 8)}, source)
    library._window.rescan_models()
    qtbot.waitUntil(lambda: "old_style.pt" in _names(library), timeout=10_000)
    _select(library, "old_style.pt")
    asked = []
    library.confirm_convert = lambda info, out: (asked.append(out), False)[1]
    library.findChild(QPushButton, "library_convert").click()
    assert asked == [source.with_suffix(".safetensors")] and not asked[0].exists()  # declined: nothing done

    library.confirm_convert = lambda info, out: True
    library.findChild(QPushButton, "library_convert").click()
    qtbot.waitUntil(lambda: "old_style" in _names(library), timeout=60_000)
    assert source.exists()  # the original is kept
    _select(library, "old_style")
    assert (_detail(library, "type"), _detail(library, "readiness")) == ("LoRA", "ready")
