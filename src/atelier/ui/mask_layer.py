"""The mask layer of the canvas: the MaskDocument (core/mask.py) the artist paints for generative
fill, drawn as a tinted translucent overlay over the image, and the tools that paint it (brush,
eraser, rectangle and lasso selection). Every change is one step on the window's undo stack.

The overlay is a QImage over the raster's own numpy buffer: a brush dab rewrites only the box it
touched and repaints only that box, so painting on a 2048 px image stays fluid."""

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QImage, QPainter, QPainterPath, QPen, QPixmap, QUndoCommand
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ..core.mask import Box, MaskDocument

TOOLS = ("brush", "eraser", "rect", "lasso")
MIN_BRUSH, MAX_BRUSH = 1, 1024  # px of the image
TINT = (255, 48, 96)  # what a painted pixel looks like over any picture: a strong rose
TINT_OPACITY = 0.5  # of a fully painted pixel: the picture stays readable under it
_SIZE_STEP = 1.25  # one `[` or `]`
_CURSOR_MAX = 256  # px on screen: a bigger brush shows a crosshair (cursors that size are refused)


class MaskOverlayItem(QGraphicsItem):
    """Draws the tinted overlay of a mask over the image, only where the view repaints."""

    def __init__(self, width: int, height: int):
        super().__init__()
        # Premultiplied BGRA bytes (little-endian ARGB32), shared with the QImage drawn.
        self.pixels = np.zeros((height, width, 4), np.uint8)
        self.image = QImage(self.pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied)
        # The overlay pixel of each mask value: a lookup, the cheapest way over a large box.
        tint = np.array([TINT[2], TINT[1], TINT[0], 255], np.float32) * TINT_OPACITY / 255
        self._lookup = np.round(np.arange(256, dtype=np.float32)[:, None] * tint).astype(np.uint8)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect: the part to draw
        self.setZValue(1)  # over the image

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.image.width(), self.image.height())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        exposed = option.exposedRect.toAlignedRect().intersected(self.image.rect())
        painter.drawImage(exposed, self.image, exposed)

    def show_raster(self, raster: np.ndarray, box: Box) -> None:
        """Redraw the overlay inside ``box`` from the mask's ``raster``."""
        self.pixels[box.slices()] = self._lookup[raster[box.slices()]]
        self.update(QRectF(box.left, box.top, box.width, box.height))


class MaskCommand(QUndoCommand):
    """One change to a mask, already made when pushed: undo and redo replay the document's own
    step and repaint the box it touched."""

    def __init__(self, layer: "MaskLayer", document: MaskDocument, text: str):
        super().__init__(text)
        self.layer, self.document = layer, document
        self._made = True  # QUndoStack.push calls redo: the change is on the mask already

    def redo(self) -> None:
        if self._made:
            self._made = False
            return
        self.layer.show_change(self.document, self.document.redo())

    def undo(self) -> None:
        self.layer.show_change(self.document, self.document.undo())


