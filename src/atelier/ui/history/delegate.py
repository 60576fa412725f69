"""Painting the history: group headers (full-width rows) and thumbnail tiles with their marks,
in colours mixed from the palette."""

import math
from datetime import datetime
from functools import cache

from PySide6.QtCore import QModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QListView, QStyledItemDelegate

from ...core.durations import clock_time
from ...core.project import Entry, Output
from ..theme import mix
from .model import COUNT_ROLE, ENTRY_ROLE, KIND_ROLE, OUTPUT_ROLE, audio_label, seconds_of
from .thumbnails import THUMB, WAVE_MARGIN, ThumbnailCache, thumbnail_asset

PAD = 6  # tile padding around the thumbnail
SPACING = 5  # QListView spacing around every item
HEADER_HEIGHT = 34

# Marks drawn over the pictures themselves look the same in either theme; everything else is
# mixed from the palette (see theme.py), so the light theme works too.
_GOLD = QColor(255, 196, 64)
_BADGE = QColor(0, 0, 0, 150)


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
        self.tile = mix(base, text, 0.055)
        self.tile_hover = mix(base, text, 0.11)
        self.well = mix(base, text, 0.015)  # behind a thumbnail that is not there yet
        self.glyph = mix(base, text, 0.2)
        self.audio_well = mix(base, self.accent, 0.12)


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


def _nouns(entry: Entry) -> tuple[str, str]:
    """What the outputs of a request are called, singular and plural: a variation (made from an
    output of the project) or an image made from a picture says so in its group's header."""
    if {o.kind for o in entry.outputs} == {"audio"}:
        return "sound", "sounds"
    if entry.parameters.get("task") == "image-to-image":
        if any(o.source for o in entry.outputs):
            return "variation", "variations"
        return "image from an image", "images from an image"
    return "image", "images"


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
        self.thumb = THUMB  # the thumbnail box, logical pixels: the size slider sets it

    @property
    def tile(self) -> int:
        return self.thumb + 2 * PAD

    def sizeHint(self, option, index: QModelIndex) -> QSize:
        if index.data(KIND_ROLE) == "entry":
            # As wide as the view: the header takes a row of the icon flow to itself.
            return QSize(max(self.tile, self._view.viewport().width() - 2 * SPACING - 1), HEADER_HEIGHT)
        return QSize(self.tile, self.tile)

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
        counted = f"{count} {_nouns(entry)[count != 1]}"
        when = _when(entry.created)
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
        prompt = entry.prompt.replace("\n", " ").strip() or _untitled(entry)
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

        box = QRectF(rect.left() + PAD - 0.5, rect.top() + PAD - 0.5, self.thumb, self.thumb)
        if output.hidden:
            painter.setOpacity(0.35)
        if output.kind == "audio":
            self._paint_audio(painter, box, output, option.font, colours)
        else:
            pixmap = self._thumbnails.pixmap(output.asset)
            if pixmap is not None:
                self._thumbnails.request(output.asset)  # a sharper one, if the tiles grew since
                size = pixmap.deviceIndependentSize().scaled(self.thumb, self.thumb, Qt.AspectRatioMode.KeepAspectRatio)
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
        hidden_at = QPointF(box.left() + 4, box.top() + 4)
        if output.kind == "audio":
            label = self._paint_audio_label(painter, box, audio_label(output), option.font, colours)
            hidden_at.setY(label.bottom() + 3)
            seconds = seconds_of(output)
            if seconds is not None:
                self._paint_pill(painter, box.bottomRight() + QPointF(-4, -4), clock_time(seconds), option.font,
                                 anchor=Qt.Corner.BottomRightCorner)
        if output.hidden:
            self._paint_pill(painter, hidden_at, "Hidden", option.font)

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

    def _paint_audio(self, painter: QPainter, box: QRectF, output: Output, font: QFont, colours: "Colours") -> None:
        """A sound's tile: its waveform on an accent-tinted well, made off the UI thread as an
        image's thumbnail is; a hairline while it is on its way."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.audio_well)
        painter.drawRoundedRect(box, 4, 4)
        asset = thumbnail_asset(output)
        pixmap = self._thumbnails.pixmap(asset)
        if pixmap is not None:
            self._thumbnails.request(asset)  # a sharper one, if the tiles grew since
            painter.drawPixmap(box, pixmap, QRectF(pixmap.rect()))  # drawn box-sized, transparent around the wave
            return
        failed = self._thumbnails.failed(asset)
        if not failed:
            self._thumbnails.request(asset)  # painted means visible: load it
            painter.setBrush(colours.glyph)
            margin = round(box.width() * WAVE_MARGIN)
            painter.drawRect(QRectF(box.left() + margin, box.center().y() - 0.5, box.width() - 2 * margin, 1))
            return
        # Not readable as sound: a dimmed level-meter glyph and a word, as an image's placeholder has.
        heights = (0.3, 0.55, 0.85, 0.5, 1.0, 0.65, 0.4, 0.7, 0.3)
        bar, gap = 3.0, 3.0
        total = len(heights) * bar + (len(heights) - 1) * gap
        x = box.center().x() - total / 2
        middle = box.center().y() - 8
        painter.setBrush(colours.glyph)
        for h in heights:
            height = 30 * h
            painter.drawRoundedRect(QRectF(x, middle - height / 2, bar, height), 1.5, 1.5)
            x += bar + gap
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(small)
        painter.setPen(colours.dim)
        painter.drawText(QRectF(box.left(), middle + 15 + 6, box.width(), 20),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "Not available")

    @staticmethod
    def _paint_audio_label(painter: QPainter, box: QRectF, text: str, font: QFont, colours: "Colours") -> QRectF:
        """"♪ Song" in the tile's top-left corner, the note in the accent; returns where it went."""
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        small.setWeight(QFont.Weight.DemiBold)
        painter.setFont(small)
        metrics = painter.fontMetrics()
        note = "\u266a"
        left, top = box.left() + 7, box.top() + 5
        height = metrics.height()
        painter.setPen(mix(colours.accent, colours.text, 0.35))
        painter.drawText(QRectF(left, top, metrics.horizontalAdvance(note) + 1, height),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, note)
        left += metrics.horizontalAdvance(note) + 4
        painter.setPen(colours.text)
        width = metrics.horizontalAdvance(text) + 1
        painter.drawText(QRectF(left, top, width, height), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         text)
        return QRectF(box.left() + 4, top, left + width - box.left() - 4, height)

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
    def _paint_pill(painter: QPainter, at: QPointF, text: str, font: QFont,
                    anchor: Qt.Corner = Qt.Corner.TopLeftCorner) -> None:
        """A dark pill with ``text``, its ``anchor`` corner at ``at``."""
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(small)
        metrics = painter.fontMetrics()
        pill = QRectF(at.x(), at.y(), metrics.horizontalAdvance(text) + 12, metrics.height() + 2)
        if anchor == Qt.Corner.BottomRightCorner:
            pill.moveBottomRight(at)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BADGE)
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setPen(QColor(220, 220, 226))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


def _untitled(entry) -> str:
    """The heading of a request without a prompt: what its task makes ("Upscaled")."""
    from ...core.tasks import request_class  # only for such a request, never at the window's start

    found = request_class(str(entry.parameters.get("task", "")))
    return found.title if found is not None else "Untitled request"
