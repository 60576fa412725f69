"""The History panel: every output of the project as a thumbnail grid, newest first, grouped
under the request (entry) that made it.

The panel only shows: it never writes to disk and never changes the project. The window feeds
it plain project objects (``set_project``, then each change the project thread reports through
``apply_change``) and the actions its context menu offers (``set_actions``); it says which
output the artist picked (``output_activated``).
"""

from collections.abc import Callable
from contextlib import contextmanager

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Entry, Output, Project
from ..bridges.project_changes import (
    OutputAdded,
    OutputRemoved,
    OutputRestored,
    OutputsMerged,
    OutputUpdated,
    ProjectChange,
)
from ..widgets import named, own_viewport
from ..theme import mix
from .delegate import SPACING, TILE, HistoryDelegate
from .model import ID_ROLE, KIND_ROLE, HistoryModel
from .thumbnails import THUMB, ThumbnailCache, thumbnail_asset


class _HistoryList(QListView):
    """An icon-mode list with an empty-state message, remembering what was current at a press
    (so clicking the current item again can re-activate it)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.empty_text = ""
        self.current_at_press = QModelIndex()

    def mousePressEvent(self, event) -> None:
        self.current_at_press = self.currentIndex()
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0 and self.empty_text:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText))
            rect = self.viewport().rect().adjusted(24, 24, -24, -24)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            painter.end()


class HistoryView(QWidget):
    """The History panel. Fed plain project objects on the UI thread; never writes anything."""

    output_activated = Signal(str)  # output id: clicked, or made current with the keyboard

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("historyView")
        self.setAccessibleName("History")
        self._quiet = False  # set while the model changes: selection moves are not activations
        self.output_actions = None  # an OutputActions: what the context menu offers
        self._removed_current: str | None = None  # the selected output, while its delete may be undone

        self.thumbnails = ThumbnailCache(THUMB, parent=self)
        self.thumbnails.thumbnail_ready.connect(self._on_thumbnail_ready)
        self.model = HistoryModel(self)

        self.filter_edit = named(QLineEdit(), "historyFilter", "Filter history by prompt")
        self.filter_edit.setPlaceholderText("Filter by prompt or lyrics")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(120)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.favourites_button = _toggle("\u2605 Favourites", "historyFavourites", "Favourites only",
                                         "Show only favourites")
        self.favourites_button.toggled.connect(self._on_favourites_toggled)
        self.show_hidden_button = _toggle("Show hidden", "historyShowHidden", "Show hidden",
                                          "Also show outputs you hid")
        self.show_hidden_button.toggled.connect(self._on_show_hidden_toggled)

        self.list_view = named(_HistoryList(), "historyList", "History thumbnails")
        view = self.list_view
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setMovement(QListView.Movement.Static)
        view.setFlow(QListView.Flow.LeftToRight)
        view.setWrapping(True)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setUniformItemSizes(False)
        view.setSpacing(SPACING)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.verticalScrollBar().setSingleStep(24)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setDragEnabled(False)
        view.setMouseTracking(True)
        own_viewport(view).setAttribute(Qt.WidgetAttribute.WA_Hover)
        view.setFrameShape(QListView.Shape.NoFrame)
        view.setMinimumWidth(TILE + 2 * SPACING + 24)
        view.setModel(self.model)
        self.delegate = HistoryDelegate(view, self.thumbnails)
        view.setItemDelegate(self.delegate)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._on_context_menu)
        view.selectionModel().currentChanged.connect(self._on_current_changed)
        view.clicked.connect(self._on_clicked)

        self.count_label = named(_CountLabel(), "historyCount", "Number of outputs shown")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 8, 8, 4)
        bar.setSpacing(6)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.favourites_button)
        bar.addWidget(self.show_hidden_button)
        footer = QHBoxLayout()
        footer.setContentsMargins(10, 2, 10, 6)
        footer.addWidget(self.count_label)
        footer.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(view, 1)
        layout.addLayout(footer)
        self._style_toggles()
        self._refresh_texts()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._style_toggles()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.thumbnails.device_pixel_ratio = self.devicePixelRatioF()  # sharp on HiDPI screens

    def _style_toggles(self) -> None:
        style = _toggle_style(self.palette())
        for button in (self.favourites_button, self.show_hidden_button):
            if button.styleSheet() != style:
                button.setStyleSheet(style)

    # ----- data API ------------------------------------------------------------------------
    def set_project(self, project: Project, read_asset: Callable[[str], bytes]) -> None:
        """Show ``project``, reading assets through ``read_asset`` (called off the UI thread,
        only for outputs that get shown). Decodes nothing now."""
        self.thumbnails.device_pixel_ratio = self.devicePixelRatioF()
        self.thumbnails.set_source(read_asset)
        with self._quietly():
            self.model.set_entries(project.entries)
        self.list_view.scrollToTop()
        self._refresh_texts()

    def add_output(self, entry: Entry, output: Output) -> None:
        """A new output; its request goes on top if it is new."""
        with self._quietly():
            self.model.add(entry, output)
        self._refresh_texts()

    def update_output(self, output: Output) -> None:
        """Show ``output``'s current marks (favourite, rating, hidden, note)."""
        with self._quietly():
            self.model.update(output)
        self._refresh_texts()

    def remove_output(self, output_id: str) -> None:
        """An output left the project: its row goes, the rest stay where they are on screen."""
        current = self.current_output_id()
        with self._quietly():
            self.model.remove(output_id)
        self._removed_current = output_id if current == output_id else None
        self._refresh_texts()

    def restore_output(self, entry_id: str, output: Output, index: int) -> None:
        """A removed output is back (an undone delete), selected again if it was when removed."""
        with self._quietly():
            self.model.insert(entry_id, output, index)
        if self._removed_current == output.id:
            self.select_output(output.id)
        self._removed_current = None
        self._refresh_texts()

    def apply_change(self, change: ProjectChange) -> None:
        """Show one change the project thread reported (see ``bridges.project_changes``)."""
        match change:
            case OutputAdded(entry=entry, output=output):
                self.add_output(entry, output)
            case OutputsMerged(added=added):
                for each in added:
                    self.add_output(each.entry, each.output)
            case OutputUpdated(output=output):
                self.update_output(output)
            case OutputRemoved(output_id=output_id):
                self.remove_output(output_id)
            case OutputRestored(entry_id=entry_id, output=output, index=index):
                self.restore_output(entry_id, output, index)

    def clear(self) -> None:
        with self._quietly():
            self.model.clear()
        self.thumbnails.set_source(None)
        self._refresh_texts()

    # ----- selection -----------------------------------------------------------------------
    def current_output_id(self) -> str | None:
        index = self.list_view.currentIndex()
        return index.data(ID_ROLE) if index.isValid() and index.data(KIND_ROLE) == "output" else None

    def select_output(self, output_id: str) -> bool:
        """Select and scroll to an output without emitting ``output_activated``; False if it
        is not shown."""
        row = self.model.row_of(output_id)
        if row is None:
            return False
        index = self.model.index(row)
        with self._quietly():
            self.list_view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.list_view.scrollTo(index)
        return True

    def index_of(self, output_id: str) -> QModelIndex:
        row = self.model.row_of(output_id)
        return QModelIndex() if row is None else self.model.index(row)

    # ----- what is shown (for the window and tests) -----------------------------------------
    def shown_output_ids(self) -> list[str]:
        """Output ids in display order."""
        return self.model.output_ids()

    def groups(self) -> list[tuple[str, list[str]]]:
        """(entry id, output ids) in display order."""
        return self.model.groups()

    def thumbnail_state(self, output_id: str) -> str:
        """The thumbnail's (a sound's: its waveform's) state: "loaded", "failed", "loading" or "none"."""
        found = self.model.find(output_id)
        if found is None:
            raise KeyError(output_id)
        _entry, output = found
        return self.thumbnails.state(thumbnail_asset(output))

    # ----- context menu --------------------------------------------------------------------
    def set_actions(self, actions) -> None:
        """What the context menu offers: an ``OutputActions`` (ui/actions.py)."""
        self.output_actions = actions

    def build_context_menu(self, output_id: str, parent: QWidget | None = None) -> QMenu | None:
        """The menu for one output; None for an unknown output or without actions."""
        if self.output_actions is None or self.model.find(output_id) is None:
            return None
        return self.output_actions.context_menu(output_id, parent or self)

    @Slot("QPoint")
    def _on_context_menu(self, pos) -> None:
        index = self.list_view.indexAt(pos)
        if not index.isValid() or index.data(KIND_ROLE) != "output":
            return
        menu = self.build_context_menu(index.data(ID_ROLE), self.list_view)
        if menu is None:
            return
        self.popup_menu(menu, self.list_view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    # ----- slots ---------------------------------------------------------------------------
    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._quiet and current.isValid() and current.data(KIND_ROLE) == "output":
            self.output_activated.emit(current.data(ID_ROLE))

    @Slot(QModelIndex)
    def _on_clicked(self, index: QModelIndex) -> None:
        # A click that changed the current item was announced by currentChanged already.
        if index.data(KIND_ROLE) == "output" and index == self.list_view.current_at_press:
            self.output_activated.emit(index.data(ID_ROLE))

    @Slot(str)
    def _on_thumbnail_ready(self, asset: str) -> None:
        for row in self.model.rows_for_asset(asset):
            self.list_view.update(self.model.index(row))

    @Slot(str)
    def _on_filter_text(self, text: str) -> None:
        self._refilter(text=text)

    @Slot(bool)
    def _on_favourites_toggled(self, on: bool) -> None:
        self._refilter(favourites_only=on)

    @Slot(bool)
    def _on_show_hidden_toggled(self, on: bool) -> None:
        self._refilter(show_hidden=on)

    def _refilter(self, **filters) -> None:
        current = self.current_output_id()
        with self._quietly():
            self.model.set_filters(**filters)
            if current is not None and self.model.row_of(current) is not None:
                self.select_output(current)
        self._refresh_texts()

    @contextmanager
    def _quietly(self):
        """Model changes move Qt's current index around; none of that is an activation. If the
        current output goes away, nothing is current after (Qt would select a neighbour, which
        the window never showed)."""
        before = self.current_output_id()
        was, self._quiet = self._quiet, True
        try:
            yield
            if not was and before is not None and self.model.row_of(before) is None:
                selection = self.list_view.selectionModel()
                selection.clearSelection()
                selection.setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.Clear)
        finally:
            self._quiet = was

    def popup_menu(self, menu: QMenu, global_pos) -> None:
        """Show a context menu (modal); tests replace this to look at the menu instead."""
        menu.exec(global_pos)

    def _refresh_texts(self) -> None:
        total = self.model.output_count()
        shown = self.model.shown_count()
        if total == 0:
            self.list_view.empty_text = "Nothing here yet.\nWhat you make appears here, newest first."
            self.count_label.setText("")
        elif shown == 0:
            self.list_view.empty_text = "Nothing matches." if self.model.filtering() else "Everything here is hidden."
            self.count_label.setText(f"0 of {total:,} shown")
        else:
            noun = "output" if total == 1 else "outputs"
            self.count_label.setText(f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} shown")
        self.list_view.viewport().update()


