"""Extend Canvas in the real window, on the tiny SD1.5 model: the dialog (pixels per side, an aspect
ratio) and the handles dragged with the mouse set one extension; Extend queues an inpaint of the
new area linked to its source, the original area kept pixel for pixel; one too large says so in
one line and queues nothing."""

import io

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QWidget
from window_driver import choose, fill, generate_and_wait, heard

from atelier.core.limits import MAX_SIDE
from atelier.core.recipe import Recipe

LEFT, NO_KEYS = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def picture_on_canvas(qtbot, win, size=(64, 64)):
    fill(qtbot, win, size=size, steps=2, seed=11)
    generate_and_wait(qtbot, win)
    [(_entry, source)] = list(win.project.outputs())
    qtbot.waitUntil(lambda: win.canvas.image_size() == size and win.project_controller.current_output_id == source.id)
    win.mask_tools.generation_side = 64  # the model's native 512 takes minutes on a CPU
    return source


def trigger(win, name: str) -> None:
    action = win.findChild(QAction, name)
    assert action is not None and action.isEnabled(), name
    action.trigger()


def dialog_of(qtbot, win) -> QDialog:
    trigger(win, "extendCanvasAction")
    dialog = win.findChild(QDialog, "extendDialog")
    qtbot.waitUntil(lambda: dialog.isVisible())
    return dialog


def child(parent, name: str):
    found = parent.findChild(QWidget, name)
    assert found is not None, name
    return found


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def extend_and_wait(qtbot, win, click: QWidget) -> tuple:
    """Click ``click`` (an Extend button); wait until the extension is made and stored."""
    before = {output.id for _entry, output in win.project.outputs()}
    with heard(qtbot, win.engine.worker.job_done, timeout=60_000):
        qtbot.mouseClick(click, LEFT)
    qtbot.waitUntil(lambda: win.running_job is None and len(list(win.project.outputs())) == len(before) + 1,
                    timeout=10_000)
    [(entry, made)] = [(e, o) for e, o in win.project.outputs() if o.id not in before]
    return entry, made


def assert_extended(win, source, made, sides) -> None:
    left, top, right, bottom = sides
    recipe = Recipe.from_dict(made.recipe)
    width, height = 64 + left + right, 64 + top + bottom
    assert recipe.task == "inpaint" and recipe.request.fill_mode == "expand"
    assert (recipe.request.width, recipe.request.height) == (width, height)
    assert made.source == source.id  # linked to the picture it extends, in the history
    read = win.project_controller.read_asset
    original, extended = pixels(read(source.asset)), pixels(read(made.asset))
    assert extended.shape == (height, width, 3)
    assert np.array_equal(extended[top:top + 64, left:left + 64], original)  # the original, pixel for pixel
    mask = pixels(read(recipe.inputs["mask"]))[..., 0]
    assert not mask[top:top + 64, left:left + 64].any() and mask.sum() == (width * height - 64 * 64) * 255


def test_the_dialog_extends_the_right_side_into_a_new_linked_output(qtbot, window):
    source = picture_on_canvas(qtbot, window)
    assert window.canvas_extension is None  # nothing of it made before it is used
    dialog = dialog_of(qtbot, window)
    extension = window.canvas_extension
    assert extension.frame.isVisible() and extension.bar is None  # the dialog, and the handles behind it
    ok = child(dialog, "extendOkButton")
    assert not ok.isEnabled()  # nothing added yet
    right = child(dialog, "extendRightSpin")
    assert right.singleStep() == 8
    right.setValue(64)
    assert extension.sides == (0, 0, 64, 0) and ok.isEnabled()
    assert "128 \u00d7 64" in child(dialog, "extendResultLabel").text()
    assert extension.frame.extended_rect().width() == 128  # the frame on the canvas follows

    _entry, made = extend_and_wait(qtbot, window, ok)
    assert not dialog.isVisible() and not extension.frame.isVisible() and not extension.active
    assert_extended(window, source, made, (0, 0, 64, 0))


