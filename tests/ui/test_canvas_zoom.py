"""The canvas's zoom as the artist sees it: the percentage in its corner, the View menu's
commands and their shortcuts, and square pixels above 100 % (on the real window)."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel


def action(window, name: str) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def checker(size: int = 64) -> QImage:
    """Black and white pixels in a checkerboard: any smoothing between them shows as grey."""
    image = QImage(size, size, QImage.Format.Format_RGB32)
    for y in range(size):
        for x in range(size):
            image.setPixelColor(x, y, QColor(255, 255, 255) if (x + y) % 2 else QColor(0, 0, 0))
    return image


def smooth(canvas) -> bool:
    item = canvas.scene().items()[0]
    hinted = bool(canvas.renderHints() & QPainter.RenderHint.SmoothPixmapTransform)
    assert hinted == (item.transformationMode() == Qt.TransformationMode.SmoothTransformation)
    return hinted


def greys(canvas) -> int:
    """Pixels of the painted image that are neither black nor white (nor the background)."""
    shown = canvas.viewport().grab().toImage()
    box = canvas.mapFromScene(canvas.scene().items()[0].sceneBoundingRect()).boundingRect()
    box = box.intersected(shown.rect()).adjusted(2, 2, -2, -2)
    count = 0
    for y in range(box.top(), box.bottom(), 3):
        for x in range(box.left(), box.right(), 3):
            level = shown.pixelColor(x, y).red()
            count += 12 < level < 243
    return count


def test_the_view_menu_zooms_and_the_corner_says_by_how_much(qtbot, window):
    canvas = window.canvas
    shown = canvas.findChild(QLabel, "zoomLabel")
    assert shown is None or not shown.isVisible()  # no image, no zoom to tell
    canvas.show_image(QImage(400, 300, QImage.Format.Format_RGB32))
    label = canvas.findChild(QLabel, "zoomLabel")
    assert label is canvas.zoom_label
    assert label.isVisible() and label.text().startswith("Fit \u00b7 ") and label.text().endswith(" %")

    action(window, "actualSizeAction").trigger()
    assert label.text() == "100 %" and canvas.zoom == 1.0
    action(window, "zoomInAction").trigger()
    assert label.text() == "125 %"
    action(window, "zoomOutAction").trigger()
    action(window, "zoomOutAction").trigger()
    assert label.text() == "80 %"
    action(window, "zoomFitAction").trigger()
    assert canvas.fit_mode and label.text() == f"Fit \u00b7 {canvas.zoom * 100:.0f} %"

    # The label sits in the viewport's bottom-right corner, over the image.
    area = canvas.viewport().geometry()
    assert area.contains(label.geometry()) and label.geometry().right() > area.center().x()


def test_the_zoom_shortcuts_are_the_usual_ones_and_work_from_anywhere(qtbot, window):
    keys = {name: [k.toString() for k in action(window, name).shortcuts()]
            for name in ("zoomInAction", "zoomOutAction", "zoomFitAction", "actualSizeAction")}
    assert keys == {"zoomInAction": ["Ctrl++", "Ctrl+="], "zoomOutAction": ["Ctrl+-"],
                    "zoomFitAction": ["Ctrl+0"], "actualSizeAction": ["Ctrl+1"]}
    canvas = window.canvas
    canvas.show_image(QImage(400, 300, QImage.Format.Format_RGB32))
    window.panel.prompt_edit.setFocus()  # typing a prompt: the shortcuts still reach the canvas
    qtbot.keyClick(window.panel.prompt_edit, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom_label.text() == "100 %"
    qtbot.keyClick(window.panel.prompt_edit, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom_label.text() == "125 %"
    qtbot.keyClick(window.panel.prompt_edit, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom_label.text() == "100 %"
    assert window.panel.prompt_edit.toPlainText() == ""  # none of it was typed


def test_pixels_are_squares_above_100_percent_and_smoothed_at_or_below(qtbot, window):
    canvas = window.canvas
    canvas.show_image(checker())
    canvas.set_zoom(16.0)
    qtbot.wait(20)
    assert not smooth(canvas) and canvas.zoom_label.text() == "1600 %"
    assert greys(canvas) == 0  # every screen pixel is one of an image pixel's two colours

    canvas.set_zoom(1.0)
    assert smooth(canvas)
    canvas.set_zoom(0.6)
    assert smooth(canvas)
    qtbot.wait(20)
    assert greys(canvas) > 0  # reduced: neighbouring pixels are blended
    canvas.set_zoom(1.25)
    assert not smooth(canvas)


def test_a_comparison_names_its_image_and_ends_where_it_began(qtbot, window):
    canvas = window.canvas
    own, other = QImage(64, 64, QImage.Format.Format_RGB32), QImage(64, 64, QImage.Format.Format_RGB32)
    own.fill(QColor("red"))
    other.fill(QColor("blue"))
    canvas.show_image(own)
    canvas.set_zoom(3.0)
    canvas.compare_with(other, "Previous image \u00b7 seed 4")
    assert canvas.current_image().pixelColor(0, 0) == QColor("blue")
    assert canvas.compare_label.isVisible() and canvas.comparing == "Previous image \u00b7 seed 4"
    assert canvas.zoom == 3.0  # the same size: the same zoom, so the two can be told apart
    canvas.end_compare()
    assert canvas.current_image().pixelColor(0, 0) == QColor("red")
    assert not canvas.compare_label.isVisible() and canvas.comparing is None and canvas.zoom == 3.0
