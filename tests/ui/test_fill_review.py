"""Reviewing a generative fill in the real window, on the tiny SD1.5 model: a mask painted with
mouse drags (undone and redone), Generate, then the review bar over the result: Before shows the
source's pixels where the result was, After the result's; Keep leaves the result in the history
linked to its source, only the masked area changed; Discard deletes it, undoably, and shows the
source again with the mask still over it."""

import io

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from test_mask_painting import action, drag, picture_on_canvas, pixels, undo_keys
from window_driver import generate_and_wait

from atelier.core.inpaint import Edges, composite_mask
from atelier.core.recipe import Recipe
from atelier.ui.fill_review import BEFORE_CAPTION


def shown(win) -> np.ndarray:
    """The pixels the canvas shows now."""
    image = win.canvas.current_image().convertToFormat(QImage.Format.Format_RGB888)
    return np.array(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())[
        :, :image.width() * 3].reshape(image.height(), image.width(), 3).astype(np.int16)


def bar_button(win, name: str):
    return win.canvas.findChild(object, name)


def fill_with_mask(qtbot, win, paint) -> tuple:
    """A picture, a mask painted over it by ``paint``, Generate: (source, result, mask as painted)."""
    source = picture_on_canvas(qtbot, win)
    paint()
    painted = win.canvas.mask_layer.document.raster.copy()
    win.panel.prompt_edit.setPlainText("a red apple")
    win.mask_tools.generation_side = 64  # the model's native 512 takes minutes on a CPU
    generate_and_wait(qtbot, win, count=2)
    [result] = [output for _entry, output in win.project.outputs() if output.id != source.id]
    qtbot.waitUntil(lambda: win.fill_review.showing and win.project_controller.current_output_id == result.id)
    return source, result, painted


def in_history(win, output_id: str) -> bool:
    return win.project_controller.find(output_id) is not None and win.history.model.find(output_id) is not None


def test_before_after_and_keep_leave_the_result_linked_with_only_the_masked_area_changed(qtbot, window):
    def paint():
        action(window, "maskBrushAction").trigger()
        layer = window.canvas.mask_layer
        qtbot.wait(50)  # the tool row pushed the canvas down: let the layout settle before dragging
        layer.set_brush_size(10)
        layer.hardness = 1.0
        drag(window, [(16, 30), (28, 32), (40, 34), (48, 36)])
        stroke = layer.document.raster.copy()
        assert stroke[33, 30] == 255 and not stroke[:20].any()
        undo_keys(window)
        assert layer.document.is_empty
        undo_keys(window, redo=True)
        assert np.array_equal(layer.document.raster, stroke)

    assert window.fill_review.bar is None  # made when the first fill result is shown
    source, result, painted = fill_with_mask(qtbot, window, paint)
    read = window.project_controller.read_asset
    before, after = pixels(read(source.asset)), pixels(read(result.asset))
    bar = window.fill_review.bar
    assert bar.isVisible() and bar.objectName() == "fillReviewBar"
    assert window.canvas.viewport().geometry().contains(bar.geometry())  # over the canvas, whole
    qtbot.waitUntil(lambda: np.array_equal(shown(window), after))

    window.canvas.set_zoom(3.0)  # zoomed in and scrolled: Before must not move the picture
    window.canvas.horizontalScrollBar().setValue(40)
    place = (window.canvas.zoom, window.canvas.horizontalScrollBar().value(), window.canvas.verticalScrollBar().value())
    before_button = bar_button(window, "fillReviewBeforeButton")
    assert before_button.isCheckable() and not before_button.isChecked()
    qtbot.mouseClick(before_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.canvas.comparing == BEFORE_CAPTION)
    assert before_button.isChecked() and np.array_equal(shown(window), before)
    assert (window.canvas.zoom, window.canvas.horizontalScrollBar().value(),
            window.canvas.verticalScrollBar().value()) == place
    assert np.array_equal(window.canvas.mask_layer.document.raster, painted)  # the mask stays, to tweak
    qtbot.mouseClick(bar_button(window, "fillReviewAfterButton"), Qt.MouseButton.LeftButton)
    assert window.canvas.comparing is None and not before_button.isChecked()
    assert np.array_equal(shown(window), after)

    window.canvas.setFocus()  # `\` held peeks at the source; let go, the result is back
    QTest.keyPress(window.canvas, Qt.Key.Key_Backslash)
    assert window.fill_review.before_shown and np.array_equal(shown(window), before)
    QTest.keyRelease(window.canvas, Qt.Key.Key_Backslash)
    assert not window.fill_review.before_shown and np.array_equal(shown(window), after)

    QTest.keyClick(window.canvas, Qt.Key.Key_Return)  # Keep
    assert not bar.isVisible() and window.project_controller.current_output_id == result.id
    assert in_history(window, result.id) and in_history(window, source.id)
    assert result.source == source.id  # linked to the picture it came from ...
    recipe = Recipe.from_dict(result.recipe)
    assert recipe.task == "inpaint" and recipe.inputs["init_image"] == source.asset
    with Image.open(io.BytesIO(read(recipe.inputs["mask"]))) as mask:
        assert np.array_equal(np.asarray(mask), painted)  # ... and to its mask, as painted
    request = recipe.request
    touched = composite_mask(painted, Edges(request.grow, request.feather, request.blend)) > 0
    assert touched[33, 30] and not touched.all()
    assert np.array_equal(after[~touched], before[~touched])  # outside the mask: the source, bit for bit
    assert np.abs(after[touched] - before[touched]).mean() > 1  # inside: repainted

    window.project_controller.show_output(source.id)  # kept: selecting it again asks nothing more
    qtbot.waitUntil(lambda: np.array_equal(shown(window), before))
    window.project_controller.show_output(result.id)
    qtbot.waitUntil(lambda: np.array_equal(shown(window), after))
    assert not bar.isVisible()


def test_discard_deletes_the_result_undoably_and_shows_the_source_with_its_mask(qtbot, window):
    def paint():
        action(window, "maskRectAction").trigger()
        qtbot.wait(50)
        drag(window, [(20, 20), (44, 44)])

    source, result, painted = fill_with_mask(qtbot, window, paint)
    read = window.project_controller.read_asset
    before = pixels(read(source.asset))
    qtbot.mouseClick(bar_button(window, "fillReviewDiscardButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not in_history(window, result.id))
    assert window.project_controller.current_output_id == source.id and not window.fill_review.showing
    qtbot.waitUntil(lambda: np.array_equal(shown(window), before))
    assert window.history.notice.isVisible()  # "Image deleted — Undo"
    assert np.array_equal(window.canvas.mask_layer.document.raster, painted)  # ready for another try

    undo_keys(window)  # Ctrl+Z: the result is back in the history; the canvas keeps the source
    qtbot.waitUntil(lambda: in_history(window, result.id))
    assert window.project_controller.current_output_id == source.id and np.array_equal(shown(window), before)
    assert not window.fill_review.showing

    window.project_controller.show_output(result.id)  # brought back, it awaits review again
    qtbot.waitUntil(lambda: window.fill_review.showing)
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)  # Esc on the canvas: Discard
    qtbot.waitUntil(lambda: not in_history(window, result.id))
    qtbot.waitUntil(lambda: np.array_equal(shown(window), before))
    assert window.running_job is None  # Esc discarded; it cancelled nothing
