"""Remove Background in the real window, with a tiny real ONNX matting model in the models
folder: from the history's context menu, a bright subject on a dark ground becomes a new RGBA
output linked to its source, with its subject mask stored; on the canvas it shows over the
checkerboard with that mask over it and Generate set to replace the background, and so again
when the artist opens it later. A solid colour background is painted in. Without a model the
dialog says where to put one and cannot be clicked."""

import io

import numpy as np
import pytest
import tiny_matting
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QDialog, QWidget
from window_driver import choose, close_window, heard, open_window

from atelier import paths
from atelier.core.recipe import Recipe
from atelier.ui.canvas import _checkerboard

SIZE = (96, 64)  # width, height
SUBJECT = (slice(16, 48), slice(32, 64))  # rows, columns of the bright square


@pytest.fixture
def matting_window(qtbot, user_home):
    """The window with a tiny U²-Net-p export in the models folder (no image model)."""
    tiny_matting.build_matting_model(paths.models_dir() / "u2netp.onnx", "u2netp", bias=-2.0)
    win = open_window(qtbot)
    qtbot.waitUntil(lambda: bool(win.generation.matting_models), timeout=10_000)
    yield win
    close_window(qtbot, win)


@pytest.fixture
def plain_window(qtbot, user_home):
    win = open_window(qtbot)
    yield win
    close_window(qtbot, win)


def import_subject(qtbot, win, tmp_path):
    """A bright square on a dark ground, dropped into the project; returns its output."""
    pixels = np.full((SIZE[1], SIZE[0], 3), 12, np.uint8)
    pixels[SUBJECT] = (250, 240, 230)
    path = tmp_path / "subject.png"
    Image.fromarray(pixels).save(path)
    win.import_image_file(str(path))
    qtbot.waitUntil(lambda: len(list(win.project.outputs())) == 1, timeout=10_000)
    return list(win.project.outputs())[0][1]


def open_dialog(qtbot, win, source) -> QDialog:
    choose(win, "remove_background", source.id)
    dialog = win.findChild(QDialog, "removeBackgroundDialog")
    assert dialog is not None and dialog is win.remove_background_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def child(parent, name: str):
    found = parent.findChild(QWidget, name)
    assert found is not None, name
    return found


