"""The History panel: every output of the project as a thumbnail grid, newest first, grouped
under the request (entry) that made it.

The panel only shows: it never writes to disk and never changes the project. The window feeds
it plain project objects (``set_project``, ``add_output``, ``update_output``) and acts on what
it asks for (``output_activated``, ``action_requested``).

Thumbnails are lazy. Opening a project decodes nothing; an item asks for its thumbnail the
first time it is painted, i.e. when it becomes visible. A few plain Python threads read the
asset bytes and decode and scale them to QImages (no Qt object of theirs can be destroyed under
them); the result comes back to the UI thread as a queued signal, where it becomes a QPixmap in
a small LRU cache keyed by asset name (assets are content-addressed, so a name always means the
same pixels).
"""

import itertools
import logging
import math
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from functools import cache, partial

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.project import Entry, Output, Project
from .images import decode_image
from .widgets import named, own_viewport

log = logging.getLogger(__name__)

THUMB = 128  # thumbnail box, logical pixels
PAD = 6  # tile padding around the thumbnail
TILE = THUMB + 2 * PAD
SPACING = 5  # QListView spacing around every item
HEADER_HEIGHT = 34

KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "entry" (a group header) or "output"
ID_ROLE = Qt.ItemDataRole.UserRole + 2  # entry id for a header, output id for an output
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 3
OUTPUT_ROLE = Qt.ItemDataRole.UserRole + 4
COUNT_ROLE = Qt.ItemDataRole.UserRole + 5  # a header: how many outputs of its group are shown

# Marks drawn over the pictures themselves look the same in either theme; everything else is
# mixed from the palette (see theme.py), so the light theme works too.
_GOLD = QColor(255, 196, 64)
_BADGE = QColor(0, 0, 0, 150)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way to ``b``."""
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


class Colours:
    """The panel's colours for one palette."""

    _made: dict[int, "Colours"] = {}  # by QPalette.cacheKey(): a tile paints with them each time

    @classmethod
    def of(cls, palette: QPalette) -> "Colours":
        key = palette.cacheKey()
        colours = cls._made.get(key)
        if colours is None:
            if len(cls._made) > 8:  # palettes come and go with theme changes; keep the few in use
                cls._made.clear()
            colours = cls._made[key] = cls(palette)
        return colours

    def __init__(self, palette: QPalette):
        active = QPalette.ColorGroup.Active
        base = palette.color(active, QPalette.ColorRole.Base)
        text = palette.color(active, QPalette.ColorRole.Text)
        self.text = text
        self.dim = palette.color(active, QPalette.ColorRole.PlaceholderText)
        self.accent = palette.color(active, QPalette.ColorRole.Highlight)
        self.tile = _mix(base, text, 0.055)
        self.tile_hover = _mix(base, text, 0.11)
        self.well = _mix(base, text, 0.015)  # behind a thumbnail that is not there yet
        self.glyph = _mix(base, text, 0.2)
        self.audio_well = _mix(base, self.accent, 0.12)


def prompt_of(entry: Entry, output: Output) -> str:
    recipe = output.recipe or {}
    prompt = recipe.get("prompt")
    return prompt if isinstance(prompt, str) and prompt else entry.prompt


def seed_of(entry: Entry, output: Output):
    recipe = output.recipe or {}
    seed = recipe.get("seed", entry.parameters.get("seed"))
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


# ----- thumbnails ----------------------------------------------------------------------------
class _Deliveries(QObject):
    """Carries finished thumbnails from decoder threads to the UI thread. One per process and
    never deleted, so a decoder that finishes after the window that asked has closed emits on
    a live object; each cache picks out its own deliveries by token."""

    done = Signal(int, int, str, QImage)  # cache token, generation, asset, thumbnail (null if none)


_deliveries: _Deliveries | None = None
_decoders = None  # a ThreadPoolExecutor, made on first use
_tokens = itertools.count(1)


