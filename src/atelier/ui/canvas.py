"""The image view: shows the current image (or a live preview), fitted to the view."""

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView


def _checkerboard(size: int = 16) -> QPixmap:
    tile = QPixmap(size * 2, size * 2)
    tile.fill(QColor(58, 58, 62))
    painter = QPainter(tile)
    painter.fillRect(0, 0, size, size, QColor(70, 70, 75))
    painter.fillRect(size, size, size, size, QColor(70, 70, 75))
    painter.end()
    return tile


class CanvasView(QGraphicsView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("canvasView")
        self.setAccessibleName("Image canvas")
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._item)
        self.setBackgroundBrush(QBrush(QColor(38, 38, 42)))
        self._checker = QBrush(_checkerboard())
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(320, 320)

    def show_image(self, image: QImage, size: tuple[int, int] | None = None) -> None:
        """Show ``image``; ``size`` stretches a small preview to the size being generated."""
        pixmap = QPixmap.fromImage(image)
        if size is not None and (pixmap.width(), pixmap.height()) != size:
            pixmap = pixmap.scaled(*size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self._item.setPixmap(pixmap)
        self.scene().setSceneRect(QRectF(pixmap.rect()))
        self._fit()

    def image_size(self) -> tuple[int, int] | None:
        pixmap = self._item.pixmap()
        return None if pixmap.isNull() else (pixmap.width(), pixmap.height())

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        if not self._item.pixmap().isNull():
            # Checkerboard under the image so transparency reads as transparency.
            painter.fillRect(self._item.sceneBoundingRect().intersected(rect), self._checker)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._item.pixmap().isNull():
            return
        # Fit, but never blow a small image up past 2x: tiny previews stay crisp enough.
        self.resetTransform()
        rect = self._item.sceneBoundingRect()
        view = self.viewport().rect().adjusted(12, 12, -12, -12)
        scale = min(view.width() / rect.width(), view.height() / rect.height(), 2.0)
        self.scale(scale, scale)
        self.centerOn(self._item)
