"""The prompt panel's Guidance (ControlNet) section in the real window: collapsed and unbuilt at
first; with no ControlNet listed it says where to put one, and one for another family is not
offered; with one chosen, Generate stores the sketch as a project asset and the request carries
a ControlUse of it with the chosen strength, start and end."""

import dataclasses
import io

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QToolButton, QWidget
from tiny_models import write_safetensors_header
from window_driver import fill, heard

from atelier import paths
from atelier.core.tasks.adapters import ControlUse

LEFT, NO_KEYS = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
# Headers alone (the weights are zeros): enough for the scan to list each as a ControlNet of its family.
SD15_CONTROLNET = {"control_model.input_hint_block.0.weight": ("F16", [16, 3, 3, 3]),
                   "control_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight": ("F16", [320, 768])}
SDXL_CONTROLNET = {"controlnet_cond_embedding.conv_in.weight": ("F16", [16, 3, 3, 3]),
                   "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight": ("F16", [640, 2048])}


def rescan_until(qtbot, win, names: set[str]) -> None:
    win.rescan_models()
    qtbot.waitUntil(lambda: {part.name for part in win.generation.parts if part.kind == "controlnet"} == names,
                    timeout=10_000)


def open_guidance(win) -> None:
    toggle = win.findChild(QToolButton, "guidanceToggle")
    assert win.findChild(QComboBox, "guidanceModelCombo") is None  # made when first opened
    toggle.click()
    assert win.panel.guidance_box.opened and win.findChild(QWidget, "guidanceBody").isVisible()


def test_no_controlnet_listed_says_where_to_put_one(qtbot, window):
    open_guidance(window)
    hint = window.findChild(QLabel, "guidanceHint")
    combo = window.findChild(QComboBox, "guidanceModelCombo")
    assert hint.isVisible() and "models/ControlNet" in hint.text() and "models/controlnet" in hint.text()
    assert combo.count() == 1 and not combo.isVisible()  # "Off" alone, and hidden with the other fields
    assert window.panel.guidance_box.choice() is None

    write_safetensors_header(paths.models_dir() / "ControlNet" / "depth_xl.safetensors", SDXL_CONTROLNET)
    rescan_until(qtbot, window, {"depth_xl"})
    assert hint.isVisible() and "sd15" in hint.text() and combo.count() == 1  # an SDXL one does not fit SD1.5

    write_safetensors_header(paths.models_dir() / "ControlNet" / "scribble_sd15.safetensors", SD15_CONTROLNET)
    rescan_until(qtbot, window, {"depth_xl", "scribble_sd15"})
    assert not hint.isVisible() and combo.isVisible()
    assert [combo.itemText(i) for i in range(combo.count())] == ["Off", "scribble_sd15"]


def test_generate_with_the_sketch_sends_a_control_of_its_asset(qtbot, window):
    write_safetensors_header(paths.models_dir() / "ControlNet" / "scribble_sd15.safetensors", SD15_CONTROLNET)
    rescan_until(qtbot, window, {"scribble_sd15"})
    fill(qtbot, window, size=(64, 64))
    window.image_menu.aboutToShow.emit()
    window.findChild(QAction, "sketchPenAction").trigger()
    qtbot.wait(50)  # the tool row pushed the canvas down: let the layout settle before dragging
    window.canvas.sketch_layer.set_brush_size(4)
    viewport = window.canvas.viewport()
    QTest.mousePress(viewport, LEFT, NO_KEYS, window.canvas.mapFromScene(QPointF(8, 32)))
    QTest.mouseMove(viewport, window.canvas.mapFromScene(QPointF(32, 32)))
    QTest.mouseRelease(viewport, LEFT, NO_KEYS, window.canvas.mapFromScene(QPointF(56, 32)))

    open_guidance(window)
    combo = window.findChild(QComboBox, "guidanceModelCombo")
    combo.setCurrentIndex(1)
    controlnet = combo.currentData()
    assert window.findChild(QToolButton, "guidanceToggle").text() == "Guidance · scribble_sd15"
    assert window.findChild(QComboBox, "guidanceSourceCombo").currentData() == "sketch"
    assert not window.findChild(QComboBox, "guidancePreprocessCombo").isVisible()  # a sketch is used as it is
    window.findChild(QDoubleSpinBox, "guidanceStrengthSpin").setValue(0.7)
    window.findChild(QDoubleSpinBox, "guidanceStartSpin").setValue(0.1)
    window.findChild(QDoubleSpinBox, "guidanceEndSpin").setValue(0.8)

    # The job ends either way (the tiny header has no real weights): what matters here is what it asked.
    with heard(qtbot, window.engine.worker.job_done, timeout=60_000), \
            heard(qtbot, window.generation.job_started, timeout=10_000) as started:
        qtbot.mouseClick(window.panel.generate_button, LEFT)
    [(job,)] = started
    [control] = job.request.controls
    assert control == ControlUse(model=controlnet.id, image=control.image, preprocess="none", strength=0.7,
                                 start=0.1, end=0.8)
    assert job.extra_models[controlnet.id] == controlnet
    with Image.open(io.BytesIO(window.project_controller.read_asset(control.image))) as stored:
        sketch = np.asarray(stored.convert("L"))
    assert sketch.shape == (64, 64)
    assert (sketch[32, 10:55] == 255).all() and not sketch[:26].any() and not sketch[39:].any()  # white on black

    # Use all of an output made with it: the same ControlNet, settings and control image (the
    # stored sketch, now as the image file), so the same control goes out again.
    window.findChild(QComboBox, "guidanceModelCombo").setCurrentIndex(0)
    missed = window.panel.apply_settings({"task": "text-to-image", "prompt": "a hill",
                                          "controls": [dataclasses.asdict(control)]})
    assert missed == []
    box = window.panel.guidance_box
    qtbot.waitUntil(lambda: box.file_image is not None, timeout=5_000)  # read off the UI thread
    assert box.file_image.asset == control.image
    choice = box.choice()
    assert (choice.source, choice.preprocess) == ("file", "none")
    assert choice.use(box.file_image.asset) == control

    assert window.panel.apply_settings({"task": "text-to-image", "prompt": "a hill"}) == []
    assert box.choice() is None  # made without guidance: guidance off