def _decoding():
    """The delivery object and the decoder threads; first called on the UI thread."""
    global _deliveries, _decoders
    if _decoders is None:
        from concurrent.futures import ThreadPoolExecutor  # only once a thumbnail is wanted

        _deliveries = _Deliveries()
        _decoders = ThreadPoolExecutor(max_workers=3, thread_name_prefix="atelier-thumbnail")
    return _deliveries, _decoders


def _decode_and_deliver(token: int, generation: int, asset: str, read_asset: Callable[[str], bytes],
                        pixels: int) -> None:
    """Runs on a decoder thread: touches no widget and no shared state."""
    thumbnail = QImage()
    try:
        thumbnail = decode_thumbnail(read_asset(asset), asset, pixels)
    except Exception as exc:  # noqa: BLE001 - a missing or damaged asset shows a placeholder
        log.warning("no thumbnail for %s: %s", asset, exc)
    _deliveries.done.emit(token, generation, asset, thumbnail)


def decode_thumbnail(data: bytes, name: str, pixels: int) -> QImage:
    """Decode image bytes (their format told by ``name``) and fit them in a ``pixels`` square;
    a null QImage if undecodable. Safe off the UI thread (QImage, not QPixmap)."""
    image = decode_image(data, name)
    if image.isNull():
        return image
    if image.width() > pixels or image.height() > pixels:
        image = image.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


class ThumbnailCache(QObject):
    """Thumbnails by asset name, made on demand off the UI thread, newest requests first."""

    thumbnail_ready = Signal(str)  # asset: loaded or failed; repaint whatever shows it

    def __init__(self, size: int = THUMB, parent: QObject | None = None, max_jobs: int = 3, capacity: int = 800):
        super().__init__(parent)
        self.size = size
        self.max_jobs = max_jobs
        self.capacity = capacity
        self.device_pixel_ratio = 1.0
        self._read: Callable[[str], bytes] | None = None
        self._generation = 0
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._failed: set[str] = set()
        self._pending: dict[str, tuple[int, int]] = {}  # asset -> (tick, -order): highest first
        self._running: set[str] = set()  # assets on a decoder thread now
        self._tick = 0
        self._order = itertools.count()
        self._token = next(_tokens)
        self._decoders = None  # joined on the first thumbnail asked for, not at start-up
        self._dispatch_timer = QTimer(self)
        self._dispatch_timer.setSingleShot(True)
        self._dispatch_timer.setInterval(0)
        self._dispatch_timer.timeout.connect(self._dispatch)

    def set_source(self, read_asset: Callable[[str], bytes] | None) -> None:
        """Read assets from ``read_asset`` from now on. Thumbnails already made stay (a name
        always means the same pixels); failures are forgotten, the new source may have them."""
        self._generation += 1
        self._read = read_asset
        self._pending.clear()
        self._failed.clear()

    def pixmap(self, asset: str) -> QPixmap | None:
        pixmap = self._pixmaps.get(asset)
        if pixmap is not None:
            self._pixmaps.move_to_end(asset)
        return pixmap

    def failed(self, asset: str) -> bool:
        return asset in self._failed

    def state(self, asset: str) -> str:
        """"loaded", "failed", "loading" (queued or decoding) or "none" (never asked for)."""
        if asset in self._pixmaps:
            return "loaded"
        if asset in self._failed:
            return "failed"
        if asset in self._pending or asset in self._running:
            return "loading"
        return "none"

    def request(self, asset: str) -> None:
        """Ask for a thumbnail; cheap, and a no-op if it is there, failed or on its way."""
        if self._read is None or asset in self._pixmaps or asset in self._failed or asset in self._running:
            return
        self._pending[asset] = (self._tick, -next(self._order))
        if not self._dispatch_timer.isActive():
            self._dispatch_timer.start()

    def busy(self) -> bool:
        return bool(self._pending or self._running)

    @Slot()
    def _dispatch(self) -> None:
        # Requests made since the last dispatch (what was just painted) go first, in the order
        # they were painted: that is view order for what the artist is looking at now.
        self._tick += 1
        while self._pending and len(self._running) < self.max_jobs and self._read is not None:
            asset = max(self._pending, key=self._pending.__getitem__)
            del self._pending[asset]
            pixels = max(1, round(self.size * self.device_pixel_ratio))
            if self._decoders is None:
                deliveries, self._decoders = _decoding()
                deliveries.done.connect(self._on_done)  # queued: emitted on a decoder thread
            self._running.add(asset)
            self._decoders.submit(_decode_and_deliver, self._token, self._generation, asset, self._read, pixels)

    @Slot(int, int, str, QImage)
    def _on_done(self, token: int, generation: int, asset: str, image: QImage) -> None:
        if token != self._token:
            return  # another cache's thumbnail
        self._running.discard(asset)
        if not image.isNull():
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self.device_pixel_ratio)
            self._pixmaps[asset] = pixmap
            self._pixmaps.move_to_end(asset)
            while len(self._pixmaps) > self.capacity:
                self._pixmaps.popitem(last=False)
        elif generation == self._generation:
            self._failed.add(asset)
        # else: a failure from the previous project's source; the repaint asks again.
        self.thumbnail_ready.emit(asset)
        if self._pending and not self._dispatch_timer.isActive():
            self._dispatch_timer.start()


