"""Regenerate docs/upscale.png: the Upscale dialog over a picture, with a 4x upscaler file found
in an ESRGAN folder, Refine on, and the size it makes. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_upscale.py"""

import sys

from screenshot import open_window_on_tiny_model, run
from screenshot_fill_advanced import save_screen_and_quit
from screenshot_remove_background import still_life


def add_upscaler(models_dir) -> None:
    import tiny_upscalers  # tests/, on the path once the window helper has run

    tiny_upscalers.esrgan_file(models_dir / "ESRGAN" / "4x-UltraSharp.safetensors", 4)


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model(add_upscaler)
    state = {"pasted": False, "asked": False}

    def step():
        project = window.project_controller
        if not state["pasted"]:
            if project.project is not None and window.panel.model_combo.isEnabled() and window.generation.upscalers:
                window.import_pasted_image(still_life())
                state["pasted"] = True
        elif not state["asked"]:
            if project.current_output_id is not None and window.canvas.image_size() is not None:
                window.panel.prompt_edit.setPlainText("a cream jug and a pear, oil painting, fine brushwork")
                window.upscale(project.current_output_id)  # the dialog opens once the picture is read
                state["asked"] = True
        elif window.upscale_dialog is not None and window.upscale_dialog.isVisible():
            window.upscale_dialog.refine_check.setChecked(True)
            QTimer.singleShot(600, lambda: save_screen_and_quit(app, window, "upscale.png"))
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