class _CountLabel(QLabel):
    """The count under the grid, at a fixed size (that of the longest count). A label whose size
    may change makes Qt lay out the history dock and then the whole main window again whenever
    its text changes, i.e. for every output added; a fixed-size one only repaints itself."""

    LONGEST = "9,999,999 of 9,999,999 shown"

    def __init__(self):
        super().__init__("")
        self._fix_size()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fix_size()

    def _fix_size(self) -> None:
        text = self.text()
        self.setText(self.LONGEST)
        self.setFixedSize(self.sizeHint())  # QLabel's hint follows its text, not its fixed size
        self.setText(text)


def _toggle(text: str, name: str, accessible: str, tip: str) -> QToolButton:
    button = named(QToolButton(), name, accessible)
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(True)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


def _toggle_style(palette: QPalette) -> str:
    """Fusion barely marks a checked tool button in the dark theme; a filter that is on must
    show. Colours come from the palette so the light theme gets light buttons."""
    active = QPalette.ColorGroup.Active
    button = palette.color(active, QPalette.ColorRole.Button)
    text = palette.color(active, QPalette.ColorRole.ButtonText)
    accent = palette.color(active, QPalette.ColorRole.Highlight)
    on_text = palette.color(active, QPalette.ColorRole.HighlightedText)
    return (
        f"QToolButton {{ padding: 3px 10px; border: 1px solid {mix(button, text, 0.18).name()};"
        f" border-radius: 4px; background: {button.name()}; color: {text.name()}; }}"
        f"QToolButton:hover {{ background: {mix(button, text, 0.08).name()}; }}"
        f"QToolButton:focus {{ border-color: {accent.name()}; }}"
        f"QToolButton:checked {{ background: {accent.name()}; border-color: {mix(accent, on_text, 0.2).name()};"
        f" color: {on_text.name()}; }}"
        f"QToolButton:checked:hover {{ background: {mix(accent, on_text, 0.1).name()}; }}"
    )
