"""Light, dark, or whatever the system prefers: Fusion style with a matching palette."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

# Arguments for QApplication: the style chosen there costs nothing, while QApplication.setStyle
# afterwards costs the start 16 ms (PySide6 makes its QStyle class, enums and all, to return it).
STYLE_ARGUMENTS = ["-style", "Fusion"]


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


def apply_theme(app: QApplication, theme: str) -> None:
    """``theme`` is "dark", "light" or "system": light only when the desktop asks for light,
    since images are judged best on a dark surround. The style came with ``app`` (STYLE_ARGUMENTS)."""
    if theme == "system":
        scheme = QGuiApplication.styleHints().colorScheme()
        theme = "light" if scheme == Qt.ColorScheme.Light else "dark"
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way to ``b``: the panels' shades are mixed from the palette."""
    return QColor(round(a.red() + (b.red() - a.red()) * t), round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))
