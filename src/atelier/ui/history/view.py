"""The History panel: every output of the project as a thumbnail grid, newest first, grouped
under the request (entry) that made it.

The panel only shows: it never writes to disk and never changes the project. The window feeds
it plain project objects (``set_project``, then each change the project thread reports through
``apply_change``) and the actions its context menu and keys offer (``set_actions``); it says which
output the artist picked (``output_activated``), follows the one the window shows
(``follow_current``), and asks for a look at the previous image while Space is held
(``compare_started`` / ``compare_ended``).

Keys, while the grid has focus: arrows browse, Delete deletes (a notice offers Undo), F
favourites, 1-5 rate (0 clears), Space holds a comparison with the previous image.
"""

from collections.abc import Callable
from contextlib import contextmanager

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.project import Entry, Output, Project
from ..bridges.project_changes import (
    OutputAdded,
    OutputRemoved,
    OutputRestored,
    OutputsImported,
    OutputsMerged,
    OutputUpdated,
    ProjectChange,
)
from ..widgets import named, own_viewport
from ..theme import mix
from .delegate import PAD, SPACING, HistoryDelegate
from .model import ID_ROLE, KIND_ROLE, HistoryModel, seed_of
from .thumbnails import THUMB, THUMB_SIZES, ThumbnailCache, thumbnail_asset

NOTICE_MS = 10_000  # how long "Deleted — Undo" stays, unless something else is done first
# Keys the grid takes before the window's shortcuts can: what each does to the selected output.
_MARK_KEYS = {Qt.Key.Key_Delete: "delete", Qt.Key.Key_Backspace: "delete", Qt.Key.Key_F: "favourite",
              **{getattr(Qt.Key, f"Key_{stars}"): f"rate_{stars}" for stars in range(6)}}
