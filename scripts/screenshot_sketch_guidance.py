"""Regenerate docs/sketch-guidance.png: a sketch drawn with the pen on the blank page, the
sketch's tool row above, the prompt panel's Guidance section open with a ControlNet chosen to
follow it, and the picture it guided (the tiny test model's: its pixels are noise steered by a
random ControlNet, but the flow, the recipe and the history are the real ones) with the sketch
still over it. Run under Xvfb:
xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_sketch_guidance.py"""

import math
import sys

from screenshot import open_window_on_tiny_model, run, save_and_quit, stored
from screenshot_mask import trace


def add_controlnet(models_dir) -> None:
    """A tiny ControlNet for the tiny model, as a diffusers folder named as a scribble one."""
    from tiny_models import build_controlnet

    build_controlnet(models_dir / "tiny-sd15", models_dir / "ControlNet" / "control_v11p_sd15_scribble", seed=1)


def house_on_a_hill(layer) -> None:
    """A line drawing as an artist would scribble it: hill, house, door, window, tree, sun, birds."""
    trace(layer, [(0, 400), (90, 360), (200, 340), (320, 350), (430, 375), (512, 395)])  # the hill
    trace(layer, [(150, 345), (150, 240), (290, 240), (290, 348)])  # walls
    trace(layer, [(135, 245), (220, 170), (305, 245)])  # roof
    trace(layer, [(200, 346), (200, 290), (235, 290), (235, 347)])  # door
    trace(layer, [(250, 265), (275, 265), (275, 290), (250, 290), (250, 265)])  # window
    trace(layer, [(390, 368), (392, 280)])  # a tree: trunk and crown
    crown = [(392 + 42 * math.cos(a / 12 * math.tau), 250 + 36 * math.sin(a / 12 * math.tau)) for a in range(13)]
    trace(layer, crown)
    sun = [(90 + 30 * math.cos(a / 16 * math.tau), 100 + 30 * math.sin(a / 16 * math.tau)) for a in range(17)]
    trace(layer, sun)
    for x, y in ((330, 90), (375, 120)):  # birds
        trace(layer, [(x - 18, y - 6), (x, y + 4), (x + 18, y - 6)])


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QComboBox

    app, window = open_window_on_tiny_model(add_controlnet)
    state = {"drawn": False}

    def step():
        panel = window.panel
        ready = window.project_controller.project is not None and panel.model_combo.isEnabled()
        if not ready or not window.generation.parts:
            QTimer.singleShot(100, step)
            return
        if state["drawn"]:
            return
        state["drawn"] = True
        panel.prompt_edit.setPlainText("a cosy cottage on a green hill, a big oak tree, warm evening sun, "
                                       "watercolour")
        panel.width_spin.setValue(512)
        panel.height_spin.setValue(512)
        window.sketch_tools.actions["sketchPenAction"].trigger()
        layer = window.canvas.sketch_layer
        layer.set_brush_size(5)
        house_on_a_hill(layer)
        window.canvas.actual_size()  # 100 %: past it, the canvas draws pixels as squares (stepped lines)
        box = panel.guidance_box
        box.toggle.click()
        combo = window.findChild(QComboBox, "guidanceModelCombo")
        combo.setCurrentIndex(1)
        box.strength_spin.setValue(0.9)
        box.end_spin.setValue(0.8)
        panel.steps_spin.setValue(4)
        panel.seed_spin.setValue(11)
        window.start_generation()
        QTimer.singleShot(100, wait_for_image)

    def wait_for_image():
        # Polled on the GUI thread: a lambda on the worker's signal would run on the worker thread.
        if window.running_job is not None or stored(window) < 1:
            QTimer.singleShot(100, wait_for_image)
            return
        QTimer.singleShot(800, lambda: save_and_quit(app, window, "sketch-guidance.png"))  # thumbnails arrive first

    return run(app, window, step)


if __name__ == "__main__":
    sys.exit(main())
