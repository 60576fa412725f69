"""Regenerate docs/first-run.png: the window as a new artist first sees it, with one model in
the models folder and nothing made yet.

Run under Xvfb: xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_first_run.py
"""

import sys

from screenshot import open_window_on_tiny_model, run, save_and_quit


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()

    def step():
        if not window.panel.model_combo.isEnabled() or "ready" not in window.engine_label.text():
            QTimer.singleShot(100, step)  # the scan and the engine's warm-up show in the picture
            return
        save_and_quit(app, window, "first-run.png")

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
