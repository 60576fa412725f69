"""Importing images and folders in the window: what a drop of files or folders carries, and
the status bar's progress of an import under way (with Cancel) and its summary at the end. The
import itself runs on the project thread (``bridges.project``)."""

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QHBoxLayout, QStyle, QStyleOptionProgressBar, QToolButton, QWidget

from .canvas import IMAGE_SUFFIXES  # (core.image_import's would load the project machinery at start)
from .widgets import named


def dropped_paths(mime) -> list[Path]:
    """The local folders and image files (by suffix) among ``mime``'s URLs, in order."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES]


class FolderDrops(QObject):
    """Takes drops of folders and files on the widgets it watches (their viewports):
    ``dropped`` says what was dropped. ``only_many``: leave a single image file to the widget's
    own handling (the canvas takes one image itself)."""

    dropped = Signal(list)  # list[Path]

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._only_many: set[QObject] = set()

    def watch(self, viewport: QWidget, only_many: bool = False) -> None:
        viewport.setAcceptDrops(True)
        viewport.installEventFilter(self)
        if only_many:
            self._only_many.add(viewport)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            return False
        paths = dropped_paths(event.mimeData())
        if not paths or (watched in self._only_many and len(paths) == 1 and not paths[0].is_dir()):
            return False
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            self.dropped.emit(paths)
        return True


class ImportBar(QWidget):
    """A progress bar drawn as the style draws QProgressBar's, repainted when the event loop
    gets to it: QProgressBar.setValue repaints at once, which took 10-25 ms in the status bar,
    each time, on the UI thread."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.done, self.total, self.label = 0, 0, ""

    def set_progress(self, done: int, total: int, label: str) -> None:
        self.done, self.total, self.label = done, total, label
        self.update()

    def text(self) -> str:
        return self.label

    def sizeHint(self) -> QSize:
        return QSize(240, self.fontMetrics().height() + 6)

    def paintEvent(self, event) -> None:
        option = QStyleOptionProgressBar()
        option.initFrom(self)
        option.minimum, option.maximum = 0, max(self.total, 1)
        option.progress = min(self.done, option.maximum)
        option.text, option.textVisible = self.label, True
        painter = QPainter(self)
        self.style().drawControl(QStyle.ControlElement.CE_ProgressBar, option, painter, self)
        painter.end()


class ImportProgress(QWidget):
    """In the status bar while an import runs: "Importing 120 of 1,000 ..." and Cancel (Esc
    too, see the window). Hidden otherwise."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("importProgress")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        self.bar = named(ImportBar(), "importProgressBar", "Import progress")
        self.cancel_button = named(QToolButton(), "cancelImportButton", "Cancel import")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop importing after the current file (Esc); what came in stays")
        self.cancel_button.clicked.connect(self.cancel_requested)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_progress(self, done: int, total: int) -> None:
        label = f"Importing {min(done + 1, total):,} of {total:,} ..." if total else "Looking for images ..."
        if self.cancel_button.isEnabled():  # (cancelling: it says so until the import ends)
            self.bar.set_progress(done, total, label)
        self.show()

    def cancelling(self) -> None:
        self.bar.set_progress(self.bar.done, self.bar.total, "Cancelling after this file ...")
        self.cancel_button.setEnabled(False)

    def finish(self) -> None:
        self.hide()
        self.cancel_button.setEnabled(True)

