"""Thumbnails, made lazily off the UI thread.

An item asks for its thumbnail the first time it is painted, i.e. when it becomes visible. A
few plain Python threads read the asset bytes and decode and scale them to QImages (no Qt
object of theirs can be destroyed under them); the result comes back to the UI thread as a
queued signal, where it becomes a QPixmap in a small LRU cache keyed by asset name (assets are
content-addressed, so a name always means the same pixels).

A sound's thumbnail is its waveform: the min/max peaks of the whole sound, one column per
pixel, drawn as a filled shape symmetric around the middle on a transparent square (the tile
paints its own well behind it). A long sound is not decoded whole: a window of it a column is
read instead, so a 10-minute FLAC costs about as much as a 90-second one.
"""

import io
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import PurePosixPath

from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPixmap

from ..images import decode_image

log = logging.getLogger(__name__)

THUMB = 128  # thumbnail box, logical pixels, unless the artist picks another size
THUMB_SIZES = (80, 256)  # the smallest and largest box the history's size slider offers

AUDIO_SUFFIXES = frozenset({".flac", ".wav", ".ogg", ".oga", ".mp3", ".opus"})
# The waveform's colours: baked into the thumbnail (made off the UI thread, with no palette),
# so picked to read on the tile's well in either theme. The peaks are the outline of the sound,
# the RMS its lighter body.
WAVE_PEAK = QColor(112, 146, 236)
WAVE_BODY = QColor(176, 198, 255)
WAVE_BAND = 0.29  # half the waveform's height, as a fraction of the box: room above and below for marks
WAVE_MARGIN = 0.06  # left and right, as a fraction of the box
_MAX_GAIN = 8.0  # a quiet sound is drawn up to 18 dB louder, so its shape shows; silence stays flat
_STRIDE_FROM = 1 << 20  # frames (24 s at 44.1 kHz): longer sounds are read in windows, not whole
_MAX_WINDOWS = 128  # windows read of a long sound, together _STRIDE_FROM frames


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


