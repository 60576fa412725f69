"""Upscale in the real window: from the history's context menu, a Lanczos resize (no upscaler
found, so it is the one offered, labelled "not AI") makes a new output twice the size linked to
its source; a tiny real upscaler file in the models folder is listed first and runs in tiles the
queue counts; the dialog shows the size it makes and refuses one past the limit."""

import io

import numpy as np
import pytest
import tiny_upscalers
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QWidget
from window_driver import choose, close_window, heard, open_window

from atelier import paths
from atelier.core.limits import MAX_UPSCALED_SIDE
from atelier.core.recipe import Recipe


@pytest.fixture
def plain_window(qtbot, user_home):
    """The window with no model at all: Lanczos is the only upscaler."""
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)


@pytest.fixture
def upscaler_window(qtbot, user_home):
    """The window with one tiny real upscaler where ComfyUI keeps them."""
    tiny_upscalers.compact_file(paths.models_dir() / "upscale_models" / "4x-Tiny.safetensors", 4)
    win = open_window(qtbot)
    qtbot.waitUntil(lambda: bool(win.generation.upscalers), timeout=10_000)
    yield win
    close_window(qtbot, win)


def import_picture(qtbot, win, tmp_path, size: tuple[int, int]):
    """A picture with some structure, dropped into the project; returns its output."""
    rows, columns = np.mgrid[0:size[1], 0:size[0]]
    pixels = np.stack([columns * 255 // max(size[0] - 1, 1), rows * 255 // max(size[1] - 1, 1),
                       ((rows // 8 + columns // 8) % 2) * 200], axis=-1).astype(np.uint8)
    path = tmp_path / "picture.png"
    Image.fromarray(pixels).save(path)
    before = len(list(win.project.outputs()))
    win.import_image_file(str(path))
    qtbot.waitUntil(lambda: len(list(win.project.outputs())) == before + 1, timeout=10_000)
    return list(win.project.outputs())[-1][1]


def open_dialog(qtbot, win, source) -> QDialog:
    choose(win, "upscale", source.id)  # the history's context menu
    return shown_dialog(qtbot, win)


def shown_dialog(qtbot, win) -> QDialog:
    """The Upscale dialog, once the picture's size is read (on the project thread) and it shows."""
    qtbot.waitUntil(lambda: win.upscale_dialog is not None and win.upscale_dialog.isVisible())
    assert win.findChild(QDialog, "upscaleDialog") is win.upscale_dialog
    return win.upscale_dialog


def child(parent, name: str):
    found = parent.findChild(QWidget, name)
    assert found is not None, name
    return found


def upscale_and_wait(qtbot, win, dialog):
    """Click Upscale; wait until the new output is stored. Returns it."""
    before = {output.id for _entry, output in win.project.outputs()}
    with heard(qtbot, win.engine.worker.job_done, timeout=120_000):
        qtbot.mouseClick(child(dialog, "upscaleOkButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.running_job is None and len(list(win.project.outputs())) == len(before) + 1,
                    timeout=10_000)
    [made] = [output for _entry, output in win.project.outputs() if output.id not in before]
    return made


def size_of(win, output) -> tuple[int, int]:
    with Image.open(io.BytesIO(win.project_controller.read_asset(output.asset))) as image:
        return image.size


def test_lanczos_from_the_history_menu_doubles_the_picture_and_says_not_ai(qtbot, plain_window, tmp_path):
    win = plain_window
    assert win.upscale_dialog is None  # nothing of it made before it is asked for
    source = import_picture(qtbot, win, tmp_path, (48, 32))
    dialog = open_dialog(qtbot, win, source)
    models = child(dialog, "upscaleModel")
    assert [models.itemText(i) for i in range(models.count())] == ["Lanczos (not AI)"]
    assert models.currentData() is None and "Not AI" in child(dialog, "upscaleModelNote").text()
    scale = child(dialog, "upscaleScale")
    assert [scale.itemText(i) for i in range(scale.count())] == ["2x", "4x"] and scale.currentData() == 2
    assert "48 \u00d7 32" in child(dialog, "upscaleSizeLabel").text()
    assert "96 \u00d7 64" in child(dialog, "upscaleSizeLabel").text()
    assert not child(dialog, "upscaleRefine").isEnabled()  # no image model to refine with

    made = upscale_and_wait(qtbot, win, dialog)
    assert not dialog.isVisible()
    assert size_of(win, made) == (96, 64)
    assert made.source == source.id  # linked to its picture in the history
    recipe = Recipe.from_dict(made.recipe)
    assert recipe.task == "upscale" and recipe.request.upscaler == "lanczos" and recipe.request.not_ai
    assert recipe.request.scale == 2 and recipe.request.image == source.asset
    assert "not AI" in recipe.model.name
    job = win.generation.jobs.jobs[-1]
    assert job.label == "Upscale 2x (not AI)" and job.model_name == "Lanczos (not AI)"
    qtbot.waitUntil(lambda: win.canvas.image_size() == (96, 64))  # and shown


def test_the_size_follows_the_scale_and_one_past_the_limit_is_refused(qtbot, plain_window, tmp_path):
    win = plain_window
    source = import_picture(qtbot, win, tmp_path, (2100, 40))
    win.project_controller.show_output(source.id)
    qtbot.waitUntil(lambda: win.project_controller.current_output_id == source.id)
    action = win.findChild(QAction, "upscaleAction")  # the Image menu's, on the current output
    assert action is not None and action.isEnabled()
    action.trigger()
    dialog = shown_dialog(qtbot, win)
    scale, label, ok = child(dialog, "upscaleScale"), child(dialog, "upscaleSizeLabel"), child(dialog, "upscaleOkButton")
    assert "4200 \u00d7 80" in label.text() and ok.isEnabled()
    scale.setCurrentIndex(scale.findData(4))
    assert not ok.isEnabled()
    assert "8400 \u00d7 160" in label.text() and f"{MAX_UPSCALED_SIDE} px" in label.text()
    scale.setCurrentIndex(scale.findData(2))
    assert ok.isEnabled() and "4200 \u00d7 80" in label.text()
    qtbot.mouseClick(child(dialog, "upscaleCancelButton"), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and not win.generation.jobs.jobs  # nothing queued


def test_an_upscaler_file_is_offered_first_and_runs_tile_by_tile(qtbot, upscaler_window, tmp_path):
    win = upscaler_window
    source = import_picture(qtbot, win, tmp_path, (100, 72))
    dialog = open_dialog(qtbot, win, source)
    models = child(dialog, "upscaleModel")
    assert [models.itemText(i) for i in range(models.count())] == ["4x-Tiny  [4x]", "Lanczos (not AI)"]
    assert models.currentData().id == "4x-Tiny"  # an upscaler found: it, not Lanczos, is chosen
    assert child(dialog, "upscaleScale").currentData() == 4  # at the upscaler's own scale
    assert "400 \u00d7 288" in child(dialog, "upscaleSizeLabel").text()
    scale = child(dialog, "upscaleScale")
    scale.setCurrentIndex(scale.findData(2))
    tile = child(dialog, "upscaleTile")
    assert not tile.isVisible()  # under Advanced
    qtbot.mouseClick(child(dialog, "upscaleAdvancedButton"), Qt.MouseButton.LeftButton)
    assert tile.isVisible()
    tile.setValue(64)

    texts = []
    win.generation.progress.connect(lambda text, _value, _maximum: texts.append(text))
    made = upscale_and_wait(qtbot, win, dialog)
    assert size_of(win, made) == (200, 144) and made.source == source.id
    recipe = Recipe.from_dict(made.recipe)
    assert recipe.request.upscaler == "4x-Tiny" and not recipe.request.not_ai
    assert (recipe.request.scale, recipe.request.tile, recipe.request.overlap) == (2, 64, 16)
    assert recipe.model.id == "4x-Tiny" and len(recipe.model.fingerprint) == 64
    # The queue row and the bar count tiles: 100 x 72 in 64 px tiles overlapping by 16 is 2 x 2.
    assert any(text and text.startswith("tile ") and "/4" in text for text in texts), texts
    job = win.generation.jobs.jobs[-1]
    assert job.model_name == "4x-Tiny" and job.label == "Upscale 2x"


def test_refine_repaints_with_an_image_model_and_the_prompt_panels_prompt(qtbot, window, tmp_path):
    """The tiny SD1.5 model refines a Lanczos 2x upscale: it travels with the job as its extra
    model, and the recipe records it with the prompt panel's prompt and seed."""
    source = import_picture(qtbot, window, tmp_path, (32, 32))
    window.panel.prompt_edit.setPlainText("a tiled floor, crisp")
    window.panel.steps_spin.setValue(4)
    window.panel.seed_spin.setValue(7)
    dialog = open_dialog(qtbot, window, source)
    refine, model, strength = (child(dialog, name) for name in
                               ("upscaleRefine", "upscaleRefineModel", "upscaleRefineStrength"))
    assert refine.isEnabled() and not refine.isChecked() and not model.isEnabled()
    assert strength.value() == pytest.approx(0.3)
    assert [model.itemData(i).id for i in range(model.count())] == ["tiny-sd15"]
    refine.setChecked(True)
    assert model.isEnabled() and strength.isEnabled()
    strength.setValue(0.5)  # with 4 steps: 2 of them drawn

    made = upscale_and_wait(qtbot, window, dialog)
    assert size_of(window, made) == (64, 64) and made.source == source.id
    recipe = Recipe.from_dict(made.recipe)
    request = recipe.request
    assert request.refine and request.refine_model == "tiny-sd15" and request.refine_strength == 0.5
    assert (request.prompt, request.steps, request.seed) == ("a tiled floor, crisp", 4, 7)
    assert [(adapter.kind, adapter.name) for adapter in recipe.adapters] == [("refine", "tiny-sd15")]
    job = window.generation.jobs.jobs[-1]
    assert list(job.extra_models) == ["tiny-sd15"] and job.state.value == "done"
