"""Small helpers shared by the panels."""

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QAbstractScrollArea, QApplication, QComboBox, QDockWidget, QFrame, QGridLayout, QLabel, QMainWindow,
                               QScrollArea, QSpinBox, QWidget)

from .theme import error_color

_FIRST_FRAME_WAIT_MS = 2000  # a window started minimized may not be exposed for a long while


def named(widget: QWidget, object_name: str, accessible_name: str) -> QWidget:
    """Give a control the stable objectName tests use and the name screen readers announce."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    return widget


def narrow_combo(object_name: str, accessible_name: str) -> QComboBox:
    """A combo box of model names whose width never follows its longest item: a long file name
    is cut short in the box (shown whole in its list) instead of widening the panel."""
    combo = named(QComboBox(), object_name, accessible_name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(12)
    return combo


def spin_box(object_name: str, accessible_name: str, low: int, high: int, value: int, step: int = 1) -> QSpinBox:
    spin = named(QSpinBox(), object_name, accessible_name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin


class MessageLine(QScrollArea):
    """A message in a space of its own: two lines high whatever it says, so the widgets above
    it never move. Longer text scrolls, and the whole of it is the tooltip. An error is drawn in
    the red that reads best on the colour behind it (theme.error_color), also after the theme
    changes. ``label`` is the QLabel that shows the text (plain or rich, links included)."""

    _LINES = 2

    def __init__(self, label: QLabel, parent=None):
        super().__init__(parent)
        self.label = label
        self._error = False
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setWidget(label)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_height()

    def mark(self, text: str, error: bool) -> None:
        """Say what the label now shows: ``text`` (plain) for the tooltip, and whether it is an error."""
        self.label.setToolTip(text)
        self._error = error
        self._color_text()
        self.ensureVisible(0, 0, 0, 0)  # a new message is read from its start

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._color_text()
        elif event.type() == QEvent.Type.FontChange:
            self._fit_height()

    def _fit_height(self) -> None:
        margins = self.label.contentsMargins()
        self.setFixedHeight(self._LINES * self.label.fontMetrics().lineSpacing() + margins.top() + margins.bottom())

    def _color_text(self) -> None:
        if self._error:
            palette = QPalette()  # only the text's colour is its own
            palette.setColor(QPalette.ColorRole.WindowText, error_color(self.palette().color(QPalette.ColorRole.Window)))
            self.label.setPalette(palette)
        else:
            self.label.setPalette(QPalette())  # no colours of its own: the area's, and the theme's


class DockWidths(QObject):
    """Keeps the widths of ``window``'s side docks as it is resized: each of ``growing`` keeps
    its share of the window's width, each of ``fixed`` its width. (QMainWindow alone gives the
    whole change to its central widget, and takes a shrink from the docks as it finds them.)
    A dock's width is the one it had when ``start`` was called (the window shown), or as the
    artist last dragged its edge to."""

    def __init__(self, window: QMainWindow, fixed: list[QDockWidget], growing: list[QDockWidget]):
        super().__init__(window)
        self._window = window
        self._window_width = window.width()
        self._grows = {dock: dock in growing for dock in fixed + growing}
        self._widths = {dock: dock.width() for dock in self._grows}  # as given, not as squeezed

    def start(self) -> None:
        """Keep the widths from now on. Called once the window is on screen: the filters
        would otherwise take a Python call for each of the hundreds of events of its start."""
        self._window_width = self._window.width()
        self._widths = {dock: dock.width() for dock in self._grows}
        self._window.installEventFilter(self)
        for dock in self._grows:
            dock.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.Resize:
            return False
        if watched is not self._window:
            # Dragged by the artist; other resizes (the window's, a width it could not have)
            # leave the width it was given.
            if self._window.width() == self._window_width and QApplication.mouseButtons() != Qt.MouseButton.NoButton:
                self._widths[watched] = event.size().width()
            return False
        old, new = self._window_width, event.size().width()
        self._window_width = new
        if not event.oldSize().isValid():  # shown: the docks have the widths they were given
            self._widths = {dock: dock.width() for dock in self._grows}
        elif new != old:
            for dock, grows in self._grows.items():
                if grows:
                    self._widths[dock] = round(self._widths[dock] * new / old)
            docked = [dock for dock in self._grows if dock.isVisible() and not dock.isFloating()]
            self._window.resizeDocks(docked, [self._widths[dock] for dock in docked], Qt.Orientation.Horizontal)
        return False


def button_grid(*buttons: QWidget, columns: int = 2) -> QGridLayout:
    """Buttons in rows of ``columns``, in reading order: a narrow dock still shows each whole."""
    grid = QGridLayout()
    for index, button in enumerate(buttons):
        grid.addWidget(button, *divmod(index, columns))
    return grid


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
