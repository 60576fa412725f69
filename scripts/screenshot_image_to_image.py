"""Regenerate docs/image-to-image.png: an image, two subtle variations of it, and the image set
as the init image with its strength slider. Run by `make screenshot` (under Xvfb)."""

import sys

from screenshot import fill, open_window_on_tiny_model, run, save_and_quit, stored


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()
    panel = window.panel
    state = {"stage": "generate"}

    def source_id() -> str:
        return window.project.entries[0].outputs[0].id

    def step():
        """One stage at a time, polled on the GUI thread."""
        stage, idle = state["stage"], window.running_job is None
        if not panel.model_combo.isEnabled():
            pass
        elif stage == "generate":
            fill(panel, "a lighthouse on a cliff at dusk, oil painting", 42, size=(256, 192))
            window.start_generation()
            state["stage"] = "vary"
        elif stage == "vary" and stored(window) >= 1 and idle:
            panel.batch_spin.setValue(2)
            window.vary(0.5, source_id())
            state["stage"] = "use"
        elif stage == "use" and stored(window) >= 3 and idle:
            window.use_as_init_image(source_id())
            state["stage"] = "strength"
        elif stage == "strength" and panel.init_image_box.current is not None:
            panel.init_image_box.set_strength(0.45)
            QTimer.singleShot(1000, lambda: save_and_quit(app, window, "image-to-image.png"))  # let the history's thumbnails arrive
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
