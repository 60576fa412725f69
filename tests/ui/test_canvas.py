"""The canvas, driven like an artist would: zoom, pan, drag and drop, clipboard (offscreen)."""

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QWheelEvent,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from atelier.ui.canvas import FIT_MARGIN, MAX_ZOOM, MIN_ZOOM, ZOOM_STEP, CanvasView

BACKGROUND = QColor(200, 40, 90)


def make_image(width: int, height: int, color: QColor = BACKGROUND) -> QImage:
    """A non-uniform image (a gradient stripe across a flat fill), so pixel compares mean
    something. Painted, not set pixel by pixel: a few calls, whatever the size."""
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(color)
    gradient = QLinearGradient(0, 0, width, 0)
    gradient.setColorAt(0, QColor(0, 255, 17))
    gradient.setColorAt(1, QColor(255, 0, 17, 128))
    painter = QPainter(image)
    painter.fillRect(0, 0, width, height // 2, gradient)
    painter.end()
    return image


def fitted_scale(canvas: CanvasView, width: int, height: int) -> float:
    view = canvas.maximumViewportSize()
    return min((view.width() - 2 * FIT_MARGIN) / width, (view.height() - 2 * FIT_MARGIN) / height, 2.0)


@pytest.fixture
def canvas(qtbot):
    view = CanvasView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show()
    qtbot.waitExposed(view)
    return view


def wheel(canvas: CanvasView, pos: QPointF, notches: float) -> None:
    event = QWheelEvent(
        pos, QPointF(canvas.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0),
        QPoint(0, int(120 * notches)), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def settle() -> None:
    """Let pending layout run: scroll bars appearing after a zoom shrink the viewport."""
    QApplication.processEvents()


def drag_mime(path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def test_identity_and_empty_state(canvas):
    assert canvas.objectName() == "canvasView"
    assert canvas.accessibleName() == "Image canvas"
    assert canvas.image_size() is None
    assert canvas.current_image() is None
    assert canvas.copy_image() is False
    canvas.zoom_in()  # nothing to zoom: no change, no crash
    assert canvas.zoom == 1.0


def test_show_image_fits(canvas):
    canvas.show_image(make_image(64, 48))
    assert canvas.image_size() == (64, 48)
    assert canvas.fit_mode
    # A small image fits at the 2x cap, not blown up to fill the 640x480 view.
    assert canvas.zoom == pytest.approx(2.0)
    assert canvas.zoom == pytest.approx(fitted_scale(canvas, 64, 48))
    assert "64 × 48" in canvas.accessibleDescription()


def test_large_image_fits_inside_view(canvas):
    canvas.show_image(make_image(2000, 1000))
    expected = fitted_scale(canvas, 2000, 1000)
    assert expected < 1.0
    assert canvas.zoom == pytest.approx(expected)
    assert not canvas.horizontalScrollBar().isVisible()


def test_zoom_in_and_out_by_fixed_factor(canvas, qtbot):
    canvas.show_image(make_image(64, 48))
    before = canvas.zoom
    with qtbot.waitSignal(canvas.zoom_changed) as blocker:
        canvas.zoom_in()
    assert canvas.zoom == pytest.approx(before * ZOOM_STEP)
    assert blocker.args == [pytest.approx(before * ZOOM_STEP)]
    assert not canvas.fit_mode
    canvas.zoom_out()
    canvas.zoom_out()
    assert canvas.zoom == pytest.approx(before / ZOOM_STEP)


def test_zoom_is_clamped(canvas, qtbot):
    canvas.show_image(make_image(64, 48))
    canvas.set_zoom(1000.0)
    assert canvas.zoom == pytest.approx(MAX_ZOOM)
    with qtbot.assertNotEmitted(canvas.zoom_changed):
        canvas.zoom_in()
    assert canvas.zoom == pytest.approx(MAX_ZOOM)
    canvas.set_zoom(0.0001)
    assert canvas.zoom == pytest.approx(MIN_ZOOM)
    canvas.zoom_out()
    assert canvas.zoom == pytest.approx(MIN_ZOOM)


@pytest.mark.parametrize("key", [Qt.Key.Key_Plus, Qt.Key.Key_Equal])
def test_plus_keys_zoom_in(canvas, key):
    canvas.show_image(make_image(64, 48))
    before = canvas.zoom
    QTest.keyClick(canvas, key)
    assert canvas.zoom == pytest.approx(before * ZOOM_STEP)


def test_minus_key_zooms_out(canvas):
    canvas.show_image(make_image(64, 48))
    before = canvas.zoom
    QTest.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.zoom == pytest.approx(before / ZOOM_STEP)


def test_one_key_is_actual_size(canvas, qtbot):
    canvas.show_image(make_image(64, 48))
    assert canvas.zoom == pytest.approx(2.0)
    with qtbot.waitSignal(canvas.zoom_changed) as blocker:
        QTest.keyClick(canvas, Qt.Key.Key_1)
    assert canvas.zoom == 1.0
    assert blocker.args == [1.0]
    assert not canvas.fit_mode


@pytest.mark.parametrize("key", [Qt.Key.Key_0, Qt.Key.Key_F])
def test_fit_keys(canvas, key):
    canvas.show_image(make_image(64, 48))
    canvas.set_zoom(5.0)
    assert not canvas.fit_mode
    QTest.keyClick(canvas, key)
    assert canvas.fit_mode
    assert canvas.zoom == pytest.approx(fitted_scale(canvas, 64, 48))


def test_keys_with_ctrl_are_not_zoom_keys(canvas):
    canvas.show_image(make_image(64, 48))
    before = canvas.zoom
    QTest.keyClick(canvas, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert canvas.zoom == before
    assert canvas.fit_mode


def test_wheel_zooms_around_cursor(canvas, qtbot):
    canvas.show_image(make_image(640, 480))
    canvas.actual_size()
    canvas.set_zoom(2.0)  # 1280x960 in a 640x480 view: scroll bars on both axes
    settle()
    cursor = QPointF(100, 80)
    under_cursor = canvas.mapToScene(cursor.toPoint())
    with qtbot.waitSignal(canvas.zoom_changed) as blocker:
        wheel(canvas, cursor, 1)
    assert canvas.zoom == pytest.approx(2.0 * ZOOM_STEP)
    assert blocker.args == [pytest.approx(2.0 * ZOOM_STEP)]
    after = canvas.mapToScene(cursor.toPoint())
    # The same image point stays under the cursor (to within a screen pixel).
    assert abs(after.x() - under_cursor.x()) <= 1.0
    assert abs(after.y() - under_cursor.y()) <= 1.0
    wheel(canvas, cursor, -2)
    assert canvas.zoom == pytest.approx(2.0 / ZOOM_STEP)


def test_wheel_zoom_leaves_fit_mode(canvas):
    canvas.show_image(make_image(64, 48))
    wheel(canvas, QPointF(320, 240), -1)
    assert canvas.zoom == pytest.approx(2.0 / ZOOM_STEP)
    assert not canvas.fit_mode


def test_resize_after_manual_zoom_keeps_zoom(canvas, qtbot):
    canvas.show_image(make_image(64, 48))
    canvas.zoom_in()
    zoom = canvas.zoom
    canvas.resize(900, 700)
    qtbot.waitUntil(lambda: canvas.viewport().width() > 800)
    assert canvas.zoom == pytest.approx(zoom)
    assert not canvas.fit_mode


def test_resize_in_fit_mode_refits(canvas, qtbot):
    canvas.show_image(make_image(2000, 1000))
    before = canvas.zoom
    canvas.resize(1000, 800)
    qtbot.waitUntil(lambda: canvas.viewport().width() > 900)
    assert canvas.fit_mode
    assert canvas.zoom == pytest.approx(fitted_scale(canvas, 2000, 1000))
    assert canvas.zoom > before


def test_fit_returns_to_fit_mode(canvas, qtbot):
    canvas.show_image(make_image(2000, 1000))
    canvas.actual_size()
    canvas.fit()
    assert canvas.fit_mode
    canvas.resize(1000, 800)
    qtbot.waitUntil(lambda: canvas.viewport().width() > 900)
    assert canvas.zoom == pytest.approx(fitted_scale(canvas, 2000, 1000))


def test_same_size_image_keeps_zoom_and_pan(canvas):
    canvas.show_image(make_image(640, 480))
    canvas.set_zoom(3.0)
    settle()
    canvas.horizontalScrollBar().setValue(canvas.horizontalScrollBar().value() - 100)
    h, v = canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()
    final = make_image(640, 480, QColor(10, 200, 10))
    canvas.show_image(final)
    assert canvas.zoom == pytest.approx(3.0)
    assert not canvas.fit_mode
    assert (canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()) == (h, v)
    assert canvas.current_image().pixelColor(0, 479) == QColor(10, 200, 10)  # below the stripe


def test_different_size_image_refits(canvas):
    canvas.show_image(make_image(640, 480))
    canvas.set_zoom(3.0)
    canvas.show_image(make_image(2000, 1000))
    assert canvas.fit_mode
    assert canvas.image_size() == (2000, 1000)
    assert canvas.zoom == pytest.approx(fitted_scale(canvas, 2000, 1000))


def test_preview_stretched_to_requested_size(canvas):
    canvas.show_image(make_image(64, 64), (512, 512))
    assert canvas.image_size() == (512, 512)
    assert canvas.current_image().size().toTuple() == (512, 512)
    canvas.set_zoom(1.5)
    # The final image at the requested size keeps the artist's zoom.
    canvas.show_image(make_image(512, 512))
    assert canvas.image_size() == (512, 512)
    assert canvas.zoom == pytest.approx(1.5)
    # A preview already at the requested size is shown as is.
    preview = make_image(512, 512)
    canvas.show_image(preview, (512, 512))
    assert canvas.current_image() == preview


def _colours_at_image_centre(canvas) -> set[tuple[int, int, int]]:
    """The colours in a 32x32 square of the rendered canvas at the image's centre (one
    checkerboard tile is 32 px on screen at 100 %)."""
    QApplication.processEvents()
    shot = canvas.viewport().grab().toImage()
    centre = canvas.mapFromScene(canvas.sceneRect().center())
    return {QColor(shot.pixel(centre.x() + dx, centre.y() + dy)).getRgb()[:3]
            for dx in range(-16, 16, 4) for dy in range(-16, 16, 4)}


def test_checkerboard_shows_through_transparency_only(canvas):
    clear = QImage(64, 64, QImage.Format.Format_ARGB32)
    clear.fill(QColor(0, 0, 0, 0))
    canvas.show_image(clear)
    canvas.actual_size()
    # Both checkerboard colours show through a fully transparent image.
    assert _colours_at_image_centre(canvas) == {(58, 58, 62), (70, 70, 75)}
    # An image without alpha covers it: the canvas shows the image's own colour, nothing under it.
    opaque = QImage(64, 64, QImage.Format.Format_RGB888)
    opaque.fill(QColor(10, 120, 200))
    canvas.show_image(opaque)
    assert _colours_at_image_centre(canvas) == {(10, 120, 200)}


def test_middle_drag_pans(canvas, qtbot):
    canvas.show_image(make_image(640, 480))
    canvas.set_zoom(3.0)
    settle()
    h, v = canvas.horizontalScrollBar(), canvas.verticalScrollBar()
    assert h.maximum() > 0 and v.maximum() > 0
    start_h, start_v = h.value(), v.value()
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 200))
    assert viewport.cursor().shape() == Qt.CursorShape.ClosedHandCursor
    QTest.mouseMove(viewport, QPoint(340, 230))
    QTest.mouseMove(viewport, QPoint(380, 260))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(380, 260))
    # The image follows the hand: dragging right/down scrolls towards the left/top.
    assert (h.value(), v.value()) == (start_h - 80, start_v - 60)
    assert viewport.cursor().shape() == Qt.CursorShape.ArrowCursor
    QTest.mouseMove(viewport, QPoint(100, 100))  # released: moves no longer pan
    assert (h.value(), v.value()) == (start_h - 80, start_v - 60)


def test_space_left_drag_pans_with_hand_cursor(canvas):
    canvas.show_image(make_image(640, 480))
    canvas.set_zoom(3.0)
    settle()
    h, v = canvas.horizontalScrollBar(), canvas.verticalScrollBar()
    start_h, start_v = h.value(), v.value()
    viewport = canvas.viewport()
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    assert viewport.cursor().shape() == Qt.CursorShape.OpenHandCursor
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 200))
    assert viewport.cursor().shape() == Qt.CursorShape.ClosedHandCursor
    QTest.mouseMove(viewport, QPoint(250, 170))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(250, 170))
    assert (h.value(), v.value()) == (start_h + 50, start_v + 30)
    assert viewport.cursor().shape() == Qt.CursorShape.OpenHandCursor
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert viewport.cursor().shape() == Qt.CursorShape.ArrowCursor
    # Without space, a left drag does not pan.
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 200))
    QTest.mouseMove(viewport, QPoint(200, 100))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 100))
    assert (h.value(), v.value()) == (start_h + 50, start_v + 30)


