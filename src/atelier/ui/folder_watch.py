"""Watching the folders models are found in, so a model copied in, moved or deleted while the
window is open shows up (or goes) without a restart."""

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

# A copy of a multi-GB model changes its folder many times; one scan when it has settled.
_SETTLE_MS = 1500


class ModelFolderWatch(QObject):
    """Reports ``changed`` once a watched folder's entries have stopped changing for a moment.
    Only the folders themselves are watched (inotify on Linux): a model is a folder or a file
    directly inside one, so adding or removing one changes the watched folder."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._watcher = None  # a QFileSystemWatcher, made with the first folders
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(_SETTLE_MS)
        self._settle.timeout.connect(self.changed)

    def watch(self, folders: list[Path]) -> None:
        """Watch exactly ``folders`` (those that exist), replacing what was watched."""
        if self._watcher is None:
            from PySide6.QtCore import QFileSystemWatcher  # after the first frame, not before it

            self._watcher = QFileSystemWatcher(self)
            self._watcher.directoryChanged.connect(self._on_changed)
        old = self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        wanted = [str(folder) for folder in dict.fromkeys(folders) if Path(folder).is_dir()]
        if wanted:
            self._watcher.addPaths(wanted)

    @property
    def folders(self) -> list[str]:
        return self._watcher.directories() if self._watcher is not None else []

    @Slot(str)
    def _on_changed(self, _folder: str) -> None:
        self._settle.start()  # restarted by every change: the scan waits for the last one
