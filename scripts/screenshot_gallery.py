"""Pictures of the gallery and the canvas that follow the artist: docs/gallery.png (batches in
seed order, the thumbnail-size slider, a delete with its Undo notice, the canvas at 400 % with
its zoom in the corner) and docs/gallery-compare.png (Space held: the previous image, named).
Run under Xvfb; a folder given on the command line takes the pictures instead of docs/."""

import sys
from pathlib import Path

from screenshot import ROOT, fill, open_window_on_tiny_model, run, save_and_quit, stored

REQUESTS = [("a lighthouse on a cliff at dusk", 42, 3), ("a red fox in fresh snow", 7, 4)]


def main() -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    sys.argv[1:] = [str(folder / "gallery-compare.png")]  # where save_and_quit writes the last one
    app, window = open_window_on_tiny_model()
    panel, history = window.panel, window.history
    state = {"stage": "generate"}

    def step():
        """One stage at a time, polled on the GUI thread."""
        stage, idle = state["stage"], window.running_job is None
        if not panel.model_combo.isEnabled():
            pass
        elif stage == "generate":
            for prompt, seed, count in REQUESTS:
                fill(panel, prompt, seed, steps=3, size=(128, 128))
                panel.batch_spin.setValue(count)
                window.start_generation()
            state["stage"] = "delete"
        elif stage == "delete" and idle and stored(window) == sum(count for _p, _s, count in REQUESTS):
            history.set_thumbnail_size(104)
            newest = window.project.entries[-1].outputs
            history.select_output(newest[1].id)
            history.list_view.setFocus()
            window.project_controller.delete_output(newest[1].id)  # as the Delete key does
            state["stage"] = "zoom"
        elif stage == "zoom" and window.canvas.current_image() is not None and history.notice.isVisible():
            window.canvas.set_zoom(4.0)
            state["stage"] = "shoot"
            QTimer.singleShot(1200, step)  # the thumbnails arrive first
            return
        elif stage == "shoot":
            window.grab().save(str(folder / "gallery.png"))
            print(f"wrote {folder / 'gallery.png'}")
            history.notice.hide()
            QTest.keyPress(history.list_view, Qt.Key.Key_Space)  # held down in the grid
            state["stage"] = "compare"
        elif stage == "compare" and window.canvas.comparing:
            QTimer.singleShot(300, lambda: save_and_quit(app, window, "gallery-compare.png"))
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