def test_dragging_the_handles_sets_the_sides_and_extend_queues_them(qtbot, window):
    source = picture_on_canvas(qtbot, window)
    trigger(window, "extendWithHandlesAction")
    extension = window.canvas_extension
    bar = child(window.canvas, "extendBar")
    qtbot.waitUntil(lambda: bar.isVisible())
    assert not child(bar, "extendApplyButton").isEnabled()
    viewport, canvas = window.canvas.viewport(), window.canvas

    def drag_handle(scene_from: QPointF, scene_to: QPointF) -> None:
        start, end = canvas.mapFromScene(scene_from), canvas.mapFromScene(scene_to)
        QTest.mousePress(viewport, LEFT, NO_KEYS, start)
        QTest.mouseMove(viewport, (start + end) / 2)
        QTest.mouseMove(viewport, end)
        QTest.mouseRelease(viewport, LEFT, NO_KEYS, end)

    drag_handle(QPointF(64, 32), QPointF(64 + 21, 32))  # the right handle, 21 px out: snapped to 24
    assert extension.sides == (0, 0, 24, 0)
    qtbot.wait(20)  # the canvas makes room after a drag: read the handles' places again
    drag_handle(QPointF(44, 0), QPointF(44, -14))  # the top handle (the middle of the new width), up
    assert extension.sides == (0, 16, 24, 0)
    qtbot.wait(20)
    drag_handle(QPointF(44, -16), QPointF(44, -9))  # back in: 9 px is nearer 8 than 16
    assert extension.sides == (0, 8, 24, 0)
    assert "88 \u00d7 72" in child(bar, "extendSizeLabel").text()
    frame = extension.frame.extended_rect()
    assert (frame.left(), frame.top(), frame.right(), frame.bottom()) == (0, -8, 88, 64)

    _entry, made = extend_and_wait(qtbot, window, child(bar, "extendApplyButton"))
    assert not bar.isVisible() and not extension.active
    assert_extended(window, source, made, (0, 8, 24, 0))


def test_an_aspect_ratio_gives_its_size_with_the_picture_where_placed(qtbot, window):
    source = picture_on_canvas(qtbot, window)
    choose(window, "extend_canvas", source.id)  # from the history's context menu this time
    dialog = window.findChild(QDialog, "extendDialog")
    qtbot.waitUntil(lambda: dialog.isVisible())
    extension, combo = window.canvas_extension, child(dialog, "extendAspectCombo")
    assert not child(dialog, "extendAnchor-top").isEnabled()  # placement goes with a ratio
    combo.setCurrentIndex(combo.findData("16:9"))
    assert extension.sides == (24, 0, 24, 0)
    assert "112 \u00d7 64" in child(dialog, "extendResultLabel").text()
    assert child(dialog, "extendLeftSpin").value() == 24 and combo.currentData() == "16:9"

    combo.setCurrentIndex(combo.findData("9:16"))
    qtbot.mouseClick(child(dialog, "extendAnchor-top"), LEFT)  # the picture at the top: room below it
    assert extension.sides == (0, 0, 0, 48)
    assert "64 \u00d7 112" in child(dialog, "extendResultLabel").text()
    frame = extension.frame.extended_rect()
    assert (frame.width(), frame.height()) == (64, 112)

    child(dialog, "extendRightSpin").setValue(8)  # a side typed by hand: free sides again
    assert combo.currentData() == "" and extension.sides == (0, 0, 8, 48)

    qtbot.mouseClick(child(dialog, "extendDialogCancelButton"), LEFT)
    assert not extension.active and not extension.frame.isVisible()
    assert window.canvas.sceneRect().width() == 64 and window.canvas.fit_mode  # the room for dragging is gone


def test_an_extension_past_the_largest_side_says_so_in_one_line_and_queues_nothing(qtbot, window):
    source = picture_on_canvas(qtbot, window)
    dialog = dialog_of(qtbot, window)
    child(dialog, "extendRightSpin").setValue(MAX_SIDE)
    said = child(dialog, "extendResultLabel").text()
    assert f"{MAX_SIDE + 64} \u00d7 64" in said and f"largest side ({MAX_SIDE} px)" in said and "\n" not in said
    assert not child(dialog, "extendOkButton").isEnabled()

    jobs = window.generation.queue_model.rowCount()
    qtbot.mouseClick(window.panel.generate_button, LEFT)  # Generate extends too: not this one
    assert "largest side" in window.panel.message_label.text()
    assert window.generation.queue_model.rowCount() == jobs and len(list(window.project.outputs())) == 1

    told = []  # the project thread refuses it as well, before decoding the picture
    worker = window.projects.worker
    with heard(qtbot, worker.failed, timeout=5000) as failures:
        window.project_controller.prepare_extension(source.id, (0, 0, MAX_SIDE, 0), told.append)
    qtbot.wait(20)  # and whatever the window does with it
    [(message,)] = failures
    assert "largest side" in message and "\n" not in message and told == []

    # Esc leaves the extension being set up, from the dialog or from the canvas with its handles.
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not window.canvas_extension.active and not dialog.isVisible()
    trigger(window, "extendWithHandlesAction")
    assert window.canvas_extension.active
    window.activateWindow()  # the window's own shortcut: it must be the active one again
    qtbot.waitUntil(window.isActiveWindow)
    QTest.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert not window.canvas_extension.active and not child(window.canvas, "extendBar").isVisible()