_PLAIN = Qt.KeyboardModifier.NoModifier | Qt.KeyboardModifier.KeypadModifier  # a digit may come from the keypad


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
    compare_started = Signal(str, str)  # the output to show instead for now, and what to call it
    compare_ended = Signal()  # Space released: show the selected output again
    undo_requested = Signal()  # the notice's Undo: undo the delete it tells of
    thumbnail_size_changed = Signal(int)  # the artist moved the size slider: the box, logical pixels

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("historyView")
        self.setAccessibleName("History")
        self._quiet = False  # set while the model changes: selection moves are not activations
        self.output_actions = None  # an OutputActions: what the context menu offers
        # (removed output, neighbour selected instead), while the removal may be undone
        self._removed_current: tuple[str, str | None] | None = None
        self._awaited: str | None = None  # the output the window shows, not in the grid yet
        self._comparing = False  # Space is held: the window shows another output for now

        self.thumbnails = ThumbnailCache(THUMB, parent=self)
        self.thumbnails.thumbnail_ready.connect(self._on_thumbnail_ready)
        self.model = HistoryModel(self)

        self.filter_edit = named(QLineEdit(), "historyFilter", "Filter history by prompt")
        self.filter_edit.setPlaceholderText("Filter by prompt or lyrics")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(60)  # the canvas keeps the widest column at 1024 px
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
        view.setModel(self.model)
        self.delegate = HistoryDelegate(view, self.thumbnails)
        view.setItemDelegate(self.delegate)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._on_context_menu)
        view.selectionModel().currentChanged.connect(self._on_current_changed)
        view.clicked.connect(self._on_clicked)
        view.installEventFilter(self)  # its keys

        self.notice = _UndoNotice(self)
        self.notice.undo_button.clicked.connect(self._on_notice_undo)
        self.count_label = named(_CountLabel(), "historyCount", "Number of outputs shown")
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.size_slider = named(QSlider(Qt.Orientation.Horizontal), "thumbnailSizeSlider", "Thumbnail size")
        self.size_slider.setRange(*THUMB_SIZES)
        self.size_slider.setSingleStep(8)
        self.size_slider.setPageStep(32)
        self.size_slider.setValue(THUMB)
        self.size_slider.setFixedWidth(96)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self._on_size_slider)

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
        footer.addWidget(self.size_slider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(view, 1)
        layout.addWidget(self.notice)
        layout.addLayout(footer)
        self._fit_minimum_width()
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
        self._awaited = None
        self._removed_current = None
        self.notice.hide()
        self.list_view.scrollToTop()
        self._refresh_texts()

    def add_output(self, entry: Entry, output: Output) -> None:
        """A new output; its request goes on top if it is new. Selected if the window shows it
        already (``follow_current`` came first)."""
        with self._quietly():
            self.model.add(entry, output)
        if output.id == self._awaited:
            self._awaited = None
            self._select_with_header(output.id)
        self._refresh_texts()

    def add_outputs(self, added: list[tuple[Entry, Output]]) -> None:
        """Many new outputs at once (an import's, a merge's): the grid is rebuilt once."""
        with self._quietly():
            self.model.add_many(added)
        awaited = self._awaited
        if awaited is not None and any(output.id == awaited for _entry, output in added):
            self._awaited = None
            self._select_with_header(awaited)
        self._refresh_texts()

    def update_output(self, output: Output) -> None:
        """Show ``output``'s current marks (favourite, rating, hidden, note). A selected output
        that hiding takes out of the grid hands the selection to a neighbour."""
        with self._keeping_place():
            self.model.update(output)
        self._refresh_texts()

    def remove_output(self, output_id: str) -> None:
        """An output left the project: its row goes, the rest stay where they are on screen; if
        it was selected, a neighbour is selected (and shown) instead."""
        current = self.current_output_id()
        with self._keeping_place() as neighbour:
            self.model.remove(output_id)
        self._removed_current = (output_id, neighbour[0] if neighbour else None) if current == output_id else None
        self._refresh_texts()

    def restore_output(self, entry_id: str, output: Output, index: int) -> None:
        """A removed output is back (an undone delete), selected and shown again if it was
        when removed and the artist has not moved on since."""
        with self._quietly():
            self.model.insert(entry_id, output, index)
        removed = self._removed_current
        if removed is not None and removed[0] == output.id and self.current_output_id() == removed[1]:
            self._activate(output.id)
        self._removed_current = None
        self._refresh_texts()

    def follow_current(self, output_id: str | None) -> None:
        """The window shows ``output_id`` now (a new result, an undo, a click): select it and
        scroll it into view with its group's header. One not in the grid yet (its change is on
        its way) is selected when it arrives."""
        if output_id is None or output_id == self.current_output_id():
            return
        if self.model.find(output_id) is None:
            self._awaited = output_id
        elif self.model.row_of(output_id) is not None:  # not one the filters leave out
            self._select_with_header(output_id)

    def apply_change(self, change: ProjectChange) -> None:
        """Show one change the project thread reported (see ``bridges.project_changes``)."""
        match change:
            case OutputAdded(entry=entry, output=output):
                self.add_output(entry, output)
            case OutputsMerged(added=added) | OutputsImported(added=added):
                self.add_outputs([(each.entry, each.output) for each in added])
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

    def _select_with_header(self, output_id: str) -> None:
        self.select_output(output_id)
        found = self.model.find(output_id)
        header = self.model.header_row(found[0].id) if found is not None else None
        if header is not None:
            # The header first, then the output: both show when they fit, the output when not.
            self.list_view.scrollTo(self.model.index(header), QAbstractItemView.ScrollHint.EnsureVisible)
            self.list_view.scrollTo(self.index_of(output_id), QAbstractItemView.ScrollHint.EnsureVisible)

    def _activate(self, output_id: str) -> None:
        """Select an output and say so (``output_activated``), as a click would."""
        if self.select_output(output_id):
            self.output_activated.emit(output_id)

    @contextmanager
    def _keeping_place(self):
        """For a change that may take the selected output out of the grid: the scroll position
        stays, and the next output (else the one before) is selected and shown instead. Yields a
        list that then holds the neighbour's id."""
        bar = self.list_view.verticalScrollBar()
        before, scrolled = self.current_output_id(), bar.value()
        order = self.model.output_ids()
        neighbour: list[str] = []
        with self._quietly():
            yield neighbour
        if before is None or self.model.row_of(before) is not None:
            return
        at = order.index(before)
        for candidate in order[at + 1:] + order[:at][::-1]:
            if self.model.row_of(candidate) is not None:
                neighbour.append(candidate)
                self._activate(candidate)
                break
        bar.setValue(scrolled)

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

    # ----- keys ------------------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        if watched is not self.list_view:
            return super().eventFilter(watched, event)
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and self._takes_key(event):
            event.accept()  # ours while the grid has focus, before any window shortcut
            return True
        if kind == QEvent.Type.KeyPress and self._takes_key(event):
            if event.key() == Qt.Key.Key_Space:
                if not event.isAutoRepeat():
                    self._start_comparing()
            else:
                self._act_on_current(_MARK_KEYS[event.key()])
            return True
        if kind == QEvent.Type.KeyRelease and event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            was = self._comparing
            self._stop_comparing()
            return was
        if kind == QEvent.Type.FocusOut:
            self._stop_comparing()  # the release may go elsewhere: never leave the comparison on
        return False

    def _takes_key(self, event) -> bool:
        # Only for a tile that shows as selected: Qt may make one current without selecting it.
        current = self.list_view.currentIndex()
        if event.modifiers() & ~_PLAIN or self.current_output_id() is None \
                or not self.list_view.selectionModel().isSelected(current):
            return False
        if event.key() == Qt.Key.Key_Space:
            # Only for an image: Space over a sound is left to the player (Play/Pause).
            return self.model.find(self.current_output_id())[1].kind == "image"
        return event.key() in _MARK_KEYS and self.output_actions is not None

    def _act_on_current(self, name: str) -> None:
        output_id = self.current_output_id()
        action = self.output_actions.action(name)
        if action.enabled_for(self.model.find(output_id)):
            action.handler(output_id)

    def compare_target(self) -> tuple[str, str] | None:
        """The image Space compares the selected one with, and what to call it: the image
        before it in the grid (after it, for the first one); None without another image."""
        current = self.current_output_id()
        if current is None:
            return None
        order = self.model.output_ids()
        at = order.index(current)
        for candidates, where in ((order[:at][::-1], "previous"), (order[at + 1:], "next")):
            for candidate in candidates:
                entry, output = self.model.find(candidate)
                if output.kind == "image":
                    seed = seed_of(entry, output)
                    named = f"{where.capitalize()} image" + (f" \u00b7 seed {seed}" if seed is not None else "")
                    return candidate, f"{named} \u2014 release Space to go back"
        return None

    def _start_comparing(self) -> None:
        target = self.compare_target()
        if target is not None and not self._comparing:
            self._comparing = True
            self.compare_started.emit(*target)

    def _stop_comparing(self) -> None:
        if self._comparing:
            self._comparing = False
            self.compare_ended.emit()

    # ----- the undo notice ---------------------------------------------------------------------
    def show_undo_notice(self, text: str) -> None:
        """Say what was just done, with an Undo button (``undo_requested``), for a few seconds."""
        self.notice.show_text(text)

    def hide_undo_notice(self) -> None:
        """Something else was done or undone: the notice's Undo would no longer undo what it says."""
        self.notice.hide()

    @Slot()
    def _on_notice_undo(self) -> None:
        self.notice.hide()
        self.undo_requested.emit()

    # ----- thumbnail size ----------------------------------------------------------------------
    def thumbnail_size(self) -> int:
        return self.delegate.thumb

    def set_thumbnail_size(self, size: int) -> None:
        """Tiles with a ``size`` box (clamped to THUMB_SIZES), laid out again at once; the
        slider follows."""
        size = min(max(int(size), THUMB_SIZES[0]), THUMB_SIZES[1])
        blocked = self.size_slider.blockSignals(True)
        self.size_slider.setValue(size)
        self.size_slider.blockSignals(blocked)
        self._resize_tiles(size)

    def _resize_tiles(self, size: int) -> None:
        if size == self.delegate.thumb:
            return
        self.delegate.thumb = size
        self.thumbnails.set_size(size)
        self._fit_minimum_width()
        self.list_view.doItemsLayout()
        current = self.list_view.currentIndex()
        if current.isValid():
            self.list_view.scrollTo(current)  # the picked tile stays in sight as the grid reflows

    @Slot(int)
    def _on_size_slider(self, size: int) -> None:
        if size != self.delegate.thumb:
            self._resize_tiles(size)
            self.thumbnail_size_changed.emit(size)

    def _fit_minimum_width(self) -> None:
        self.list_view.setMinimumWidth(self.delegate.thumb + 2 * PAD + 2 * SPACING + 24)  # a tile and a scroll bar

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


class _UndoNotice(QFrame):
    """A bar under the grid: "Image deleted" and Undo, gone after NOTICE_MS or when dismissed.
    Not a dialog: the artist goes on working while it shows."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("deleteNotice")
        self.setAccessibleName("Undo notice")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.label = named(QLabel(""), "deleteNoticeText", "What was done")
        self.undo_button = named(QToolButton(), "deleteUndoButton", "Undo")
        self.undo_button.setText("Undo")
        self.undo_button.setToolTip("Undo (Ctrl+Z)")
        close = named(QToolButton(), "deleteNoticeClose", "Dismiss")
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(NOTICE_MS)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()
        self._timer.start()


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
