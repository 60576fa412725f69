"""The sketch layer of the canvas: lines the artist draws with a pen (and takes away with an
eraser) for a ControlNet to follow. It is the mask layer's kind of raster (core/mask.py's
MaskDocument: 255 where drawn, 0 elsewhere, each stroke one undo step), drawn in ink over the
picture, or over a blank page of the generation size while no picture is shown. Its raster is
the control image as scribble ControlNets read it: white lines on black.

A picture of another size keeps the sketch, stretched to it (a sketch is the artist's work, not
a property of one picture); the steps before that no longer undo anything."""

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QPointF, Qt, Signal

from ..core.mask import Box, MaskDocument
from .mask_layer import MIN_BRUSH, MaskCommand, MaskOverlayItem, brush_cursor

TOOLS = ("pen", "eraser")
MAX_PEN = 256  # px of the image: a sketch is lines, not areas
DEFAULT_PEN = 6
INK = (30, 120, 255)  # a strong blue: reads over most pictures and on the light page


class SketchOverlayItem(MaskOverlayItem):
    """The sketch in ink over the picture: a raster value is the ink's opacity there."""

    def __init__(self, width: int, height: int):
        super().__init__(width, height)
        ink = np.array([INK[2], INK[1], INK[0], 255], np.float32) / 255  # premultiplied BGRA per unit
        self._lookup = np.round(np.arange(256, dtype=np.float32)[:, None] * ink).astype(np.uint8)
        self.setZValue(0.5)  # over the picture, under the mask (the mask is what Generate repaints)


class SketchLayer(QObject):
    """The sketch over a CanvasView, made when the artist first picks the Sketch tool.
    ``page_size`` gives the generation size, the page drawn on while no picture is shown."""

    changed = Signal()  # drawn, undone, cleared or stretched to another picture
    tool_changed = Signal(object)  # "pen", "eraser", or None
    brush_changed = Signal(int)  # the pen's width, px of the image

    def __init__(self, view, undo_stack, page_size: Callable[[], tuple[int, int]]):
        super().__init__(view)
        self.view, self.undo_stack, self.page_size = view, undo_stack, page_size
        self.document: MaskDocument | None = None
        self.tool: str | None = None
        self.brush_size = DEFAULT_PEN
        self._visible = True
        self._item: SketchOverlayItem | None = None
        self._stroke = None  # the stroke being drawn
        # Queued: runs after the mask layer's own cursor update, which clears the cursor when
        # no mask tool is picked.
        view.zoom_changed.connect(self.update_cursor, Qt.ConnectionType.QueuedConnection)

    # ----- the document -------------------------------------------------------------------------
    @property
    def painted(self) -> bool:
        return self.document is not None and not self.document.is_empty

    def control_raster(self) -> np.ndarray | None:
        """A copy of the sketch as a ControlNet reads it (uint8, 255 on the lines, 0 elsewhere,
        the size of the picture or page it was drawn on); None when nothing is drawn."""
        return self.document.raster.copy() if self.painted else None

    def ensure_document(self) -> MaskDocument:
        """The sketch, made (empty) the first time; with no picture shown, on a blank page."""
        if self.view.image_size() is None:
            self.view.show_page(self.page_size())  # its image_shown call comes back here: no sketch yet
        size = self.view.image_size()
        if self.document is None or (self.document.width, self.document.height) != size:
            self._refit(size)
        return self.document

    def image_shown(self, size: tuple[int, int] | None) -> None:
        """The canvas shows a new picture: a sketch of another size is stretched to it."""
        if self.document is not None and size is not None and (self.document.width, self.document.height) != size:
            self._refit(size)
            self.changed.emit()

    def _refit(self, size: tuple[int, int]) -> None:
        from PIL import Image  # not at the window's start

        self.cancel()
        old = self.document
        if self._item is not None:
            self.view.scene().removeItem(self._item)
        self.document = MaskDocument(*size)
        if old is not None and not old.is_empty:
            # Not an undo step: the steps before it were drawn at the old size.
            stretched = Image.fromarray(old.raster).resize(size, Image.Resampling.BILINEAR)
            self.document.raster[...] = np.asarray(stretched, np.uint8)
        self._item = SketchOverlayItem(*size)
        self._item.show_raster(self.document.raster, Box(0, 0, *size))
        self._item.setVisible(self._visible)
        self.view.scene().addItem(self._item)

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

    def clear(self) -> None:
        """Wipe the whole sketch, one undo step."""
        document = self.ensure_document()
        self._record(document, document.clear(), "clear")

    def _record(self, document: MaskDocument, box: Box | None, text: str, shown: bool = False) -> None:
        if box is None:
            return  # nothing changed: no undo step
        if not shown:
            self.show_change(document, box)
        self.undo_stack.push(MaskCommand(self, document, f"sketch {text}"))

    # ----- tools ----------------------------------------------------------------------------------
    def set_tool(self, tool: str | None) -> None:
        if tool is not None and tool not in TOOLS:
            raise ValueError(f"no sketch tool {tool!r}")
        self.cancel()
        if tool is not None:
            self.ensure_document()
            self.set_visible(True)  # drawing on a hidden sketch would draw blind
        self.tool = tool
        if tool is None:
            self.view.viewport().unsetCursor()
        self.update_cursor()
        self.tool_changed.emit(tool)

    def set_brush_size(self, size: float) -> None:
        self.brush_size = int(min(max(round(size), MIN_BRUSH), MAX_PEN))
        self.update_cursor()
        self.brush_changed.emit(self.brush_size)

    def grow_brush(self, steps: int) -> None:
        """``]`` (+1) and ``[`` (-1): a pixel a step, as pens are thin."""
        self.set_brush_size(self.brush_size + steps)

    def update_cursor(self, *_zoom) -> None:
        if self.tool is not None:  # else the cursor is the mask tool's, or none
            self.view.viewport().setCursor(brush_cursor(self.brush_size * self.view.zoom))

    # ----- the mouse (image coordinates come from the view) -------------------------------------------
    def press(self, point: QPointF, erase: bool) -> None:
        if self.tool is None:
            return
        document = self.ensure_document()
        # Hard: a sketch is lines, antialiased by a pixel.
        self._stroke = document.begin_stroke(self.brush_size, 1.0, erase or self.tool == "eraser")
        self.show_change(document, self._stroke.to(point.x(), point.y()))

    def move(self, point: QPointF) -> None:
        if self._stroke is not None:
            self.show_change(self.document, self._stroke.to(point.x(), point.y()))

    def release(self, point: QPointF) -> None:
        if self._stroke is not None:
            self.move(point)
            self.cancel()

    def cancel(self) -> None:
        """End a stroke in progress as it is (one undo step)."""
        if self._stroke is not None:
            stroke, self._stroke = self._stroke, None
            self._record(self.document, stroke.end(), "eraser" if self.tool == "eraser" else "pen stroke", shown=True)

    @property
    def busy(self) -> bool:
        """A stroke is being drawn."""
        return self._stroke is not None
