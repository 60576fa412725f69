"""Regenerate docs/image-to-image.png: an image, two subtle variations of it, and the image set
as the init image with its strength slider. Run by `make screenshot` (under Xvfb)."""

import sys

from screenshot import open_window_on_tiny_model, run, save_and_quit


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()
    panel = window.panel
    state = {"stage": "generate"}

    def stored() -> int:
        return sum(len(e.outputs) for e in window.project.entries)

    def source_id() -> str:
        return window.project.entries[0].outputs[0].id

    def step():
        """One stage at a time, polled on the GUI thread."""
        stage, idle = state["stage"], window.running_job is None
        if not panel.model_combo.isEnabled():
            pass
        elif stage == "generate":
            panel.prompt_edit.setPlainText("a lighthouse on a cliff at dusk, oil painting")
            panel.steps_spin.setValue(4)
            panel.width_spin.setValue(256)
            panel.height_spin.setValue(192)
            panel.seed_spin.setValue(42)
            window.start_generation()
            state["stage"] = "vary"
        elif stage == "vary" and stored() >= 1 and idle:
            panel.batch_spin.setValue(2)
            window.vary(0.5, source_id())
            state["stage"] = "use"
        elif stage == "use" and stored() >= 3 and idle:
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