# ----- the model -----------------------------------------------------------------------------
class HistoryModel(QAbstractListModel):
    """A flat list: for each request, newest first, a header row then its shown outputs,
    newest first. Filters decide which outputs are shown; a request with none has no header."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._entries: list[Entry] = []  # oldest first, as in the project
        self._outputs: dict[str, list[Output]] = {}  # entry id -> its outputs, oldest first
        self._by_id: dict[str, tuple[Entry, Output]] = {}
        self._rows: list[tuple[Entry, Output | None]] = []
        self._keys: list[tuple[str, str | None]] = []
        self._row_of: dict[str, int] = {}  # output id -> row
        self._asset_rows: dict[str, list[int]] = {}
        self._group_count: dict[str, int] = {}
        self._header_row: dict[str, int] = {}  # entry id -> row of its header
        self.filter_text = ""
        self.favourites_only = False
        self.show_hidden = False

    # ----- contents ----------------------------------------------------------------------
    def set_entries(self, entries: list[Entry]) -> None:
        self._entries = list(entries)
        self._outputs = {e.id: list(e.outputs) for e in self._entries}
        self._by_id = {o.id: (e, o) for e in self._entries for o in e.outputs}
        self._rebuild(reset=True)

    def add(self, entry: Entry, output: Output) -> None:
        if output.id in self._by_id:
            self.update(output)
            return
        if entry.id not in self._outputs:
            self._entries.append(entry)
            self._outputs[entry.id] = []
        known = next(e for e in self._entries if e.id == entry.id)
        self._outputs[entry.id].append(output)
        self._by_id[output.id] = (known, output)
        self._rebuild(changed_entry=entry.id)

    def update(self, output: Output) -> bool:
        """Take ``output``'s marks (it may be the same object or a copy); False if unknown."""
        found = self._by_id.get(output.id)
        if found is None:
            return False
        entry, old = found
        if old is not output:
            outputs = self._outputs[entry.id]
            outputs[outputs.index(old)] = output
            self._by_id[output.id] = (entry, output)
        row = self._row_of.get(output.id)
        if row is not None and self._shows(entry, output):
            self._rows[row] = (entry, output)
            index = self.index(row)
            self.dataChanged.emit(index, index)
        else:
            self._rebuild(changed_entry=entry.id)
        return True

    def clear(self) -> None:
        self.set_entries([])

    def set_filters(self, text: str | None = None, favourites_only: bool | None = None,
                    show_hidden: bool | None = None) -> None:
        if text is not None:
            self.filter_text = text
        if favourites_only is not None:
            self.favourites_only = favourites_only
        if show_hidden is not None:
            self.show_hidden = show_hidden
        self._rebuild(reset=True)

    # ----- queries -----------------------------------------------------------------------
    def find(self, output_id: str) -> tuple[Entry, Output] | None:
        return self._by_id.get(output_id)

    def row_of(self, output_id: str) -> int | None:
        return self._row_of.get(output_id)

    def rows_for_asset(self, asset: str) -> list[int]:
        return self._asset_rows.get(asset, [])

    def output_count(self) -> int:
        return len(self._by_id)

    def shown_count(self) -> int:
        return len(self._row_of)

    def filtering(self) -> bool:
        return bool(self.filter_text.strip()) or self.favourites_only

    def groups(self) -> list[tuple[str, list[str]]]:
        groups: list[tuple[str, list[str]]] = []
        for entry, output in self._rows:
            if output is None:
                groups.append((entry.id, []))
            else:
                groups[-1][1].append(output.id)
        return groups

    def output_ids(self) -> list[str]:
        return [output.id for _entry, output in self._rows if output is not None]

    # ----- Qt model ----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        _entry, output = self._rows[index.row()]
        if output is None:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry, output = self._rows[index.row()]
        if role == KIND_ROLE:
            return "entry" if output is None else "output"
        if role == ID_ROLE:
            return entry.id if output is None else output.id
        if role == ENTRY_ROLE:
            return entry
        if role == OUTPUT_ROLE:
            return output
        if role == COUNT_ROLE:
            return self._group_count.get(entry.id, 0)
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.prompt if output is None else prompt_of(entry, output)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _entry_tooltip(entry) if output is None else _output_tooltip(entry, output)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _accessible_text(entry, output)
        return None

    # ----- building the rows --------------------------------------------------------------
    def _shows(self, entry: Entry, output: Output) -> bool:
        if output.hidden and not self.show_hidden:
            return False
        if self.favourites_only and not output.favourite:
            return False
        needle = self.filter_text.strip().casefold()
        return not needle or needle in prompt_of(entry, output).casefold()

    def _build_rows(self) -> list[tuple[Entry, Output | None]]:
        rows: list[tuple[Entry, Output | None]] = []
        for entry in reversed(self._entries):
            shown = [(entry, o) for o in reversed(self._outputs[entry.id]) if self._shows(entry, o)]
            if shown:
                rows.append((entry, None))
                rows.extend(shown)
        return rows

    def _rebuild(self, reset: bool = False, changed_entry: str | None = None) -> None:
        """Recompute the rows; one inserted or removed block is announced as such (the view
        keeps its scroll position and selection), anything else as a reset."""
        rows = self._build_rows()
        keys = [(e.id, o.id if o else None) for e, o in rows]
        old = self._keys
        if not reset and keys == old:
            self._set_rows(rows, keys)
            return
        prefix = 0
        limit = min(len(old), len(keys))
        while prefix < limit and old[prefix] == keys[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[-1 - suffix] == keys[-1 - suffix]:
            suffix += 1
        if not reset and prefix + suffix == len(old):
            self.beginInsertRows(QModelIndex(), prefix, len(keys) - suffix - 1)
            self._set_rows(rows, keys)
            self.endInsertRows()
        elif not reset and prefix + suffix == len(keys):
            self.beginRemoveRows(QModelIndex(), prefix, len(old) - suffix - 1)
            self._set_rows(rows, keys)
            self.endRemoveRows()
        else:
            self.beginResetModel()
            self._set_rows(rows, keys)
            self.endResetModel()
        # A header shows its group's size, which an output coming or going changes.
        header = self._header_row.get(changed_entry) if changed_entry and not reset else None
        if header is not None:
            self.dataChanged.emit(self.index(header), self.index(header), [COUNT_ROLE])

    def _set_rows(self, rows, keys) -> None:
        self._rows = rows
        self._keys = keys
        self._row_of = {}
        self._asset_rows = {}
        self._group_count = {}
        self._header_row = {}
        for row, (entry, output) in enumerate(rows):
            if output is None:
                self._header_row[entry.id] = row
            else:
                self._row_of[output.id] = row
                self._asset_rows.setdefault(output.asset, []).append(row)
                self._group_count[entry.id] = self._group_count.get(entry.id, 0) + 1


def _entry_tooltip(entry: Entry) -> str:
    import html  # here, on the first hover: importing it costs the window's start about 4 ms

    parts = [f"<b>{html.escape(entry.prompt) or '<i>No prompt</i>'}</b>"]
    if entry.negative_prompt:
        parts.append(f"<span style='color:#a0a0aa'>Not: {html.escape(entry.negative_prompt)}</span>")
    if entry.model.get("name"):
        parts.append(f"<span style='color:#a0a0aa'>{html.escape(str(entry.model['name']))}</span>")
    return "<br>".join(parts)


def _output_tooltip(entry: Entry, output: Output) -> str:
    import html

    recipe = output.recipe or {}
    prompt = prompt_of(entry, output)
    seed = seed_of(entry, output)
    details = [f"Seed {seed}" if seed is not None else "Seed unknown"]
    if recipe.get("width") and recipe.get("height"):
        details.append(f"{recipe['width']}\u00d7{recipe['height']}")
    if recipe.get("steps"):
        details.append(f"{recipe['steps']} steps")
    if recipe.get("scheduler"):
        details.append(html.escape(str(recipe["scheduler"])))
    marks = []
    if output.favourite:
        marks.append("\u2605 Favourite")
    if output.rating:
        marks.append(f"Rated {output.rating}/5")
    if output.hidden:
        marks.append("Hidden")
    if output.kind == "audio":
        marks.append("Audio")
    dot = " \u00b7 "
    lines = [f"<b>{html.escape(prompt) or '<i>No prompt</i>'}</b>",
             f"<span style='color:#a0a0aa'>{dot.join(details)}</span>"]
    if marks:
        lines.append(dot.join(marks))
    if output.note:
        lines.append(f"<i>{html.escape(output.note)}</i>")
    return "<br>".join(lines)


def _accessible_text(entry: Entry, output: Output | None) -> str:
    if output is None:
        return f"Request: {entry.prompt or 'no prompt'}"
    text = f"{'Sound' if output.kind == 'audio' else 'Image'}: {prompt_of(entry, output) or 'no prompt'}"
    seed = seed_of(entry, output)
    if seed is not None:
        text += f", seed {seed}"
    if output.favourite:
        text += ", favourite"
    if output.rating:
        text += f", rated {output.rating} of 5"
    if output.hidden:
        text += ", hidden"
    return text


# ----- painting ------------------------------------------------------------------------------
def _star_path(center: QPointF, outer: float) -> QPainterPath:
    inner = outer * 0.46
    path = QPainterPath()
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        point = QPointF(center.x() + radius * math.cos(angle), center.y() + radius * math.sin(angle))
        if i == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    path.closeSubpath()
    return path


def _when(created: str) -> str:
    try:
        moment = datetime.fromisoformat(created).astimezone()
    except (TypeError, ValueError):
        return ""
    today = datetime.now().astimezone().date()
    days = (today - moment.date()).days
    clock = moment.strftime("%H:%M")
    if days == 0:
        return f"Today {clock}"
    if days == 1:
        return f"Yesterday {clock}"
    if moment.year == today.year:
        return f"{moment.day} {moment.strftime('%b')} {clock}"
    return f"{moment.day} {moment.strftime('%b %Y')} {clock}"


@cache
def _tile_state_flags():
    """The style-option flags a tile is painted by: (selected, hovered). Importing QStyle here,
    when the first tile paints, keeps its 566 enum members (about 10 ms) off the first frame."""
    from PySide6.QtWidgets import QStyle

    return QStyle.StateFlag.State_Selected, QStyle.StateFlag.State_MouseOver


class HistoryDelegate(QStyledItemDelegate):
    """Paints group headers (full-width rows) and thumbnail tiles with their marks."""

    def __init__(self, view: QListView, thumbnails: ThumbnailCache):
        super().__init__(view)
        self._view = view
        self._thumbnails = thumbnails

    def sizeHint(self, option, index: QModelIndex) -> QSize:
        if index.data(KIND_ROLE) == "entry":
            # As wide as the view: the header takes a row of the icon flow to itself.
            return QSize(max(TILE, self._view.viewport().width() - 2 * SPACING - 1), HEADER_HEIGHT)
        return QSize(TILE, TILE)

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if index.data(KIND_ROLE) == "entry":
            self._paint_header(painter, option, index)
        else:
            self._paint_tile(painter, option, index)
        painter.restore()

    # ----- headers -------------------------------------------------------------------------
    def _paint_header(self, painter: QPainter, option, index: QModelIndex) -> None:
        entry: Entry = index.data(ENTRY_ROLE)
        rect = QRectF(option.rect).adjusted(2, 6, -2, -4)
        # Headers are not selectable, so Qt hands them the disabled colours: use the active ones.
        colours = Colours.of(option.palette)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.accent)
        painter.drawRoundedRect(QRectF(rect.left(), rect.top() + 4, 3, rect.height() - 8), 1.5, 1.5)

        count = index.data(COUNT_ROLE) or 0
        kinds = {o.kind for o in entry.outputs}
        noun = "sound" if kinds == {"audio"} else "image"
        when = _when(entry.created)
        counted = f"{count} {noun}{'' if count == 1 else 's'}"
        model = str(entry.model.get("name") or "")
        # Longest details that leave the prompt at least half the row; drop the rest.
        choices = [[counted, model, when], [counted, when], [counted], []]

        small = QFont(option.font)
        small.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.9))
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        painter.setFont(small)
        text_rect = rect.adjusted(12, 0, 0, 0)
        meta_text = ""
        for parts in choices:
            meta_text = "  \u00b7  ".join(p for p in parts if p)
            if painter.fontMetrics().horizontalAdvance(meta_text) <= text_rect.width() * 0.5:
                break
        meta_width = painter.fontMetrics().horizontalAdvance(meta_text)
        prompt_width = max(40.0, text_rect.width() - meta_width - (16 if meta_text else 0))
        painter.setPen(colours.dim)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, meta_text)

        painter.setFont(bold)
        prompt = entry.prompt.replace("\n", " ").strip() or "Untitled request"
        elided = painter.fontMetrics().elidedText(prompt, Qt.TextElideMode.ElideRight, int(prompt_width))
        painter.setPen(colours.text if entry.prompt.strip() else colours.dim)
        painter.drawText(QRectF(text_rect.left(), text_rect.top(), prompt_width, text_rect.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)

    # ----- tiles ---------------------------------------------------------------------------
    def _paint_tile(self, painter: QPainter, option, index: QModelIndex) -> None:
        output: Output = index.data(OUTPUT_ROLE)
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        selected_flag, hover_flag = _tile_state_flags()
        selected = bool(option.state & selected_flag)
        hovered = bool(option.state & hover_flag)
        colours = Colours.of(option.palette)
        accent = colours.accent

        painter.setPen(Qt.PenStyle.NoPen)
        if selected:
            fill = QColor(accent)
            fill.setAlpha(70)
            painter.setBrush(fill)
        else:
            painter.setBrush(colours.tile_hover if hovered else colours.tile)
        painter.drawRoundedRect(rect, 7, 7)

        box = QRectF(rect.left() + PAD - 0.5, rect.top() + PAD - 0.5, THUMB, THUMB)
        if output.hidden:
            painter.setOpacity(0.35)
        if output.kind == "audio":
            self._paint_audio(painter, box, colours)
        else:
            pixmap = self._thumbnails.pixmap(output.asset)
            if pixmap is not None:
                size = pixmap.deviceIndependentSize().scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio)
                target = QRectF(0, 0, size.width(), size.height())
                target.moveCenter(box.center())
                clip = QPainterPath()
                clip.addRoundedRect(target, 4, 4)
                painter.setClipPath(clip)
                painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
                painter.setClipping(False)
            else:
                failed = self._thumbnails.failed(output.asset)
                if not failed:
                    self._thumbnails.request(output.asset)  # painted means visible: load it
                self._paint_placeholder(painter, box, failed, option.font, colours)
        painter.setOpacity(1.0)

        if selected:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(accent, 2))
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 6, 6)
        if output.favourite:
            self._paint_favourite(painter, QPointF(box.right() - 11, box.top() + 11))
        if output.rating:
            self._paint_rating(painter, box, output.rating)
        if output.hidden:
            self._paint_pill(painter, QPointF(box.left() + 4, box.top() + 4), "Hidden", option.font)

    @staticmethod
    def _paint_placeholder(painter: QPainter, box: QRectF, failed: bool, font: QFont, colours: "Colours") -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.well)
        painter.drawRoundedRect(box, 4, 4)
        # A small picture glyph: frame, sun, hills.
        glyph = QRectF(0, 0, 44, 34)
        glyph.moveCenter(box.center() - QPointF(0, 8 if failed else 0))
        painter.setPen(QPen(colours.glyph, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(glyph, 4, 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.glyph)
        painter.drawEllipse(QPointF(glyph.left() + 12, glyph.top() + 10), 4, 4)
        hills = QPainterPath()
        hills.moveTo(glyph.left() + 4, glyph.bottom() - 4)
        hills.lineTo(glyph.left() + 17, glyph.top() + 15)
        hills.lineTo(glyph.left() + 26, glyph.bottom() - 11)
        hills.lineTo(glyph.left() + 31, glyph.top() + 18)
        hills.lineTo(glyph.right() - 4, glyph.bottom() - 4)
        hills.closeSubpath()
        painter.drawPath(hills)
        if failed:
            small = QFont(font)
            small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
            painter.setFont(small)
            painter.setPen(colours.dim)
            painter.drawText(QRectF(box.left(), glyph.bottom() + 6, box.width(), 20),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "Not available")

    @staticmethod
    def _paint_audio(painter: QPainter, box: QRectF, colours: "Colours") -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.audio_well)
        painter.drawRoundedRect(box, 4, 4)
        heights = (0.25, 0.45, 0.7, 0.4, 0.9, 0.6, 1.0, 0.55, 0.8, 0.35, 0.6, 0.3, 0.15)
        bar, gap = 4.0, 3.0
        total = len(heights) * bar + (len(heights) - 1) * gap
        x = box.center().x() - total / 2
        painter.setBrush(colours.accent)
        for h in heights:
            height = 56 * h
            painter.drawRoundedRect(QRectF(x, box.center().y() - height / 2, bar, height), 2, 2)
            x += bar + gap

    @staticmethod
    def _paint_favourite(painter: QPainter, center: QPointF) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BADGE)
        painter.drawEllipse(center, 11, 11)
        painter.setBrush(_GOLD)
        painter.drawPath(_star_path(center + QPointF(0, 0.5), 7.5))

    @staticmethod
    def _paint_rating(painter: QPainter, box: QRectF, rating: int) -> None:
        star, gap = 9.0, 2.0
        width = rating * star + (rating - 1) * gap + 10
        pill = QRectF(box.left() + 4, box.bottom() - 4 - 15, width, 15)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BADGE)
        painter.drawRoundedRect(pill, 7.5, 7.5)
        painter.setBrush(_GOLD)
        x = pill.left() + 5 + star / 2
        for _ in range(rating):
            painter.drawPath(_star_path(QPointF(x, pill.center().y() + 0.5), star / 2))
            x += star + gap

    @staticmethod
    def _paint_pill(painter: QPainter, top_left: QPointF, text: str, font: QFont) -> None:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(small)
        metrics = painter.fontMetrics()
        pill = QRectF(top_left.x(), top_left.y(), metrics.horizontalAdvance(text) + 12, metrics.height() + 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BADGE)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setPen(QColor(220, 220, 226))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


