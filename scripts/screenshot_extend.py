"""Regenerate docs/extend.png: a picture on the canvas being extended by hand, its right handle
held mid-drag, the new area tinted, the bar saying the size it makes. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_extend.py"""

import sys

from screenshot import open_window_on_tiny_model, save_and_quit
from screenshot_mask import run_on_landscape


def main() -> int:
    from PySide6.QtCore import QPointF, Qt, QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtTest import QTest

    app, window = open_window_on_tiny_model()

    def drag_right_handle() -> None:
        """Hold the right handle and drag it out, as an artist would (not released yet)."""
        canvas, viewport = window.canvas, window.canvas.viewport()
        start = canvas.mapFromScene(QPointF(768 + 96, 256))
        end = canvas.mapFromScene(QPointF(768 + 200, 256))
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        QTest.mouseMove(viewport, (start + end) / 2)
        QTest.mouseMove(viewport, end)

    def scene() -> bool:
        window.panel.prompt_edit.setPlainText("the lake shore goes on, pine trees, evening light")
        window.findChild(QAction, "extendWithHandlesAction").trigger()
        window.canvas_extension.set_sides((96, 0, 96, 0))  # the left side dragged out already
        QTimer.singleShot(200, drag_right_handle)
        QTimer.singleShot(900, lambda: save_and_quit(app, window, "extend.png"))  # thumbnails arrive first
        return True

    return run_on_landscape(app, window, scene)


if __name__ == "__main__":
    sys.exit(main())
