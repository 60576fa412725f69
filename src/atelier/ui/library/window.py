"""The Model Library window (objectName model_library): every model the last scan found, parts
and pickles included, with search (name, family, type, path, known hashes), filters by type and
family, the selected model's details, and the scan's problems one line each. Hashes, checks and
conversion run in the background (background.py); the window only shows their results.

Controls by objectName: library_search, library_type, library_family, library_table,
library_details (details.py), library_add_folder, library_check_all, library_problems,
library_count."""

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QMenu, QMessageBox, QPushButton, QSplitter, QTableView,
                               QToolButton, QVBoxLayout, QWidget)

from ..widgets import named
from . import entries
from .background import Background, convert_in_child
from .details import DetailsPane
from .table import INFO_ROLE, LibraryFilter, LibraryModel

_HASH, _CHECK, _CHECK_ALL, _KNOWN, _CONVERT = "hash:", "check:", "check-all", "known-hashes:", "convert:"
_FOLDER_FORMATS = ("diffusers", "transformers")


class ModelLibraryWindow(QWidget):
    """Shows ``window.generation``'s last scan; adds folders and rescans through ``window``."""

    def __init__(self, window):
        super().__init__(window, Qt.WindowType.Window)
        self.setObjectName("model_library")
        self.setWindowTitle("Model Library")
        self.resize(1100, 640)
        self._window = window
        self.generation = window.generation
        self.background = Background(self)
        self.background.done.connect(self._on_done)
        self.background.failed.connect(self._on_failed)
        self.model = LibraryModel(self)
        self.filter = LibraryFilter(self.model, self)
        self._scans = 0  # which scan a batch of known hashes was read for
        self._build()
        self.generation.models_changed.connect(self._on_scan)
        self._on_scan()

    # ----- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.search = named(QLineEdit(), "library_search", "Search models")
        self.search.setPlaceholderText("Search name, type, family, path or hash")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.type_combo = named(QComboBox(), "library_type", "Type")
        self.family_combo = named(QComboBox(), "library_family", "Family")
        for combo in (self.type_combo, self.family_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._apply_filter)
        self.add_button = named(QToolButton(), "library_add_folder", "Add folder")
        self.add_button.setText("Add Folder...")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setStyleSheet("QToolButton::menu-indicator { image: none; }")  # "..." says it asks
        add_menu = QMenu(self.add_button)
        add_menu.addAction("Add a Models Folder...", self._window.model_folder_picker.add_models_folder)
        add_menu.addAction("Use My A1111 / ComfyUI Folder...", self._window.model_folder_picker.use_install_folder)
        self.add_button.setMenu(add_menu)
        self.check_all_button = named(QPushButton("Check All"), "library_check_all", "Check all models")
        self.check_all_button.setToolTip("Look at every model's files again; each problem in one line")
        self.check_all_button.clicked.connect(self.check_all)
        rescan = named(QPushButton("Rescan"), "library_rescan", "Rescan models")
        rescan.clicked.connect(self._window.rescan_models)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.type_combo)
        top.addWidget(self.family_combo)
        top.addSpacing(12)
        top.addWidget(self.add_button)
        top.addWidget(rescan)
        top.addWidget(self.check_all_button)

        self.table = named(QTableView(), "library_table", "Models")
        self.table.setModel(self.filter)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((200, 100, 100, 75)):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.details = DetailsPane()
        self.details.reveal_requested.connect(self.reveal)
        self.details.convert_requested.connect(self.convert)
        self.details.check_requested.connect(self.check_current)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([730, 430])

        self.count_label = named(QLabel(), "library_count", "How many models")
        self.problems = named(QListWidget(), "library_problems", "Problems")
        self.problems.setMaximumHeight(110)
        self.problems.setWordWrap(False)
        self.problems_title = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.problems_title)
        layout.addWidget(self.problems)
        layout.addWidget(self.count_label)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

    # ----- the scan ---------------------------------------------------------------------------
    def _on_scan(self, *_models) -> None:
        """The last scan, whole: rows, filter choices, problems; known hashes fetched behind."""
        selected = self.current()
        self.model.set_models(self.generation.all_models)
        self._fill_combo(self.type_combo, "All types", sorted({m.kind for m in self.model.models}, key=entries.type_label),
                         entries.type_label)
        self._fill_combo(self.family_combo, "All families", sorted({m.family for m in self.model.models}),
                         entries.family_label)
        self._show_problems([(None, line) for line in self.generation.scan_problems])
        self._scans += 1
        files = [str(m.path) for m in self.model.models if m.format not in _FOLDER_FORMATS]
        self.background.submit(f"{_KNOWN}{self._scans}", lambda: _known_hashes(files))
        row = self.model.row_of(selected.id) if selected is not None else -1
        self.select_row(row if row >= 0 else 0)
        self._apply_filter()  # a type or family no longer listed went back to "All"

    def _fill_combo(self, combo: QComboBox, everything: str, values: list[str], label) -> None:
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, "")
        for value in values:
            combo.addItem(label(value), value)
        at = combo.findData(chosen)
        combo.setCurrentIndex(at if at >= 0 else 0)
        combo.blockSignals(False)

    def _show_problems(self, problems: list[tuple[object, str]]) -> None:
        """The scan's skipped files and the checks' problems, one line each."""
        self.problems.clear()
        for info, line in problems:
            self.problems.addItem(f"{info.name}: {line}" if info is not None else line)
        self.problems_title.setText(f"Problems ({len(problems)})" if problems else "")
        self.problems.setVisible(bool(problems))
        self.problems_title.setVisible(bool(problems))

    # ----- filtering and selection ------------------------------------------------------------
    def _apply_filter(self, *_args) -> None:
        self.filter.set_filter(self.type_combo.currentData() or "", self.family_combo.currentData() or "",
                               self.search.text())
        self._update_count()
        if not self.table.selectionModel().hasSelection() and self.filter.rowCount():
            self.table.selectRow(0)

    def _update_count(self) -> None:
        total, shown = self.model.rowCount(), self.filter.rowCount()
        self.count_label.setText(f"{total} models" if shown == total else f"{shown} of {total} models shown")

    def select_row(self, source_row: int) -> None:
        """Select the model at ``source_row`` of the scan's list (when the filter shows it)."""
        if not 0 <= source_row < self.model.rowCount():
            self.details.show_model(None)
            return
        index = self.filter.mapFromSource(self.model.index(source_row, 0))
        if index.isValid():
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def current(self):
        """The selected model's ModelInfo, or None."""
        index = self.table.selectionModel().currentIndex()
        return index.data(INFO_ROLE) if index.isValid() else None

    def _on_current(self, *_indexes) -> None:
        info = self.current()
        if info is not None and str(info.path) not in self.model.hashes:
            self._hash(info)
        self._show_current()

    def _show_current(self) -> None:
        info = self.current()
        if info is None:
            self.details.show_model(None)
            return
        path = str(info.path)
        self.details.show_model(info, self.model.readiness.get(info.id, ""), self.model.hashes.get(path),
                                hashing=self.background.busy(_HASH + path))

    def _hash(self, info) -> None:
        """Hash the model's file (or fingerprint its folder) in the background, once; a hash
        asked for a model selected before, and not started yet, is dropped."""
        path = Path(info.path)
        self.background.drop_waiting(_HASH)
        if info.format in _FOLDER_FORMATS:
            from ...engine.fingerprint import model_fingerprint

            self.background.submit(_HASH + str(path), lambda: model_fingerprint(path))
        else:
            from ...models.hashes import file_hashes

            self.background.submit(_HASH + str(path), lambda: file_hashes(path, self.background.check_stopping))

    # ----- actions ----------------------------------------------------------------------------
    @Slot()
    def reveal(self) -> None:
        """Open the model's folder (a file's: the folder holding it) in the file manager."""
        info = self.current()
        if info is not None:
            folder = Path(info.path) if info.format in _FOLDER_FORMATS else Path(info.path).parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot()
    def check_current(self) -> None:
        info = self.current()
        if info is not None:
            self.background.submit(_CHECK + info.id, lambda: entries.check(info))

    @Slot()
    def check_all(self) -> None:
        models = list(self.model.models)
        if self.background.submit(_CHECK_ALL, lambda: [(m.id, entries.check(m)) for m in models]):
            self.check_all_button.setEnabled(False)
            self.count_label.setText(f"Checking {len(models)} models ...")

    def confirm_convert(self, info, out: Path) -> bool:
        """Ask before converting; tests replace this."""
        answer = QMessageBox.question(
            self, "Convert to safetensors",
            f"Convert {Path(info.path).name} to {out.name}, beside it?\n\n"
            "Atelier reads it with torch.load(weights_only=True), which builds plain tensors only and refuses "
            "anything that needs code to load. Convert only a file whose source you trust; the original is "
            "kept as it is.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    @Slot()
    def convert(self) -> None:
        """Convert the selected pickle to a .safetensors beside it, when the artist confirms."""
        info = self.current()
        if info is None or info.format != "pickle":
            return
        source = Path(info.path)
        out = source.with_suffix(".safetensors")
        if out.exists():
            self._say(f"{out.name} already exists beside it; remove it or convert from the command line")
            return
        if not self.confirm_convert(info, out):
            return
        if self.background.submit(_CONVERT + str(source), lambda: convert_in_child(source, out)):
            self.details.convert_button.setEnabled(False)
            self._say(f"Converting {source.name} ...")

    def _say(self, text: str) -> None:
        self.count_label.setText(text)

    # ----- results ----------------------------------------------------------------------------
    @Slot(str, object)
    def _on_done(self, key: str, result) -> None:
        if key.startswith(_KNOWN):
            for path, hashes in result.items():
                self.model.set_hashes(path, hashes)
            self.filter.refresh()
        elif key.startswith(_HASH):
            self.model.set_hashes(key[len(_HASH):], result)
            self.filter.refresh()
        elif key.startswith(_CHECK):
            self.model.set_readiness(key[len(_CHECK):], result)
        elif key == _CHECK_ALL:
            for model_id, readiness in result:
                self.model.set_readiness(model_id, readiness)
            self.check_all_button.setEnabled(True)
            by_id = {m.id: m for m in self.model.models}
            problems = [(by_id[i], line) for i, line in result if line != entries.READY and i in by_id]
            self._show_problems([(None, line) for line in self.generation.scan_problems] + problems)
            self._say(f"{len(result) - len(problems)} ready, {len(problems)} with a problem")
            return
        elif key.startswith(_CONVERT):
            self.details.convert_button.setEnabled(True)
            self._say(f"Converted to {result.out.name} ({result.tensors} tensors); scanning again ...")
            self._window.rescan_models()
            return
        self._show_current()

    @Slot(str, str)
    def _on_failed(self, key: str, line: str) -> None:
        if key.startswith(_HASH):
            path = key[len(_HASH):]
            self._say(f"Could not hash {Path(path).name}: {entries.one_line(line, Path(path))}")
        elif key.startswith(_CONVERT):
            self.details.convert_button.setEnabled(True)
            self._say(f"Not converted: {line}")
        elif key == _CHECK_ALL:
            self.check_all_button.setEnabled(True)
            self._say(f"Check stopped: {line}")
        else:
            self._say(line)
        self._show_current()

    def shutdown(self) -> None:
        """End the background work: the window is closing."""
        self.background.stop()


def _known_hashes(paths: list[str]) -> dict:
    """The cached hashes of these files (one cache read, no file read): on the pool thread."""
    from ...models.hashes import cached_file_hashes, load_cache

    cache = load_cache()
    known = {path: cached_file_hashes(Path(path), cache) for path in paths}
    return {path: hashes for path, hashes in known.items() if hashes is not None}
