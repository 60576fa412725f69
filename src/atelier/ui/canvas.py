"""The image view: shows the current image (or a live preview), with zoom, pan, drag and drop,
and the clipboard.

Zoom has two modes. In *fit* mode (the default, and after ``fit()`` or showing an image of a
new size) the image is refitted whenever the view resizes. Once the artist zooms by hand the
view is in *manual* mode: resizing keeps their zoom, and so does a new image of the same size,
so live previews followed by the final image never yank the view around.

The zoom shows in a corner. Above 100 % pixels are drawn as squares (nearest neighbour), so
they can be inspected; at or below it the image is smoothed. ``compare_with`` puts another
image in place of the shown one, named in the other corner, until ``end_compare``.
"""

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
    QTransform,
)
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QLabel, QWidget

from .widgets import own_viewport

MIN_ZOOM = 0.02  # 2 %
MAX_ZOOM = 32.0  # 3200 %
ZOOM_STEP = 1.25  # one key press or one wheel notch
FIT_MAX = 2.0  # fitting never blows a small image up past 2x: tiny previews stay crisp enough
FIT_MARGIN = 12  # px of background left around a fitted image
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})

_WHEEL_NOTCH = 120  # angleDelta units per wheel notch (1/8 degree each, 15 degrees a notch)
_MODIFIERS_ALLOWED = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
_OVERLAY_MARGIN = 8  # px between a corner label and the viewport's edge
# Corner labels sit over any image, so they carry their own dark pill rather than the palette's.
_EMPTY_HINT = ("Describe what you want in the prompt and press Generate (Ctrl+Enter).\n\n"
               "Drop or paste an image here to bring it into the project.")
_HINT_COLOUR = QColor(154, 154, 164)
_PAGE_COLOUR = QColor(236, 236, 232)  # the blank page sketched on while no picture is shown
_PILL = "QLabel {{ background: rgba(24, 24, 28, 185); color: {colour}; border-radius: 9px; padding: 2px 9px; }}"


def _checkerboard(size: int = 16) -> QPixmap:
    tile = QPixmap(size * 2, size * 2)
    tile.fill(QColor(58, 58, 62))
    painter = QPainter(tile)
    painter.fillRect(0, 0, size, size, QColor(70, 70, 75))
    painter.fillRect(size, size, size, size, QColor(70, 70, 75))
    painter.end()
    return tile


