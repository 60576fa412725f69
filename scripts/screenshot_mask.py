"""Regenerate docs/mask.png: a picture on the canvas with a mask painted over it for generative
fill, the mask's tool row above. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_mask.py"""

import sys

from screenshot import open_window_on_tiny_model, run, save_and_quit


def landscape(width: int = 768, height: int = 512):
    """A calm lake landscape drawn in code (the tiny model paints noise): sky, sun, hills, water."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter
    from PySide6.QtGui import QImage

    rows = np.linspace(0, 1, height)[:, None, None]
    sky = (1 - rows) * np.array([92, 140, 205]) + rows * np.array([250, 196, 150])
    picture = Image.fromarray(np.repeat(sky, width, axis=1).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((470, 120, 560, 210), fill=(255, 232, 170))
    draw.polygon([(0, 330), (140, 220), (260, 300), (400, 200), (560, 290), (680, 240), (768, 290), (768, 360),
                  (0, 360)], fill=(78, 98, 120))
    draw.polygon([(0, 350), (200, 290), (380, 340), (600, 300), (768, 340), (768, 380), (0, 380)], fill=(52, 82, 70))
    draw.rectangle((0, 372, width, height), fill=(70, 110, 150))
    for y in range(380, height, 9):  # ripples
        draw.line((40 + y % 60, y, width - 60 - y % 45, y), fill=(96, 138, 176), width=1)
    picture = picture.filter(ImageFilter.GaussianBlur(1.2))
    data = picture.tobytes()
    return QImage(data, width, height, width * 3, QImage.Format.Format_RGB888).copy()


def trace(layer, points) -> None:
    """One stroke or selection of the mask's current tool through ``points`` (image pixels)."""
    from PySide6.QtCore import QPointF

    layer.press(QPointF(*points[0]), erase=False)
    for point in points[1:]:
        layer.move(QPointF(*point))
    layer.release(QPointF(*points[-1]))


def run_on_landscape(app, window, scene) -> int:
    """Run the app with the landscape pasted into the project and shown on the canvas, then
    ``scene()`` polled every 100 ms until it returns True (it has arranged the save and quit)."""
    from PySide6.QtCore import QTimer

    state = {"pasted": False}

    def step():
        if not state["pasted"]:
            if window.project_controller.project is not None and window.panel.model_combo.isEnabled():
                window.import_pasted_image(landscape())
                state["pasted"] = True
        elif window.canvas.image_size() == (768, 512) and window.project_controller.current_output_id is not None:
            if scene():
                return
        QTimer.singleShot(100, step)

    return run(app, window, step)


def main() -> int:
    from PySide6.QtCore import QTimer

    app, window = open_window_on_tiny_model()

    def scene() -> bool:
        window.panel.prompt_edit.setPlainText("a small wooden sailing boat on the lake, evening light")
        window.mask_tools.actions["maskBrushAction"].trigger()
        layer = window.canvas.mask_layer
        layer.set_brush_size(70)
        # A boat on the water: two strokes, as an artist would scribble the area.
        trace(layer, [(250, 420), (300, 405), (360, 400), (420, 405), (470, 420)])
        trace(layer, [(300, 440), (350, 455), (420, 450), (440, 430)])
        window.mask_tools.actions["maskLassoAction"].trigger()  # a mast and sail above it
        trace(layer, [(345, 402), (352, 300), (410, 395)])
        window.mask_tools.actions["maskBrushAction"].trigger()
        window.mask_tools.fill_mode_combo.setCurrentIndex(2)  # Add object
        QTimer.singleShot(800, lambda: save_and_quit(app, window, "mask.png"))  # thumbnails arrive first
        return True

    return run_on_landscape(app, window, scene)


if __name__ == "__main__":
    sys.exit(main())
