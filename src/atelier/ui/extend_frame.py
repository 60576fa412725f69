"""Extending the canvas by hand: a dashed frame around the picture shown, with a handle in the
middle of each side. Dragging a handle outward grows that side in image pixels, snapped so the
picture stays a multiple of 8 (core/extension.py); the new area is tinted like the mask it
becomes. A small bar over the canvas says the resulting size and holds Extend and Cancel."""

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsObject,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyleOptionGraphicsItem,
)

from ..core.extension import Sides, snap_side
from ..core.limits import MAX_SIDE
from .mask_layer import TINT, TINT_OPACITY
from .widgets import named

LEFT, TOP, RIGHT, BOTTOM = range(4)
SIDE_NAMES = ("left", "top", "right", "bottom")
_HANDLE_LONG, _HANDLE_SHORT = 30, 10  # px on screen, whatever the zoom
_HANDLE_REACH = 6  # px on screen around a handle that still grab it
_BAR_MARGIN = 10  # px between the bar and the top of the canvas
_FRAME_LIGHT, _FRAME_DARK = QColor(255, 255, 255, 235), QColor(10, 10, 14, 170)
_HANDLE_HOT = QColor(255, 120, 150)  # a handle under the pointer or being dragged


class ExtendFrame(QGraphicsObject):
    """The frame over a ``width`` x ``height`` picture at the scene's origin (where the canvas
    draws it), extended by ``sides``. A drag reports each new value (``side_dragged``) without
    changing the frame itself: whoever holds the sides sets them back with ``set_sides``."""

    side_dragged = Signal(int, int)  # side (LEFT, TOP, RIGHT, BOTTOM), its new value in image pixels
    drag_finished = Signal()

    def __init__(self, width: int, height: int):
        super().__init__()
        self.picture = QRectF(0, 0, width, height)
        self.sides: Sides = (0, 0, 0, 0)
        self._scale = 1.0  # the view's zoom: a margin of a few screen pixels, in image pixels
        self.setZValue(5)  # over the picture and its mask
        self.handles = [_SideHandle(self, side) for side in range(4)]
        self._place_handles()

    def set_picture(self, width: int, height: int) -> None:
        self.prepareGeometryChange()
        self.picture = QRectF(0, 0, width, height)
        self._place_handles()

    def set_sides(self, sides: Sides) -> None:
        self.prepareGeometryChange()
        self.sides = tuple(sides)
        self._place_handles()
        self.update()

    def set_scale(self, scale: float) -> None:
        self.prepareGeometryChange()
        self._scale = max(scale, 1e-3)

    def extended_rect(self) -> QRectF:
        left, top, right, bottom = self.sides
        return self.picture.adjusted(-left, -top, right, bottom)

    def boundingRect(self) -> QRectF:
        margin = 3 / self._scale  # the frame's line is drawn a pixel or two wide on screen
        return self.extended_rect().adjusted(-margin, -margin, margin, margin)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        extended = self.extended_rect()
        if extended != self.picture:  # the new area: tinted like the mask, hatched as not yet there
            new_area = QPainterPath()
            new_area.setFillRule(Qt.FillRule.OddEvenFill)
            new_area.addRect(extended)
            new_area.addRect(self.picture)
            painter.fillPath(new_area, QColor(*TINT, round(255 * TINT_OPACITY * 0.8)))
            hatch = QBrush(QColor(255, 255, 255, 34), Qt.BrushStyle.BDiagPattern)
            hatch.setTransform(painter.worldTransform().inverted()[0])  # the hatch's lines keep their screen spacing
            painter.fillPath(new_area, hatch)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(_pen(QColor(255, 255, 255, 110), 1))  # where the picture ends
        painter.drawRect(self.picture)
        painter.setPen(_pen(_FRAME_DARK, 3))  # the frame: a light dash over a dark line, seen on any picture
        painter.drawRect(extended)
        dash = _pen(_FRAME_LIGHT, 1.5)
        dash.setDashPattern([5, 4])
        painter.setPen(dash)
        painter.drawRect(extended)
        self._paint_amounts(painter, extended)

    def _paint_amounts(self, painter: QPainter, extended: QRectF) -> None:
        """"+96 px" (or "+96") in the middle of each new strip wide enough on screen to hold it."""
        picture, to_screen = self.picture, painter.worldTransform()
        strips = (QRectF(extended.left(), picture.top(), picture.left() - extended.left(), picture.height()),
                  QRectF(picture.left(), extended.top(), picture.width(), picture.top() - extended.top()),
                  QRectF(picture.right(), picture.top(), extended.right() - picture.right(), picture.height()),
                  QRectF(picture.left(), picture.bottom(), picture.width(), extended.bottom() - picture.bottom()))
        painter.save()
        painter.resetTransform()  # text at its own size, whatever the zoom
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        for value, strip in zip(self.sides, strips, strict=True):
            area = to_screen.mapRect(strip)
            fitting = [text for text in (f"+{value} px", f"+{value}")
                       if area.width() > metrics.horizontalAdvance(text) + 8 and area.height() > metrics.height() + 4]
            if value and fitting:
                text = fitting[0]
                painter.setPen(QColor(0, 0, 0, 140))
                painter.drawText(area.translated(1, 1), Qt.AlignmentFlag.AlignCenter, text)
                painter.setPen(QColor(255, 255, 255, 230))
                painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    # ----- what the handles report ----------------------------------------------------------------
    def drag(self, side: int, start: int, moved: float) -> None:
        """A handle of ``side`` dragged ``moved`` image pixels outward since it was ``start``."""
        horizontal = side in (LEFT, RIGHT)
        extent = self.picture.width() if horizontal else self.picture.height()
        opposite = self.sides[(side + 2) % 4]
        base = int(extent) + opposite
        value = max(min(snap_side(start + moved, base), MAX_SIDE - base), 0)  # it stops at the largest side
        if value != self.sides[side]:
            self.side_dragged.emit(side, value)

    def _place_handles(self) -> None:
        rect = self.extended_rect()
        centre = rect.center()
        places = (QPointF(rect.left(), centre.y()), QPointF(centre.x(), rect.top()),
                  QPointF(rect.right(), centre.y()), QPointF(centre.x(), rect.bottom()))
        for handle, place in zip(self.handles, places, strict=True):
            handle.setPos(place)