def remove_and_wait(qtbot, win, dialog):
    before = {output.id for _entry, output in win.project.outputs()}
    with heard(qtbot, win.engine.worker.job_done, timeout=60_000):
        qtbot.mouseClick(child(dialog, "matteOkButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.running_job is None and len(list(win.project.outputs())) == len(before) + 1,
                    timeout=10_000)
    [made] = [output for _entry, output in win.project.outputs() if output.id not in before]
    return made


def decoded(win, asset: str) -> Image.Image:
    with Image.open(io.BytesIO(win.project_controller.read_asset(asset))) as image:
        image.load()
        return image


def stored_mask(win, output) -> np.ndarray:
    image = decoded(win, output.mask)
    assert image.mode == "L" and image.size == SIZE
    return np.asarray(image)


def shows_subject_mask(win, mask: np.ndarray) -> bool:
    layer = win.canvas.mask_layer
    return (layer is not None and layer.document is not None and layer.visible
            and np.array_equal(layer.document.raster, mask) and win.mask_tools.fill_mode == "replace")


def test_the_background_goes_and_the_subject_mask_waits_on_the_canvas(qtbot, matting_window, tmp_path):
    win = matting_window
    assert win.remove_background_dialog is None  # nothing of it made before it is asked for
    source = import_subject(qtbot, win, tmp_path)
    dialog = open_dialog(qtbot, win, source)
    models = child(dialog, "matteModel")
    assert models.count() == 1 and models.currentData().id == "u2netp" and models.isEnabled()
    assert not child(dialog, "matteNoModelLabel").isVisible()
    assert child(dialog, "matteBackground").currentData() == "transparent"
    assert not child(dialog, "matteColourButton").isVisible()  # only for a solid colour
    assert child(dialog, "matteEdges").currentData() == "none"

    made = remove_and_wait(qtbot, win, dialog)
    assert made.source == source.id  # linked to its picture in the history
    assert Recipe.from_dict(made.recipe).task == "remove-background"
    result = decoded(win, made.asset)
    assert result.mode == "RGBA" and result.size == SIZE
    alpha = np.asarray(result)[..., 3]
    assert alpha[SUBJECT].min() > 200 and alpha[:8, :8].max() < 40  # the subject kept, the ground gone
    mask = stored_mask(win, made)
    assert mask[SUBJECT].min() > 200 and mask[:8, :8].max() < 40

    # Shown at once: over the checkerboard, its subject mask over it, ready to replace the background.
    qtbot.waitUntil(lambda: win.project_controller.current_output_id == made.id and shows_subject_mask(win, mask),
                    timeout=10_000)
    assert win.mask_tools.toolbar.isVisible()
    corner = win.canvas.mapFromScene(QPointF(2, 2))
    seen = win.canvas.viewport().grab().toImage().pixelColor(corner)
    checker = _checkerboard().toImage()
    assert seen.rgb() in {checker.pixelColor(0, 0).rgb(), checker.pixelColor(20, 0).rgb()}

    # The artist clears the mask, looks at the source, then opens the result again: it is back.
    win.mask_tools.apply("clear")
    assert not win.canvas.mask_layer.painted
    win.project_controller.show_output(source.id)
    qtbot.waitUntil(lambda: win.canvas.image_size() == SIZE and win.project_controller.current_output_id == source.id)
    assert not win.canvas.mask_layer.painted  # the source has no mask of its own
    win.mask_tools.fill_mode_combo.setCurrentIndex(0)
    win.project_controller.show_output(made.id)
    qtbot.waitUntil(lambda: shows_subject_mask(win, mask), timeout=10_000)


def test_a_solid_colour_background_is_painted_in(qtbot, matting_window, tmp_path):
    win = matting_window
    source = import_subject(qtbot, win, tmp_path)
    dialog = open_dialog(qtbot, win, source)
    background = child(dialog, "matteBackground")
    background.setCurrentIndex(background.findData("colour"))
    assert child(dialog, "matteColourButton").isVisible()
    dialog.set_colour(QColor(0, 200, 60))  # what the colour dialog's choice does
    assert child(dialog, "matteColourButton").text() == "#00c83c"
    edges = child(dialog, "matteEdges")
    edges.setCurrentIndex(edges.findData("erode"))

    made = remove_and_wait(qtbot, win, dialog)
    recipe = Recipe.from_dict(made.recipe)
    assert (recipe.request.background, recipe.request.colour, recipe.request.edges) == ("colour", "#00c83c", "erode")
    pixels = np.asarray(decoded(win, made.asset).convert("RGBA"))
    assert tuple(pixels[2, 2]) == (0, 200, 60, 255)  # the ground, now the colour chosen
    assert pixels[SUBJECT][4:-4, 4:-4, :3].min() > 200  # the subject as it was
    assert made.mask is not None


def test_without_a_model_the_dialog_says_where_to_put_one(qtbot, plain_window, tmp_path):
    win = plain_window
    source = import_subject(qtbot, win, tmp_path)
    win.project_controller.show_output(source.id)
    qtbot.waitUntil(lambda: win.project_controller.current_output_id == source.id)
    action = win.findChild(QAction, "removeBackgroundAction")  # the Image menu's
    assert action is not None and action.isEnabled()
    action.trigger()
    dialog = win.findChild(QDialog, "removeBackgroundDialog")
    qtbot.waitUntil(dialog.isVisible)
    note = child(dialog, "matteNoModelLabel")
    assert note.isVisible()
    assert "u2net.onnx" in note.text() and "isnet-general-use.onnx" in note.text() and "~/.u2net" in note.text()
    assert "Settings" in note.text()
    assert not child(dialog, "matteOkButton").isEnabled() and not child(dialog, "matteModel").isEnabled()
    qtbot.mouseClick(child(dialog, "matteCancelButton"), Qt.MouseButton.LeftButton)
    assert not win.generation.jobs.jobs
