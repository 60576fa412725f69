"""The first run: what an empty canvas says while no model is found (which files Atelier uses
and where they go), and the two ways to give it some: a models folder, or the folders of an
A1111 / Forge / ComfyUI / InvokeAI install the artist already has. Folders are added to the
settings' model folders and scanned where they are; nothing is copied or downloaded."""

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QBoxLayout, QFileDialog, QFrame, QLabel, QPushButton, QVBoxLayout

from .. import paths
from ..core.model_sources import find_model_source
from .widgets import named

_SHOWN_MS = 15000  # how long the status bar says what was added
# The card sits on the canvas, whose background is dark in both themes.
_CARD_STYLE = """
QFrame#firstRunPanel { background: rgba(24, 24, 28, 220); border: 1px solid rgba(255, 255, 255, 28);
                       border-radius: 12px; }
QFrame#firstRunPanel QLabel { color: #c8c8d0; background: transparent; }
QFrame#firstRunPanel QLabel#firstRunTitle { color: #ececf0; font-size: 16pt; font-weight: 600; }
"""
_CARD_WIDTH = 480
_FILES = ("<p style='margin: 0'>Atelier makes pictures and sounds with models kept on this computer:</p>"
          "<ul style='margin-left: -16px; margin-top: 6px; margin-bottom: 0'>"
          "<li><b>diffusers model folders</b> (a folder holding <i>model_index.json</i>)</li>"
          "<li><b>single .safetensors checkpoints</b> (SD 1.5, SDXL and the like)</li>"
          "<li><b>audio model folders</b> (Stable Audio, MusicGen, ACE-Step)</li></ul>")


class FirstRunPanel(QFrame):
    """The empty canvas's card while no model is found (objectName firstRunPanel)."""

    add_folder_requested = Signal()
    use_install_requested = Signal()
    folder_dropped = Signal(str)  # a folder dragged from the file manager onto the card

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("firstRunPanel")
        self.setAcceptDrops(True)
        self.setAccessibleName("No models yet")
        self.setStyleSheet(_CARD_STYLE)
        self.setMaximumWidth(_CARD_WIDTH)  # narrower only when the canvas is
        title = QLabel("No models yet")
        title.setObjectName("firstRunTitle")
        files = QLabel(_FILES)
        files.setTextFormat(Qt.TextFormat.RichText)
        files.setWordWrap(True)
        where = QLabel(f"Put them in <b>{paths.shown(paths.models_dir())}</b>, or point Atelier at the folders "
                       "you already have (or drop one here). Nothing is copied, and nothing is downloaded.")
        where.setObjectName("firstRunWhere")
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add_folder_button = named(QPushButton("Add a Models Folder..."), "addModelsFolderButton",
                                       "Add a models folder")
        self.use_install_button = named(QPushButton("Use My A1111 / ComfyUI Folder..."), "useInstallFolderButton",
                                        "Use my A1111 or ComfyUI folder")
        self.use_install_button.setToolTip("Pick the install (or its models folder): its checkpoints, LoRA, VAE "
                                           "and upscaler folders are added. Forge and InvokeAI work too.")
        self.add_folder_button.clicked.connect(self.add_folder_requested)
        self.use_install_button.clicked.connect(self.use_install_requested)
        self._buttons = buttons = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        buttons.addWidget(self.add_folder_button)
        buttons.addWidget(self.use_install_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 16, 28, 24)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(files)
        layout.addWidget(where)
        layout.addSpacing(6)
        layout.addLayout(buttons)

    def _arrange(self, width: int) -> None:
        """The buttons side by side where they fit whole, else one above the other."""
        margins = self.layout().contentsMargins()
        needed = (self.add_folder_button.sizeHint().width() + self.use_install_button.sizeHint().width()
                  + self._buttons.spacing() + margins.left() + margins.right())
        direction = QBoxLayout.Direction.LeftToRight if width >= needed else QBoxLayout.Direction.TopToBottom
        if self._buttons.direction() != direction:
            self._buttons.setDirection(direction)

    def dragEnterEvent(self, event) -> None:
        if _dropped_folder(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        folder = _dropped_folder(event.mimeData())
        if folder is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.folder_dropped.emit(folder)

    def heightForWidth(self, width: int) -> int:
        self._arrange(width)  # the height asked for is the height at the arrangement that width gets
        return super().heightForWidth(width)

    def resizeEvent(self, event) -> None:
        self._arrange(event.size().width())
        super().resizeEvent(event)


class ModelFolderPicker(QObject):
    """Adds model folders the artist picks to the window's settings and rescans; shows the
    first-run card on the canvas while the last scan found no model."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.panel: FirstRunPanel | None = None  # made when first shown

    def choose_folder(self, title: str) -> str | None:
        """Ask for a folder; None when cancelled. Tests replace this."""
        folders = self.window.settings.model_folders
        start = folders[-1] if folders else str(Path.home())
        return QFileDialog.getExistingDirectory(self.window, title, start) or None

    @Slot(list)
    def show_for(self, models: list) -> None:
        """The card while ``models`` (the last scan's) is empty; the canvas's usual hint after."""
        if models:
            self.window.canvas.set_empty_state(None)
            return
        if self.panel is None:
            self.panel = FirstRunPanel()
            self.panel.add_folder_requested.connect(self.add_models_folder)
            self.panel.use_install_requested.connect(self.use_install_folder)
            self.panel.folder_dropped.connect(self.use_install)
        self.window.canvas.set_empty_state(self.panel)

    @Slot()
    def add_models_folder(self) -> None:
        chosen = self.choose_folder("Add a Models Folder")
        if chosen:
            self.add_folder(chosen)

    @Slot()
    def use_install_folder(self) -> None:
        chosen = self.choose_folder("Choose Your A1111, Forge, ComfyUI or InvokeAI Folder")
        if chosen:
            self.use_install(chosen)

    def add_folder(self, folder: str | Path) -> list[Path]:
        """Add ``folder`` as it is; the folders newly added (none if it was there already)."""
        source = find_model_source(folder)
        if source.missing:
            return self._say(f"{paths.shown(source.picked)} is not a folder; choose a folder that holds models")
        added = self._add([source.picked])
        return self._say(f"Added {paths.shown(source.picked)} to the model folders" if added else
                         f"{paths.shown(source.picked)} is already one of the model folders", added)

    def use_install(self, folder: str | Path) -> list[Path]:
        """Add the model folders of the install at ``folder`` (or ``folder`` itself when it is
        none that Atelier knows); the folders newly added."""
        source = find_model_source(folder)
        if source.missing:
            return self._say(f"{paths.shown(source.picked)} is not a folder; choose the A1111 or ComfyUI folder")
        added = self._add(source.folders)
        return self._say(source.added(added), added)

    def _add(self, folders) -> list[Path]:
        present = set(self.window.settings.model_folders)
        added = [folder for folder in folders if str(folder) not in present]
        if added:
            settings = self.window.settings.copy()
            settings.model_folders += [str(folder) for folder in added]
            self.window.apply_settings(settings)  # kept, and scanned on the engine's thread
        return added

    def _say(self, text: str, added: list[Path] | None = None) -> list[Path]:
        self.window.statusBar().showMessage(text, _SHOWN_MS)
        self.window.panel.set_message(text)  # stays after the scan's own status line
        return added or []


def _dropped_folder(mime) -> str | None:
    """The first local folder among a drag's URLs, or None (image files go to the canvas)."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and Path(url.toLocalFile()).is_dir():
            return url.toLocalFile()
    return None
