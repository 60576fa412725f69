"""Thumbnails, made lazily off the UI thread.

An item asks for its thumbnail the first time it is painted, i.e. when it becomes visible. A
few plain Python threads read the asset bytes and decode and scale them to QImages (no Qt
object of theirs can be destroyed under them); the result comes back to the UI thread as a
queued signal, where it becomes a QPixmap in a small LRU cache keyed by asset name (assets are
content-addressed, so a name always means the same pixels).
"""

import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from ..images import decode_image

log = logging.getLogger(__name__)

THUMB = 128  # thumbnail box, logical pixels


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