def dropped_image_path(mime) -> str | None:
    """The first local image file (by suffix) among ``mime``'s URLs, or None."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES:
            return url.toLocalFile()
    return None


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)  # the new scale, 1.0 = 100 %
    file_dropped = Signal(str)  # path of an image file dropped on the canvas
    paste_requested = Signal(QImage)  # Ctrl+V with an image on the clipboard

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("canvasView")
        self.setAccessibleName("Image canvas")
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._item)
        self._image: QImage | None = None
        self._opaque = True  # the image has no alpha channel: no checkerboard to paint under it
        self.setBackgroundBrush(QBrush(QColor(38, 38, 42)))
        self._checker = QBrush(_checkerboard())
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Keyboard zooms anchor on the view centre; a manual zoom survives a resize centred.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        own_viewport(self).setAcceptDrops(True)
        self.setMinimumSize(320, 320)

        self._fit_mode = True
        self._zoom = 1.0  # last value announced by zoom_changed
        self._space_held = False
        self._pan_from: QPoint | None = None  # viewport position of the last pan step
        self._pan_button = Qt.MouseButton.NoButton  # the button that started the pan
        self._own_image: QImage | None = None  # while comparing: the image to go back to
        # Children of the view, not of its viewport: the viewport's children scroll with it.
        # Made when first shown: a label with a style sheet costs the window's start 2 ms.
        self._zoom_label: QLabel | None = None
        self._compare_label: QLabel | None = None
        self.mask_layer = None  # the MaskLayer (ui/mask_layer.py), made when a mask tool is first picked
        self.sketch_layer = None  # the SketchLayer (ui/sketch_layer.py), made when the sketch tool is first picked
        self._empty_state: QWidget | None = None  # shown in place of the hint (ui/first_run.py)
        self._update_description()

    @property
    def zoom_label(self) -> QLabel:
        """The corner that says how far the image is zoomed (objectName zoomLabel)."""
        if self._zoom_label is None:
            self._zoom_label = self._overlay("zoomLabel", "Zoom", "#e6e6ea")
        return self._zoom_label

    @property
    def compare_label(self) -> QLabel:
        """The caption that says which image a comparison shows (objectName compareLabel)."""
        if self._compare_label is None:
            self._compare_label = self._overlay("compareLabel", "Compared image", "#ffd37a")
        return self._compare_label

    def set_empty_state(self, widget: QWidget | None) -> None:
        """Show ``widget`` in the middle of the canvas while it is empty, in place of the hint
        (None: the hint again)."""
        if self._empty_state is not None and self._empty_state is not widget:
            self._empty_state.hide()
        self._empty_state = widget
        if widget is not None and widget.parent() is not self:
            widget.setParent(self)  # of the view, not of its viewport: it does not scroll
        self._update_empty_state()
        self.viewport().update()

    def _update_empty_state(self) -> None:
        if self._empty_state is not None:
            self._empty_state.setVisible(self._item.pixmap().isNull())
            self._place_overlays()

    def _overlay(self, name: str, accessible: str, colour: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setAccessibleName(accessible)
        label.setStyleSheet(_PILL.format(colour=colour))
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        label.hide()
        return label

    # ----- image ------------------------------------------------------------------------------
    def show_image(self, image: QImage, size: tuple[int, int] | None = None) -> None:
        """Show ``image``; ``size`` stretches a small preview to the size being generated.

        An image of the same size as the one shown keeps the zoom and scroll position; a new
        size goes back to fit mode. A comparison in progress ends: this is the image now.
        """
        if size is not None and (image.width(), image.height()) != size:
            image = image.scaled(*size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self._own_image = None
        if self._compare_label is not None:
            self._compare_label.hide()
        self._display(image)
        if self.mask_layer is not None:
            self.mask_layer.image_shown(self.image_size())
        if self.sketch_layer is not None:
            self.sketch_layer.image_shown(self.image_size())

    def show_page(self, size: tuple[int, int]) -> None:
        """Show a blank page of ``size`` (width, height): what the artist sketches on while
        there is no picture."""
        page = QImage(size[0], size[1], QImage.Format.Format_RGB32)
        page.fill(_PAGE_COLOUR)
        self.show_image(page)

    def add_mask_layer(self, undo_stack):
        """The mask layer painted over this view (made once; its changes go on ``undo_stack``)."""
        if self.mask_layer is None:
            from .mask_layer import MaskLayer  # numpy: not at the window's start

            self.mask_layer = MaskLayer(self, undo_stack)
        return self.mask_layer

    def add_sketch_layer(self, undo_stack, page_size):
        """The sketch layer drawn over this view (made once; its strokes go on ``undo_stack``;
        ``page_size()`` is the size of the blank page it is drawn on while no picture is shown)."""
        if self.sketch_layer is None:
            from .sketch_layer import SketchLayer  # numpy: not at the window's start

            self.sketch_layer = SketchLayer(self, undo_stack, page_size)
        return self.sketch_layer

    def _tool_layer(self):
        """The layer whose tool is picked (the mask's or the sketch's; one at a time), or None."""
        return next((layer for layer in (self.mask_layer, self.sketch_layer)
                     if layer is not None and layer.tool is not None), None)

    def _busy_layer(self):
        """The layer a stroke or selection is being dragged on, or None."""
        return next((layer for layer in (self.mask_layer, self.sketch_layer) if layer is not None and layer.busy), None)

    def _restore_cursor(self) -> None:
        layer = self._tool_layer()
        if layer is not None:
            layer.update_cursor()  # the tool's cursor
        else:
            self.viewport().unsetCursor()

    def compare_with(self, image: QImage, caption: str) -> None:
        """Show ``image`` in place of the shown one (at the same zoom and place when it is the
        same size), with ``caption`` saying what it is, until ``end_compare``."""
        if self._own_image is None:
            if self._image is None:
                return
            self._own_image = self._image
        self.compare_label.setText(caption)
        self.compare_label.adjustSize()
        self._place_overlays()
        self.compare_label.show()
        self._display(image)

    def end_compare(self) -> None:
        """Back to the image shown before ``compare_with``."""
        if self._own_image is not None:
            own, self._own_image = self._own_image, None
            self.compare_label.hide()
            self._display(own)

    @property
    def comparing(self) -> str | None:
        """What the compared image was called while one is shown, else None."""
        return self.compare_label.text() if self._own_image is not None else None

    def _display(self, image: QImage) -> None:
        previous = self.image_size()
        self._image = None if image.isNull() else image
        self._opaque = not image.hasAlphaChannel()
        pixmap = QPixmap.fromImage(image)
        self._item.setPixmap(pixmap)
        if (pixmap.width(), pixmap.height()) != previous:
            self.scene().setSceneRect(QRectF(pixmap.rect()))
            self._fit_mode = True
        if self._fit_mode:
            self._fit()
        self._update_description()
        self._update_zoom_label()
        self._update_empty_state()

    def image_size(self) -> tuple[int, int] | None:
        pixmap = self._item.pixmap()
        return None if pixmap.isNull() else (pixmap.width(), pixmap.height())

    def current_image(self) -> QImage | None:
        """The image being shown (a stretched preview at its stretched size), or None."""
        return self._image

    # ----- clipboard --------------------------------------------------------------------------
    def copy_image(self) -> bool:
        """Put the shown image on the clipboard; False when there is nothing to copy."""
        if self._image is None:
            return False
        QGuiApplication.clipboard().setImage(self._image)
        return True

    def paste(self) -> bool:
        """Emit ``paste_requested`` with the clipboard's image; False when it holds none."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime.hasImage():
            return False
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            return False
        self.paste_requested.emit(image)
        return True

    # ----- zoom -------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        """The current scale: 1.0 is 100 %, one image pixel per screen pixel."""
        return self.transform().m11()

    @property
    def fit_mode(self) -> bool:
        """True while the view refits the image on every resize."""
        return self._fit_mode

    def zoom_in(self) -> None:
        self._zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom_by(1 / ZOOM_STEP)

    def actual_size(self) -> None:
        """100 %: one image pixel per screen pixel."""
        self.set_zoom(1.0)

    def fit(self) -> None:
        """Fit the whole image in the view, and keep it fitted as the view resizes."""
        self._fit_mode = True
        self._fit()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom by hand to ``scale`` (clamped), keeping the scene point under the viewport
        position ``anchor`` where it is (the view centre when None). Leaves fit mode."""
        if self._image is None:
            return
        self._fit_mode = False
        self._apply_scale(scale, anchor)

    def _zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.zoom * factor, anchor)

    def _fit(self) -> None:
        if self._image is None:
            return
        rect = self._item.sceneBoundingRect()
        # maximumViewportSize: the viewport without scroll bars, which a fitted image never
        # needs; the current viewport may still be narrowed by bars left from a manual zoom.
        view = self.maximumViewportSize()
        width = max(view.width() - 2 * FIT_MARGIN, 1)
        height = max(view.height() - 2 * FIT_MARGIN, 1)
        scale = min(width / rect.width(), height / rect.height(), FIT_MAX)
        self._apply_scale(scale)
        self.centerOn(self._item)

    def _apply_scale(self, scale: float, anchor: QPointF | None = None) -> None:
        scale = min(max(scale, MIN_ZOOM), MAX_ZOOM)
        # Magnified, each image pixel is a crisp square to inspect; reduced, it is smoothed.
        smooth = scale <= 1.0 + 1e-9
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation if smooth
                                         else Qt.TransformationMode.FastTransformation)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        if anchor is None:
            self.setTransform(QTransform.fromScale(scale, scale))  # anchored on the view centre
        else:
            before = self.mapToScene(anchor.toPoint())
            self.setTransform(QTransform.fromScale(scale, scale))
            # Scroll so the scene point that was under the anchor is under it again.
            drift = self.mapFromScene(before) - anchor.toPoint()
            self._scroll_by(drift.x(), drift.y())
        if abs(scale - self._zoom) > 1e-9:
            self._zoom = scale
            self._update_description()
            self.zoom_changed.emit(scale)
        self._update_zoom_label()

    def _update_zoom_label(self) -> None:
        if self.image_size() is None:
            if self._zoom_label is not None:
                self._zoom_label.hide()
            return
        percent = self.zoom * 100
        text = f"{percent:.0f} %" if percent >= 10 else f"{percent:.1f} %"
        self.zoom_label.setText(f"Fit \u00b7 {text}" if self._fit_mode else text)
        self.zoom_label.adjustSize()
        self._place_overlays()
        self.zoom_label.show()

    def _place_overlays(self) -> None:
        area = self.viewport().geometry()  # in the view's coordinates, inside the scroll bars
        if (zoom := self._zoom_label) is not None:
            zoom.move(area.right() - zoom.width() - _OVERLAY_MARGIN + 1,
                      area.bottom() - zoom.height() - _OVERLAY_MARGIN + 1)
        if self._compare_label is not None:
            self._compare_label.move(area.left() + _OVERLAY_MARGIN, area.top() + _OVERLAY_MARGIN)
        if (empty := self._empty_state) is not None:
            width = min(empty.maximumWidth(), area.width() - 2 * _OVERLAY_MARGIN)
            # Word-wrapped text: its height follows its width.
            empty.resize(width, empty.heightForWidth(width) if empty.hasHeightForWidth() else empty.sizeHint().height())
            empty.move(area.center() - empty.rect().center())

    def _scroll_by(self, dx: int, dy: int) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)

    def _update_description(self) -> None:
        # Screen readers get what a sighted artist reads off the view: size and zoom.
        size = self.image_size()
        if size is None:
            self.setAccessibleDescription("No image")
        else:
            self.setAccessibleDescription(f"{size[0]} × {size[1]} pixels at {round(self.zoom * 100)} %")

    # ----- painting and resizing --------------------------------------------------------------
    @property
    def hint(self) -> str | None:
        """What the canvas says while it is empty (painted in its middle), or None."""
        return _EMPTY_HINT if self._item.pixmap().isNull() and self._empty_state is None else None

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawForeground(painter, rect)
        if self.hint is not None:  # what an empty canvas is for; painted, not a label: a cheaper start
            painter.save()
            painter.resetTransform()
            painter.setPen(_HINT_COLOUR)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.viewport().rect().adjusted(32, 32, -32, -32), flags, self.hint)
            painter.restore()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if not self._opaque and not self._item.pixmap().isNull():
            # Checkerboard under the image so transparency reads as transparency (only where
            # there can be some: a live preview repaints this on every step).
            painter.fillRect(self._item.sceneBoundingRect().intersected(rect), self._checker)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit_mode:
            self._fit()
        self._place_overlays()

    # ----- wheel and keys ---------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        notches = event.angleDelta().y() / _WHEEL_NOTCH
        if not notches:
            super().wheelEvent(event)  # horizontal-only scrolling still scrolls
            return
        # Fractional notches (high-resolution wheels, touchpads) zoom proportionally.
        self._zoom_by(ZOOM_STEP ** notches, event.position())
        event.accept()

    def event(self, event) -> bool:
        # Claim our keys before window-level shortcuts do, while the canvas has focus.
        if event.type() == QEvent.Type.ShortcutOverride and self._handles_key(event):
            event.accept()
            return True
        return super().event(event)

    def _handles_key(self, event) -> bool:
        if event.matches(QKeySequence.StandardKey.Paste):
            # Only with an image to paste: otherwise a window-level Paste keeps the key.
            mime = QGuiApplication.clipboard().mimeData()
            return mime is not None and mime.hasImage()
        if event.modifiers() & ~_MODIFIERS_ALLOWED:
            return False
        if event.key() in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            return getattr(self._tool_layer(), "tool", None) in ("brush", "eraser", "pen")  # the brush size
        return event.key() in (
            Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Minus,
            Qt.Key.Key_0, Qt.Key.Key_F, Qt.Key.Key_1, Qt.Key.Key_Space,
        )

    def keyPressEvent(self, event) -> None:
        if not self._handles_key(event):
            super().keyPressEvent(event)
            return
        key = event.key()
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key == Qt.Key.Key_Minus:
            self.zoom_out()
        elif key in (Qt.Key.Key_0, Qt.Key.Key_F):
            self.fit()
        elif key == Qt.Key.Key_1:
            self.actual_size()
        elif key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            self._tool_layer().grow_brush(1 if key == Qt.Key.Key_BracketRight else -1)
        elif key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            if self._pan_from is None:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        event.accept()

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            if self._pan_from is None:
                self._restore_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        # The space release may go to another widget; don't leave the canvas stuck in pan mode.
        self._space_held = False
        if self._pan_from is None:
            self._restore_cursor()
        super().focusOutEvent(event)

    # ----- panning: middle-drag, or space + left-drag -----------------------------------------
    def mousePressEvent(self, event) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_held):
            self._pan_from = event.position().toPoint()
            self._pan_button = button
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and (layer := self._tool_layer()) is not None:
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)  # Alt: take away from the mask or sketch
            layer.press(self._image_point(event), erase=alt)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            pos = event.position().toPoint()
            delta = pos - self._pan_from
            self._pan_from = pos
            self._scroll_by(-delta.x(), -delta.y())  # the image follows the hand
            event.accept()
            return
        if (layer := self._busy_layer()) is not None:
            layer.move(self._image_point(event))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() == self._pan_button:
            self._pan_from = None
            self._pan_button = Qt.MouseButton.NoButton
            if self._space_held:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self._restore_cursor()
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and (layer := self._busy_layer()) is not None:
            layer.release(self._image_point(event))
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _image_point(self, event) -> QPointF:
        """Where a mouse event is on the image, in image pixels (fractions kept at high zoom)."""
        return self.viewportTransform().inverted()[0].map(event.position())

    # ----- drag and drop ----------------------------------------------------------------------
    # Not passed on to QGraphicsView: its handlers hand drags to the scene, whose items take
    # none, which would refuse the drop.
    def dragEnterEvent(self, event) -> None:
        if dropped_image_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dragLeaveEvent(self, event) -> None:
        event.accept()

    def dropEvent(self, event) -> None:
        path = dropped_image_path(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.file_dropped.emit(path)
