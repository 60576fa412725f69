"""Regenerate docs/info-pane.png: an image made from another (image to image), selected, with
the Info pane beside the history showing its prompts, settings and the picture it started from.
Run under Xvfb, as the other screenshot scripts."""

import sys

from screenshot import fill, open_window_on_tiny_model, run, save_and_quit, stored


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()
    panel = window.panel
    state = {"stage": "generate"}

    def step():
        """One stage at a time, polled on the GUI thread."""
        stage, idle = state["stage"], window.running_job is None
        if not panel.model_combo.isEnabled():
            pass
        elif stage == "generate":
            fill(panel, "a lighthouse on a cliff at dusk, oil painting, warm light", 42, size=(256, 192))
            window.start_generation()
            state["stage"] = "use"
        elif stage == "use" and stored(window) >= 1 and idle:
            window.use_as_init_image(window.project.entries[0].outputs[0].id)
            state["stage"] = "again"
        elif stage == "again" and panel.init_image_box.current is not None:
            panel.prompt_edit.setPlainText("the same lighthouse in a winter storm, heavy snow, dramatic sky, "
                                           "crashing waves, oil painting in the style of the Romantic masters")
            panel.negative_edit.setPlainText("blurry, text, watermark")
            panel.init_image_box.set_strength(0.55)
            panel.seed_spin.setValue(1234)
            window.start_generation()
            state["stage"] = "show"
        elif stage == "show" and stored(window) >= 2 and idle:
            window.show_info()
            state["stage"] = "thumbnails"
        elif stage == "thumbnails":
            # Let the history's and the pane's thumbnails arrive.
            QTimer.singleShot(1500, lambda: save_and_quit(app, window, "info-pane.png"))
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
