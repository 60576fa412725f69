"""The library's list: one row per model the scan found, and the filter over it (type, family,
search words). Readiness and hashes arrive later from the background and update their rows."""

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from . import entries

COLUMNS = ("Name", "Type", "Family", "Size", "Readiness")
_NAME, _TYPE, _FAMILY, _SIZE, _READINESS = range(len(COLUMNS))
INFO_ROLE = Qt.ItemDataRole.UserRole  # the row's ModelInfo
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what a column sorts by (bytes for the size)
_ANY = ""  # the filters' "all types" / "all families"


def size_text(size_bytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size_bytes >= scale:
            return f"{size_bytes / scale:.2f} {unit}" if unit == "GB" else f"{size_bytes / scale:.0f} {unit}"
    return f"{size_bytes} B"


class LibraryModel(QAbstractTableModel):
    """Rows of ModelInfo, with each one's readiness (the scan's, or a check's) and known hashes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.models: list = []
        self.readiness: dict[str, str] = {}  # model id: READY or one line
        self.hashes: dict[str, object] = {}  # path: FileHashes, or a folder's fingerprint
        self._search: dict[str, str] = {}  # model id: its search text

    def set_models(self, models: list) -> None:
        self.beginResetModel()
        self.models = list(models)
        self.readiness = {m.id: entries.readiness(m) for m in self.models}
        self._search = {m.id: entries.search_text(m, self.hashes.get(str(m.path))) for m in self.models}
        self.endResetModel()

    def info(self, row: int):
        return self.models[row]

    def row_of(self, model_id: str) -> int:
        return next((row for row, m in enumerate(self.models) if m.id == model_id), -1)

    def set_readiness(self, model_id: str, text: str) -> None:
        row = self.row_of(model_id)
        if row >= 0:
            self.readiness[model_id] = text
            self.dataChanged.emit(self.index(row, _READINESS), self.index(row, _READINESS))

    def set_hashes(self, path: str, hashes) -> None:
        """Known hashes of ``path`` (searchable from now on)."""
        self.hashes[path] = hashes
        for m in self.models:
            if str(m.path) == path:
                self._search[m.id] = entries.search_text(m, hashes)

    def search_text(self, row: int) -> str:
        return self._search.get(self.models[row].id, "")

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.models)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        info = self.models[index.row()]
        column = index.column()
        if role == INFO_ROLE:
            return info
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.readiness.get(info.id, "") if column == _READINESS else str(info.path)
        if role == SORT_ROLE and column == _SIZE:
            return info.size_bytes
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return self._text(info, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == _SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, info, column: int) -> str:
        if column == _NAME:
            return info.name if info.format != "pickle" else f"{info.name}{Path(info.path).suffix}"
        if column == _TYPE:
            return entries.type_label(info.kind)
        if column == _FAMILY:
            return entries.family_label(info.family)
        if column == _SIZE:
            return size_text(info.size_bytes)
        return self.readiness.get(info.id, "")


class LibraryFilter(QSortFilterProxyModel):
    """Shows the rows of the chosen type and family whose search text holds every word typed."""

    def __init__(self, source: LibraryModel, parent=None):
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.kind = _ANY
        self.family = _ANY
        self.words: list[str] = []

    def set_filter(self, kind: str = _ANY, family: str = _ANY, search: str = "") -> None:
        self.beginFilterChange()
        self.kind, self.family, self.words = kind, family, search.lower().split()
        self.endFilterChange()

    def refresh(self) -> None:
        """Match again: hashes that arrived may match the words typed."""
        self.beginFilterChange()
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        source: LibraryModel = self.sourceModel()
        info = source.info(row)
        if self.kind and info.kind != self.kind:
            return False
        if self.family and info.family != self.family:
            return False
        text = source.search_text(row)
        return all(word in text for word in self.words)
