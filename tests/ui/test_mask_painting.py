"""The mask layer in the real window, on the tiny SD1.5 model: painting with mouse drags on the
canvas, each stroke or selection one undo step, fill/clear/invert, hiding it, and Generate with
a painted mask repainting only the masked area of the picture shown."""

import io

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QImage, QUndoStack
from PySide6.QtTest import QTest
from window_driver import fill, generate_and_wait

from atelier.core.inpaint import Edges, composite_mask
from atelier.core.recipe import Recipe
from atelier.ui.canvas import CanvasView

LEFT, NO_KEYS = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def action(win, name: str) -> QAction:
    win.image_menu.aboutToShow.emit()  # the Mask submenu is made when the Image menu first opens
    found = win.findChild(QAction, name)
    assert found is not None, name
    return found


def on_screen(win, x: float, y: float) -> QPoint:
    """Where image pixel (x, y) is in the canvas's viewport."""
    return win.canvas.mapFromScene(QPointF(x, y))


def drag(win, points: list[tuple[float, float]], modifiers=NO_KEYS) -> None:
    viewport = win.canvas.viewport()
    first, *rest = [on_screen(win, x, y) for x, y in points]
    QTest.mousePress(viewport, LEFT, modifiers, first)
    for point in rest:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, LEFT, modifiers, rest[-1] if rest else first)


def undo_keys(win, redo=False) -> None:
    modifiers = Qt.KeyboardModifier.ControlModifier | (Qt.KeyboardModifier.ShiftModifier if redo else NO_KEYS)
    QTest.keyClick(win.canvas, Qt.Key.Key_Z, modifiers)


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB")).astype(np.int16)


def picture_on_canvas(qtbot, win, size=(64, 64)):
    fill(qtbot, win, size=size, steps=2, seed=7)
    generate_and_wait(qtbot, win)
    [(_entry, source)] = list(win.project.outputs())
    qtbot.waitUntil(lambda: win.canvas.image_size() == size and win.project_controller.current_output_id == source.id)
    return source


def test_strokes_and_selections_paint_the_mask_one_undo_step_each(qtbot, window):
    picture_on_canvas(qtbot, window)
    assert window.canvas.mask_layer is None and window.findChild(object, "maskToolBar") is None  # not at start
    action(window, "maskBrushAction").trigger()
    layer = window.canvas.mask_layer
    assert layer.tool == "brush" and window.findChild(object, "maskToolBar").isVisible()
    qtbot.wait(50)  # the tool row pushed the canvas down: let the layout settle before dragging
    assert layer.document.is_empty and (layer.document.width, layer.document.height) == (64, 64)
    layer.set_brush_size(6)
    layer.hardness = 1.0

    drag(window, [(10, 32), (16, 32), (24, 32), (30, 32)])
    raster = layer.document.raster
    assert (raster[32, 12:29] == 255).all()  # along the drag
    assert not raster[:24].any() and not raster[41:].any() and not raster[:, 40:].any()  # nowhere far from it
    stroke = raster.copy()
    assert window.undo_stack.undoText() == "mask brush stroke"

    undo_keys(window)
    assert layer.document.is_empty  # that stroke, and only it, undone
    undo_keys(window, redo=True)
    assert np.array_equal(layer.document.raster, stroke)  # redone once, not twice
    undo_keys(window, redo=True)  # nothing more to redo
    assert np.array_equal(layer.document.raster, stroke)

    # `[` and `]` change the brush size while a brush is the tool.
    QTest.keyClick(window.canvas, Qt.Key.Key_BracketRight)
    assert layer.brush_size > 6
    QTest.keyClick(window.canvas, Qt.Key.Key_BracketLeft)
    assert layer.brush_size == 6

    action(window, "maskEraserAction").trigger()
    layer.set_brush_size(12)  # wider than the stroke: its soft edge goes too
    drag(window, [(4, 32), (36, 32)])
    assert not layer.document.raster.any()
    undo_keys(window)
    assert np.array_equal(layer.document.raster, stroke)

    action(window, "maskRectAction").trigger()
    drag(window, [(40, 8), (50, 20), (56, 24)])
    raster = layer.document.raster
    assert (raster[9:23, 41:55] == 255).all() and not raster[26:, 41:].any() and not raster[:6].any()
    rectangle = raster.copy()

    action(window, "maskLassoAction").trigger()
    drag(window, [(4, 48), (20, 48), (20, 60), (4, 60)])
    assert (layer.document.raster[50:58, 6:18] == 255).all()
    undo_keys(window)
    assert np.array_equal(layer.document.raster, rectangle)

    action(window, "maskInvertAction").trigger()
    assert np.array_equal(layer.document.raster, 255 - rectangle)
    action(window, "maskClearAction").trigger()
    assert layer.document.is_empty
    action(window, "maskFillAction").trigger()
    assert (layer.document.raster == 255).all()
    for _ in range(3):
        undo_keys(window)
    assert np.array_equal(layer.document.raster, rectangle)

    show = action(window, "maskShowAction")
    show.trigger()
    assert not show.isChecked() and not layer.visible
    action(window, "maskBrushAction").trigger()  # painting shows it again
    assert show.isChecked() and layer.visible

    action(window, "maskNoToolAction").trigger()  # back to the plain view: a left drag paints nothing
    drag(window, [(4, 4), (30, 4)])
    assert np.array_equal(layer.document.raster, rectangle)