class MaskLayer(QObject):
    """The mask over a CanvasView: made when the artist first picks a mask tool, the size of
    the image shown; an image of another size drops it. ``tool`` None: the plain view."""

    changed = Signal()  # the mask was painted, undone or dropped
    tool_changed = Signal(object)  # the tool's name, or None
    brush_changed = Signal(int)  # the brush size, px of the image

    def __init__(self, view, undo_stack):
        super().__init__(view)
        self.view, self.undo_stack = view, undo_stack
        self.document: MaskDocument | None = None
        self.tool: str | None = None
        self.brush_size = 48
        self.hardness = 0.8
        self._visible = True
        self._item: MaskOverlayItem | None = None
        self._stroke = None  # the brush stroke in progress
        self._outline: list[QPointF] = []  # the selection being dragged, in image pixels
        self._outline_item: QGraphicsPathItem | None = None
        self._erase_selection = False  # the selection being dragged erases (Alt held)
        view.zoom_changed.connect(self.update_cursor)

    # ----- the document -------------------------------------------------------------------------
    @property
    def painted(self) -> bool:
        return self.document is not None and not self.document.is_empty

    def ensure_document(self) -> MaskDocument | None:
        """The mask of the shown image, made (empty) the first time; None with no image."""
        size = self.view.image_size()
        if size is None:
            return None
        if self.document is None or (self.document.width, self.document.height) != size:
            self._drop()
            self.document = MaskDocument(*size)
            self._item = MaskOverlayItem(*size)
            self._item.setVisible(self._visible)
            self.view.scene().addItem(self._item)
        return self.document

    def image_shown(self, size: tuple[int, int] | None) -> None:
        """The canvas shows a new image: a mask of another size no longer fits it."""
        if self.document is not None and (self.document.width, self.document.height) != size:
            self._drop()
            self.changed.emit()

    def _drop(self) -> None:
        self.cancel()
        if self._item is not None:
            self.view.scene().removeItem(self._item)
        self.document, self._item = None, None

    def show_change(self, document: MaskDocument, box: Box | None) -> None:
        """Repaint what a change (or its undo) touched, when ``document`` is still the one shown."""
        if box is not None and document is self.document and self._item is not None:
            self._item.show_raster(document.raster, box)
            self.changed.emit()

    @property
    def visible(self) -> bool:
        return self._visible

    def set_visible(self, visible: bool) -> None:
        self._visible = visible
        if self._item is not None:
            self._item.setVisible(visible)

    # ----- commands -------------------------------------------------------------------------------
    def apply(self, change: str) -> bool:
        """``fill``, ``clear`` or ``invert`` the whole mask, one undo step; False with no image."""
        document = self.ensure_document()
        if document is None:
            return False
        self._record(document, getattr(document, change)(), change)
        return True

    def set_mask(self, raster: np.ndarray, text: str) -> bool:
        """Make ``raster`` (uint8, the shown image's size) the mask, one undo step; False when it
        does not fit the image shown."""
        document = self.ensure_document()
        if document is None or raster.shape != (document.height, document.width):
            return False
        self._record(document, document.replace(raster), text)
        return True

    def _record(self, document: MaskDocument, box: Box | None, text: str, shown: bool = False) -> None:
        """A change made (``shown``: and drawn already, dab by dab) becomes one undo step."""
        if box is None:
            return  # nothing changed: no undo step
        if not shown:
            self.show_change(document, box)
        self.undo_stack.push(MaskCommand(self, document, f"mask {text}"))

    # ----- tools ----------------------------------------------------------------------------------
    def set_tool(self, tool: str | None) -> None:
        if tool is not None and tool not in TOOLS:
            raise ValueError(f"no mask tool {tool!r}")
        self.cancel()
        if tool is not None:
            self.ensure_document()
            self.set_visible(True)  # painting on a hidden mask would paint blind
        self.tool = tool
        self.update_cursor()
        self.tool_changed.emit(tool)

    def set_brush_size(self, size: float) -> None:
        self.brush_size = int(min(max(round(size), MIN_BRUSH), MAX_BRUSH))
        self.update_cursor()
        self.brush_changed.emit(self.brush_size)

    def grow_brush(self, steps: int) -> None:
        """``]`` (+1) and ``[`` (-1): at least a pixel per step, so a 1 px brush grows too."""
        size = self.brush_size * _SIZE_STEP ** steps
        self.set_brush_size(size if abs(size - self.brush_size) >= 1 else self.brush_size + steps)

    def update_cursor(self, *_zoom) -> None:
        viewport = self.view.viewport()
        if self.tool is None:
            viewport.unsetCursor()
        elif self.tool in ("rect", "lasso"):
            viewport.setCursor(Qt.CursorShape.CrossCursor)
        else:
            viewport.setCursor(brush_cursor(self.brush_size * self.view.zoom))

    # ----- the mouse (image coordinates come from the view) -------------------------------------------
    def press(self, point: QPointF, erase: bool) -> None:
        document = self.ensure_document()
        if document is None or self.tool is None:
            return
        if self.tool in ("brush", "eraser"):
            self._stroke = document.begin_stroke(self.brush_size, self.hardness, erase or self.tool == "eraser")
            self.show_change(document, self._stroke.to(point.x(), point.y()))
        else:
            self._outline = [point]
            self._erase_selection = erase
            self._outline_item = QGraphicsPathItem()
            pen = QPen(QColor(255, 255, 255), 0, Qt.PenStyle.DashLine)  # cosmetic: one screen pixel at any zoom
            self._outline_item.setPen(pen)
            self._outline_item.setZValue(2)
            self.view.scene().addItem(self._outline_item)

    def move(self, point: QPointF) -> None:
        if self._stroke is not None:
            self.show_change(self.document, self._stroke.to(point.x(), point.y()))
        elif self._outline_item is not None:
            if self.tool == "rect":
                self._outline[1:] = [point]
            else:
                self._outline.append(point)
            self._outline_item.setPath(self._outline_path())

    def release(self, point: QPointF) -> None:
        document = self.document
        if self._stroke is not None:
            self.move(point)
            stroke, self._stroke = self._stroke, None
            self._record(document, stroke.end(), "eraser" if self.tool == "eraser" else "brush stroke", shown=True)
        elif self._outline_item is not None:
            self.move(point)
            outline, erase = self._outline, self._erase_selection
            self.cancel()
            if self.tool == "rect" and len(outline) == 2:
                a, b = outline
                box = Box(round(min(a.x(), b.x())), round(min(a.y(), b.y())),
                          round(max(a.x(), b.x())), round(max(a.y(), b.y())))
                self._record(document, document.fill_rect(box, erase), "rectangle")
            elif self.tool == "lasso":
                self._record(document, document.fill_polygon([(p.x(), p.y()) for p in outline], erase), "lasso")

    def cancel(self) -> None:
        """Drop a selection being dragged; a stroke in progress ends as it is."""
        if self._stroke is not None:
            stroke, self._stroke = self._stroke, None
            self._record(self.document, stroke.end(), "brush stroke", shown=True)
        if self._outline_item is not None:
            self.view.scene().removeItem(self._outline_item)
        self._outline_item, self._outline = None, []

    @property
    def busy(self) -> bool:
        """A stroke or selection is being dragged."""
        return self._stroke is not None or self._outline_item is not None

    def _outline_path(self) -> QPainterPath:
        path = QPainterPath()
        if self.tool == "rect" and len(self._outline) == 2:
            path.addRect(QRectF(self._outline[0], self._outline[1]).normalized())
        elif self._outline:
            path.moveTo(self._outline[0])
            for point in self._outline[1:]:
                path.lineTo(point)
            path.closeSubpath()
        return path


def brush_cursor(diameter: float) -> QCursor:
    """A circle the size of the brush on screen (a dark and a light ring: visible on any
    picture), with a dot at its centre; a crosshair past what a cursor can be."""
    if diameter > _CURSOR_MAX:
        return QCursor(Qt.CursorShape.CrossCursor)
    side = max(int(np.ceil(diameter)) + 4, 11)
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    centre, radius = QPointF(side / 2, side / 2), max(diameter / 2, 1.5)
    painter.setPen(QPen(QColor(0, 0, 0, 200), 3))
    painter.drawEllipse(centre, radius, radius)
    painter.setPen(QPen(QColor(255, 255, 255), 1))
    painter.drawEllipse(centre, radius, radius)
    painter.drawPoint(centre)
    painter.end()
    return QCursor(pixmap, side // 2, side // 2)
