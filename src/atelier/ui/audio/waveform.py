"""The waveform view: a sound's peaks (or its spectrogram), a time ruler, the playhead and a
loop region; click to seek, drag to scrub, Shift-drag (or drag in the ruler) to select a loop,
Ctrl+wheel to zoom around the pointer, wheel to scroll when zoomed.

Stereo is drawn as two lanes, left above right, not merged: a sound from a model can be lopsided
or have a channel that is nearly silent, and a merged shape would hide exactly that. More than
two channels are merged into one lane (the lowest low, the highest high, the mean RMS).

Everything that does not move with the playhead (background, ruler, waveform) is rendered once
per size, zoom and sound into a pixmap; the waveform itself is drawn with numpy, one column per
device pixel, straight into an image. A playhead move repaints two thin strips from that
pixmap, not the widget."""

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from ...media.peaks import Peaks
from ..theme import mix

RULER = 18  # logical pixels: the time ruler, also the strip a loop is dragged in
_LANE_GAP = 1
_DRAG_START = 3  # pixels a press must move before it is a drag, not a click
_EDGE_GRAB = 5  # pixels either side of a loop edge that grab it in the ruler
_MIN_FRAMES_PER_COLUMN = 16  # the deepest zoom: the finest peaks level has 256-frame blocks
_TICK_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
               900, 1800, 3600, 7200)
_LOOP = QColor(255, 196, 64)  # the loop region: the same gold as the history's marks, in both themes
_SPECTRUM_STOPS = ((0.0, None), (0.5, "accent"), (0.85, QColor(255, 196, 64)), (1.0, QColor(255, 255, 240)))


class WaveColours:
    """The view's colours, mixed from a palette (dark or light theme alike)."""

    def __init__(self, palette: QPalette):
        active = QPalette.ColorGroup.Active
        base = palette.color(active, QPalette.ColorRole.Base)
        text = palette.color(active, QPalette.ColorRole.Text)
        accent = palette.color(active, QPalette.ColorRole.Highlight)
        self.background = base
        self.ruler = mix(base, palette.color(active, QPalette.ColorRole.Window), 0.7)
        self.tick = mix(base, text, 0.35)
        self.label = palette.color(active, QPalette.ColorRole.PlaceholderText)
        self.centre = mix(base, text, 0.10)
        self.wave = accent
        self.rms = mix(accent, base, 0.45)  # darker inside: the body of the sound
        self.playhead = text
        self.text = text
        self.loop = _LOOP
        self.spectrum_table = [self._spectrum(i / 255, base, accent).rgb() for i in range(256)]

    @staticmethod
    def _spectrum(t: float, base: QColor, accent: QColor) -> QColor:
        stops = [(at, base if c is None else accent if c == "accent" else c) for at, c in _SPECTRUM_STOPS]
        for (a, ca), (b, cb) in zip(stops, stops[1:]):
            if t <= b:
                return mix(ca, cb, (t - a) / (b - a))
        return stops[-1][1]


def format_time(seconds: float, decimals: int = 1) -> str:
    """0:03.2, 1:05.0, 1:02:03.0: minutes and seconds with ``decimals`` tenths."""
    seconds = max(0.0, seconds)
    scale = 10 ** decimals
    total = math.floor(seconds * scale + 1e-6)
    whole, fraction = divmod(total, scale)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return f"{text}.{fraction:0{decimals}d}" if decimals else text


