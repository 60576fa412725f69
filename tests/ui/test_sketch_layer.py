"""The sketch layer in the real window: with no picture shown, the Sketch tool draws on a blank
page of the generation size; pen strokes and the eraser, painted with mouse drags on the canvas,
make a raster of white lines on black (what a ControlNet reads), each stroke one undo step; Clear;
a mask tool puts the pen down."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolBar
from window_driver import fill

from atelier.ui.canvas import CanvasView

LEFT, NO_KEYS = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def action(win, name: str) -> QAction:
    win.image_menu.aboutToShow.emit()  # the Sketch submenu is made when the Image menu first opens
    found = win.findChild(QAction, name)
    assert found is not None, name
    return found


def drag(win, points: list[tuple[float, float]]) -> None:
    """A left-button drag through image pixels ``points`` on the canvas found by its objectName."""
    canvas = win.findChild(CanvasView, "canvasView")
    viewport = canvas.viewport()
    first, *rest = [canvas.mapFromScene(QPointF(x, y)) for x, y in points]
    QTest.mousePress(viewport, LEFT, NO_KEYS, first)
    for point in rest:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, LEFT, NO_KEYS, rest[-1])


def undo_keys(win, redo=False) -> None:
    modifiers = Qt.KeyboardModifier.ControlModifier | (Qt.KeyboardModifier.ShiftModifier if redo else NO_KEYS)
    QTest.keyClick(win.canvas, Qt.Key.Key_Z, modifiers)


def test_pen_and_eraser_strokes_draw_white_lines_one_undo_step_each(qtbot, window):
    fill(qtbot, window, size=(96, 64))
    assert window.canvas.image_size() is None and window.canvas.sketch_layer is None  # nothing until used
    action(window, "sketchPenAction").trigger()
    layer = window.canvas.sketch_layer
    assert layer.tool == "pen" and window.findChild(QToolBar, "sketchToolBar").isVisible()
    assert window.canvas.image_size() == (96, 64)  # a blank page of the generation size
    qtbot.wait(50)  # the tool row pushed the canvas down: let the layout settle before dragging
    layer.set_brush_size(4)

    drag(window, [(10, 20), (30, 20), (50, 20), (70, 20)])
    raster = layer.control_raster()
    assert raster.shape == (64, 96)
    assert (raster[20, 12:69] == 255).all()  # white along the line
    assert not raster[:15].any() and not raster[26:].any()  # black away from it
    assert window.undo_stack.undoText() == "sketch pen stroke"
    drag(window, [(40, 5), (40, 50)])  # a second stroke, across the first
    assert (layer.document.raster[8:48, 40] == 255).all()
    two_strokes = layer.document.raster.copy()

    undo_keys(window)  # the second stroke, and only it
    assert not layer.document.raster[30:48, 40].any() and (layer.document.raster[20, 12:69] == 255).all()
    undo_keys(window, redo=True)
    assert (layer.document.raster == two_strokes).all()

    action(window, "sketchEraserAction").trigger()
    assert layer.tool == "eraser"
    layer.set_brush_size(10)
    drag(window, [(20, 20), (30, 20)])
    assert not layer.document.raster[20, 22:29].any()  # taken away under the eraser
    assert (layer.document.raster[20, 45:69] == 255).all()  # kept past it
    assert window.undo_stack.undoText() == "sketch eraser"
    undo_keys(window)
    assert (layer.document.raster == two_strokes).all()

    action(window, "sketchClearAction").trigger()
    assert layer.control_raster() is None  # nothing sketched: no control image
    undo_keys(window)
    assert (layer.document.raster == two_strokes).all()

    # A mask tool puts the pen down, and drags paint the mask, not the sketch.
    action(window, "maskBrushAction").trigger()
    assert layer.tool is None and window.canvas.mask_layer.tool == "brush"
    drag(window, [(80, 50), (90, 50)])
    assert window.canvas.mask_layer.painted and (layer.document.raster == two_strokes).all()
    action(window, "sketchShowAction").trigger()  # hide the sketch
    assert not layer.visible
    action(window, "sketchPenAction").trigger()  # picking the pen shows it again
    assert layer.visible and window.canvas.mask_layer.tool is None
