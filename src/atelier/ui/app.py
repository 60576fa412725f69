"""Start the window: QApplication, theme, main window, clean shutdown."""

import sys

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from .. import paths
from .main_window import MainWindow


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: QColor(45, 45, 50),
        QPalette.ColorRole.WindowText: QColor(230, 230, 232),
        QPalette.ColorRole.Base: QColor(30, 30, 34),
        QPalette.ColorRole.AlternateBase: QColor(45, 45, 50),
        QPalette.ColorRole.Text: QColor(230, 230, 232),
        QPalette.ColorRole.Button: QColor(58, 58, 64),
        QPalette.ColorRole.ButtonText: QColor(230, 230, 232),
        QPalette.ColorRole.Highlight: QColor(96, 128, 220),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.ToolTipBase: QColor(30, 30, 34),
        QPalette.ColorRole.ToolTipText: QColor(230, 230, 232),
        QPalette.ColorRole.PlaceholderText: QColor(140, 140, 148),
    }
    for role, color in colors.items():
        palette.setColor(role, color)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(120, 120, 128))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(120, 120, 128))
    return palette


def run(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Atelier")
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    icon = paths.resource_path("atelier.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    window = MainWindow()
    window.show()
    return app.exec()
