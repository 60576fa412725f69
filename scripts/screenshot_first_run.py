"""Regenerate docs/first-run.png: the window as a new artist first sees it, with no model
anywhere: the canvas says which files Atelier uses and where, and offers to add folders.

Run under Xvfb: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_first_run.py
"""

import os
import sys
import tempfile
from pathlib import Path

from screenshot import run, save_and_quit


def open_window_without_models():
    """(app, window): the real window in a throwaway home that holds no model at all. The home
    itself is replaced, so the models folder reads as it does on an artist's machine (~/...)."""
    home = Path(tempfile.mkdtemp(prefix="atelier-first-run-"))
    os.environ["HOME"] = str(home)
    for var, sub in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                     ("XDG_CACHE_HOME", ".cache")):
        os.environ[var] = str(home / sub)
    os.environ["HF_HUB_CACHE"] = str(home / ".cache/huggingface/hub")

    from PySide6.QtWidgets import QApplication, QMessageBox

    from atelier.ui.main_window import MainWindow
    from atelier.ui.theme import STYLE_ARGUMENTS, dark_palette

    app = QApplication([sys.argv[0], *STYLE_ARGUMENTS])
    app.setPalette(dark_palette())
    window = MainWindow()
    window.ask_unsaved = lambda doing: QMessageBox.StandardButton.Discard  # a throwaway project
    window.resize(1280, 800)
    window.show()
    return app, window


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_without_models()

    def step():
        card = window.model_folder_picker.panel
        if card is None or not card.isVisible() or "ready" not in window.engine_label.text():
            QTimer.singleShot(100, step)  # the scan's answer and the engine's warm-up show in the picture
            return
        save_and_quit(app, window, "first-run.png")

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