def is_audio_asset(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in AUDIO_SUFFIXES


def thumbnail_asset(output) -> str:
    """The asset an output's thumbnail is made from: for a sound, the waveform peaks the project
    keeps beside it when it has them (exact, and a small read), else the sound itself."""
    return output.peaks if output.kind == "audio" and output.peaks else output.asset


def decode_thumbnail(data: bytes, name: str, pixels: int) -> QImage:
    """Decode image bytes (their format told by ``name``) and fit them in a ``pixels`` square,
    or, for a sound (``is_audio_asset``) or its peaks (``.npz``), draw its waveform in a
    ``pixels`` square; a null QImage if undecodable. Safe off the UI thread (QImage, not QPixmap)."""
    if is_audio_asset(name) or name.endswith(".npz"):
        return decode_waveform(data, pixels, peaks=name.endswith(".npz"))
    image = decode_image(data, name)
    if image.isNull():
        return image
    if image.width() > pixels or image.height() > pixels:
        image = image.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def decode_waveform(data: bytes, pixels: int, peaks: bool = False) -> QImage:
    """The waveform of sound file bytes (anything libsndfile reads), or of its ``peaks``
    (media/peaks.py bytes), in a transparent ``pixels`` square: a null QImage if they are
    neither. Safe off the UI thread."""
    import numpy as np

    from ...media.peaks import Peaks

    width = max(1, pixels - 2 * round(pixels * WAVE_MARGIN))
    try:
        if peaks:
            kept = Peaks.from_bytes(data)
            low, high, rms, sampled = (*kept.columns(0, kept.frames, width), False)
        else:
            low, high, rms, sampled = _sound_columns(data, width)
    except (RuntimeError, ValueError, TypeError, EOFError) as exc:  # soundfile's errors are RuntimeErrors
        log.info("not a sound: %s", exc)
        return QImage()
    # Channels merged, symmetric: the louder side of each column, up and down alike.
    peak = np.maximum(-low, high).max(axis=1)
    body = rms.max(axis=1)
    if sampled and len(peak) > 2:
        # A window holds only part of its column (a 10-minute sound: a 25th): a column's peak
        # is taken as at least its neighbours' (a beat its window missed), its loudness their mean.
        peak = np.maximum(peak, np.maximum(np.r_[peak[:1], peak[:-1]], np.r_[peak[1:], peak[-1:]]))
        body = np.convolve(np.r_[body[:1], body, body[-1:]], np.full(3, 1 / 3), "valid")
    loudest = float(peak.max()) if len(peak) else 0.0
    gain = min(_MAX_GAIN, 1.0 / loudest) if loudest > 0 else 1.0
    half = pixels * WAVE_BAND
    floor = max(0.5, pixels / 256)  # silence still shows as a hairline
    peak = np.clip(peak * gain, 0.0, 1.0) * half + floor
    body = np.minimum(np.clip(body * gain, 0.0, 1.0) * half, peak - floor) + floor * 0.5

    image = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    left = (pixels - width) / 2
    middle = pixels / 2
    for heights, colour in ((peak, WAVE_PEAK), (body, WAVE_BODY)):
        painter.setBrush(colour)
        painter.drawPath(_mirrored(heights, left, middle))
    painter.end()
    return image


def _mirrored(heights, left: float, middle: float) -> QPainterPath:
    """A closed shape through the top of each column (``heights`` above ``middle``, one per
    pixel from ``left``) and back along the bottom, mirrored."""
    xs = [left + i + 0.5 for i in range(len(heights))]
    xs[0], xs[-1] = left, left + len(heights)  # square ends, flush with the band
    path = QPainterPath()
    path.moveTo(QPointF(xs[0], middle))
    for x, h in zip(xs, heights):
        path.lineTo(QPointF(x, middle - float(h)))
    for x, h in zip(reversed(xs), reversed(heights)):
        path.lineTo(QPointF(x, middle + float(h)))
    path.closeSubpath()
    return path


def _sound_columns(data: bytes, width: int):
    """(low, high, rms, sampled) of sound file bytes, the first three (width, channels).

    Reading is bounded: a sound up to ``_STRIDE_FROM`` frames is decoded in blocks and reduced
    as it goes; a longer one is read as windows, one a column (at most ``_MAX_WINDOWS``: each
    seek costs a FLAC decoder a frame's worth), ``_STRIDE_FROM`` frames in all, which stand in
    for the whole (``sampled`` is then True). Each window starts at a fixed pseudo-random point
    of its stretch: evenly spaced windows beat against a steady tempo and draw a false swell."""
    import numpy as np
    import soundfile

    from ...media.peaks import BLOCKS, build_peaks, peaks_of

    with soundfile.SoundFile(io.BytesIO(data)) as sound:
        rate, channels, frames = sound.samplerate, sound.channels, sound.frames
        sampled = frames > _STRIDE_FROM and sound.seekable()
        if sampled:
            windows = max(2, min(_MAX_WINDOWS, width))
            window = _STRIDE_FROM // windows
            stretch = (frames - window) / windows
            offsets = np.random.default_rng(windows).random(windows)  # the same thumbnail every time
            chunks = []
            for i, offset in enumerate(offsets):
                sound.seek(int(stretch * (i + offset)))
                chunk = sound.read(window, dtype="float32", always_2d=True)
                if len(chunk):
                    chunks.append(chunk)
            if not chunks:
                raise ValueError("the sound is empty")
            peaks = peaks_of(np.concatenate(chunks), rate)
        else:
            peaks = build_peaks(sound.blocks(blocksize=BLOCKS[-1] * 4, dtype="float32", always_2d=True),
                                rate, channels)
    return (*peaks.columns(0, peaks.frames, width), sampled)


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
        self._made_at: dict[str, int] = {}  # asset -> the pixels its pixmap was decoded for
        self._failed: set[str] = set()
        self._pending: dict[str, tuple[int, int]] = {}  # asset -> (tick, -order): highest first
        self._running: dict[str, int] = {}  # assets on a decoder thread now -> the pixels asked for
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

    def set_size(self, size: int) -> None:
        """Make thumbnails for a ``size`` box from now on. Those made smaller are still shown
        (scaled up) until a sharper one is made, when they are painted next."""
        self.size = size

    def sharp(self, asset: str) -> bool:
        """Whether the pixmap for ``asset`` was made at least as big as the box now is."""
        return self._made_at.get(asset, 0) >= self._pixels()

    def _pixels(self) -> int:
        return max(1, round(self.size * self.device_pixel_ratio))

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
        """Ask for a thumbnail; cheap, and a no-op if it is there (sharp enough), failed or on its way."""
        if self._read is None or asset in self._failed or asset in self._running:
            return
        if asset in self._pixmaps and self.sharp(asset):
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
            pixels = self._pixels()
            if self._decoders is None:
                deliveries, self._decoders = _decoding()
                deliveries.done.connect(self._on_done)  # queued: emitted on a decoder thread
            self._running[asset] = pixels
            self._decoders.submit(_decode_and_deliver, self._token, self._generation, asset, self._read, pixels)

    @Slot(int, int, str, QImage)
    def _on_done(self, token: int, generation: int, asset: str, image: QImage) -> None:
        if token != self._token:
            return  # another cache's thumbnail
        pixels = self._running.pop(asset, 0)
        if not image.isNull():
            self._made_at[asset] = pixels
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self.device_pixel_ratio)
            self._pixmaps[asset] = pixmap
            self._pixmaps.move_to_end(asset)
            while len(self._pixmaps) > self.capacity:
                self._made_at.pop(self._pixmaps.popitem(last=False)[0], None)
        elif generation == self._generation:
            self._failed.add(asset)
        # else: a failure from the previous project's source; the repaint asks again.
        self.thumbnail_ready.emit(asset)
        if self._pending and not self._dispatch_timer.isActive():
            self._dispatch_timer.start()