def test_generate_with_a_mask_repaints_only_the_masked_area_linked_to_its_source(qtbot, window):
    source = picture_on_canvas(qtbot, window)
    action(window, "maskRectAction").trigger()
    drag(window, [(20, 20), (44, 44)])
    painted = window.canvas.mask_layer.document.raster.copy()
    assert painted[20:44, 20:44].all() and painted.sum() == 24 * 24 * 255
    window.panel.prompt_edit.setPlainText("a red apple")
    window.mask_tools.generation_side = 64  # the model's native 512 takes minutes on a CPU

    generate_and_wait(qtbot, window, count=2)
    [made] = [output for _entry, output in window.project.outputs() if output.id != source.id]
    recipe = Recipe.from_dict(made.recipe)
    assert recipe.task == "inpaint" and recipe.inputs["init_image"] == source.asset
    assert (recipe.request.width, recipe.request.height, recipe.request.fill_mode) == (64, 64, "fill")
    assert made.source == source.id  # linked to the picture it repainted, in the history

    read = window.project_controller.read_asset
    with Image.open(io.BytesIO(read(recipe.inputs["mask"]))) as stored:
        assert np.array_equal(np.asarray(stored), painted)  # the mask as painted, kept in the project
    before, after = pixels(read(source.asset)), pixels(read(made.asset))
    assert after.shape == before.shape == (64, 64, 3)
    request = recipe.request
    touched = composite_mask(painted, Edges(request.grow, request.feather, request.blend)) > 0  # as the engine used
    assert touched[32, 32] and not touched.all()
    assert np.array_equal(after[~touched], before[~touched])  # outside the mask: the original, bit for bit
    assert np.abs(after[20:44, 20:44] - before[20:44, 20:44]).mean() > 1  # inside: repainted


def grey(width: int, height: int) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(90, 90, 90))
    return image


def test_panning_still_pans_with_a_mask_tool_and_a_new_size_drops_the_mask(qtbot):
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show()
    qtbot.waitExposed(view)
    view.show_image(grey(800, 600))
    view.set_zoom(2.0)
    QTest.qWait(10)
    layer = view.add_mask_layer(QUndoStack(view))
    layer.set_tool("brush")
    viewport, h = view.viewport(), view.horizontalScrollBar()
    assert viewport.cursor().shape() == Qt.CursorShape.BitmapCursor  # the brush's circle
    start = h.value()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, NO_KEYS, QPoint(300, 200))
    QTest.mouseMove(viewport, QPoint(340, 200))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, NO_KEYS, QPoint(340, 200))
    assert h.value() == start - 40 and layer.document.is_empty  # panned, painted nothing
    assert viewport.cursor().shape() == Qt.CursorShape.BitmapCursor  # the tool's cursor is back
    QTest.keyPress(view, Qt.Key.Key_Space)
    QTest.mousePress(viewport, LEFT, NO_KEYS, QPoint(300, 200))
    QTest.mouseMove(viewport, QPoint(260, 200))
    QTest.mouseRelease(viewport, LEFT, NO_KEYS, QPoint(260, 200))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert h.value() == start and layer.document.is_empty

    layer.set_tool("lasso")  # Alt takes away from the mask
    layer.apply("fill")
    viewport_points = [view.mapFromScene(QPointF(x, y)) for x, y in ((200, 200), (300, 200), (300, 300), (200, 300))]
    QTest.mousePress(viewport, LEFT, Qt.KeyboardModifier.AltModifier, viewport_points[0])
    for point in viewport_points[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.AltModifier, viewport_points[-1])
    raster = layer.document.raster
    assert not raster[205:295, 205:295].any() and raster[:190].all() and raster[310:].all()

    view.show_image(grey(800, 600))  # the same size: the mask stays
    assert layer.painted
    view.show_image(grey(640, 640))  # another size: it no longer fits
    assert layer.document is None and not layer.painted