class _SideHandle(QGraphicsItem):
    """One side's handle: the same size on screen at any zoom; dragged, it tells the frame."""

    def __init__(self, frame: ExtendFrame, side: int):
        super().__init__(frame)
        self.frame, self.side = frame, side
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.SizeHorCursor if side in (LEFT, RIGHT) else Qt.CursorShape.SizeVerCursor)
        self.setToolTip(f"Drag to extend the {SIDE_NAMES[side]} side")
        self._hot = False
        self._from: tuple[QPointF, int] | None = None  # where a drag started, and the side's value then

    def _body(self) -> QRectF:
        width, height = ((_HANDLE_SHORT, _HANDLE_LONG) if self.side in (LEFT, RIGHT)
                         else (_HANDLE_LONG, _HANDLE_SHORT))
        return QRectF(-width / 2, -height / 2, width, height)

    def boundingRect(self) -> QRectF:
        reach = _HANDLE_REACH
        return self._body().adjusted(-reach, -reach, reach, reach)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(_FRAME_DARK, 1.5))
        painter.setBrush(_HANDLE_HOT if self._hot or self._from is not None else _FRAME_LIGHT)
        painter.drawRoundedRect(self._body(), 4, 4)
        painter.setPen(QPen(QColor(40, 40, 46, 200), 1))  # two grip lines along the drag
        body = self._body()
        for offset in (-2, 2):
            if self.side in (LEFT, RIGHT):
                painter.drawLine(QPointF(offset, body.top() + 8), QPointF(offset, body.bottom() - 8))
            else:
                painter.drawLine(QPointF(body.left() + 8, offset), QPointF(body.right() - 8, offset))

    def hoverEnterEvent(self, event) -> None:
        self._hot = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hot = False
        self.update()

    def mousePressEvent(self, event) -> None:
        self._from = (event.scenePos(), self.frame.sides[self.side])
        self.update()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._from is None:
            return
        start, value = self._from
        delta = event.scenePos() - start
        outward = {LEFT: -delta.x(), TOP: -delta.y(), RIGHT: delta.x(), BOTTOM: delta.y()}[self.side]
        self.frame.drag(self.side, value, outward)

    def mouseReleaseEvent(self, event) -> None:
        if self._from is not None:
            self._from = None
            self.update()
            self.frame.drag_finished.emit()


