"""Start the window: QApplication, theme, main window, clean shutdown."""

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .. import paths
from ..settings import Settings
from .main_window import MainWindow
from .theme import apply_theme


def run(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Atelier")
    settings = Settings.load()
    apply_theme(app, settings.theme)
    icon = paths.resource_path("atelier.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow(settings)
    window.show()
    return app.exec()
