"""Regenerate docs/fill-review.png: a generative fill just finished, the review bar over the result
(Before | After, Keep, Discard), the mask still painted over it. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_fill_review.py"""

import sys

from screenshot import open_window_on_tiny_model, save_and_quit
from screenshot_mask import run_on_landscape, trace


def paint_boat(window) -> None:
    """A boat's area on the lake: two brush strokes and a lasso for the sail."""
    window.mask_tools.actions["maskBrushAction"].trigger()
    layer = window.canvas.mask_layer
    layer.set_brush_size(60)
    trace(layer, [(270, 420), (320, 408), (380, 404), (440, 410)])
    trace(layer, [(310, 440), (370, 450), (430, 436)])
    window.mask_tools.actions["maskLassoAction"].trigger()
    trace(layer, [(350, 404), (360, 310), (410, 398)])
    window.mask_tools.actions["maskBrushAction"].trigger()


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()
    state = {"generating": False}

    def scene() -> bool:
        if not state["generating"]:
            paint_boat(window)
            window.panel.prompt_edit.setPlainText("a small wooden sailing boat on the lake, evening light")
            window.panel.steps_spin.setValue(4)
            window.mask_tools.fill_mode_combo.setCurrentIndex(2)  # Add object
            window.mask_tools.generation_side = 128  # the tiny model paints noise at any size: quick
            window.panel.generate_button.click()
            state["generating"] = True
            return False
        if window.fill_review.showing and window.running_job is None:
            QTimer.singleShot(800, lambda: save_and_quit(app, window, "fill-review.png"))  # thumbnails arrive first
            return True
        return False

    return run_on_landscape(app, window, scene)


if __name__ == "__main__":
    sys.exit(main())