class ExtendBar(QFrame):
    """The bar over the top of the canvas while its sides are dragged: the size it makes, the
    dialog for exact sides or a ratio, Extend and Cancel."""

    extend_requested = Signal()
    dialog_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, canvas):
        super().__init__(canvas)  # a child of the view, not of its viewport: it does not scroll
        self.setObjectName("extendBar")
        self.setAccessibleName("Extend canvas")
        self.setStyleSheet(
            "#extendBar { background: rgba(24, 24, 28, 225); border: 1px solid rgba(255, 255, 255, 40);"
            " border-radius: 10px; }"
            "#extendBar QLabel { color: #e6e6ea; background: transparent; }"
            "#extendBar QPushButton { color: #e6e6ea; background: rgba(255, 255, 255, 22);"
            " border: 1px solid rgba(255, 255, 255, 50); border-radius: 6px; padding: 3px 12px; }"
            "#extendBar QPushButton:hover { background: rgba(255, 255, 255, 40); }"
            "#extendBar QPushButton:disabled { color: rgba(230, 230, 234, 90); border-color: rgba(255, 255, 255, 22); }"
            "#extendBar QPushButton#extendApplyButton { background: rgb(214, 52, 96); border-color: rgb(238, 90, 130); }"
            "#extendBar QPushButton#extendApplyButton:hover { background: rgb(232, 66, 112); }"
            "#extendBar QPushButton#extendApplyButton:disabled { background: rgba(214, 52, 96, 70);"
            " border-color: rgba(238, 90, 130, 60); }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.setSpacing(8)
        self.size_label = named(QLabel(), "extendSizeLabel", "Size after extending")
        self.size_label.setTextFormat(Qt.TextFormat.RichText)
        self.dialog_button = named(QPushButton("Size\u2026"), "extendDialogButton", "Exact sides or aspect ratio")
        self.dialog_button.setToolTip("Pixels per side, or an aspect ratio (Ctrl+Alt+C)")
        self.apply_button = named(QPushButton("Extend"), "extendApplyButton", "Extend")
        self.apply_button.setToolTip("Generate the new area (Ctrl+Enter)")
        self.cancel_button = named(QPushButton("Cancel"), "extendCancelButton", "Cancel extending")
        for button in (self.dialog_button, self.apply_button, self.cancel_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the canvas keeps the keys
        layout.addWidget(self.size_label)
        layout.addSpacing(6)
        layout.addWidget(self.dialog_button)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.cancel_button)
        self.apply_button.clicked.connect(self.extend_requested)
        self.dialog_button.clicked.connect(self.dialog_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        canvas.installEventFilter(self)  # placed again as the canvas resizes

    def show_state(self, picture: tuple[int, int], extended: tuple[int, int], problem: str | None) -> None:
        """``picture`` grows to ``extended``; ``problem``: why it cannot (then Extend is off)."""
        if problem is not None:
            text = f"<span style='color:#ff8a9a'>{problem}</span>"
        elif extended == picture:
            text = f"{picture[0]} \u00d7 {picture[1]} \u00b7 <span style='color:#a8a8b4'>drag a side outward</span>"
        else:
            text = (f"<span style='color:#a8a8b4'>{picture[0]} \u00d7 {picture[1]}</span> \u2192 "
                    f"<b>{extended[0]} \u00d7 {extended[1]}</b>")
        self.size_label.setText(text)
        self.apply_button.setEnabled(problem is None and extended != picture)
        self.adjustSize()
        self.place()

    def place(self) -> None:
        area = self.parentWidget().viewport().geometry()
        self.setMaximumWidth(max(area.width() - 2 * _BAR_MARGIN, 200))
        self.adjustSize()
        self.move(area.left() + (area.width() - self.width()) // 2, area.top() + _BAR_MARGIN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False


def _pen(colour: QColor, width: float) -> QPen:
    """A line ``width`` screen pixels wide at any zoom."""
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    return pen
