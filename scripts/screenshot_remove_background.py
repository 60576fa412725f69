"""Regenerate docs/remove-background.png: a still life with its background removed by a tiny real
ONNX matting model, the transparent result on the canvas's checkerboard, its subject mask kept
(hidden) and Generate set to Replace background; source and result side by side in the history. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_remove_background.py"""

import sys

from screenshot import open_window_on_tiny_model, run, save_and_quit

SIZE = (768, 512)


def still_life():
    """A cream jug and a pear, lit from the left, on a dark wall and table (drawn in code: the
    tiny matting model tells bright from dark, so the subject is the bright part)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter
    from PySide6.QtGui import QImage

    width, height = SIZE
    rows = np.linspace(0, 1, height)[:, None, None]
    columns = np.linspace(0, 1, width)[None, :, None]
    wall = np.array([30, 34, 48]) * (1.15 - 0.5 * columns) * (1.1 - 0.3 * rows)
    picture = Image.fromarray(np.broadcast_to(wall, (height, width, 3)).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 400, width, height), fill=(26, 20, 18))  # the table's edge
    draw.line((0, 400, width, 400), fill=(44, 36, 32), width=2)
    # The jug: body, neck, lip and handle, shaded from a light on the left.
    shade = Image.new("L", SIZE, 0)
    shape = ImageDraw.Draw(shade)
    shape.ellipse((250, 180, 450, 410), fill=255)
    shape.rectangle((305, 120, 395, 230), fill=255)
    shape.ellipse((290, 100, 420, 140), fill=255)
    shape.polygon([(395, 104), (450, 92), (420, 128)], fill=255)  # the spout
    shape.arc((380, 140, 480, 320), start=-120, end=60, fill=255, width=16)  # the handle, neck to body
    light = np.clip(1.05 - 0.55 * np.abs(columns[..., 0] - 0.40) * 3.2, 0.72, 1.0)
    jug = (np.array([246, 234, 212])[None, None, :] * light[..., None]).astype(np.uint8)
    jug = np.broadcast_to(jug, (height, width, 3))
    picture.paste(Image.fromarray(np.ascontiguousarray(jug), "RGB"), mask=shade)
    # A pear beside it: a round base, a narrower top, the waist between filled.
    pear = Image.new("L", SIZE, 0)
    outline = ImageDraw.Draw(pear)
    outline.ellipse((500, 300, 610, 408), fill=255)
    outline.ellipse((528, 248, 582, 318), fill=255)
    outline.polygon([(530, 292), (580, 292), (602, 340), (508, 340)], fill=255)
    picture.paste((238, 222, 150), mask=pear)
    draw.line((556, 252, 562, 230), fill=(120, 96, 60), width=5)
    picture = picture.filter(ImageFilter.GaussianBlur(1.0))
    data = picture.tobytes()
    return QImage(data, width, height, width * 3, QImage.Format.Format_RGB888).copy()


def add_matting_model(models_dir) -> None:
    import tiny_matting  # tests/, on the path once the window helper has run

    tiny_matting.build_matting_model(models_dir / "u2netp.onnx", "u2netp", bias=-1.0)


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model(add_matting_model)
    state = {"pasted": False, "asked": False, "source": None}

    def step():
        project = window.project_controller
        if not state["pasted"]:
            if project.project is not None and window.panel.model_combo.isEnabled() and window.generation.matting_models:
                window.import_pasted_image(still_life())
                state["pasted"] = True
        elif not state["asked"]:
            if window.canvas.image_size() == SIZE and project.current_output_id is not None:
                state["source"] = project.current_output_id
                window.panel.prompt_edit.setPlainText("on a sunlit wooden table by an open window, morning light")
                window.remove_background(state["source"])
                dialog = window.remove_background_dialog
                dialog.edges_combo.setCurrentIndex(dialog.edges_combo.findData("guided"))
                dialog.ok_button.click()
                state["asked"] = True
        else:
            layer = window.canvas.mask_layer
            if (project.current_output_id not in (None, state["source"]) and layer is not None and layer.painted
                    and window.running_job is None):
                # The cutout's own colours on the checkerboard: the mask stays, hidden (Show).
                window.mask_tools._show.trigger()
                QTimer.singleShot(800, lambda: save_and_quit(app, window, "remove-background.png"))  # thumbnails
                return
        QTimer.singleShot(100, step)

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
