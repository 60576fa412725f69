"""Small helpers shared by the panels."""

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QSpinBox, QWidget

_FIRST_FRAME_WAIT_MS = 2000  # a window started minimized may not be exposed for a long while


def named(widget: QWidget, object_name: str, accessible_name: str) -> QWidget:
    """Give a control the stable objectName tests use and the name screen readers announce."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    return widget


def spin_box(object_name: str, accessible_name: str, low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    spin = named(QSpinBox(), object_name, accessible_name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin


def own_viewport(area: QAbstractScrollArea) -> QWidget:
    """Give ``area`` a viewport made here, and return it. The first time PySide6 (6.11) wraps a
    viewport Qt made itself, it loads every lazily loaded QtWidgets class to find its type:
    about 15 ms, which would otherwise land on the way to the first frame.

    Set up as Qt sets up its own: filled with the Base colour by itself. Filled, it is opaque, so
    a repaint of it (a thumbnail, a preview) does not repaint the panels and window behind it."""
    viewport = QWidget()
    viewport.setBackgroundRole(QPalette.ColorRole.Base)
    viewport.setAutoFillBackground(True)
    area.setViewport(viewport)
    return viewport


def after_first_frame(window: QWidget, then: Callable[[], None]) -> None:
    """Call ``then`` once, from the event loop, when ``window``'s first frame has been painted:
    at the next turn if it is hidden or on screen already, at the latest after two seconds."""
    _FirstFrame(window, then)  # a child of the window, so it lives until it has called


class _FirstFrame(QObject):
    def __init__(self, window: QWidget, then: Callable[[], None]):
        super().__init__(window)
        self._then: Callable[[], None] | None = then
        self._handle = window.windowHandle()
        if self._handle is None or not window.isVisible() or self._handle.isExposed():
            self._handle = None
            QTimer.singleShot(0, self, self._call)
            return
        self._handle.installEventFilter(self)
        QTimer.singleShot(_FIRST_FRAME_WAIT_MS, self, self._call)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            QTimer.singleShot(0, self, self._call)  # the expose being delivered paints the frame first
        return False

    def _call(self) -> None:
        if self._handle is not None:  # stop watching: the filter would see every event of the window
            self._handle.removeEventFilter(self)
            self._handle = None
        then, self._then = self._then, None
        if then is not None:
            then()


class FrameLimiter(QObject):
    """Shows a stream of display updates at most once per ``interval_ms``, always the latest.

    An update for a key replaces the one still waiting under that key. The first update after
    a quiet spell runs at once; later ones wait for the next slot, so the last one always
    shows. The engine may report a step every few milliseconds (a small model, a fast GPU);
    repainting for each would take CPU from the engine for frames nobody can tell apart.
    """

    def __init__(self, interval_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self._interval = interval_ms / 1000
        self._pending: dict[str, tuple[Callable, tuple]] = {}
        self._last = float("-inf")  # monotonic time of the last run
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._run)

    def submit(self, key: str, show: Callable, *args) -> None:
        self._pending[key] = (show, args)
        if self._timer.isActive():
            return
        wait = self._last + self._interval - time.monotonic()
        if wait <= 0:
            self._run()
        else:
            self._timer.start(max(1, round(wait * 1000)))

    def drop(self, key: str | None = None) -> None:
        """Forget what waits under ``key`` (everything when None): something newer replaced it."""
        if key is None:
            self._pending.clear()
        else:
            self._pending.pop(key, None)
        if not self._pending:
            self._timer.stop()

    def _run(self) -> None:
        self._last = time.monotonic()
        pending, self._pending = self._pending, {}
        for show, args in pending.values():
            show(*args)
