"""Start the window: check the display, QApplication, theme, main window, clean shutdown."""

import gc
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .. import paths
from ..settings import Settings

# The README section a missing system library points to.
_LINUX_LIBRARIES = "README.md, 'Linux system libraries'"


def run(project: Path | None = None, quit_after: float | None = None, debug: bool = False,
        on_idle: Callable[[object], None] | None = None) -> int:
    """Open the window and run until it closes. ``on_idle(window)`` is called once the window's
    first frame is painted, at the next idle moment (the startup benchmark reports from there)."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")
    problem = display_problem()
    if problem:
        print(f"atelier: error: {problem}", file=sys.stderr)
        return 3
    # Starting up makes objects that live as long as the app: collecting among them is wasted
    # time (about 20 ms here). Collection resumes once the window is up, and never scans them.
    gc.disable()
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    skip_pyside_source_scan()
    from .main_window import MainWindow
    from .theme import STYLE_ARGUMENTS, apply_theme
    from .widgets import after_first_frame

    app = QApplication.instance() or QApplication([sys.argv[0], *STYLE_ARGUMENTS])
    app.setApplicationName("Atelier")
    app.setDesktopFileName("atelier")  # lets the desktop match the window to atelier.desktop
    settings = Settings.load()
    apply_theme(app, settings.theme)
    icon = paths.resource_path("icons", "atelier.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow(settings, project=Path(project) if project is not None else None)
    window.show()
    after_first_frame(window, lambda: _started(window, on_idle))
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), window.close)
    try:
        return app.exec()
    finally:
        window.engine.worker.stop_engine()


def skip_pyside_source_scan() -> None:
    """Stop PySide6 reading the source of every module imported after it.

    PySide6 opens each newly imported module's source file to see whether it mentions
    "PySide6", for its opt-in ``from __feature__ import snake_case`` (PYSIDE-2029). Atelier uses
    no such feature, and the scan cost 20 to 40 ms of every start (some 90 modules). A module
    the check calls unused is one PySide6 skips when switching features, which, with none ever
    switched on, changes nothing. If a PySide6 update drops the check, this does nothing."""
    feature = sys.modules.get("shibokensupport.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        feature._mod_uses_pyside = lambda module: False


def _started(window, on_idle) -> None:
    gc.freeze()
    gc.enable()
    if on_idle is not None:
        on_idle(window)


def display_problem() -> str | None:
    """Why Qt could not open a window here, in one line, before Qt aborts with a plugin dump;
    None when it should work."""
    platform_name = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform_name in ("offscreen", "minimal", "vnc"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display found (DISPLAY and WAYLAND_DISPLAY are unset); start Atelier from a desktop session"
    if platform_name.startswith("wayland") or (os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY")):
        return None
    # Qt's xcb plugin needs these; without them it prints a plugin dump and aborts. Opening
    # them here costs about a millisecond, and Qt would load them next anyway. (ctypes is
    # imported only here: it costs about 3 ms of every start elsewhere.)
    import ctypes

    for soname, package in (("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
                            ("libEGL.so.1", "libegl1"), ("libGL.so.1", "libgl1")):
        try:
            ctypes.CDLL(soname)
        except OSError:
            return (f"the system library {soname} is missing; install it (e.g. 'sudo apt install {package}'), "
                    f"see {_LINUX_LIBRARIES}")
    return None