class WaveformView(QWidget):
    """See the module docstring. The view draws; the player owns the sound and the buffer."""

    seek_requested = Signal(float)  # seconds: a click, or each step of a scrub
    loop_changed = Signal(object)  # (start, end) seconds, or None: once per gesture that changes it
    view_changed = Signal(float, float)  # the visible span in seconds, after a zoom or scroll

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("audio_waveform")
        self.setAccessibleName("Waveform")
        self.setToolTip("Click to go there, drag to scrub\n"
                        "Drag in the ruler, or Shift-drag, to select a loop; click the ruler to clear it\n"
                        "Ctrl+wheel to zoom, wheel to scroll")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(RULER + 48)
        self._peaks: Peaks | None = None
        self._duration = 0.0
        self._message = ""
        self._position = 0.0
        self._loop: tuple[float, float] | None = None
        self._loop_enabled = True
        self._view = (0.0, 0.0)  # visible seconds; (0, 0): all of the sound
        self._spectrogram: QImage | None = None
        self._spectrogram_rows: np.ndarray | None = None
        self._spectrogram_hz: np.ndarray | None = None
        self._show_spectrogram = False
        self._cache: QPixmap | None = None
        self._colours: WaveColours | None = None
        self._drag: tuple | None = None  # ("loop", anchor_s, press_x, moved) or ("scrub",)

    # ----- what to show ---------------------------------------------------------------------
    @property
    def colours(self) -> WaveColours:
        if self._colours is None:
            self._colours = WaveColours(self.palette())
        return self._colours

    @property
    def peaks(self) -> Peaks | None:
        return self._peaks

    @property
    def duration(self) -> float:
        return self._duration

    @property
    def message(self) -> str:
        return self._message

    def clear(self) -> None:
        """Show nothing: no sound, no loop, no message."""
        self._peaks, self._duration, self._position, self._loop = None, 0.0, 0.0, None
        self._message = ""
        self._view = (0.0, 0.0)
        self._drag = None
        self.set_spectrogram(None)

    def set_duration(self, seconds: float) -> None:
        """The sound's length, known before its peaks are (the playhead and loop need it)."""
        self._duration = max(0.0, float(seconds))
        self._view = (0.0, self._duration)
        self._invalidate()

    def set_peaks(self, peaks: Peaks | None) -> None:
        """Draw ``peaks`` (None: none yet); clears the message."""
        self._peaks = peaks
        self._message = ""
        if peaks is not None and abs(peaks.seconds - self._duration) > 1e-9:
            self.set_duration(peaks.seconds)
        self._invalidate()

    def set_message(self, text: str) -> None:
        """A line shown in the middle, e.g. "Reading waveform…" ("" for none)."""
        self._message = text
        self._invalidate()

    def set_spectrogram(self, rows: np.ndarray | None, frequencies: np.ndarray | None = None) -> None:
        """A spectrogram (media.spectrogram: uint8, (frequency, time), lowest frequency first)
        drawn instead of the waveform while ``show_spectrogram`` is on; ``frequencies``, the Hz
        of each row, labels its axis."""
        self._spectrogram_rows = None if rows is None else np.ascontiguousarray(rows[::-1], np.uint8)
        self._spectrogram_hz = None if rows is None or frequencies is None else np.asarray(frequencies, float)
        self._spectrogram = None  # made when painted, with the palette's colours
        self._invalidate()

    @property
    def has_spectrogram(self) -> bool:
        return self._spectrogram_rows is not None

    @property
    def show_spectrogram(self) -> bool:
        return self._show_spectrogram

    def set_show_spectrogram(self, on: bool) -> None:
        self._show_spectrogram = bool(on)
        self._invalidate()

    # ----- playhead and loop ------------------------------------------------------------------
    @property
    def position(self) -> float:
        return self._position

    def set_position(self, seconds: float, follow: bool = False) -> None:
        """Move the playhead, repainting only the strips it leaves and enters. ``follow`` (while
        playing): when zoomed in and the playhead runs out of view, turn the page."""
        seconds = min(self._duration, max(0.0, float(seconds)))
        if seconds == self._position:
            return
        old = self._position
        self._position = seconds
        start, end = self._view
        span = end - start
        if follow and span < self._duration and not start <= seconds <= end:
            self._set_view(seconds - span * 0.02, seconds + span * 0.98)
            return
        for at in (old, seconds):
            x = self.x_of(at)
            if -2 <= x <= self.width() + 2:
                self.update(QRect(math.floor(x) - 2, 0, 5, self.height()))

    @property
    def loop(self) -> tuple[float, float] | None:
        return self._loop

    def set_loop(self, region: tuple[float, float] | None) -> None:
        """Show ``region`` (seconds) as the loop; sends nothing."""
        if region is not None:
            start, end = sorted(float(v) for v in region)
            start, end = max(0.0, start), min(self._duration, end)
            region = (start, end) if end > start else None
        if region != self._loop:
            self._loop = region
            self.update()

    def set_loop_enabled(self, on: bool) -> None:
        """A region that is not looping is drawn faintly."""
        if on != self._loop_enabled:
            self._loop_enabled = on
            self.update()

    # ----- zoom and scroll --------------------------------------------------------------------
    @property
    def view_range(self) -> tuple[float, float]:
        """The visible seconds, (start, end)."""
        return self._view

    @property
    def zoomed(self) -> bool:
        start, end = self._view
        return self._duration > 0 and end - start < self._duration - 1e-9

    def zoom(self, factor: float, around: float | None = None) -> None:
        """Show ``factor`` times the span (< 1 zooms in), keeping ``around`` (seconds; the
        middle when None) where it is on screen."""
        if self._duration <= 0:
            return
        start, end = self._view
        span = end - start
        around = (start + end) / 2 if around is None else around
        rate = self._peaks.rate if self._peaks is not None else 48000
        shortest = max(0.001, max(1, self.width()) * _MIN_FRAMES_PER_COLUMN / rate)
        new_span = min(self._duration, max(shortest, span * factor))
        new_start = around - (around - start) * new_span / span if span > 0 else 0.0
        self._set_view(new_start, new_start + new_span)

    def scroll_by(self, seconds: float) -> None:
        start, end = self._view
        self._set_view(start + seconds, end + seconds)

    def reset_zoom(self) -> None:
        self._set_view(0.0, self._duration)

    def _set_view(self, start: float, end: float) -> None:
        span = min(self._duration, end - start)
        start = min(max(0.0, start), self._duration - span)
        view = (start, start + span)
        if view != self._view:
            self._view = view
            self._invalidate()
            self.view_changed.emit(*view)

    # ----- geometry -------------------------------------------------------------------------
    def x_of(self, seconds: float) -> float:
        start, end = self._view
        return 0.0 if end <= start else (seconds - start) / (end - start) * self.width()

    def seconds_at(self, x: float) -> float:
        start, end = self._view
        return min(self._duration, max(0.0, start + x / max(1, self.width()) * (end - start)))

    def wave_rect(self) -> QRect:
        """Where the lanes (or the spectrogram) are drawn."""
        return QRect(0, RULER, self.width(), max(1, self.height() - RULER))

    def lane_rects(self) -> list[QRect]:
        area = self.wave_rect()
        lanes = 2 if self._peaks is not None and self._peaks.channels == 2 else 1
        height = (area.height() - _LANE_GAP * (lanes - 1)) // lanes
        return [QRect(0, area.top() + i * (height + _LANE_GAP), area.width(), height) for i in range(lanes)]

    # ----- painting -------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._cache = None
        self.update()

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.PaletteChange:
            self._colours = None
            self._spectrogram = None
            self._invalidate()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:
        self._cache = None
        super().resizeEvent(event)

    def paintEvent(self, event) -> None:
        ratio = self.devicePixelRatioF()
        if self._cache is None or self._cache.devicePixelRatio() != ratio:
            self._cache = self._render(ratio)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._cache)
        if self._duration > 0:
            self._paint_loop(painter)
            self._paint_playhead(painter)
        if self.hasFocus():  # where Space, Home and L go
            focus = QColor(self.colours.wave)
            focus.setAlpha(150)
            painter.setPen(QPen(focus, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def focusInEvent(self, event) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:
        self.update()
        super().focusOutEvent(event)

    def _paint_loop(self, painter: QPainter) -> None:
        if self._loop is None:
            return
        x0, x1 = self.x_of(self._loop[0]), self.x_of(self._loop[1])
        if x1 < 0 or x0 > self.width():
            return
        strong = self._loop_enabled
        # The region lightens what is under it (a tint of the text colour keeps the waveform's
        # hue; gold over blue turned it brown); the gold is kept for its bar and edges.
        wash = QColor(self.colours.text)
        wash.setAlpha(24 if strong else 10)
        painter.fillRect(QRectF(x0, 0, x1 - x0, self.height()), wash)
        colour = QColor(self.colours.loop)
        colour.setAlpha(220 if strong else 90)
        painter.fillRect(QRectF(x0, 0, x1 - x0, 4), colour)  # a bar along the top of the ruler
        edge = QColor(self.colours.loop)
        edge.setAlpha(230 if strong else 90)
        pen = QPen(edge, 1)
        if not strong:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        for x in (x0, x1):
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.x_of(self._position)
        if not -1 <= x <= self.width() + 1:
            return
        x = min(self.width() - 1, max(0, round(x)))
        painter.fillRect(QRect(x, 0, 1, self.height()), self.colours.playhead)
        # A small flag in the ruler, so the playhead shows even on a loud, dense waveform.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colours.playhead)
        painter.drawPolygon([QPointF(x - 4.5, 0), QPointF(x + 5.5, 0), QPointF(x + 0.5, 6)])

    def _render(self, ratio: float) -> QPixmap:
        """Background, ruler and waveform (or spectrogram) for the current size and view."""
        colours = self.colours
        pixmap = QPixmap(max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(colours.background)
        painter = QPainter(pixmap)
        self._paint_ruler(painter, colours)
        area = self.wave_rect()
        if self._show_spectrogram and self._duration > 0:
            if self._spectrogram_rows is not None:
                self._paint_spectrogram(painter, area, colours)
            elif not self._message:
                self._paint_message(painter, area, "Computing spectrogram\u2026", colours)
        else:
            self._paint_lanes(painter, ratio, colours)
        if self._message:
            self._paint_message(painter, area, self._message, colours)
        elif self._duration <= 0:
            self._paint_message(painter, area, "No sound", colours)
        painter.end()
        return pixmap

    def _paint_ruler(self, painter: QPainter, colours: WaveColours) -> None:
        width = self.width()
        painter.fillRect(QRect(0, 0, width, RULER), colours.ruler)
        start, end = self._view
        if end <= start or width <= 0:
            return
        per_second = width / (end - start)
        step = next((s for s in _TICK_STEPS if s * per_second >= 70), _TICK_STEPS[-1])
        minor = step / (5 if step / 5 * per_second >= 8 else 2)
        decimals = 0 if step >= 1 else 1 if step >= 0.1 else 2 if step >= 0.01 else 3
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        painter.setFont(font)
        painter.setPen(colours.tick)
        first = math.floor(start / minor)
        for i in range(first, math.ceil(end / minor) + 1):
            t = i * minor
            x = round((t - start) * per_second)
            major = abs(t / step - round(t / step)) < 1e-6
            painter.drawLine(x, RULER - (7 if major else 3), x, RULER - 1)
        painter.setPen(colours.label)
        for i in range(math.floor(start / step), math.ceil(end / step) + 1):
            t = i * step
            x = round((t - start) * per_second)
            painter.drawText(QRect(x + 3, 0, 80, RULER - 2), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             format_time(t, decimals))
        painter.fillRect(QRect(0, RULER - 1, width, 1), colours.centre)

    def _paint_lanes(self, painter: QPainter, ratio: float, colours: WaveColours) -> None:
        lanes = self.lane_rects()
        for lane in lanes:
            painter.fillRect(QRect(0, lane.center().y(), lane.width(), 1), colours.centre)
        if self._peaks is None or self._duration <= 0:
            return
        peaks = self._peaks
        columns = max(1, round(self.width() * ratio))
        start, end = self._view
        low, high, rms = peaks.columns(round(start * peaks.rate), round(end * peaks.rate), columns)
        if peaks.channels > 2:  # merged: the widest extent, the mean power
            low, high = low.min(axis=1, keepdims=True), high.max(axis=1, keepdims=True)
            rms = np.sqrt((rms.astype(np.float64) ** 2).mean(axis=1, keepdims=True)).astype(np.float32)
        for channel, lane in enumerate(lanes):
            height = max(1, round(lane.height() * ratio))
            image = _lane_image(low[:, channel], high[:, channel], rms[:, channel], height, colours)
            painter.drawImage(QRectF(lane), image)
        if len(lanes) == 2:
            painter.setPen(colours.label)
            font = QFont(self.font())
            font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
            painter.setFont(font)
            for name, lane in zip("LR", lanes):
                painter.drawText(lane.adjusted(5, 2, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, name)

    def _paint_spectrogram(self, painter: QPainter, area: QRect, colours: WaveColours) -> None:
        if self._spectrogram is None:
            rows = self._spectrogram_rows
            image = QImage(rows.data, rows.shape[1], rows.shape[0], rows.strides[0], QImage.Format.Format_Indexed8)
            image.setColorTable(colours.spectrum_table)
            self._spectrogram = image.copy()  # Qt's own pixels: the numpy buffer may go
        image = self._spectrogram
        start, end = self._view
        source = QRectF(start / self._duration * image.width(), 0,
                        (end - start) / self._duration * image.width(), image.height())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(area), image, source)
        hz = self._spectrogram_hz
        if hz is None or len(hz) < 2:
            return
        # Frequency marks: rows are log-spaced, so a decade is a fixed height.
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, font.pointSizeF() * 0.8))
        painter.setFont(font)
        low, high = np.log(hz[0]), np.log(hz[-1])
        for mark, text in ((100, "100 Hz"), (1000, "1 kHz"), (10000, "10 kHz")):
            if not hz[0] < mark < hz[-1]:
                continue
            y = area.bottom() - (np.log(mark) - low) / (high - low) * area.height()
            painter.setPen(colours.text)
            painter.drawLine(QPointF(0, y), QPointF(6, y))
            shadow = QColor(colours.background)
            shadow.setAlpha(170)
            label = QRectF(9, y - 8, 60, 16)
            width = painter.fontMetrics().horizontalAdvance(text) + 6
            painter.fillRect(QRectF(label.left() - 3, label.top() + 1, width, 14), shadow)
            painter.drawText(label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_message(self, painter: QPainter, area: QRect, text: str, colours: WaveColours) -> None:
        painter.setPen(colours.label)
        painter.setFont(self.font())
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)

    # ----- mouse ----------------------------------------------------------------------------
    def _in_ruler(self, y: float) -> bool:
        return y < RULER

    def _loop_edge_at(self, x: float) -> float | None:
        """The other edge of the loop when ``x`` is on one of its edges (to drag it)."""
        if self._loop is None:
            return None
        a, b = self._loop
        if abs(self.x_of(a) - x) <= _EDGE_GRAB:
            return b
        if abs(self.x_of(b) - x) <= _EDGE_GRAB:
            return a
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._duration <= 0:
            return super().mousePressEvent(event)
        point = event.position()
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if self._in_ruler(point.y()) or shift:
            other = self._loop_edge_at(point.x()) if self._in_ruler(point.y()) else None
            if other is not None:
                self._drag = ("loop", other, point.x(), True)
            else:
                self._drag = ("loop", self.seconds_at(point.x()), point.x(), False)
        else:
            self._drag = ("scrub",)
            self._seek_to(point.x())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        point = event.position()
        if self._drag is None:
            near_edge = self._in_ruler(point.y()) and self._loop_edge_at(point.x()) is not None
            self.setCursor(Qt.CursorShape.SizeHorCursor if near_edge else Qt.CursorShape.ArrowCursor
                           if self._in_ruler(point.y()) else Qt.CursorShape.IBeamCursor)
            return
        if self._drag[0] == "scrub":
            self._seek_to(point.x())
        else:
            _, anchor, press_x, moved = self._drag
            if not moved and abs(point.x() - press_x) < _DRAG_START:
                return
            self._drag = ("loop", anchor, press_x, True)
            here = self.seconds_at(point.x())
            self.set_loop((min(anchor, here), max(anchor, here)))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        if drag[0] == "loop":
            _, anchor, press_x, moved = drag
            if moved:
                self.loop_changed.emit(self._loop)
            elif self._loop is not None:  # a click where a loop is selected: no loop
                self.set_loop(None)
                self.loop_changed.emit(None)
            else:  # a click with nothing to clear: go there
                self._seek_to(press_x)
        event.accept()

    def _seek_to(self, x: float) -> None:
        seconds = self.seconds_at(x)
        self.set_position(seconds)
        self.seek_requested.emit(seconds)

    def wheelEvent(self, event) -> None:
        if self._duration <= 0:
            return event.ignore()
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = delta.y() / 120
            if steps:
                self.zoom(0.8 ** steps, self.seconds_at(event.position().x()))
            return event.accept()
        if not self.zoomed:
            return event.ignore()  # let a scroll area around the player have it
        steps = (delta.x() or delta.y()) / 120
        start, end = self._view
        self.scroll_by(-steps * (end - start) * 0.1)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        """Double-click the ruler to see all of the sound again."""
        if self._in_ruler(event.position().y()) and self.zoomed:
            self.reset_zoom()
            return event.accept()
        return self.mousePressEvent(event)


def _lane_image(low: np.ndarray, high: np.ndarray, rms: np.ndarray, height: int, colours: WaveColours) -> QImage:
    """One lane, one column per value: the min..max extent in the wave colour, the RMS inside
    it darker, on the background; drawn with numpy at device pixels."""
    half = (height - 1) / 2
    centre = half + 0.5

    def row(value):
        return centre - np.clip(value, -1.0, 1.0) * half

    top = np.floor(row(high)).astype(np.int32)
    bottom = np.maximum(top + 1, np.ceil(row(low)).astype(np.int32))  # at least a pixel: silence shows
    rms_top = np.floor(row(np.minimum(rms, high))).astype(np.int32)
    rms_bottom = np.ceil(row(np.maximum(-rms, low))).astype(np.int32)
    y = np.arange(height, dtype=np.int32)[:, None]
    pixels = np.full((height, len(low)), colours.background.rgb(), np.uint32)
    pixels[(y >= top) & (y < bottom)] = colours.wave.rgb()
    pixels[(y >= rms_top) & (y < rms_bottom)] = colours.rms.rgb()
    image = QImage(pixels.data, pixels.shape[1], height, pixels.strides[0], QImage.Format.Format_RGB32)
    return image.copy()  # Qt's own pixels: `pixels` goes when this returns
