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
        # Qt's default link blue is unreadable on a dark panel (2:1).
        QPalette.ColorRole.Link: QColor(138, 180, 248),
        QPalette.ColorRole.LinkVisited: QColor(190, 160, 240),
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


# A light red for dark panels and a dark red for light ones: each reads at over 4.5:1 (WCAG AA)
# on the panels of its theme, where the other is near 2:1.
_ERROR_REDS = (QColor(255, 138, 128), QColor(179, 38, 30))


def error_color(background: QColor) -> QColor:
    """The red that reads best on ``background``: an error's text colour, whatever the theme."""
    return max(_ERROR_REDS, key=lambda red: contrast_ratio(red, background))


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio of two colours: 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(color: QColor) -> float:
    """Relative luminance, as WCAG 2 defines it from sRGB."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.red()) + 0.7152 * linear(color.green()) + 0.0722 * linear(color.blue())