@pytest.mark.parametrize("name", ["in.png", "photo.JPG", "art.jpeg", "pic.webp"])
def test_drop_image_file_emits_path(canvas, qtbot, tmp_path, name):
    path = tmp_path / name
    assert make_image(32, 32).save(str(path), "PNG")  # content is the window's concern
    mime = drag_mime(path)
    assert canvas.viewport().acceptDrops()  # Qt hands a real drag only to a widget that accepts drops
    pos = QPointF(100, 100)
    actions = Qt.DropAction.CopyAction
    # QDragEnterEvent takes an integer point, QDropEvent a float one.
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert enter.isAccepted()
    assert enter.dropAction() == Qt.DropAction.CopyAction
    drop = QDropEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(canvas.file_dropped, timeout=1000) as blocker:
        QApplication.sendEvent(canvas.viewport(), drop)
    assert drop.isAccepted()
    assert blocker.args == [str(path)]


def test_drop_other_files_refused(canvas, qtbot, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    mime = drag_mime(text)
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert not enter.isAccepted()
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.assertNotEmitted(canvas.file_dropped):
        QApplication.sendEvent(canvas.viewport(), drop)
    assert not drop.isAccepted()
    # Remote URLs are refused too, even with an image suffix.
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.com/a.png")])
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, remote, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert not enter.isAccepted()


def test_copy_image_to_clipboard(canvas):
    image = make_image(64, 48)
    canvas.show_image(image)
    assert canvas.current_image() == image
    QGuiApplication.clipboard().clear()
    assert canvas.copy_image() is True
    copied = QGuiApplication.clipboard().image()
    assert copied.size() == image.size()
    fmt = QImage.Format.Format_ARGB32
    assert copied.convertToFormat(fmt) == image.convertToFormat(fmt)


def test_ctrl_v_with_image_emits_paste_requested(canvas, qtbot):
    image = make_image(40, 30)
    QGuiApplication.clipboard().setImage(image)
    with qtbot.waitSignal(canvas.paste_requested, timeout=1000) as blocker:
        QTest.keyClick(canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = blocker.args[0]
    fmt = QImage.Format.Format_ARGB32
    assert pasted.convertToFormat(fmt) == image.convertToFormat(fmt)


def test_ctrl_v_without_image_does_nothing(canvas, qtbot):
    QGuiApplication.clipboard().setText("just words")
    with qtbot.assertNotEmitted(canvas.paste_requested):
        QTest.keyClick(canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert canvas.paste() is False


def test_an_empty_canvas_says_what_it_is_for_until_an_image_is_shown(canvas):
    assert "Generate" in canvas.hint and "Drop or paste an image" in canvas.hint
    empty = canvas.viewport().grab().toImage()
    background = canvas.backgroundBrush().color()
    rows = [[empty.pixelColor(x, y) for x in range(0, empty.width(), 2)] for y in range(0, empty.height(), 2)]
    assert all(colour == background for colour in rows[0])  # the top edge is bare ...
    assert any(colour != background for row in rows[len(rows) // 3:] for colour in row)  # ... the middle has text
    canvas.show_image(make_image(64, 48))
    assert canvas.hint is None
