"""Use seed and Use all on images made by other tools, in the real window: a seed past Atelier's
32 bits is shown as written but never put in the form (one line says so), and the model is found
by the hash of its weights (fingerprints already cached), else by its name, else kept."""

import json
import shutil

import pytest
import tiny_models
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton
from window_driver import close_window, open_window

import tool_images as tools
from atelier import paths
from atelier.engine.fingerprint import cached_fingerprint, model_fingerprint
from tool_images import LONG_SEED, NEGATIVE, PROMPT, png

# An SD 1.5 checkpoint's layout, header only: listed as a model, never loaded here.
SD15_CHECKPOINT = {
    "model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
    "model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [640, 768]),
    "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight": ("F16", [16, 768]),
}


@pytest.fixture
def window(qtbot, user_home, sd15_dir):
    """The window with the tiny SD 1.5 folder and two single-file checkpoints, only the second
    of them fingerprinted (as a job on it would have)."""
    models = paths.models_dir()
    shutil.copytree(sd15_dir, models / "tiny-sd15")
    for name in ("dreamshaper_8", "juggernaut_v9"):  # their metadata differs, so their hashes do
        tiny_models.write_safetensors_header(models / f"{name}.safetensors", SD15_CHECKPOINT, {"name": name})
    assert cached_fingerprint(models / "juggernaut_v9.safetensors") is None
    model_fingerprint(models / "juggernaut_v9.safetensors")
    win = open_window(qtbot)
    qtbot.waitUntil(lambda: len(win.generation.models) == 3, timeout=10_000)
    combo = win.panel.model_combo
    combo.setCurrentIndex(next(i for i in range(combo.count()) if getattr(combo.itemData(i), "id", None) == "tiny-sd15"))
    yield win
    close_window(qtbot, win)


def juggernaut_hash() -> str:
    return cached_fingerprint(paths.models_dir() / "juggernaut_v9.safetensors")[:10]


def a1111_image(tmp_path, model: str, model_hash: str):
    text = (f"{PROMPT}\nNegative prompt: {NEGATIVE}\nSteps: 17, Sampler: Euler, CFG scale: 5.5, Seed: 1234, "
            f"Size: 512x768, Model hash: {model_hash}, Model: {model}, Version: v1.10.1")
    return png(tmp_path / f"{model}.png", {"parameters": text})


def imported(qtbot, win, path) -> str:
    """Import ``path`` into the window's project and show its Info; returns its output id."""
    before = len(list(win.project.outputs()))
    win.project_controller.import_files([path])
    qtbot.waitUntil(lambda: len(list(win.project.outputs())) == before + 1, timeout=10_000)
    output_id = list(win.project.outputs())[-1][1].id
    win.findChild(QAction, "showInfoAction").trigger()
    win.show_info(output_id)
    return output_id


def click(qtbot, win, name: str) -> None:
    button = win.findChild(QDockWidget, "infoDock").widget().findChild(QPushButton, name)
    assert button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def message(win) -> str:
    return win.panel.message_label.text()


def test_use_all_picks_the_model_whose_weights_match_the_hash(qtbot, window, tmp_path):
    imported(qtbot, window, a1111_image(tmp_path, "renamed_since", juggernaut_hash()))
    click(qtbot, window, "infoUseAllButton")
    assert window.panel.current_model().name == "juggernaut_v9"
    assert window.panel.prompt_edit.toPlainText() == PROMPT and window.panel.steps_spin.value() == 17
    assert message(window) == "Every setting of this output is in the prompt panel."


def test_use_all_falls_back_to_the_checkpoint_named_like_the_model(qtbot, window, tmp_path):
    # dreamshaper_8 was never fingerprinted: its hash is not known without reading it, so its name decides.
    imported(qtbot, window, a1111_image(tmp_path, "dreamshaper_8", "879db523c3"))
    click(qtbot, window, "infoUseAllButton")
    assert window.panel.current_model().name == "dreamshaper_8"
    assert window.panel.guidance_spin.value() == 5.5


def test_use_all_keeps_the_model_when_none_here_matches_and_says_so(qtbot, window, tmp_path):
    imported(qtbot, window, a1111_image(tmp_path, "someone_elses_model", "879db523c3"))
    click(qtbot, window, "infoUseAllButton")
    assert window.panel.current_model().name == "tiny-sd15"
    assert message(window) == "Model 'someone_elses_model' (hash 879db523c3) is not on this machine; keeping tiny-sd15."
    assert window.panel.prompt_edit.toPlainText() == PROMPT  # the rest is taken all the same


def test_a_fooocus_64_bit_seed_is_shown_but_not_reused(qtbot, window, tmp_path):
    path = png(tmp_path / "fooocus.png", {"parameters": json.dumps(tools.FOOOCUS_JSON), "fooocus_scheme": "fooocus"})
    imported(qtbot, window, path)
    pane = window.info_pane
    qtbot.waitUntil(lambda: pane.findChild(QLabel, "infoSeed") is not None, timeout=5_000)
    assert pane.findChild(QLabel, "infoSeed").text() == str(LONG_SEED)
    panel = window.panel
    panel.seed_spin.setValue(-1)
    line = f"Seed {LONG_SEED} (from Fooocus) is beyond Atelier's 32-bit seeds and cannot be reused as is"

    click(qtbot, window, "infoUseSeedButton")
    assert panel.seed_spin.value() == -1 and message(window) == f"{line}; a new one is drawn."
    panel.seed_spin.setValue(42)
    click(qtbot, window, "infoUseSeedButton")
    assert panel.seed_spin.value() == 42 and message(window) == f"{line}; the seed stays 42."

    panel.prompt_edit.setPlainText("")
    click(qtbot, window, "infoUseAllButton")
    assert (panel.prompt_edit.toPlainText(), panel.negative_edit.toPlainText()) == (PROMPT, NEGATIVE)
    assert (panel.steps_spin.value(), panel.guidance_spin.value(), panel.seed_spin.value()) == (30, 4.0, 42)
    assert message(window).endswith(f"{line}; the seed stays 42.")
    assert "Could not restore: seed" not in message(window)
