"""Regenerate docs/fill-review.png: a generative fill just finished, the review bar over the result
(Before | After, Keep, Discard), the mask still painted over it. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_fill_review.py"""

import sys

from screenshot import open_window_on_tiny_model, run, save_and_quit
from screenshot_mask import landscape


def paint_boat(window) -> None:
    """A boat's area on the lake: two brush strokes and a lasso for the sail."""
    from PySide6.QtCore import QPointF

    window.mask_tools.actions["maskBrushAction"].trigger()
    layer = window.canvas.mask_layer
    layer.set_brush_size(60)
    for path in ([(270, 420), (320, 408), (380, 404), (440, 410)], [(310, 440), (370, 450), (430, 436)]):
        layer.press(QPointF(*path[0]), erase=False)
        for point in path[1:]:
            layer.move(QPointF(*point))
        layer.release(QPointF(*path[-1]))
    window.mask_tools.actions["maskLassoAction"].trigger()
    outline = [(350, 404), (360, 310), (410, 398)]
    layer.press(QPointF(*outline[0]), erase=False)
    for point in outline[1:]:
        layer.move(QPointF(*point))
    layer.release(QPointF(*outline[-1]))
    window.mask_tools.actions["maskBrushAction"].trigger()


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()
    state = {"stage": "paste"}

    def step():
        stage = state["stage"]
        if stage == "paste" and window.project_controller.project is not None and window.panel.model_combo.isEnabled():
            window.import_pasted_image(landscape())
            state["stage"] = "paint"
        elif stage == "paint" and window.canvas.image_size() == (768, 512) \
                and window.project_controller.current_output_id is not None:
            paint_boat(window)
            window.panel.prompt_edit.setPlainText("a small wooden sailing boat on the lake, evening light")
            window.panel.steps_spin.setValue(4)
            window.mask_tools.fill_mode_combo.setCurrentIndex(2)  # Add object
            window.mask_tools.generation_side = 128  # the tiny model paints noise at any size: quick
            window.panel.generate_button.click()
            state["stage"] = "generating"
        elif stage == "generating" and window.fill_review.showing and window.running_job is None:
            QTimer.singleShot(800, lambda: save_and_quit(app, window, "fill-review.png"))  # thumbnails arrive first
            return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