# ----- the list ------------------------------------------------------------------------------
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


# The action names ``action_requested`` carries. "favourite" and "hide" are toggles: the window
# flips the output's current mark.
ACTIONS = ("use_prompt", "use_seed", "reproduce", "favourite", "rate:0", "rate:1", "rate:2", "rate:3",
           "rate:4", "rate:5", "export", "hide", "delete")


class HistoryView(QWidget):
    """The History panel. Fed plain project objects on the UI thread; never writes anything."""

    output_activated = Signal(str)  # output id: clicked, or made current with the keyboard
    action_requested = Signal(str, str)  # action name (see ACTIONS), output id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("historyView")
        self.setAccessibleName("History")
        self._quiet = False  # set while the model changes: selection moves are not activations

        self.thumbnails = ThumbnailCache(THUMB, parent=self)
        self.thumbnails.thumbnail_ready.connect(self._on_thumbnail_ready)
        self.model = HistoryModel(self)

        self.filter_edit = named(QLineEdit(), "historyFilter", "Filter history by prompt")
        self.filter_edit.setPlaceholderText("Filter by prompt")
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
        """"audio", or the thumbnail's state: "loaded", "failed", "loading" or "none"."""
        found = self.model.find(output_id)
        if found is None:
            raise KeyError(output_id)
        _entry, output = found
        return "audio" if output.kind == "audio" else self.thumbnails.state(output.asset)

    # ----- context menu --------------------------------------------------------------------
    def build_context_menu(self, output_id: str, parent: QWidget | None = None) -> QMenu | None:
        """The menu for one output; each action emits ``action_requested(name, output_id)``."""
        found = self.model.find(output_id)
        if found is None:
            return None
        entry, output = found
        menu = QMenu(parent or self)
        menu.setObjectName("historyMenu")
        seed = seed_of(entry, output)

        def add(target: QMenu, text: str, name: str, enabled: bool = True, checked: bool | None = None):
            action = target.addAction(text)
            action.setObjectName(f"history_{name.replace(':', '_')}")
            action.setData(name)
            action.setEnabled(enabled)
            if checked is not None:
                action.setCheckable(True)
                action.setChecked(checked)
            action.triggered.connect(partial(self._request_action, name, output_id))
            return action

        add(menu, "Use prompt", "use_prompt", enabled=bool(prompt_of(entry, output)))
        add(menu, f"Use seed ({seed})" if seed is not None else "Use seed", "use_seed", enabled=seed is not None)
        add(menu, "Reproduce", "reproduce", enabled=output.recipe is not None)
        menu.addSeparator()
        add(menu, "Favourite", "favourite", checked=output.favourite)
        rate = menu.addMenu("Rate")
        rate.setObjectName("historyRateMenu")
        for stars in range(6):
            label = "No rating" if stars == 0 else "\u2605" * stars + "\u2606" * (5 - stars)
            add(rate, label, f"rate:{stars}", checked=output.rating == stars)
        menu.addSeparator()
        add(menu, "Export...", "export")
        add(menu, "Show" if output.hidden else "Hide", "hide")
        add(menu, "Delete", "delete")
        return menu

    def _request_action(self, name: str, output_id: str, *_checked) -> None:
        self.action_requested.emit(name, output_id)

    @Slot("QPoint")
    def _on_context_menu(self, pos) -> None:
        index = self.list_view.indexAt(pos)
        if not index.isValid() or index.data(KIND_ROLE) != "output":
            return
        menu = self.build_context_menu(index.data(ID_ROLE), self.list_view)
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
        f"QToolButton {{ padding: 3px 10px; border: 1px solid {_mix(button, text, 0.18).name()};"
        f" border-radius: 4px; background: {button.name()}; color: {text.name()}; }}"
        f"QToolButton:hover {{ background: {_mix(button, text, 0.08).name()}; }}"
        f"QToolButton:focus {{ border-color: {accent.name()}; }}"
        f"QToolButton:checked {{ background: {accent.name()}; border-color: {_mix(accent, on_text, 0.2).name()};"
        f" color: {on_text.name()}; }}"
        f"QToolButton:checked:hover {{ background: {_mix(accent, on_text, 0.1).name()}; }}"
    )


